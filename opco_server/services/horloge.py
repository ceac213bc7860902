"""The virtual clock shared by every worker: persisted in one row, synced on each request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from opco_server.clock import Clock, aware
from opco_server.models import EtatHorloge

ROW = 1


def enregistrer(session: Session, clock: Clock) -> None:
    frozen_at, offset = clock.state()
    row = session.get(EtatHorloge, ROW) or EtatHorloge(id=ROW)
    row.fige = frozen_at is not None
    row.instant = frozen_at
    row.decalage_secondes = offset.total_seconds()
    session.merge(row)


def synchroniser(session: Session, clock: Clock) -> None:
    """Load the persisted clock, if any (no row: the clock keeps its own state)."""
    row = session.get(EtatHorloge, ROW)
    if row is None:
        return
    instant = aware(row.instant)
    clock.restore(instant if row.fige else None, timedelta(seconds=row.decalage_secondes))


def decrire(clock: Clock) -> dict[str, object]:
    frozen_at, offset = clock.state()
    return {
        "maintenant": clock.now().isoformat(timespec="seconds"),
        "fige": frozen_at is not None,
        "decalageSecondes": round(offset.total_seconds()) if frozen_at is None else 0,
        "heureReelle": datetime.now(UTC).isoformat(timespec="seconds"),
    }
