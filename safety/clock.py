"""The clock: where "now" comes from.

Every timestamp the stores write and every deadline the use cases compute reads a `Clock`, so tests can move time
on purpose (a lease that lapses, a challenge that expires) instead of sleeping. `SystemClock` is the real one;
`FakeClock` starts where a test says and moves only when told.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """A source of the current time (always timezone-aware UTC)."""

    def now(self) -> datetime:
        """The current time."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move time forward."""
        self._now += delta


SYSTEM_CLOCK = SystemClock()
