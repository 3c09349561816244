"""The request record of the test-control API, and one log line per request.

Neither ever holds a token, a password, a secret or a cookie: a token appears only as
its SHA-256 fingerprint (`token_sha256`), so a test holding the token can match it.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import deque
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from pydantic import BaseModel

MAX_RECORDS = 10_000


class RecordedRequest(BaseModel):
    seq: int
    time: str
    method: str
    path: str
    client_id: str | None = None
    grant_type: str | None = None
    username: str | None = None
    status: int
    token_sha256: str | None = None
    scope: str | None = None


class RequestLog:
    def __init__(self) -> None:
        self._records: deque[RecordedRequest] = deque(maxlen=MAX_RECORDS)
        self._seq = itertools.count(1)

    def add(self, method: str, path: str, status: int, notes: dict[str, Any]) -> None:
        self._records.append(
            RecordedRequest(
                seq=next(self._seq),
                time=datetime.now(UTC).isoformat(timespec="milliseconds"),
                method=method,
                path=path,
                status=status,
                **notes,
            )
        )

    def all(self) -> list[RecordedRequest]:
        return list(self._records)

    def clear(self) -> None:
        self._records.clear()


def note(
    request: Request,
    *,
    client_id: str | None = None,
    grant_type: str | None = None,
    username: str | None = None,
    token: str | None = None,
    scope: str | None = None,
) -> None:
    """Remember facts about this request for its record and log line."""
    notes: dict[str, Any] | None = getattr(request.state, "audit", None)
    if notes is None:
        notes = request.state.audit = {}
    for key, value in (
        ("client_id", client_id),
        ("grant_type", grant_type),
        ("username", username),
        ("scope", scope),
    ):
        if value is not None:
            notes[key] = value[:200]
    if token is not None:
        notes["token_sha256"] = hashlib.sha256(
            token.encode("utf-8", "surrogatepass")
        ).hexdigest()


def notes_of(request: Request) -> dict[str, Any]:
    notes: dict[str, Any] = getattr(request.state, "audit", {})
    return dict(notes)


def printable(text: str, limit: int = 200) -> str:
    """Text fit for one log line: no control characters, no spaces, bounded."""
    cleaned = "".join(c if c.isprintable() else "?" for c in text[:limit])
    return cleaned.replace(" ", "%20")
