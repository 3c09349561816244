"""A pass-through HTTP proxy that records what one service was sent (step 4's witness).

Put in front of the UDR, it shows what the dashboard's server sent: method, path,
query, and the SHA-256 of the bearer token (never the token), so a test can match it
with the fingerprint the provider recorded when the UDR validated it (step 5).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx

from e2e.processes import LOOPBACK

# RFC 9110 section 7.6.1: connection-specific fields are not forwarded.
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "content-encoding",
}


@dataclass(frozen=True)
class TappedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    bearer_sha256: str | None
    authorization_scheme: str | None
    status: int
    header_names: frozenset[str] = field(default_factory=frozenset)


class Wiretap:
    """`url` forwards every request to `target` and records it in `requests`."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.requests: list[TappedRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((LOOPBACK, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def start(self) -> None:
        if not self._thread.is_alive():
            self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._server.server_close()

    def record(self, request: TappedRequest) -> None:
        with self._lock:
            self.requests.append(request)


def _handler_for(tap: Wiretap) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {
                k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP
            }
            try:
                answer = httpx.request(
                    self.command,
                    f"{tap.target}{self.path}",
                    headers=headers,
                    content=body,
                    timeout=30.0,
                )
            except httpx.TransportError:
                answer = httpx.Response(502, text="wiretap: target unreachable")
            tap.record(
                _tapped(self.command, self.path, self.headers, answer.status_code)
            )
            self._reply(answer)

        def _reply(self, answer: httpx.Response) -> None:
            self.send_response(answer.status_code)
            for key, value in answer.headers.multi_items():
                if key.lower() not in _HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward

        def log_message(self, format: str, *args: object) -> None:
            return  # the services keep their own logs

    return Handler


def _tapped(method: str, target: str, headers: Message, status: int) -> TappedRequest:
    parts = urlsplit(target)
    scheme, _, credentials = (headers.get("Authorization") or "").partition(" ")
    fingerprint = (
        hashlib.sha256(credentials.encode()).hexdigest() if credentials else None
    )
    return TappedRequest(
        method=method,
        path=parts.path,
        query=parse_qs(parts.query, keep_blank_values=True),
        bearer_sha256=fingerprint,
        authorization_scheme=scheme or None,
        status=status,
        header_names=frozenset(name.lower() for name in headers),
    )
