"""`python -m udr`: serve; `... demo-data ...`: demo usage; `... import FILE`: load."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from udr.ceilometer import read_file
from udr.config import Settings
from udr.demo import write_demo_data
from udr.errors import UdrError
from udr.store import SchemaTooNew, UsageStore


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if (args.ssl_certfile is None) != (args.ssl_keyfile is None):
        parser.error("--ssl-certfile and --ssl-keyfile go together")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    try:
        if args.command == "demo-data":
            return demo_data(args)
        if args.command == "import":
            return import_files(args)
        return serve(args)
    except ValidationError as refused:  # never echo the settings' values: secrets
        for error in refused.errors(include_input=False, include_url=False):
            where = "UDR_" + "_".join(str(p) for p in error["loc"]).upper()
            print(
                f"udr: {where}: {error['msg']}".replace("UDR_: ", ""), file=sys.stderr
            )
        return 2
    except SchemaTooNew as refused:
        print(f"udr: {refused}", file=sys.stderr)
        return 2


def serve(args: argparse.Namespace) -> int:
    import uvicorn  # only serving needs the web stack

    from udr.app import create_app

    settings = Settings()
    app = create_app(settings)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        access_log=False,  # RequestLog writes one line per request, without the query
        log_config=None,
    )
    return 0


def demo_data(args: argparse.Namespace) -> int:
    store = _store(args.database_url)
    result = write_demo_data(store, args.seed, args.keystoneid, args.days)
    print(f"stored {result.stored}, duplicates {result.duplicates}")
    return 0


def import_files(args: argparse.Namespace) -> int:
    store = _store(args.database_url)
    for path in args.files:
        try:
            records = read_file(path, args.keystoneid, args.keystoneid_field)
            result = store.ingest(records)
        except (UdrError, OSError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            return 1
        print(f"{path}: stored {result.stored}, duplicates {result.duplicates}")
    return 0


def _store(database_url: str | None) -> UsageStore:
    url = database_url or Settings().database_url
    return UsageStore.from_url(url)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m udr",
        description="Serve usage records (settings from UDR_* variables), or write "
        "demo usage, or import Ceilometer samples.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    parser.add_argument("--port", type=int, default=8090, help="default: 8090")
    parser.add_argument(
        "--ssl-certfile", help="serve HTTPS with this certificate chain"
    )
    parser.add_argument("--ssl-keyfile", help="and this private key")
    commands = parser.add_subparsers(dest="command")

    demo = commands.add_parser("demo-data", help="write a demo month of usage")
    demo.add_argument("--keystoneid", action="append", required=True)
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument(
        "--days", type=int, default=35, choices=range(1, 367), metavar="1..366"
    )
    demo.add_argument("--database-url", help="default: UDR_DATABASE_URL")

    load = commands.add_parser("import", help="load Ceilometer sample JSON or CSV")
    load.add_argument("files", nargs="+", type=Path, metavar="FILE")
    load.add_argument("--keystoneid", help="the keystoneid of every sample")
    load.add_argument(
        "--keystoneid-field", default="user_id", choices=["user_id", "project_id"]
    )
    load.add_argument("--database-url", help="default: UDR_DATABASE_URL")
    return parser


if __name__ == "__main__":
    sys.exit(main())
