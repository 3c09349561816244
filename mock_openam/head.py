"""HEAD for every GET route (RFC 9110 section 9.3.2): the GET answer without content.

FastAPI routes answer only the methods they declare, so HEAD would be 405. This ASGI
middleware runs a HEAD as a GET and drops the body, keeping every header (including
`Content-Length`, the length a GET would have sent). Paths whose GET has an effect a
HEAD must not trigger (`endSession` ends the SSO session) keep answering HEAD with 405.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp, *, unsafe_suffixes: tuple[str, ...]) -> None:
        self.app = app
        self.unsafe_suffixes = unsafe_suffixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "HEAD"
            or scope["path"].endswith(self.unsafe_suffixes)
        ):
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)
