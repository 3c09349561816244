"""Part 2: the guarded usage query in each validation mode, beside the unguarded one.

The UDR serves one user's month (bucketed by day) from a store of 10 thousand records,
first with no authorization at all (`bench.baseline`, the limit of the stack), then
guarded in each validation mode with the validation cache off and on. The provider
endpoints the modes call are also measured alone, so that a guarded run with the cache
off can be held against what the round trip costs.

Targets: jwt, and userinfo with the cache on, at least 0.7 of the baseline's
throughput. With the cache off, the round trip and nothing more: one guarded request
may cost the CPU of one baseline request plus one provider call, and a quarter more for
the UDR's side of the call (the CPU of the UDR and the provider together, per request).
Where CPU time cannot be read, the same rule in throughput: at least 0.8 of
1 / (1/baseline + 1/provider call), the cores being shared by all the processes.
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable
from pathlib import Path

import httpx

from e2e.processes import ServiceProcess

from . import _load, _records
from ._processes import running, service
from ._profile import profile_misses
from ._provider import Credentials, issuer, provider, token_url, write_config
from ._report import Report, Row, measured

PART = "udr"
ONLINE_MODES = ("userinfo", "introspection", "tokeninfo")
MODES = (*ONLINE_MODES, "jwt")
CACHE_SECONDS = 60
STORE_SIZE = 10_000
RATIO_TARGET = 0.7
ROUND_TRIP_SHARE = 0.8
ROUND_TRIP_ALLOWANCE = 1.25
BASELINE = "no authorization (baseline)"
GUARDED = [(mode, cache) for mode in MODES for cache in (0, CACHE_SECONDS)]
QUERY = {
    "from": _records.MONTH_START.strftime("%Y-%m-%dT%H:%M:%SZ"),
    "to": _records.MONTH_END.strftime("%Y-%m-%dT%H:%M:%SZ"),
    "bucket": "day",
}


def run(
    report: Report, load: _load.Load, run_dir: Path, cache_dir: Path, profile: bool
) -> None:
    database = run_dir / "udr.db"
    run_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_records.database(STORE_SIZE, cache_dir), database)
    creds = write_config(run_dir / "provider.yaml")
    openam = provider(run_dir, run_dir / "provider.yaml")
    env = {
        "UDR_DATABASE_URL": f"sqlite:///{database}",
        "UDR_ISSUER": issuer(openam),
        "UDR_CLIENT_ID": "udr",
        "UDR_CLIENT_SECRET": creds.udr_secret,
    }
    servers = {BASELINE: service("bench.baseline", env, run_dir, name="baseline")}
    for mode, cache in GUARDED:
        cache_env = {"UDR_VALIDATION_MODE": mode, "UDR_CACHE_SECONDS": str(cache)}
        name = f"udr-{mode}-cache{cache}"
        servers[_case(mode, cache)] = service(
            "udr", env | cache_env, run_dir, name=name
        )

    with running(openam, *servers.values()):
        token = _access_token(openam, creds)
        cases = {name: _query(server, token) for name, server in servers.items()}
        cases |= _round_trips(openam, token, creds)
        serving = {name: _pids(servers.get(name), openam) for name in cases}
        results = _load.compare(cases, load, serving=serving)
        rows = _rows(results)
        if profile:
            served = {name: ([servers[name], openam], cases[name]) for name in servers}
            profile_misses(rows, served, load)

    for row in rows:
        report.add(row)


def _rows(results: dict[str, _load.Result]) -> list[Row]:
    limit = results[BASELINE]
    rows = [_row(BASELINE, limit)]
    rows += [_row(_alone(m), results[_alone(m)]) for m in ONLINE_MODES]
    for mode, cache in GUARDED:
        alone = results.get(_alone(mode))
        rows.append(_guarded(mode, cache, results[_case(mode, cache)], limit, alone))
    return rows


def _pids(*processes: ServiceProcess | None) -> list[int]:
    """The processes a case's requests cost CPU in: its UDR, and the provider."""
    return [p.pid for p in processes if p is not None and p.pid is not None]


def _case(mode: str, cache: int) -> str:
    return f"{mode}, cache {'on' if cache else 'off'}"


def _alone(mode: str) -> str:
    return f"provider {mode} call alone"


def _query(process: ServiceProcess, token: str) -> _load.Send:
    """The month query, with the bearer token, at `process`."""
    url = f"{process.url}/usage/users/{_records.KEYSTONEID}"
    headers = {"Authorization": f"Bearer {token}"}

    def send(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.get(url, params=QUERY, headers=headers)

    return send


def _round_trips(
    openam: ServiceProcess, token: str, creds: Credentials
) -> dict[str, _load.Send]:
    """The provider call each online mode makes, to be measured alone."""
    base = issuer(openam)
    bearer = {"Authorization": f"Bearer {token}"}
    udr_auth = httpx.BasicAuth("udr", creds.udr_secret)
    form = {"token": token, "token_type_hint": "access_token"}

    def userinfo(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.get(f"{base}/userinfo", headers=bearer)

    def introspection(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.post(f"{base}/introspect", data=form, auth=udr_auth)

    def tokeninfo(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.get(f"{base}/tokeninfo", headers=bearer)

    return {
        _alone("userinfo"): userinfo,
        _alone("introspection"): introspection,
        _alone("tokeninfo"): tokeninfo,
    }


def _access_token(openam: ServiceProcess, creds: Credentials) -> str:
    """One password-grant token for the bench user, as the dashboard would get it."""
    form = {
        "grant_type": "password",
        "username": creds.username,
        "password": creds.password,
        "scope": "openid keystoneid",
    }
    auth = ("dashboard", creds.dashboard_secret)
    response = httpx.post(token_url(openam), data=form, auth=auth, timeout=10)
    response.raise_for_status()
    return str(response.json()["access_token"])


def _row(case: str, result: _load.Result) -> Row:
    return measured(PART, case, result)


def _guarded(
    mode: str,
    cache: int,
    result: _load.Result,
    limit: _load.Result,
    alone: _load.Result | None,
) -> Row:
    row = _row(_case(mode, cache), result)
    row.ratio = result.rps / limit.rps
    if result.cpu_ms and limit.cpu_ms:
        row.figures["cpu_ratio"] = round(limit.cpu_ms / result.cpu_ms, 3)
    if mode == "jwt" or (mode == "userinfo" and cache):
        row.target = f">= {RATIO_TARGET} x baseline"
        row.verdict = "PASS" if row.ratio >= RATIO_TARGET else "MISS"
    elif not cache and alone is not None:
        _round_trip_target(row, result, limit, alone)
    return row


def _round_trip_target(
    row: Row, result: _load.Result, limit: _load.Result, alone: _load.Result
) -> None:
    """Cache off: the guarded request costs the baseline and the round trip, no more."""
    expected = 1 / (1 / limit.rps + 1 / alone.rps)
    row.figures["expected_rps"] = round(expected, 1)
    if result.cpu_ms is None or limit.cpu_ms is None or alone.cpu_ms is None:
        row.target = f">= {ROUND_TRIP_SHARE} x {expected:.0f}/s"
        row.verdict = "PASS" if result.rps >= ROUND_TRIP_SHARE * expected else "MISS"
        return
    allowed = ROUND_TRIP_ALLOWANCE * (limit.cpu_ms + alone.cpu_ms)
    row.figures["allowed_cpu_ms"] = round(allowed, 3)
    row.target = f"cpu <= {allowed:.1f} ms"
    row.verdict = "PASS" if result.cpu_ms <= allowed else "MISS"
