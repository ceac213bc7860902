"""The sandbox clock: every time-dependent behaviour reads it, never datetime.now()."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import overload

ReglageHorloge = tuple[
    datetime | None, timedelta
]  # (frozen instant or None, offset from real time)


class Horloge:
    """Real time by default; can be frozen, set and advanced.

    Every change is a function of the current state. When `partagee` is set (the sandbox sets it:
    the clock is persisted for its other workers), the change is handed to it: applied there
    atomically to the persisted state, whose result this clock then adopts (`restaurer`). Two
    workers advancing the clock at the same time thus never lose one of the advances.
    """

    def __init__(self, figee_a: datetime | None = None) -> None:
        self._lock = threading.RLock()
        self._figee_a = aware(figee_a) if figee_a else None
        self._decalage = timedelta(0)
        self.partagee: Callable[[Callable[[ReglageHorloge], ReglageHorloge]], None] | None = None

    def reglage(self) -> ReglageHorloge:
        with self._lock:
            return self._figee_a, self._decalage

    def restaurer(self, figee_a: datetime | None, decalage: timedelta) -> None:
        """Load a persisted state (used when syncing from the database)."""
        with self._lock:
            self._figee_a = aware(figee_a) if figee_a else None
            self._decalage = decalage

    def _changer(self, changement: Callable[[ReglageHorloge], ReglageHorloge]) -> None:
        if self.partagee is not None:
            self.partagee(changement)
            return
        with self._lock:
            self._figee_a, self._decalage = changement((self._figee_a, self._decalage))

    def maintenant(self) -> datetime:
        with self._lock:
            if self._figee_a is not None:
                return self._figee_a
            return datetime.now(UTC) + self._decalage

    def aujourdhui(self) -> date:
        return self.maintenant().date()

    @property
    def figee(self) -> bool:
        return self._figee_a is not None

    def figer(self, instant: datetime | None = None) -> None:
        def changement(reglage: ReglageHorloge) -> ReglageHorloge:
            figee_a, decalage = reglage
            return (
                aware(instant) if instant else figee_a or datetime.now(UTC) + decalage
            ), decalage

        self._changer(changement)

    def liberer(self) -> None:
        def changement(reglage: ReglageHorloge) -> ReglageHorloge:
            figee_a, decalage = reglage
            return None, (figee_a - datetime.now(UTC) if figee_a is not None else decalage)

        self._changer(changement)

    def regler(self, instant: datetime) -> None:
        def changement(reglage: ReglageHorloge) -> ReglageHorloge:
            figee_a, decalage = reglage
            if figee_a is not None:
                return aware(instant), decalage
            return None, aware(instant) - datetime.now(UTC)

        self._changer(changement)

    def avancer(self, delta: timedelta) -> None:
        def changement(reglage: ReglageHorloge) -> ReglageHorloge:
            figee_a, decalage = reglage
            if figee_a is not None:
                return figee_a + delta, decalage
            return None, decalage + delta

        self._changer(changement)

    def reinitialiser(self) -> None:
        """Back to real time."""
        self._changer(lambda _reglage: (None, timedelta(0)))


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """Datetimes read back from SQLite lose their zone: they are UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
