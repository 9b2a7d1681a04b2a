"""Time for the tests: a fake clock, retry policies that never wait, and Kampala moments."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sheetcrm.backends.retry import RetryPolicy

KAMPALA = "Africa/Kampala"


class FakeTime:
    """A clock that moves only when the retry policy sleeps; ``sleeps`` lists every wait."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def instant(t: FakeTime | None = None, total: float = 120.0) -> RetryPolicy:
    """A retry policy with a ``total``-second budget on a fake clock: waits cost no time."""
    t = t or FakeTime()
    return RetryPolicy(total_seconds=total, sleep=t.sleep, clock=t.clock, rng=lambda: 1.0)


def three_quick_tries() -> RetryPolicy:
    """A retry policy that never waits and gives up after three tries."""
    return RetryPolicy(sleep=lambda s: None, clock=lambda: 0.0, rng=lambda: 0.0, max_tries=3)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, tz: str = KAMPALA) -> dt.datetime:
    """A moment in Kampala (or ``tz``): midnight unless an hour is given."""
    return dt.datetime(y, mo, d, h, mi, tzinfo=zoneinfo.ZoneInfo(tz))


def ten_am(y: int, mo: int, d: int, tz: str = KAMPALA) -> dt.datetime:
    """10:00 on a day in Kampala (or ``tz``), for cases where only the date matters."""
    return at(y, mo, d, 10, tz=tz)


def serial(moment: dt.datetime) -> float:
    """A naive local date-time as a spreadsheet serial number (days since 30/12/1899)."""
    return (moment - dt.datetime(1899, 12, 30)) / dt.timedelta(days=1)
