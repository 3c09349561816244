"""The usage data record service: usage served only when the provider vouches."""

from udr.app import create_app
from udr.config import Settings
from udr.store import UsageStore
from udr.usage import usage_report

__all__ = ["Settings", "UsageStore", "create_app", "usage_report"]
