"""Part 1: token issuance, mock_openam beside oauth2-mock-server from npm.

Both servers answer the same form posts from the same load generator, in interleaved
rounds of one run; the ratio is ours over the peer's throughput (target: at least 1).
The peer checks no password and no client secret; mock_openam checks both.
"""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path

import httpx

from e2e.processes import ServiceProcess

from . import _load
from ._processes import NodePeer, PeerUnavailable, install_peer, running
from ._profile import profile_misses
from ._provider import Credentials, provider, token_url, write_config
from ._report import Report, Row, measured

PART = "issuance"
GRANTS = ("password", "client_credentials")
TARGET = ">= 1.0 x npm peer"
CEILING = "load generator ceiling (peer /health)"


def run(report: Report, load: _load.Load, run_dir: Path, profile: bool) -> None:
    creds = write_config(run_dir / "provider.yaml")
    ours = provider(run_dir, run_dir / "provider.yaml")
    peer = _peer(report, run_dir)
    processes: list[ServiceProcess] = [ours] + ([peer] if peer else [])

    cases = {f"mock_openam {g}": _send(g, token_url(ours), creds) for g in GRANTS}
    if peer is not None:
        cases |= {f"npm peer {g}": _send(g, peer.token_url, creds) for g in GRANTS}
        cases[CEILING] = _health(peer.url)
    with running(*processes):
        serving = {name: _pids(peer if "peer" in name else ours) for name in cases}
        results = _load.compare(cases, load, serving=serving)
        rows = [measured(PART, CEILING, results[CEILING])] if CEILING in results else []
        for grant in GRANTS:
            theirs = results.get(f"npm peer {grant}")
            if theirs is not None:
                rows.append(_row(f"npm peer {grant}", theirs, None))
            mine = f"mock_openam {grant}"
            rows.append(_row(mine, results[mine], theirs))
        if profile:
            served = {
                f"mock_openam {g}": ([ours], cases[f"mock_openam {g}"]) for g in GRANTS
            }
            profile_misses(rows, served, load)

    for row in rows:
        report.add(row)


def _peer(report: Report, run_dir: Path) -> NodePeer | None:
    """The npm peer, or none (and a row saying why) when it cannot run here."""
    try:
        install_peer()
        peer = NodePeer(log_path=run_dir / "peer.log")
        peer.command()
    except PeerUnavailable as exc:
        report.add(Row(PART, "npm peer", verdict="SKIP", note=str(exc)))
        return None
    return peer


def _row(case: str, result: _load.Result, peer: _load.Result | None) -> Row:
    row = measured(PART, case, result)
    if case.startswith("mock_openam"):
        row.target = TARGET
        row.verdict = "SKIP"
    if peer is not None:
        row.ratio = result.rps / peer.rps
        row.verdict = "PASS" if row.ratio >= 1.0 else "MISS"
        if result.cpu_ms and peer.cpu_ms:
            row.figures["cpu_ratio"] = round(peer.cpu_ms / result.cpu_ms, 3)
    return row


def _pids(process: ServiceProcess | None) -> list[int]:
    return [process.pid] if process is not None and process.pid is not None else []


def _send(grant: str, url: str, creds: Credentials) -> _load.Send:
    """A token request of `grant`, authenticated by HTTP Basic as each client would."""
    if grant == "password":
        form = {
            "grant_type": "password",
            "username": creds.username,
            "password": creds.password,
            "scope": "openid keystoneid",
        }
        auth = httpx.BasicAuth("dashboard", creds.dashboard_secret)
    else:
        form = {"grant_type": "client_credentials", "scope": "udr:write"}
        auth = httpx.BasicAuth("collector", creds.collector_secret)

    def send(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.post(url, data=form, auth=auth)

    return send


def _health(url: str) -> _load.Send:
    """The cheapest answer here: the rate the load generator itself tops out at."""
    target = f"{url}/health"

    def send(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.get(target)

    return send
