"""The virtual clock shared by every worker: persisted in one row, synced on each request;
and what the control API and the console do with it (set, freeze, advance, then catch up)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from opco_server.errors import BadRequest
from opco_server.horloge import Horloge, ReglageHorloge, aware
from opco_server.models import EtatHorloge
from opco_server.services import compteurs, simulateur
from opco_server.wire import parse_instant

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox

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


# --- What the control API and the console do with the clock ---------------------------------

ANNEE_MIN, ANNEE_MAX = 2000, 2100


def lire_instant(valeur: str | None, champ: str = "instant") -> datetime | None:
    """An ISO 8601 date-time between 2000 and 2100 (UTC when it names no offset), or a 400
    naming the field; None when absent."""
    if valeur is None:
        return None
    try:
        instant = parse_instant(valeur)
    except ValueError as exc:
        raise BadRequest.one(
            "FORMAT_INVALID", f"« {champ} » n'est pas une date-heure ISO 8601.", champ
        ) from exc
    if not ANNEE_MIN <= instant.year <= ANNEE_MAX:
        raise BadRequest.one(
            "FORMAT_INVALID", f"« {champ} » doit être entre {ANNEE_MIN} et {ANNEE_MAX}.", champ
        )
    return aware(instant)


def rattraper(session: Session, sandbox: Sandbox) -> list[simulateur.Transition]:
    """The back office runs, in order, everything that became due on the sandbox clock."""
    return simulateur.traiter(session, sandbox, sandbox.horloge.maintenant())


def avancer(
    session: Session, sandbox: Sandbox, jours: int = 0, heures: int = 0, minutes: int = 0
) -> list[simulateur.Transition]:
    """Move the clock forward (never back, never past 2100), then catch up."""
    if min(jours, heures, minutes) < 0:
        raise BadRequest.one(
            "CLOCK_BACKWARDS", "L'horloge n'avance que vers le futur : durée positive.", "jours"
        )
    try:
        delta = timedelta(days=jours, hours=heures, minutes=minutes)
        depasse = (sandbox.horloge.maintenant() + delta).year > ANNEE_MAX
    except OverflowError:
        depasse = True
    if depasse:
        raise BadRequest.one(
            "FORMAT_INVALID", f"L'horloge ne peut pas dépasser l'an {ANNEE_MAX}.", "jours"
        )
    sandbox.horloge.avancer(delta)
    return rattraper(session, sandbox)


def regler(session: Session, sandbox: Sandbox, instant: datetime) -> list[simulateur.Transition]:
    """Set the clock to an instant (it stays frozen or keeps running), then catch up."""
    sandbox.horloge.regler(instant)
    return rattraper(session, sandbox)


def figer(
    session: Session, sandbox: Sandbox, instant: datetime | None
) -> list[simulateur.Transition]:
    """Freeze the clock at an instant (None: now), then catch up."""
    sandbox.horloge.figer(instant)
    return rattraper(session, sandbox)


def liberer(sandbox: Sandbox) -> None:
    """Let the clock run in real time again from where it stands."""
    sandbox.horloge.liberer()


def revenir_au_temps_reel(session: Session, sandbox: Sandbox) -> list[simulateur.Transition]:
    """Back to real time, then catch up."""
    sandbox.horloge.reinitialiser()
    return rattraper(session, sandbox)
