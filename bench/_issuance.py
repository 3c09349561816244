"""Part 1: token issuance, mock_openam beside oauth2-mock-server from npm.

Both servers answer the same form posts from the same load generator in the same run;
the ratio is ours over the peer's throughput (target: at least 1).
"""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path

import httpx

from . import _load
from ._processes import NodePeer, PeerUnavailable, install_peer
from ._provider import Credentials, provider, token_url, write_config
from ._report import Report, Row

PART = "issuance"
TARGET = ">= 1.0 x npm peer"


def run(report: Report, load: _load.Load, run_dir: Path) -> None:
    creds = write_config(run_dir / "provider.yaml")
    theirs = _measure_peer(report, load, run_dir, creds)

    with provider(run_dir, run_dir / "provider.yaml") as ours:
        url = token_url(ours)
        for grant, send in (("password", _password), ("client_credentials", _cc)):
            result = _load.run(send(url, creds), load)
            report.add(_row(f"mock_openam {grant}", result, theirs.get(grant)))


def _measure_peer(
    report: Report, load: _load.Load, run_dir: Path, creds: Credentials
) -> dict[str, _load.Result]:
    """The peer's figures by grant; none (and a row saying why) if it cannot run."""
    try:
        install_peer()
        with NodePeer(log_path=run_dir / "peer.log") as peer:
            results = {
                "password": _load.run(_password(peer.token_url, creds), load),
                "client_credentials": _load.run(_cc(peer.token_url, creds), load),
            }
    except PeerUnavailable as exc:
        report.add(Row(PART, "npm peer", verdict="SKIP", note=str(exc)))
        return {}
    for grant, result in results.items():
        report.add(_row(f"npm peer {grant}", result, None))
    return results


def _row(
    case: str, result: _load.Result, peer: _load.Result | None, note: str = ""
) -> Row:
    row = Row(
        PART,
        case,
        rps=result.rps,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        figures=dict(result.as_dict()),
        note=note,
    )
    if case.startswith("mock_openam"):
        row.target = TARGET
        row.verdict = "SKIP"
    if peer is not None:
        row.ratio = result.rps / peer.rps
        row.verdict = "PASS" if row.ratio >= 1.0 else "MISS"
    return row


def _password(url: str, creds: Credentials) -> _load.Send:
    form = {
        "grant_type": "password",
        "username": creds.username,
        "password": creds.password,
        "scope": "openid keystoneid",
    }
    auth = httpx.BasicAuth("dashboard", creds.dashboard_secret)

    def send(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.post(url, data=form, auth=auth)

    return send


def _cc(url: str, creds: Credentials) -> _load.Send:
    form = {"grant_type": "client_credentials", "scope": "udr:write"}
    auth = httpx.BasicAuth("collector", creds.collector_secret)

    def send(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.post(url, data=form, auth=auth)

    return send
