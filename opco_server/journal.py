"""ASGI middleware that journals every norm request and its response, secrets masked.

It sits outside connexion's exception middleware so that it sees the final response of
every request (401s and validation errors included). Recording never breaks a request.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opco_server.sandbox import Sandbox

logger = logging.getLogger("opco_server.journal")
MAX_CAPTURE = 64 * 1024
SECRET_KEYS = {
    "client_secret",
    "access_token",
    "xapikey",
    "cle",
    "x-api-key",
    "authorization",
    "dpop",
    "password",
    "secret",
}


def masquer(value: Any, key: str = "") -> Any:
    """Secrets, IBANs and NIRs never reach the journal in clear."""
    lowered = key.lower()
    if isinstance(value, dict):
        return {k: masquer(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [masquer(v, key) for v in value]
    if not isinstance(value, str) or not value:
        return value
    if lowered in SECRET_KEYS:
        return value[:4] + "…" if lowered in {"x-api-key", "xapikey", "cle"} else "***"
    if "iban" in lowered:
        return value[:4] + "*" * max(0, len(value) - 8) + value[-4:]
    if lowered == "nir":
        return value[:1] + "*" * (len(value) - 1)
    return value


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        if key == "authorization":
            scheme, _, token = text.partition(" ")
            headers[key] = f"{scheme} {token[:4]}…" if token else "***"
        else:
            headers[key] = masquer(text, key)
    return headers


def _corps(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    if "json" in content_type:
        try:
            return masquer(json.loads(raw))
        except (ValueError, UnicodeDecodeError, RecursionError):
            # Never keep an unparsed body: it could hold a NIR, an IBAN or a secret in clear.
            return {"octets": len(raw), "json": "illisible"}
    if "x-www-form-urlencoded" in content_type:
        return masquer(dict(parse_qsl(raw.decode("utf-8", "replace"))))
    if "multipart" in content_type:
        return {"multipart": f"{len(raw)} octets"}
    return {"octets": len(raw)}


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

        async def receive_() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(request_body) < MAX_CAPTURE:
                request_body.extend(message.get("body", b"")[: MAX_CAPTURE - len(request_body)])
            return message

        async def send_(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"], response["headers"] = message["status"], message["headers"]
            elif message["type"] == "http.response.body" and len(response_body) < MAX_CAPTURE:
                response_body.extend(message.get("body", b"")[: MAX_CAPTURE - len(response_body)])
            await send(message)

        try:
            await self.app(scope, receive_, send_)
        finally:
            entry = {
                "horodatage": self.sandbox.clock.now(),
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
            }
            self.sandbox.journal.ajouter(entry)


class EcrivainJournal:
    """Writes the journal off the request path: entries queue in memory and one background
    thread per process writes them in batches, one transaction per batch.

    A request thus pays neither the journal's parsing and masking nor its database write
    (on SQLite, a write on every GET would also serialise the readers behind the writer).
    Entries reach the database within `DELAI_S`; the journal's readers call `vider()` first,
    so in one process a read always sees every request made before it. The queue is bounded:
    beyond `CAPACITE` pending entries (a database that stopped answering), entries are
    dropped with a warning rather than growing memory.
    """

    DELAI_S = 0.05
    LOT = 500
    CAPACITE = 10_000

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._file: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self._verrou = threading.Lock()  # one writer at a time: entries keep their order
        self._signal = threading.Event()
        self._arret = False
        self._demarre = threading.Lock()
        self._thread: threading.Thread | None = None

    def ajouter(self, entry: dict[str, Any]) -> None:
        if self._file.qsize() >= self.CAPACITE:
            logger.warning("journal saturé : entrée perdue (%s %s)", entry["method"], entry["path"])
            return
        self._file.put(entry)
        self._signal.set()
        if self._thread is None and not self._arret:
            with self._demarre:
                if self._thread is None and not self._arret:
                    self._thread = threading.Thread(
                        target=self._boucle, name="opco-journal", daemon=True
                    )
                    self._thread.start()
                    atexit.register(self.vider)

    def vider(self) -> None:
        """Write every pending entry now."""
        with self._verrou:
            self._vider()

    @contextmanager
    def suspendu(self) -> Iterator[None]:
        """Write what is pending, then keep this process's writer out until the block ends
        (a reset truncates the journal: no batch of this process may interleave with it)."""
        with self._verrou:
            self._vider()
            yield

    def _vider(self) -> None:
        lot = self._prendre()
        while lot:
            self._ecrire(lot)
            lot = self._prendre()

    def _prendre(self) -> list[dict[str, Any]]:
        lot: list[dict[str, Any]] = []
        while len(lot) < self.LOT:
            try:
                lot.append(self._file.get_nowait())
            except queue.Empty:
                break
        return lot

    def arreter(self) -> None:
        """Write what is pending and stop the thread (before the engine is disposed)."""
        self._arret = True
        self._signal.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.vider()

    def _boucle(self) -> None:
        while not self._arret:
            self._signal.wait()
            self._signal.clear()
            if self._arret:
                return
            time.sleep(self.DELAI_S)  # let a burst gather into one transaction
            self.vider()

    def _ecrire(self, lot: list[dict[str, Any]]) -> None:
        from opco_server.services import journal

        try:
            with self.sandbox.session() as session:
                for entry in lot:
                    journal.enregistrer(session, self.sandbox, **_champs(self.sandbox, entry))
                journal.elaguer(session, self.sandbox, len(lot))
                session.commit()
        except Exception:  # the journal must never break the sandbox
            logger.exception("%d entrées du journal perdues", len(lot))


def _champs(sandbox: Sandbox, entry: dict[str, Any]) -> dict[str, Any]:
    """The journal row of one captured request: parsed, secrets masked."""
    headers = _headers(entry["headers"])
    raw_headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in entry["headers"]}
    response_headers = {
        k.decode("latin-1").lower(): v.decode("latin-1") for k, v in entry["response_headers"]
    }
    body = _corps(entry["body"], raw_headers.get("content-type", ""))
    response_body = _corps(entry["response_body"], response_headers.get("content-type", ""))
    relative = (
        "/" + entry["path"].lstrip("/").split("/", 1)[-1]
        if "/" in entry["path"].lstrip("/")
        else "/"
    )
    return dict(
        opco_id=entry["opco"],
        methode=entry["method"],
        chemin=entry["path"],
        operation=sandbox.operation(entry["method"], relative),
        statut=entry["status"],
        duree_ms=round(entry["duration_ms"], 2),
        horodatage=entry["horodatage"],
        horodatage_reel=entry["wall"],
        entetes=headers,
        entetes_bruts=raw_headers,
        query=dict(parse_qsl(entry["query"].decode("latin-1"))),
        corps=body,
        corps_brut=entry["body"],
        reponse_entetes=response_headers,
        reponse_corps=response_body,
    )


def empreinte(corps_brut: bytes) -> str | None:
    """Fingerprint of a transmitted Cerfa: its duplicate key (to recognise a resend)."""
    from opco_server.services.dossiers import cle_doublon

    try:
        cerfa = json.loads(corps_brut)["cerfa"]
        return hashlib.sha256(cle_doublon(cerfa).encode()).hexdigest()[:32]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
