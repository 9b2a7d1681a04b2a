"""Business time: opening hours, public holidays and minute arithmetic inside them.

Every date-time going in or out is timezone-aware in the tracker's time zone.
Arithmetic is done in local wall-clock time: the East African zones have no
daylight saving, and counting an opening period by the clock on the wall is
what an owner expects wherever the tracker is used.

Opening periods are half-open: a shop open 08:00-18:00 is open at 08:00 and
closed at 18:00.  The one exception is deliberate: adding business minutes
that use up a period exactly ends *at* its closing time (14:00 + 4 hours is
18:00 the same day, not 08:00 the next open day).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import holidays

from .errors import SettingsError
from .model import WEEKDAYS, Settings

_ONE_DAY = dt.timedelta(days=1)
#: The most days the running totals span (a century); longer gaps are walked day by day.
_PREFIX_DAYS = 36_600


def _micros(time: dt.time) -> int:
    """Microseconds from midnight to ``time``."""
    return ((time.hour * 60 + time.minute) * 60 + time.second) * 1_000_000 + time.microsecond


def load_zone(name: object) -> zoneinfo.ZoneInfo | None:
    """The time zone called ``name``, or None when there is no such zone.

    ``ZoneInfo`` raises several kinds of error for bad names ("Africa" is a
    folder of zone files, so it raises an OSError); this is the one place
    that knows them all.
    """
    if not isinstance(name, str) or not name.strip():
        return None
    try:
        return zoneinfo.ZoneInfo(name.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        return None
_SEARCH_DAYS = 400


class BusinessCalendar:
    """Opening hours, public holidays and business-minute arithmetic for one tracker.

    A day is closed when it is an extra closed date; or a public holiday of
    ``settings.country`` that is not an extra open date; or a weekday with no
    opening hours.  An extra closed date beats an extra open date.  An extra
    open date that falls on a weekday normally closed (a Sunday, say) opens
    with the hours of the first open weekday counting from Monday.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        tz = load_zone(settings.timezone)
        if tz is None:
            raise SettingsError(
                f"Settings: time zone {settings.timezone!r} is not a time zone name: "
                "type one like Africa/Kampala"
            )
        self.tz: zoneinfo.ZoneInfo = tz
        self._weekly: dict[int, tuple[dt.time, dt.time] | None] = {
            wd: settings.opening_hours.get(wd) for wd in range(7)
        }
        for wd, hours in self._weekly.items():
            # Hours that end before they start would make the clock run backwards forever.
            if hours is not None and hours[1] <= hours[0]:
                raise SettingsError(
                    f"Settings: {WEEKDAYS[wd]} closes at {hours[1]:%H:%M}, which is not after "
                    f"it opens at {hours[0]:%H:%M}: type the hours like 08:00-18:00"
                )
        self._fallback = next((h for h in self._weekly.values() if h is not None), None)
        self._holidays: dict[int, dict[dt.date, str]] = {}
        self._hours_cache: dict[dt.date, tuple[dt.time, dt.time] | None] = {}
        #: Running totals of whole-day opening time (microseconds): _prefix[i] is the
        #: total of the days from ordinal _prefix_base up to, not including, base + i.
        self._prefix_base = 0
        self._prefix: list[int] = []

    # ------------------------------------------------------------ days

    def holiday_name(self, day: dt.date) -> str | None:
        """The public holiday's name on ``day``, or None; extra open dates do not hide it."""
        year = day.year
        table = self._holidays.get(year)
        if table is None:
            table = self._load_holidays(year)
            self._holidays[year] = table
        return table.get(day)

    def _load_holidays(self, year: int) -> dict[dt.date, str]:
        try:
            found: Any = holidays.country_holidays(self.settings.country, years=year)
        except NotImplementedError:
            raise SettingsError(
                f"Settings: country {self.settings.country!r} has no public holiday list: "
                "type a two-letter code, like UG"
            ) from None
        return {d: str(name) for d, name in found.items()}

    def hours_on(self, day: dt.date) -> tuple[dt.time, dt.time] | None:
        """The opening and closing time on ``day``, or None when closed all day."""
        try:
            return self._hours_cache[day]
        except KeyError:
            pass
        hours = self._compute_hours(day)
        self._hours_cache[day] = hours
        return hours

    def _compute_hours(self, day: dt.date) -> tuple[dt.time, dt.time] | None:
        if day in self.settings.extra_closed_dates:
            return None
        weekly = self._weekly[day.weekday()]
        if day in self.settings.extra_open_dates:
            return weekly if weekly is not None else self._fallback
        if self.holiday_name(day) is not None:
            return None
        return weekly

    def is_open_day(self, day: dt.date) -> bool:
        """Whether the business opens at all on ``day``."""
        return self.hours_on(day) is not None

    def next_open_day(self, day: dt.date) -> dt.date:
        """``day`` itself when open, else the next open day; SettingsError if none within 400."""
        current = day
        for _ in range(_SEARCH_DAYS):
            if self.hours_on(current) is not None:
                return current
            current += _ONE_DAY
        raise SettingsError(
            f"Settings: the business is closed every day for {_SEARCH_DAYS} days from "
            f"{day:%d/%m/%Y}: check the opening hours and extra closed dates"
        )

    def opening_time(self, day: dt.date) -> dt.time:
        """That day's opening time, or 00:00 when closed all day."""
        hours = self.hours_on(day)
        return hours[0] if hours is not None else dt.time(0)

    # ------------------------------------------------------------ moments

    def _local(self, moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is self.tz:
            return moment  # what astimezone gives for a moment already in the zone
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("BusinessCalendar needs timezone-aware date-times")
        return moment.astimezone(self.tz)

    def _at(self, day: dt.date, time: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, time, tzinfo=self.tz)

    def next_opening(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` itself when open then, else the start of the next open period."""
        local = self._local(moment)
        day = local.date()
        hours = self.hours_on(day)
        if hours is not None:
            opens, closes = hours
            if local < self._at(day, opens):
                return self._at(day, opens)
            if local < self._at(day, closes):
                return local
        nxt = self.next_open_day(day + _ONE_DAY)
        return self._at(nxt, self.opening_time(nxt))

    def add_business_minutes(self, start: dt.datetime, minutes: int) -> dt.datetime:
        """``start`` moved on by ``minutes`` of opening time (a closing time counts as reached)."""
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        current = self.next_opening(start)
        remaining = dt.timedelta(minutes=minutes)
        # One step per open day keeps a gap of years to a few hundred steps.
        while True:
            day = current.date()
            hours = self.hours_on(day)
            assert hours is not None  # next_opening only lands on open periods
            available = self._at(day, hours[1]) - current
            if remaining <= available:
                return current + remaining
            remaining -= available
            nxt = self.next_open_day(day + _ONE_DAY)
            current = self._at(nxt, self.opening_time(nxt))

    def business_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Exact opening time between two moments; zero when ``end`` is not after ``start``."""
        lo_moment = self._local(start)
        hi_moment = self._local(end)
        total = dt.timedelta(0)
        if hi_moment <= lo_moment:
            return total
        first = lo_moment.date()
        last = hi_moment.date()
        # The first and last days are cut by the moments; the whole days between
        # come from running totals, so a gap of years costs no more than a day.
        total += self._within(first, lo_moment, hi_moment)
        if last != first:
            total += self._whole_days(first + _ONE_DAY, last - _ONE_DAY)
            total += self._within(last, lo_moment, hi_moment)
        return total

    def _within(self, day: dt.date, lo_moment: dt.datetime, hi_moment: dt.datetime
                ) -> dt.timedelta:
        """Opening time on ``day`` that falls between the two moments."""
        hours = self.hours_on(day)
        if hours is None:
            return dt.timedelta(0)
        lo = max(self._at(day, hours[0]), lo_moment)
        hi = min(self._at(day, hours[1]), hi_moment)
        return hi - lo if hi > lo else dt.timedelta(0)

    def _whole_days(self, first: dt.date, last: dt.date) -> dt.timedelta:
        """Opening time of the days ``first`` to ``last``, both whole (zero when last < first).

        Wall-clock time, as everywhere here: a day's opening time is its
        closing time less its opening time, whatever the zone's clocks do.
        """
        if last < first:
            return dt.timedelta(0)
        lo, hi = first.toordinal(), last.toordinal() + 1
        if not self._cover(lo, hi):
            return dt.timedelta(microseconds=self._sum_days(lo, hi))
        base = self._prefix_base
        return dt.timedelta(microseconds=self._prefix[hi - base] - self._prefix[lo - base])

    def _cover(self, lo: int, hi: int) -> bool:
        """Make the running totals cover day ordinals ``lo`` to ``hi`` (exclusive).

        False, with nothing kept, when that would span more than
        :data:`_PREFIX_DAYS` (a date typed with the wrong century).
        """
        base, prefix = self._prefix_base, self._prefix
        if prefix and base <= lo and hi <= base + len(prefix) - 1:
            return True
        if prefix:
            lo, hi = min(lo, base), max(hi, base + len(prefix) - 1)
        if hi - lo > _PREFIX_DAYS:
            return False
        totals = [0]
        running = 0
        for ordinal in range(lo, hi):
            running += self._day_micros(ordinal)
            totals.append(running)
        self._prefix_base, self._prefix = lo, totals
        return True

    def _sum_days(self, lo: int, hi: int) -> int:
        """Opening time (microseconds) of day ordinals ``lo`` to ``hi`` (exclusive), walked."""
        return sum(self._day_micros(ordinal) for ordinal in range(lo, hi))

    def _day_micros(self, ordinal: int) -> int:
        hours = self.hours_on(dt.date.fromordinal(ordinal))
        return 0 if hours is None else _micros(hours[1]) - _micros(hours[0])

    def business_minutes_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Whole business minutes (rounded down) from ``start`` to ``end``; 0 when end <= start."""
        return self.business_time_between(start, end) // dt.timedelta(minutes=1)
