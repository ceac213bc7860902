"""Raw ASGI requests: the exact path bytes an attacker sends (no client normalises them).

HTTP clients clean URLs before sending (`..` resolved, `//` kept or not…); a real server
hands the application the decoded path and the raw one. `appeler` builds that scope by hand
so that a test sends precisely `/akto/%2e%2e/_sandbox/horloge` or a NUL byte.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from urllib.parse import unquote


@dataclass
class Reponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):  # type: ignore[no-untyped-def]
        return json.loads(self.body)

    @property
    def codes(self) -> set[str]:
        try:
            return {e["code"] for e in self.json().get("errors", [])}
        except (ValueError, AttributeError):
            return set()


def appeler(
    app,  # type: ignore[no-untyped-def]
    method: str,
    cible: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    host: str = "testserver",
    client: tuple[str, int] = ("testclient", 50000),
) -> Reponse:
    return asyncio.run(_appeler(app, method, cible, headers or {}, body, host, client))


async def _appeler(app, method, cible, headers, body, host, client) -> Reponse:  # type: ignore[no-untyped-def]
    chemin, _, query = cible.partition("?")
    brut = [(b"host", host.encode())]
    if body:
        brut.append((b"content-length", str(len(body)).encode()))
    brut += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(chemin),
        "raw_path": chemin.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": "",
        "headers": brut,
        "client": client,
        "server": ("testserver", 80),
    }
    envoye = False

    async def receive():  # type: ignore[no-untyped-def]
        nonlocal envoye
        if not envoye:
            envoye = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)

    status, entetes, corps = 0, {}, bytearray()

    async def send(message):  # type: ignore[no-untyped-def]
        nonlocal status, entetes
        if message["type"] == "http.response.start":
            status = message["status"]
            entetes = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            corps.extend(message.get("body", b""))

    await app(scope, receive, send)
    return Reponse(status, entetes, bytes(corps))
