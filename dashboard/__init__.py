"""The dashboard: a person logs in and reads their cloud usage."""

from dashboard.app import create_app
from dashboard.settings import DashboardSettings

__all__ = ["DashboardSettings", "create_app"]
