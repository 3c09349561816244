"""Interoperability: our dashboard and UDR behind a third-party OpenID provider."""
