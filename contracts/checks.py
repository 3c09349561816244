"""Assertions that read as findings: what the rule wanted, and what came back."""

from __future__ import annotations

import json
from typing import Any

import httpx

BODY_EXCERPT = 300


def describe(response: httpx.Response) -> str:
    """`METHOD path -> status content-type: body excerpt`, query string left out."""
    request = response.request
    body = response.text[:BODY_EXCERPT].replace("\n", " ")
    if len(response.text) > BODY_EXCERPT:
        body += "..."
    kind = response.headers.get("content-type", "no content-type")
    status = response.status_code
    return f"{request.method} {request.url.path} -> {status} ({kind}): {body}"


def json_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        return None


def expect_status(response: httpx.Response, *allowed: int, why: str = "") -> None:
    __tracebackhide__ = True
    if response.status_code not in allowed:
        wanted = " or ".join(str(code) for code in allowed)
        reason = f" ({why})" if why else ""
        raise AssertionError(f"expected {wanted}{reason}, got {describe(response)}")


def expect_oauth_error(
    response: httpx.Response, status: int | tuple[int, ...], *errors: str
) -> None:
    """RFC 6749 section 5.2: a JSON object with `error` from the expected codes."""
    __tracebackhide__ = True
    statuses = status if isinstance(status, tuple) else (status,)
    expect_status(response, *statuses)
    body = json_body(response)
    if not isinstance(body, dict) or "error" not in body:
        raise AssertionError(
            "expected an RFC 6749 section 5.2 JSON error body, "
            f"got {describe(response)}"
        )
    if errors and body["error"] not in errors:
        raise AssertionError(
            f"expected error {' or '.join(errors)}, got {body['error']!r}: "
            f"{describe(response)}"
        )


def expect_bearer_challenge(response: httpx.Response, error: str | None = None) -> None:
    """RFC 6750 section 3: a 401 carries `WWW-Authenticate: Bearer ...`."""
    __tracebackhide__ = True
    challenge = response.headers.get("www-authenticate", "")
    if not challenge.lower().startswith("bearer"):
        raise AssertionError(
            f"expected a WWW-Authenticate: Bearer challenge, got {challenge!r}: "
            f"{describe(response)}"
        )
    if error is not None and f'error="{error}"' not in challenge:
        raise AssertionError(
            f'expected error="{error}" in the challenge, got {challenge!r}'
        )


def expect_no_usage(response: httpx.Response) -> None:
    """An error answer from the UDR holds no usage records of anyone."""
    __tracebackhide__ = True
    body = json_body(response)
    leaked = isinstance(body, dict) and ("meters" in body or "records" in body)
    if leaked:
        raise AssertionError(
            f"the error answer carries usage data: {describe(response)}"
        )
