"""What every schedule needs: when to run, what to run, and where it goes."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ..errors import InputError

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class ScheduleFile:
    """One file to save (or, for Windows, commands to paste), with where it goes."""

    #: Where to save it, for people: "~/.config/systemd/user/sheetcrm-refresh.timer".
    where: str
    text: str


@dataclass(frozen=True)
class ScheduleSpec:
    """An hourly refresh in opening hours and a weekly one on Monday morning."""

    #: The installed ``sheetcrm`` program, absolute.
    program: str
    #: The config file, absolute.
    config: str
    #: The config as the repository names it (GitHub Actions), e.g. "sheetcrm.toml".
    config_in_repository: str = "sheetcrm.toml"
    #: Hourly runs at :00 from ``first_hour`` to ``last_hour`` inclusive.
    first_hour: int = 8
    last_hour: int = 18
    #: Days of the hourly runs, Monday = 0.
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
    #: The weekly run: Monday at this time.
    weekly: dt.time = field(default_factory=lambda: dt.time(7, 30))
    #: The businesses' time zone (GitHub Actions runs in UTC and is converted).
    timezone: str = "Africa/Kampala"
    #: What ``pip install`` is given in GitHub Actions.
    install: str = "sheetcrm"

    def arguments(self, config: str | None = None) -> list[str]:
        """The refresh command's arguments after the program."""
        return ["refresh", "--all", "--quiet", "--config", config or self.config]

    def hours_text(self) -> str:
        """'08:00 to 18:00, Monday to Saturday'."""
        days = self.days
        if list(days) == list(range(days[0], days[-1] + 1)) and len(days) > 1:
            when = f"{DAY_NAMES[days[0]]} to {DAY_NAMES[days[-1]]}"
        else:
            when = ", ".join(DAY_NAMES[d] for d in days)
        return f"every hour from {self.first_hour:02d}:00 to {self.last_hour:02d}:00, {when}"

    def weekly_text(self) -> str:
        """'Monday at 07:30'."""
        return f"Monday at {self.weekly:%H:%M}"

    def utc_offset_minutes(self) -> int:
        """The time zone's offset from UTC now, in minutes (East Africa has no summer time)."""
        offset = dt.datetime.now(ZoneInfo(self.timezone)).utcoffset() or dt.timedelta()
        return int(offset.total_seconds() // 60)


def parse_hours(text: str) -> tuple[int, int]:
    """'8-18' -> (8, 18): the first and last hourly run."""
    match = re.fullmatch(r"\s*(\d{1,2})(?::00)?\s*-\s*(\d{1,2})(?::00)?\s*", text)
    if match:
        first, last = int(match.group(1)), int(match.group(2))
        if 0 <= first <= last <= 23:
            return first, last
    raise InputError(f"--hours {text!r} is not a range of hours: use the form 8-18 "
                     "(the first and the last hourly run, 24-hour clock)")
