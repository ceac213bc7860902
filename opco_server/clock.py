"""The sandbox clock: every time-dependent behaviour reads it, never datetime.now()."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import overload


class Clock:
    """Real time by default; can be frozen, set and advanced."""

    def __init__(self, frozen_at: datetime | None = None) -> None:
        self._lock = threading.RLock()
        self._frozen_at = aware(frozen_at) if frozen_at else None
        self._offset = timedelta(0)
        # Called after every change (the sandbox persists the clock for its other workers).
        self.on_change: Callable[[Clock], None] | None = None

    def state(self) -> tuple[datetime | None, timedelta]:
        with self._lock:
            return self._frozen_at, self._offset

    def restore(self, frozen_at: datetime | None, offset: timedelta) -> None:
        """Load a persisted state without notifying (used when syncing from the database)."""
        with self._lock:
            self._frozen_at = aware(frozen_at) if frozen_at else None
            self._offset = offset

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

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
            self._frozen_at = aware(at) if at else current
        self._changed()

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - datetime.now(UTC)
            self._frozen_at = None
        self._changed()

    def set(self, at: datetime) -> None:
        with self._lock:
            at = aware(at)
            if self._frozen_at is not None:
                self._frozen_at = at
            else:
                self._offset = at - datetime.now(UTC)
        self._changed()

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += delta
            else:
                self._offset += delta
        self._changed()

    def reset(self) -> None:
        """Back to real time."""
        with self._lock:
            self._frozen_at, self._offset = None, timedelta(0)
        self._changed()


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """Datetimes read back from SQLite lose their zone: they are UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
