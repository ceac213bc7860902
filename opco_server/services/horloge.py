"""The virtual clock shared by every worker: persisted in one row, synced on each request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from opco_server.clock import Clock, State, aware
from opco_server.models import EtatHorloge
from opco_server.services import compteurs

ROW = 1


def changer(session: Session, defaut: State, change: Callable[[State], State]) -> State:
    """Apply a change to the persisted clock under its row lock; the new state is returned.

    The row is locked before it is read (FOR UPDATE on PostgreSQL; SQLite sessions that write
    hold the database's write lock from their BEGIN IMMEDIATE), so concurrent changes from
    several workers apply one after the other. `defaut`: the state when no row exists yet.
    """
    frozen_at, offset = defaut
    values = {"fige": frozen_at is not None, "instant": frozen_at}
    values["decalage_secondes"] = offset.total_seconds()
    compteurs.inserer_si_absent(session, EtatHorloge, {"id": ROW, **values})
    row = session.get(EtatHorloge, ROW, with_for_update=True, populate_existing=True)
    frozen_at, offset = change(_etat(row))
    row.fige = frozen_at is not None
    row.instant = frozen_at
    row.decalage_secondes = offset.total_seconds()
    session.flush()
    return frozen_at, offset


def _etat(row: EtatHorloge) -> State:
    return (aware(row.instant) if row.fige else None), timedelta(seconds=row.decalage_secondes)


def lire(session: Session) -> State | None:
    """The persisted clock (None: never persisted)."""
    row = session.get(EtatHorloge, ROW)
    return None if row is None else _etat(row)


def synchroniser(session: Session, clock: Clock) -> None:
    """Load the persisted clock, if any (no row: the clock keeps its own state)."""
    etat = lire(session)
    if etat is not None:
        clock.restore(*etat)


def decrire(clock: Clock) -> dict[str, object]:
    frozen_at, offset = clock.state()
    return {
        "maintenant": clock.now().isoformat(timespec="seconds"),
        "fige": frozen_at is not None,
        "decalageSecondes": round(offset.total_seconds()) if frozen_at is None else 0,
        "heureReelle": datetime.now(UTC).isoformat(timespec="seconds"),
    }
