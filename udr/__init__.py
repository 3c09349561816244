"""The usage data record service: usage served only when the provider vouches.

The public surface: `create_app(settings)` and `Settings`; `UsageStore` and
`usage_report` for whoever needs the query without HTTP (a benchmark's baseline).
Imported lazily, so the command lines start without the web stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from udr.app import create_app
    from udr.config import Settings
    from udr.store import UsageStore
    from udr.usage import usage_report

__all__ = ["Settings", "UsageStore", "create_app", "usage_report"]

_HOMES = {
    "create_app": "udr.app",
    "Settings": "udr.config",
    "UsageStore": "udr.store",
    "usage_report": "udr.usage",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'udr' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)
