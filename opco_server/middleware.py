"""ASGI middleware that puts each OPCO under its own prefix (/akto, /atlas, ...).

`/akto/v1/Dossiers` reaches the norm's API as `/v1/dossiers` with root_path `/akto`: one spec,
eleven OPCOs. Paths are matched case-insensitively (SOR OPCOs use `/v1/Factures`), and the
OPCO id and the sandbox travel in the ASGI scope to the security functions and handlers.
"""

from __future__ import annotations

import hmac
import json
from http.cookies import SimpleCookie

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from opco_server.console import cookie_admin_valide
from opco_server.context import SCOPE_OPCO, SCOPE_PANNE, SCOPE_SANDBOX
from opco_server.sandbox import Sandbox

CONTROL_PREFIX = "/_sandbox"


ADMIN_PATHS = (CONTROL_PREFIX, "/console")
# The console guards itself (login page, signed cookie); the control API needs the token.
ADMIN_OPEN = ("/console",)


async def _refuser_admin(send: Send) -> None:
    body = json.dumps(
        {
            "errors": [
                {
                    "code": "ADMIN_TOKEN_REQUIRED",
                    "description": "Jeton d'administration requis (en-tête « Authorization: Bearer … » ou "
                    "« X-Admin-Token »).",
                }
            ]
        },
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class OpcoPrefixMiddleware:
    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    def _admin_ok(self, scope: Scope) -> bool:
        """The control API and the console need the admin token when one is configured."""
        token = self.sandbox.settings.admin_token
        path = scope.get("path", "")
        if not token or not path.startswith(ADMIN_PATHS) or path.startswith(ADMIN_OPEN):
            return True
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        offered = [
            headers.get("x-admin-token", ""),
            headers.get("authorization", "").removeprefix("Bearer ").strip(),
        ]
        cookies = SimpleCookie(headers.get("cookie", ""))
        if "opco_admin" in cookies and cookie_admin_valide(token, cookies["opco_admin"].value):
            return True
        return any(hmac.compare_digest(o.encode(), token.encode()) for o in offered if o)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        # Changed in place: the exception handlers (outside) then see the OPCO too.
        scope[SCOPE_SANDBOX] = self.sandbox
        if scope["type"] == "http" and not self._admin_ok(scope):
            await _refuser_admin(send)
            return
        root = scope.get("root_path", "")
        path: str = scope["path"]
        relative = path[len(root) :] if root and path.startswith(root) else path
        first, _, rest = relative.lstrip("/").partition("/")
        opco_id = first.lower()
        if opco_id in self.sandbox.opcos:
            remainder = "/" + rest
            if not remainder.startswith("/ui"):
                remainder = remainder.lower()
            scope[SCOPE_OPCO] = opco_id
            scope["root_path"] = f"{root}/{opco_id}"
            scope["path"] = scope["root_path"] + remainder
            scope["raw_path"] = scope["path"].encode()
        if scope["type"] == "http":
            # Off the event loop: adopt the shared clock and profile, and read this OPCO's
            # simulated faults once (PannesMiddleware takes them from the scope).
            opco = scope.get(SCOPE_OPCO)
            scope[SCOPE_PANNE] = await anyio.to_thread.run_sync(self.sandbox.instantane, opco)
        await self.app(scope, receive, send)
