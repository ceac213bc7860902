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


class JournalWriter:
    """Writes the journal off the request path: entries queue in memory and one background
    thread per process writes them in batches, one transaction per batch.

    A request thus pays neither the journal's parsing and masking nor its database write.
    Entries reach the database within `DELAY_S`; the journal's readers call `flush()` first,
    so in one process a read always sees every request made before it. The queue is bounded:
    beyond `CAPACITY` pending entries (a database that stopped answering), entries are
    dropped with a warning rather than growing memory.
    """

    DELAY_S = 0.05
    BATCH = 500
    CAPACITY = 10_000

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        # Sessions on the journal's engine only: a batch cannot touch another table.
        self._sessions = db.make_sessionmaker(sandbox.engine_journal)
        self._queue: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self._lock = threading.Lock()  # one writer at a time: entries keep their order
        self._signal = threading.Event()
        self._stopping = False
        self._starting = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, entry: dict[str, Any]) -> None:
        if self._queue.qsize() >= self.CAPACITY:
            chemin = masquer_texte(str(entry.get("path", "")))
            logger.warning("journal saturé : entrée perdue (%s %s)", entry.get("method"), chemin)
            return
        self._queue.put(entry)
        self._signal.set()
        if self._thread is None and not self._stopping:
            with self._starting:
                if self._thread is None and not self._stopping:
                    self._thread = threading.Thread(
                        target=self._loop, name="opco-journal", daemon=True
                    )
                    self._thread.start()
                    atexit.register(self.flush)

    def flush(self) -> None:
        """Write every pending entry now."""
        with self._lock:
            self._flush()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Write what is pending, then keep this process's writer out until the block ends
        (a reset truncates the journal: no batch of this process may interleave with it)."""
        with self._lock:
            self._flush()
            yield

    def _flush(self) -> None:
        batch = self._take()
        while batch:
            self._write(batch)
            batch = self._take()

    def _take(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        while len(batch) < self.BATCH:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def stop(self) -> None:
        """Write what is pending and stop the thread (before the engine is disposed)."""
        self._stopping = True
        self._signal.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()

    def _loop(self) -> None:
        while not self._stopping:
            self._signal.wait()
            self._signal.clear()
            if self._stopping:
                return
            time.sleep(self.DELAY_S)  # let a burst gather into one transaction
            self.flush()

    def _write(self, batch: list[dict[str, Any]]) -> None:
        """One transaction for the batch; if it fails, one per entry, so that one hostile entry
        (a value the database refuses…) only loses itself, replaced by a placeholder."""
        lignes = [(entry, ligne(self.sandbox, entry)) for entry in batch]
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
