"""`python -m mock_openam [--host H] [--port N] [--ssl-certfile F --ssl-keyfile F]`."""

from __future__ import annotations

import argparse
import logging
import os
import sys

import uvicorn
from pydantic import ValidationError

from .app import create_app
from .config import ConfigError
from .jose_keys import KeyFileError
from .settings import Settings

DEFAULT_PORT = 8080


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        print("--ssl-certfile and --ssl-keyfile go together", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )

    try:
        app = create_app(_settings(args))
    except (ConfigError, KeyFileError, ValidationError) as exc:
        print(f"mock_openam: {exc}", file=sys.stderr)
        return 1

    # uvicorn's access log would print query strings (tokens); the app logs requests.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        access_log=False,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        log_level="info",
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mock_openam",
        description="An OpenID Connect provider on OpenAM's paths, for tests.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="default: %(default)s")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="default: %(default)s"
    )
    parser.add_argument("--ssl-certfile", help="PEM certificate: serve HTTPS")
    parser.add_argument("--ssl-keyfile", help="PEM key of the certificate")
    parser.epilog = (
        "Settings come from OPENAM_* environment variables (see the README); "
        "without OPENAM_PUBLIC_URL the issuer is the URL listened on."
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment; without `OPENAM_PUBLIC_URL`, where we listen."""
    if "OPENAM_PUBLIC_URL" in os.environ:
        return Settings()
    scheme = "https" if args.ssl_certfile else "http"
    host = f"[{args.host}]" if ":" in args.host else args.host
    return Settings(public_url=f"{scheme}://{host}:{args.port}")


if __name__ == "__main__":
    sys.exit(main())
