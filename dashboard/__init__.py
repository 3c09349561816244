"""The dashboard: a person logs in and reads their cloud usage."""
