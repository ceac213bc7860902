"""The sandbox clock: every time-dependent behaviour reads it, never datetime.now()."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import overload

State = tuple[datetime | None, timedelta]  # (frozen instant or None, offset from real time)


class Clock:
    """Real time by default; can be frozen, set and advanced.

    Every change is a function of the current state. When `shared` is set (the sandbox sets it:
    the clock is persisted for its other workers), the change is handed to it: applied there
    atomically to the persisted state, whose result this clock then adopts (`restore`). Two
    workers advancing the clock at the same time thus never lose one of the advances.
    """

    def __init__(self, frozen_at: datetime | None = None) -> None:
        self._lock = threading.RLock()
        self._frozen_at = aware(frozen_at) if frozen_at else None
        self._offset = timedelta(0)
        self.shared: Callable[[Callable[[State], State]], None] | None = None

    def state(self) -> State:
        with self._lock:
            return self._frozen_at, self._offset

    def restore(self, frozen_at: datetime | None, offset: timedelta) -> None:
        """Load a persisted state (used when syncing from the database)."""
        with self._lock:
            self._frozen_at = aware(frozen_at) if frozen_at else None
            self._offset = offset

    def _change(self, change: Callable[[State], State]) -> None:
        if self.shared is not None:
            self.shared(change)
            return
        with self._lock:
            self._frozen_at, self._offset = change((self._frozen_at, self._offset))

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
        def change(state: State) -> State:
            frozen_at, offset = state
            return (aware(at) if at else frozen_at or datetime.now(UTC) + offset), offset

        self._change(change)

    def unfreeze(self) -> None:
        def change(state: State) -> State:
            frozen_at, offset = state
            return None, (frozen_at - datetime.now(UTC) if frozen_at is not None else offset)

        self._change(change)

    def set(self, at: datetime) -> None:
        def change(state: State) -> State:
            frozen_at, offset = state
            if frozen_at is not None:
                return aware(at), offset
            return None, aware(at) - datetime.now(UTC)

        self._change(change)

    def advance(self, delta: timedelta) -> None:
        def change(state: State) -> State:
            frozen_at, offset = state
            if frozen_at is not None:
                return frozen_at + delta, offset
            return None, offset + delta

        self._change(change)

    def reset(self) -> None:
        """Back to real time."""
        self._change(lambda _state: (None, timedelta(0)))


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """Datetimes read back from SQLite lose their zone: they are UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
