"""The journal's writer: stores the captured requests off the request path, in batches.

It never takes a lock a request needs: on SQLite the journal is a database file of its own
(opco_server.db.journal_url), whose write lock only the writer and a reset take; on PostgreSQL
it writes through an engine of its own (opco_server.db.make_journal_engine) and its batches
touch the journal's table only (no foreign key, no other table: pruning included).
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opco_server import db
from opco_server.journal.lignes import illisible, ligne
from opco_server.masquage import masquer_texte
from opco_server.services import journal

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox

logger = logging.getLogger(__name__)


class EcrivainJournal:
    """Writes the journal off the request path: entries queue in memory and one background
    thread per process writes them in batches, one transaction per batch.

    A request thus pays neither the journal's parsing and masking nor its database write.
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
        # Sessions on the journal's engine only: a batch cannot touch another table.
        self._sessions = db.make_sessionmaker(sandbox.engine_journal)
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
        lignes = [(entry, ligne(self.sandbox, entry)) for entry in lot]
        try:
            with self._sessions() as session:
                journal.enregistrer_lot(
                    session, [self._valeurs(entry, champs) for entry, champs in lignes]
                )
                journal.elaguer(session, self.sandbox, len(lignes))
                session.commit()
            return
        except Exception:  # the journal must never break the sandbox
            logger.warning("lot du journal refusé : écriture entrée par entrée", exc_info=True)
        for entry, champs in lignes:
            for essai in (champs, illisible(entry)):
                try:
                    with self._sessions() as session:
                        journal.enregistrer(session, **essai)
                        session.commit()
                    break
                except Exception:
                    logger.exception("entrée du journal refusée (%s)", essai["chemin"])
        try:
            with self._sessions() as session:
                journal.elaguer(session, self.sandbox, len(lignes))
                session.commit()
        except Exception:
            logger.exception("élagage du journal impossible")

    def _valeurs(self, entry: dict[str, Any], champs: dict[str, Any]) -> dict[str, Any]:
        try:
            return journal.valeurs(**champs)
        except Exception:
            logger.exception("entrée du journal illisible (%s)", champs["chemin"])
            return journal.valeurs(**illisible(entry))
