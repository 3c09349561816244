"""The UDR's own tests: in-process against a fake provider, and as real processes."""
