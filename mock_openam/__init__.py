"""A stand-in for OpenAM: an OpenID Connect provider on OpenAM's paths."""

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
