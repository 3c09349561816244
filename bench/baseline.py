"""The UDR with no authorization at all: the limit the guarded query is compared with.

A benchmark-only app, never shipped: the UDR's own `create_app` with its owner check
(steps 5 to 7, `udr.guard.require_owner`) replaced through FastAPI's dependency
overrides. Routing, period parsing, the store, the answer model, the error handlers and
the request log are the product's own, so the ratio of a guarded run to this one is the
cost of authorization and nothing else. The UDR itself has no switch that does this.

    python -m bench.baseline --host 127.0.0.1 --port 8099   # settings from UDR_*
"""

from __future__ import annotations

import argparse
import logging

import uvicorn
from fastapi import FastAPI

from udr.app import create_app
from udr.config import Settings
from udr.guard import require_owner
from udr.validation import TokenInfo


def create_baseline_app(settings: Settings) -> FastAPI:
    """The UDR over `settings`, serving any caller as if it owned the keystoneid."""
    app = create_app(settings)

    async def anyone(keystoneid: str) -> TokenInfo:
        return TokenInfo(
            claims={settings.claim: keystoneid},
            subject=None,
            client_id=None,
            scopes=frozenset(),
            expires_at=None,
        )

    app.dependency_overrides[require_owner] = anyone
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args(argv)
    # Served exactly as `python -m udr` serves: same logging, same uvicorn options.
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    app = create_baseline_app(Settings())
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_config=None)


if __name__ == "__main__":
    main()
