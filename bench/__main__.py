"""`python -m bench`: run the benchmarks, print the table, write the JSON report."""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from . import _load
from ._report import Report, Row, header

PARTS = ("issuance", "udr", "store", "startup")
ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Python's default: services cache their compiled modules. Without this, a shell
    # that exports PYTHONDONTWRITEBYTECODE makes every start compile every import again
    # (about 1.5 s more CPU for the three services), which no normal install pays.
    no_bytecode = os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None
    load = _load.Load(args.requests, args.concurrency, args.warmup, args.budget)
    run_dir = args.run_dir or ROOT / "runs" / datetime.now(UTC).strftime("bench-%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    report = Report(settings=_settings(args, load, run_dir))
    report.settings["PYTHONDONTWRITEBYTECODE_cleared"] = no_bytecode

    print(f"logs in {run_dir}; load average {report.load_at_start}", flush=True)
    print(header(), flush=True)
    failed = [
        part for part in args.parts if not _run_part(part, args, load, run_dir, report)
    ]

    report.write_json(args.json)
    report.write_markdown(args.json.with_suffix(".md"))
    print(f"\n{report.table()}\n\nJSON report: {args.json} (and .md beside it)")
    if failed:
        print(f"parts that could not run: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def _run_part(
    part: str, args: argparse.Namespace, load: _load.Load, run_dir: Path, report: Report
) -> bool:
    """Run one part; a part that breaks is reported as a row and the run goes on."""
    started = time.monotonic()
    try:
        _PARTS[part](args, load, run_dir / part, report)
    except Exception as exc:  # one broken part must not hide the others' figures
        traceback.print_exc()
        report.add(Row(part, "could not run", verdict="SKIP", note=_oneline(exc)))
        return False
    print(f"# {part}: {time.monotonic() - started:.1f}s", flush=True)
    return True


def _issuance(
    args: argparse.Namespace, load: _load.Load, run_dir: Path, report: Report
) -> None:
    from . import _issuance

    _issuance.run(report, load, run_dir, args.profile)


def _udr(
    args: argparse.Namespace, load: _load.Load, run_dir: Path, report: Report
) -> None:
    from . import _udr

    udr_load = _load.Load(
        args.udr_requests, load.concurrency, load.warmup // 4, args.budget * 3 / 4
    )
    _udr.run(report, udr_load, run_dir, args.cache_dir, args.profile)


def _store(
    args: argparse.Namespace, load: _load.Load, run_dir: Path, report: Report
) -> None:
    from . import _store

    _store.run(report, args.sizes, args.queries, args.cache_dir)


def _startup(
    args: argparse.Namespace, load: _load.Load, run_dir: Path, report: Report
) -> None:
    from . import _startup

    _startup.run(report, run_dir, args.startups, args.with_e2e)


_PARTS: dict[str, Callable[[argparse.Namespace, _load.Load, Path, Report], None]] = {
    "issuance": _issuance,
    "udr": _udr,
    "store": _store,
    "startup": _startup,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "parts",
        nargs="*",
        type=_part,
        default=list(PARTS),
        metavar="PART",
        help=f"parts to run, of {', '.join(PARTS)} (default: all)",
    )
    parser.add_argument("--requests", type=int, default=2000, help="measured per case")
    parser.add_argument("--concurrency", type=int, default=4, help="workers at once")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured per case")
    parser.add_argument(
        "--budget", type=float, default=12.0, help="most seconds per case (UDR: 3/4)"
    )
    parser.add_argument(
        "--udr-requests", type=int, default=600, help="measured per UDR case"
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=(10_000, 100_000, 1_000_000),
        help="store sizes, comma separated (default 10000,100000,1000000)",
    )
    parser.add_argument("--queries", type=int, default=200, help="per store size")
    parser.add_argument("--startups", type=int, default=3, help="stack starts timed")
    parser.add_argument(
        "--with-e2e", action="store_true", help="also time `nox -s e2e` (minutes)"
    )
    parser.add_argument(
        "--no-profile",
        dest="profile",
        action="store_false",
        help="do not profile missed targets with py-spy",
    )
    parser.add_argument("--json", type=Path, default=ROOT / "reports" / "bench.json")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=ROOT / ".bench-cache",
        help="generated store databases, reused across runs",
    )
    parser.add_argument("--run-dir", type=Path, help="logs (default runs/bench-*)")
    return parser


def _part(text: str) -> str:
    if text not in PARTS:
        raise argparse.ArgumentTypeError(f"{text!r} is none of {', '.join(PARTS)}")
    return text


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(","))


def _settings(
    args: argparse.Namespace, load: _load.Load, run_dir: Path
) -> dict[str, object]:
    return {
        "parts": list(args.parts),
        "load": {
            "requests": load.requests,
            "concurrency": load.concurrency,
            "warmup": load.warmup,
            "budget_s": load.budget,
        },
        "udr_requests": args.udr_requests,
        "store_sizes": list(args.sizes),
        "store_queries": args.queries,
        "with_e2e": args.with_e2e,
        "profile_misses": args.profile,
        "run_dir": str(run_dir),
    }


def _oneline(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text.splitlines()[0][:200] if text else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
