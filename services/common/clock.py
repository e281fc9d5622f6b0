"""Time as a dependency: every deadline reads a Clock, so tests can travel in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to (in-process tests)."""

    def __init__(self, at: datetime | None = None) -> None:
        self._at = at or datetime.now(UTC)
        if self._at.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta

    def set(self, at: datetime) -> None:
        self._at = at


class OffsetFileClock:
    """The wall clock shifted by the number of seconds written in a file.

    Lets end-to-end tests move the time of several real processes at once.
    A missing or empty file means no offset. Never configured in production.
    """

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)

    def offset(self) -> timedelta:
        try:
            raw = self._path.read_text().strip()
        except FileNotFoundError:
            return timedelta(0)
        return timedelta(seconds=float(raw)) if raw else timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset()


def clock_from_settings(clock_offset_file: str) -> Clock:
    return OffsetFileClock(clock_offset_file) if clock_offset_file else SystemClock()
