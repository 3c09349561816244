"""`python -m dashboard [--host H] [--port N] [--ssl-certfile F --ssl-keyfile F]`."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn
from pydantic import ValidationError

from dashboard.app import create_app
from dashboard.settings import DashboardSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--ssl-certfile")
    parser.add_argument("--ssl-keyfile")
    args = parser.parse_args(argv)
    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        parser.error("--ssl-certfile and --ssl-keyfile go together")

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    try:
        settings = DashboardSettings()
    except ValidationError as exc:
        print(f"dashboard: bad settings:\n{exc}", file=sys.stderr)
        return 2

    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        access_log=False,  # the app logs each request itself, without query strings
        log_level="info",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
