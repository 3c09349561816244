"""The usage data record service: usage served only when the provider vouches."""
