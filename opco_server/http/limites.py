"""ASGI middleware that bounds request bodies: beyond the limit, a 413 in the norm's format.

A body whose Content-Length announces more than the limit is refused before a byte of it is
read. Without Content-Length (chunked transfer encoding), the body is read only up to the
limit and refused as soon as it passes it; under the limit it is handed on whole, with the
Content-Length connexion's validators need to see a body at all. Multipart uploads (one file
of 10 MiB at most) have their own, larger limit than JSON and form bodies (settings).
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opco_server.errors import BadRequest, PayloadTooLarge
from opco_server.sandbox import Sandbox

_DIGITS = re.compile(r"[0-9]{1,20}")


def _en_clair(octets: int) -> str:
    mio = 1024 * 1024
    return f"{octets // mio} Mo" if octets % mio == 0 else f"{octets} octets"


def trop_volumineux(limite: int) -> PayloadTooLarge:
    return PayloadTooLarge.one(
        "PAYLOAD_TOO_LARGE", f"Requête trop volumineuse : le corps dépasse {_en_clair(limite)}."
    )


def _valeurs(scope: Scope, nom: bytes) -> list[str]:
    return [v.decode("latin-1").strip() for k, v in scope["headers"] if k.lower() == nom]


def _longueur_annoncee(scope: Scope) -> int | None:
    valeurs = {v for vs in _valeurs(scope, b"content-length") for v in vs.split(",")}
    if not valeurs:
        return None
    valeur = valeurs.pop().strip()
    if valeurs or not _DIGITS.fullmatch(valeur):
        raise BadRequest.one("REQUEST_INVALID", "En-tête Content-Length invalide.")
    return int(valeur)


class LimiteCorpsMiddleware:
    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    def limite(self, scope: Scope) -> int:
        settings = self.sandbox.settings
        types = _valeurs(scope, b"content-type")
        if types and types[0].lower().startswith("multipart/"):
            return settings.multipart_max_octets
        return settings.corps_max_octets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limite = self.limite(scope)
        annoncee = _longueur_annoncee(scope)
        if annoncee is None:
            receive = await self._lire_sans_longueur(scope, receive, limite)
        elif annoncee > limite:
            raise trop_volumineux(limite)  # nothing of the body read
        else:
            receive = _bornee(receive, limite)
        await self.app(scope, receive, send)

    @staticmethod
    async def _lire_sans_longueur(scope: Scope, receive: Receive, limite: int) -> Receive:
        """Chunked body: read up to the limit, then handed on with its Content-Length."""
        morceaux: list[bytes] = []
        recus = 0
        fin: Message | None = None
        while True:
            message = await receive()
            if message["type"] != "http.request":
                fin = message  # the client went away: let the app see it
                break
            morceau = message.get("body", b"")
            recus += len(morceau)
            if recus > limite:
                raise trop_volumineux(limite)
            morceaux.append(morceau)
            if not message.get("more_body", False):
                break
        if recus:
            # Changed in place, like RoutingMiddleware: what is outside sees one request.
            scope["headers"] = [
                (k, v) for k, v in scope["headers"] if k.lower() != b"transfer-encoding"
            ] + [(b"content-length", str(recus).encode())]
        rejoues: list[Message] = [{"type": "http.request", "body": b"".join(morceaux)}]
        if fin is not None:
            rejoues[0]["more_body"] = True
            rejoues.append(fin)

        async def receive_() -> Message:
            return rejoues.pop(0) if rejoues else await receive()

        return receive_


def _bornee(receive: Receive, limite: int) -> Receive:
    """A client that sends more than it announced is stopped at the limit all the same."""
    recus = 0

    async def receive_() -> Message:
        nonlocal recus
        message = await receive()
        if message["type"] == "http.request":
            recus += len(message.get("body", b""))
            if recus > limite:
                raise trop_volumineux(limite)
        return message

    return receive_
