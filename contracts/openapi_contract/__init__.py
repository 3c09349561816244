"""Schemathesis over each service's OpenAPI document, loaded from its URL."""
