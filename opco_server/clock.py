"""The sandbox clock: every time-dependent behaviour reads it, never datetime.now()."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta


class Clock:
    """Real time by default; can be frozen, set and advanced."""

    def __init__(self, frozen_at: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._frozen_at = _aware(frozen_at) if frozen_at else None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return datetime.now(UTC) + self._offset

    def today(self) -> date:
        return self.now().date()

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self, at: datetime | None = None) -> None:
        with self._lock:
            current = self._frozen_at or datetime.now(UTC) + self._offset
            self._frozen_at = _aware(at) if at else current

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - datetime.now(UTC)
            self._frozen_at = None

    def set(self, at: datetime) -> None:
        with self._lock:
            at = _aware(at)
            if self._frozen_at is not None:
                self._frozen_at = at
            else:
                self._offset = at - datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += delta
            else:
                self._offset += delta


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
