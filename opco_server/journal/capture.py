"""ASGI middleware that captures every norm request and its response for the journal.

It sits outside connexion's exception middleware so that it sees the final response of
every request (401s and validation errors included). Capturing never breaks a request: the
capture is handed to the writer (opco_server.journal.ecrivain), which parses, masks and
stores it later, off the request path.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opco_server.http import tolerance
from opco_server.http.context import SCOPE_APPELANT, SCOPE_ECARTS

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox

MAX_CAPTURE = 64 * 1024
ENTETE_ECARTS = b"x-sandbox-ecarts-norme"


class JournalMiddleware:
    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        first, _, rest = scope.get("path", "").lstrip("/").partition("/")
        first = first.lower()
        # The norm's calls only: not the Swagger UI nor the spec document it loads.
        documentation = rest.lower().startswith("ui") or rest.lower() == "openapi.json"
        if scope["type"] != "http" or first not in self.sandbox.opcos or documentation:
            await self.app(scope, receive, send)
            return
        started, wall = time.perf_counter(), datetime.now(UTC)
        request_body, response_body = bytearray(), bytearray()
        response: dict[str, Any] = {"status": 500, "headers": []}
        request_headers = list(scope.get("headers", []))
        method, path, query = scope["method"], scope["path"], scope.get("query_string", b"")
        # The norm deviations the validators tolerate (opco_server.http.tolerance): reported in a
        # response header, on success and on error alike, and kept in the journal entry.
        ecarts: list[tuple[str, str]] = []
        scope[SCOPE_ECARTS] = ecarts
        # The token's editor and the key's CFA, as authentication found them now: the writer
        # never looks them up (a token or key may be gone by then, and tokens have no row).
        appelant: dict[str, str | None] = {}
        scope[SCOPE_APPELANT] = appelant

        async def receive_() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(request_body) < MAX_CAPTURE:
                request_body.extend(message.get("body", b"")[: MAX_CAPTURE - len(request_body)])
            return message

        async def send_(message: Message) -> None:
            if message["type"] == "http.response.start":
                if ecarts:
                    valeur = tolerance.entete(ecarts).encode("ascii")
                    message = {
                        **message,
                        "headers": [*message.get("headers", []), (ENTETE_ECARTS, valeur)],
                    }
                response["status"], response["headers"] = message["status"], message["headers"]
            elif message["type"] == "http.response.body" and len(response_body) < MAX_CAPTURE:
                response_body.extend(message.get("body", b"")[: MAX_CAPTURE - len(response_body)])
            await send(message)

        try:
            await self.app(scope, receive_, send_)
        finally:
            entry = {
                "horodatage": self.sandbox.horloge.maintenant(),
                "opco": first,
                "method": method,
                "path": path,
                "query": query,
                "headers": request_headers,
                "body": bytes(request_body),
                "status": response["status"],
                "response_headers": response["headers"],
                "response_body": bytes(response_body),
                "duration_ms": (time.perf_counter() - started) * 1000,
                "wall": wall,
                "ecarts": list(ecarts),
                "client_id": appelant.get("client_id"),
                "siren": appelant.get("siren"),
            }
            self.sandbox.journal.add(entry)
