"""The virtual clock shared by every worker: persisted in one row, synced on each request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from opco_server.clock import Horloge, ReglageHorloge, aware
from opco_server.models import EtatHorloge
from opco_server.services import compteurs

ROW = 1


def changer(
    session: Session, defaut: ReglageHorloge, change: Callable[[ReglageHorloge], ReglageHorloge]
) -> ReglageHorloge:
    """Apply a change to the persisted clock under its row lock; the new state is returned.

    The row is locked before it is read (FOR UPDATE on PostgreSQL; SQLite sessions that write
    hold the database's write lock from their BEGIN IMMEDIATE), so concurrent changes from
    several workers apply one after the other. `defaut`: the state when no row exists yet.
    """
    figee_a, decalage = defaut
    values = {"fige": figee_a is not None, "instant": figee_a}
    values["decalage_secondes"] = decalage.total_seconds()
    compteurs.inserer_si_absent(session, EtatHorloge, {"id": ROW, **values})
    row = session.get(EtatHorloge, ROW, with_for_update=True, populate_existing=True)
    figee_a, decalage = change(_etat(row))
    row.fige = figee_a is not None
    row.instant = figee_a
    row.decalage_secondes = decalage.total_seconds()
    session.flush()
    return figee_a, decalage


def _etat(row: EtatHorloge) -> ReglageHorloge:
    return (aware(row.instant) if row.fige else None), timedelta(seconds=row.decalage_secondes)


def lire(session: Session) -> ReglageHorloge | None:
    """The persisted clock (None: never persisted)."""
    row = session.get(EtatHorloge, ROW)
    return None if row is None else _etat(row)


def synchroniser(session: Session, horloge: Horloge) -> None:
    """Load the persisted clock, if any (no row: the clock keeps its own state)."""
    etat = lire(session)
    if etat is not None:
        horloge.restaurer(*etat)


def decrire(horloge: Horloge) -> dict[str, object]:
    figee_a, decalage = horloge.reglage()
    return {
        "maintenant": horloge.maintenant().isoformat(timespec="seconds"),
        "fige": figee_a is not None,
        "decalageSecondes": round(decalage.total_seconds()) if figee_a is None else 0,
        "heureReelle": datetime.now(UTC).isoformat(timespec="seconds"),
    }
