"""ASGI middleware that puts each OPCO under its own prefix (/akto, /atlas, ...).

`/akto/v1/Dossiers` reaches the norm's API as `/v1/dossiers` with root_path `/akto`: one spec,
eleven OPCOs. Paths are matched case-insensitively (SOR OPCOs use `/v1/Factures`), and the
OPCO id and the sandbox travel in the ASGI scope to the security functions and handlers.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from opco_server.context import SCOPE_OPCO, SCOPE_SANDBOX
from opco_server.sandbox import Sandbox

CONTROL_PREFIX = "/_sandbox"


class OpcoPrefixMiddleware:
    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope = dict(scope)
        scope[SCOPE_SANDBOX] = self.sandbox
        if scope["type"] == "http":
            self.sandbox.sync_clock()
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
        await self.app(scope, receive, send)
