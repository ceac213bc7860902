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

from opco_server import tolerance
from opco_server.context import SCOPE_ECARTS
from opco_server.masquage import masquer, masquer_texte, masquer_valeur, nettoyer
from opco_server.sandbox import Sandbox

logger = logging.getLogger("opco_server.journal")
MAX_CAPTURE = 64 * 1024
ENTETE_ECARTS = b"x-sandbox-ecarts-norme"


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Request headers, each masked by its name (Authorization, X-API-KEY, Cookie, DPoP…) and
    by the shape of its value."""
    headers: dict[str, str] = {}
    for name, value in raw:
        key = nettoyer(name.decode("latin-1").lower())
        headers[masquer_texte(key)] = masquer_valeur(value.decode("latin-1"), key)
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
        # The norm deviations the validators tolerate (opco_server.tolerance): reported in a
        # response header, on success and on error alike, and kept in the journal entry.
        ecarts: list[tuple[str, str]] = []
        scope[SCOPE_ECARTS] = ecarts

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
                "ecarts": list(ecarts),
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
            chemin = masquer_texte(str(entry.get("path", "")))
            logger.warning("journal saturé : entrée perdue (%s %s)", entry.get("method"), chemin)
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
        """One transaction for the batch; if it fails, one per entry, so that one hostile entry
        (a value the database refuses…) only loses itself, replaced by a placeholder."""
        from opco_server.services import journal

        lignes = [_ligne(self.sandbox, entry) for entry in lot]
        try:
            with self.sandbox.session() as session:
                with session.no_autoflush:
                    for entry, champs in lignes:
                        self._enregistrer(session, entry, champs)
                journal.elaguer(session, self.sandbox, len(lignes))
                session.commit()
            return
        except Exception:  # the journal must never break the sandbox
            logger.warning("lot du journal refusé : écriture entrée par entrée", exc_info=True)
        for entry, champs in lignes:
            for essai in (champs, _illisible(entry)):
                try:
                    with self.sandbox.session() as session:
                        journal.enregistrer(session, self.sandbox, **essai)
                        session.commit()
                    break
                except Exception:
                    logger.exception("entrée du journal refusée (%s)", essai["chemin"])
        try:
            with self.sandbox.session() as session:
                journal.elaguer(session, self.sandbox, len(lignes))
                session.commit()
        except Exception:
            logger.exception("élagage du journal impossible")

    def _enregistrer(self, session: Any, entry: dict[str, Any], champs: dict[str, Any]) -> None:
        from opco_server.services import journal

        try:
            journal.enregistrer(session, self.sandbox, **champs)
        except Exception:
            logger.exception("entrée du journal illisible (%s)", champs["chemin"])
            journal.enregistrer(session, self.sandbox, **_illisible(entry))


def _ligne(sandbox: Sandbox, entry: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The captured request and its journal row; a row that cannot be built is a placeholder."""
    try:
        return entry, _champs(sandbox, entry)
    except Exception:
        logger.exception("entrée du journal illisible (%s)", _chemin(entry.get("path")))
        return entry, _illisible(entry)


def _chemin(path: object) -> str:
    try:
        return masquer_texte(str(path))[:500]
    except Exception:
        return "/"


def _illisible(entry: dict[str, Any]) -> dict[str, Any]:
    """The minimal row of an entry that could not be stored: method, masked path, status."""
    maintenant = datetime.now(UTC)
    return dict(
        opco_id=nettoyer(str(entry.get("opco", "")))[:20],
        methode=nettoyer(str(entry.get("method", "")))[:10],
        chemin=_chemin(entry.get("path", "")),
        operation=None,
        statut=entry.get("status") if isinstance(entry.get("status"), int) else 500,
        duree_ms=round(float(entry.get("duration_ms") or 0), 2),
        horodatage=entry.get("horodatage") or maintenant,
        horodatage_reel=entry.get("wall") or maintenant,
        entetes={},
        entetes_bruts={},
        query={},
        corps={"illisible": True},
        corps_brut=b"",
        reponse_entetes={},
        reponse_corps=None,
    )


def _champs(sandbox: Sandbox, entry: dict[str, Any]) -> dict[str, Any]:
    """The journal row of one captured request: parsed, secrets and personal data masked."""
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
    query = entry["query"].decode("utf-8", "replace")
    return dict(
        opco_id=entry["opco"],
        methode=nettoyer(entry["method"]),
        chemin=masquer_texte(entry["path"]),
        operation=sandbox.operation(entry["method"], relative),
        statut=entry["status"],
        duree_ms=round(entry["duration_ms"], 2),
        horodatage=entry["horodatage"],
        horodatage_reel=entry["wall"],
        entetes=headers,
        entetes_bruts=raw_headers,
        query=masquer(dict(parse_qsl(query))),
        corps=body,
        corps_brut=entry["body"],
        reponse_entetes=masquer(response_headers),
        reponse_corps=response_body,
        ecarts=[{"code": c, "champ": masquer_texte(ch)} for c, ch in entry.get("ecarts", [])],
    )


def empreinte(corps_brut: bytes) -> str | None:
    """Fingerprint of a transmitted Cerfa: its duplicate key (to recognise a resend)."""
    from opco_server.services.dossiers import cle_doublon

    try:
        cerfa = json.loads(corps_brut)["cerfa"]
        return hashlib.sha256(cle_doublon(cerfa).encode()).hexdigest()[:32]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
