"""Business time: hand-worked cases and properties of the clock.

Default week (sheetcrm.model.Settings): Mon-Fri 08:00-18:00 (600 min a day),
Sat 09:00-14:00 (300 min), Sunday closed.  October 2026 starts on a
Thursday, so Mon 12, Fri 16, Sat 17, Sun 18, Mon 19 October.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.businesstime import BusinessCalendar
from sheetcrm.errors import SettingsError
from sheetcrm.model import Settings
from tests.helpers.clock import at

KAMPALA = zoneinfo.ZoneInfo("Africa/Kampala")
UG = BusinessCalendar(Settings())


# ---------------------------------------------------------------- add_business_minutes

ADD_CASES = [
    pytest.param(
        # Mon 10:00 + 240 min, all inside Monday's 08:00-18:00 -> Mon 14:00
        Settings(), at(2026, 10, 12, 10), 240, at(2026, 10, 12, 14),
        id="weekday-within-hours",
    ),
    pytest.param(
        # Mon 14:00 + 240 uses Monday up to closing exactly: 14:00 + 4h = 18:00 Mon
        Settings(), at(2026, 10, 12, 14), 240, at(2026, 10, 12, 18),
        id="ends-exactly-at-closing",
    ),
    pytest.param(
        # Mon 19:30 is after closing: clock starts Tue 08:00; 08:00 + 240 = Tue 12:00
        Settings(), at(2026, 10, 12, 19, 30), 240, at(2026, 10, 13, 12),
        id="after-hours-arrival",
    ),
    pytest.param(
        # Tue 06:15 is before opening: clock starts Tue 08:00; + 240 = Tue 12:00
        Settings(), at(2026, 10, 13, 6, 15), 240, at(2026, 10, 13, 12),
        id="before-opening",
    ),
    pytest.param(
        # Fri 16:00: Fri 16:00-18:00 = 120, Sat 09:00-14:00 = 300 (420 so far);
        # 480 - 420 = 60 left; Sunday closed; Mon 08:00 + 60 = Mon 09:00
        Settings(), at(2026, 10, 16, 16), 480, at(2026, 10, 19, 9),
        id="friday-over-short-saturday-into-monday",
    ),
    pytest.param(
        # Sat 12:30: Sat 12:30-14:00 = 90; 240 - 90 = 150; Sunday closed;
        # Mon 08:00 + 150 = Mon 10:30
        Settings(), at(2026, 10, 17, 12, 30), 240, at(2026, 10, 19, 10, 30),
        id="saturday-closes-early-into-monday",
    ),
    pytest.param(
        # Sun 11:00 closed all day: clock starts Mon 08:00; + 240 = Mon 12:00
        Settings(), at(2026, 10, 18, 11), 240, at(2026, 10, 19, 12),
        id="sunday-closed",
    ),
    pytest.param(
        # Uganda: Fri 9 Oct 2026 is Independence Day (holidays package, checked in a REPL).
        # Thu 16:00-18:00 = 120; Fri closed; Sat 09:00 + 120 = Sat 10 Oct 11:00
        Settings(), at(2026, 10, 8, 16), 240, at(2026, 10, 10, 11),
        id="ug-independence-day",
    ),
    pytest.param(
        # Extra closed Tue 13 Oct: Mon 17:00-18:00 = 60; Tue closed; Wed 08:00 + 180 = 11:00
        Settings(extra_closed_dates=frozenset({dt.date(2026, 10, 13)})),
        at(2026, 10, 12, 17), 240, at(2026, 10, 14, 11),
        id="extra-closed-date",
    ),
    pytest.param(
        # Uganda estimates Eid al-Fitr on Fri 20 Mar 2026; without correction:
        # Thu 19 Mar 17:00-18:00 = 60; Fri closed; Sat 21 Mar 09:00 + 180 = 12:00
        Settings(), at(2026, 3, 19, 17), 240, at(2026, 3, 21, 12),
        id="ug-eid-estimated-closed",
    ),
    pytest.param(
        # Same, with 20 Mar as an extra open date: Thu 60; Fri 08:00 + 180 = Fri 11:00
        Settings(extra_open_dates=frozenset({dt.date(2026, 3, 20)})),
        at(2026, 3, 19, 17), 240, at(2026, 3, 20, 11),
        id="extra-open-date-corrects-holiday",
    ),
    pytest.param(
        # Extra closed beats extra open on the same day: back to Sat 21 Mar 12:00
        Settings(
            extra_open_dates=frozenset({dt.date(2026, 3, 20)}),
            extra_closed_dates=frozenset({dt.date(2026, 3, 20)}),
        ),
        at(2026, 3, 19, 17), 240, at(2026, 3, 21, 12),
        id="extra-closed-beats-extra-open",
    ),
    pytest.param(
        # Extra open on Sunday 18 Oct takes Monday's hours (08:00-18:00):
        # Sat 13:00-14:00 = 60; Sun 08:00 + 180 = Sun 11:00
        Settings(extra_open_dates=frozenset({dt.date(2026, 10, 18)})),
        at(2026, 10, 17, 13), 240, at(2026, 10, 18, 11),
        id="extra-open-sunday-uses-first-open-weekday",
    ),
    pytest.param(
        # Kenya: Tue 20 Oct 2026 is Mashujaa Day.
        # Mon 16:00-18:00 = 120; Tue closed; Wed 21 Oct 08:00 + 120 = 10:00
        Settings(country="KE", timezone="Africa/Nairobi"),
        at(2026, 10, 19, 16, tz="Africa/Nairobi"), 240,
        at(2026, 10, 21, 10, tz="Africa/Nairobi"),
        id="ke-mashujaa-day",
    ),
    pytest.param(
        # Tanzania: Wed 14 Oct 2026 is Mwalimu Nyerere Day.
        # Tue 17:00-18:00 = 60; Wed closed; Thu 15 Oct 08:00 + 180 = 11:00
        Settings(country="TZ", timezone="Africa/Dar_es_Salaam"),
        at(2026, 10, 13, 17, tz="Africa/Dar_es_Salaam"), 240,
        at(2026, 10, 15, 11, tz="Africa/Dar_es_Salaam"),
        id="tz-nyerere-day",
    ),
    pytest.param(
        # Rwanda: Wed 1 Jul 2026 is Independence Day.
        # Tue 30 Jun 15:00-18:00 = 180; Wed closed; Thu 2 Jul 08:00 + 60 = 09:00
        Settings(country="RW", timezone="Africa/Kigali"),
        at(2026, 6, 30, 15, tz="Africa/Kigali"), 240,
        at(2026, 7, 2, 9, tz="Africa/Kigali"),
        id="rw-independence-day",
    ),
    pytest.param(
        # Zero minutes while closed: Mon 19:30 -> next opening Tue 08:00
        Settings(), at(2026, 10, 12, 19, 30), 0, at(2026, 10, 13, 8),
        id="zero-minutes-while-closed",
    ),
    pytest.param(
        # Zero minutes while open: Mon 10:00 stays Mon 10:00
        Settings(), at(2026, 10, 12, 10), 0, at(2026, 10, 12, 10),
        id="zero-minutes-while-open",
    ),
    pytest.param(
        # 07:00 UTC is 10:00 in Kampala (UTC+3); + 240 = 14:00 Kampala
        Settings(), at(2026, 10, 12, 7, tz="UTC"), 240, at(2026, 10, 12, 14),
        id="aware-input-from-another-zone",
    ),
    pytest.param(
        # Mon 2 Nov 2026 08:00 + 4 weeks (no November holidays in Uganda):
        # each week 5 x 600 + 300 = 3300; 4 x 3300 = 13200 ends at Sat 28 Nov 14:00
        Settings(), at(2026, 11, 2, 8), 13200, at(2026, 11, 28, 14),
        id="four-weeks",
    ),
]


@pytest.mark.parametrize(("config", "start", "minutes", "expected"), ADD_CASES)
def test_add_business_minutes(
    config: Settings, start: dt.datetime, minutes: int, expected: dt.datetime
) -> None:
    cal = BusinessCalendar(config)
    result = cal.add_business_minutes(start, minutes)
    assert result == expected
    assert result.tzinfo == cal.tz
    assert result.utcoffset() == expected.utcoffset()


BETWEEN_CASES = [
    # Mon 10:00 -> Mon 14:00 = 240
    pytest.param(at(2026, 10, 12, 10), at(2026, 10, 12, 14), 240, id="same-day"),
    # Fri 16:00 -> Mon 10:30: Fri 120 + Sat 300 + Sun 0 + Mon 08:00-10:30 150 = 570
    pytest.param(at(2026, 10, 16, 16), at(2026, 10, 19, 10, 30), 570, id="over-weekend"),
    # Thu 8 Oct 16:00 -> Sat 10 Oct 11:00: Thu 120 + Fri (Independence Day) 0 + Sat 120 = 240
    pytest.param(at(2026, 10, 8, 16), at(2026, 10, 10, 11), 240, id="over-ug-holiday"),
    # Mon 19:00 -> Tue 07:00: both outside hours, nothing open in between = 0
    pytest.param(at(2026, 10, 12, 19), at(2026, 10, 13, 7), 0, id="overnight-closed"),
    # End before start counts 0, never negative
    pytest.param(at(2026, 10, 12, 14), at(2026, 10, 12, 10), 0, id="end-before-start"),
    # 10:00:00 -> 10:01:59 is 1 min 59 s: whole minutes round down to 1
    pytest.param(
        at(2026, 10, 12, 10), at(2026, 10, 12, 10, 1) + dt.timedelta(seconds=59), 1,
        id="floor-to-whole-minutes",
    ),
    # Mon 2 Nov 08:00 -> Mon 30 Nov 08:00: four weeks of 3300 = 13200 (no UG holidays)
    pytest.param(at(2026, 11, 2, 8), at(2026, 11, 30, 8), 13200, id="four-weeks"),
    # 05:00 UTC is 08:00 Kampala; 11:00 UTC is 14:00 Kampala: Mon 08:00-14:00 = 360
    pytest.param(
        at(2026, 10, 12, 5, tz="UTC"), at(2026, 10, 12, 11, tz="UTC"), 360, id="utc-inputs"
    ),
]


@pytest.mark.parametrize(("start", "end", "expected"), BETWEEN_CASES)
def test_business_minutes_between(start: dt.datetime, end: dt.datetime, expected: int) -> None:
    assert UG.business_minutes_between(start, end) == expected


# ---------------------------------------------------------------- days


def test_hours_and_opening_times_of_the_default_week() -> None:
    assert UG.hours_on(dt.date(2026, 10, 12)) == (dt.time(8), dt.time(18))  # Monday
    assert UG.hours_on(dt.date(2026, 10, 17)) == (dt.time(9), dt.time(14))  # Saturday
    assert UG.hours_on(dt.date(2026, 10, 18)) is None  # Sunday
    assert UG.opening_time(dt.date(2026, 10, 17)) == dt.time(9)
    assert UG.opening_time(dt.date(2026, 10, 18)) == dt.time(0)


@pytest.mark.parametrize(
    ("country", "day", "name"),
    [
        ("UG", dt.date(2026, 10, 9), "Independence Day"),
        ("UG", dt.date(2026, 6, 3), "Uganda Martyrs' Day"),
        ("KE", dt.date(2026, 10, 20), "Mashujaa Day"),
        ("TZ", dt.date(2026, 12, 9), "Independence and Republic Day"),
        ("RW", dt.date(2026, 7, 1), "Independence Day"),
    ],
)
def test_public_holidays_are_closed(country: str, day: dt.date, name: str) -> None:
    cal = BusinessCalendar(Settings(country=country))
    assert cal.holiday_name(day) == name
    assert not cal.is_open_day(day)
    assert cal.hours_on(day) is None


def test_an_ordinary_day_has_no_holiday_name() -> None:
    assert UG.holiday_name(dt.date(2026, 10, 12)) is None
    assert UG.is_open_day(dt.date(2026, 10, 12))


def test_extra_open_date_keeps_the_holiday_name_but_opens() -> None:
    cal = BusinessCalendar(Settings(extra_open_dates=frozenset({dt.date(2026, 3, 20)})))
    assert cal.holiday_name(dt.date(2026, 3, 20)) == "Eid al-Fitr (estimated)"
    assert cal.is_open_day(dt.date(2026, 3, 20))
    assert cal.hours_on(dt.date(2026, 3, 20)) == (dt.time(8), dt.time(18))  # a Friday


def test_extra_open_date_on_closed_weekday_takes_first_open_weekday_hours() -> None:
    # Monday closed, Tuesday 10:00-16:00 is the first open weekday from Monday.
    hours = dict(Settings().opening_hours)
    hours[0] = None
    hours[1] = (dt.time(10), dt.time(16))
    cal = BusinessCalendar(
        Settings(opening_hours=hours, extra_open_dates=frozenset({dt.date(2026, 10, 18)}))
    )
    assert cal.hours_on(dt.date(2026, 10, 18)) == (dt.time(10), dt.time(16))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 10, 12), dt.date(2026, 10, 12)),  # open Monday: itself
        (dt.date(2026, 10, 18), dt.date(2026, 10, 19)),  # Sunday -> Monday
        (dt.date(2026, 10, 9), dt.date(2026, 10, 10)),  # Independence Day (Fri) -> Sat
        # Christmas Fri 25 Dec, Boxing Day Sat 26 Dec, Sunday 27 closed -> Mon 28 Dec
        (dt.date(2026, 12, 25), dt.date(2026, 12, 28)),
    ],
)
def test_next_open_day(day: dt.date, expected: dt.date) -> None:
    assert UG.next_open_day(day) == expected


def test_next_open_day_gives_up_when_nothing_ever_opens() -> None:
    closed = BusinessCalendar(Settings(opening_hours={d: None for d in range(7)}))
    with pytest.raises(SettingsError, match="closed every day"):
        closed.next_open_day(dt.date(2026, 10, 12))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2026, 10, 12, 17, 59), at(2026, 10, 12, 17, 59)),  # open: itself
        (at(2026, 10, 12, 18), at(2026, 10, 13, 8)),  # closing time is closed
        (at(2026, 10, 12, 8), at(2026, 10, 12, 8)),  # opening time is open
        (at(2026, 10, 17, 15), at(2026, 10, 19, 8)),  # Sat after 14:00 -> Mon 08:00
        (at(2026, 10, 17, 5), at(2026, 10, 17, 9)),  # Sat early -> Sat 09:00
    ],
)
def test_next_opening(moment: dt.datetime, expected: dt.datetime) -> None:
    assert UG.next_opening(moment) == expected


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        UG.add_business_minutes(dt.datetime(2026, 10, 12, 10), 10)
    with pytest.raises(ValueError):
        UG.business_minutes_between(dt.datetime(2026, 10, 12, 10), at(2026, 10, 12, 11))


def test_bad_time_zone_and_country_are_settings_errors() -> None:
    with pytest.raises(SettingsError, match="time zone"):
        BusinessCalendar(Settings(timezone="Mars/Olympus"))
    with pytest.raises(SettingsError, match="country"):
        BusinessCalendar(Settings(country="XX")).is_open_day(dt.date(2026, 10, 12))


def test_a_two_year_gap_is_counted_exactly() -> None:
    # Mon 4 Jan 2027 00:00 -> Mon 1 Jan 2029 00:00 is 104 whole weeks: 104 x 3300 = 343200.
    # Uganda public holidays in that span (holidays package, read in a REPL):
    #   on Mon-Fri (600 each), 2027: 26 Jan, 16 Feb, 8 Mar, 9 Mar, 26 Mar, 29 Mar, 3 Jun,
    #   9 Jun (8); 2028: 26 Jan, 16 Feb, 8 Mar, 14 Apr, 17 Apr, 1 May, 5 May, 9 Jun, 9 Oct,
    #   25 Dec, 26 Dec (11) -> 19 x 600 = 11400
    #   on Saturdays (300 each): 1 May 2027, 9 Oct 2027, 25 Dec 2027, 1 Jan 2028,
    #   26 Feb 2028, 3 Jun 2028 -> 6 x 300 = 1800
    # 343200 - 11400 - 1800 = 330000
    start, end = at(2027, 1, 4), at(2029, 1, 1)
    assert UG.business_minutes_between(start, end) == 330000
    # Adding it back ends at the last closing before the end: Sat 30 Dec 2028 14:00.
    assert UG.add_business_minutes(start, 330000) == at(2028, 12, 30, 14)


# ---------------------------------------------------------------- properties

AWARE = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31),
    timezones=st.sampled_from([KAMPALA, zoneinfo.ZoneInfo("UTC")]),
)
ON_THE_MINUTE = AWARE.map(lambda d: d.replace(second=0, microsecond=0))
CALENDARS = st.sampled_from(
    [
        UG,
        BusinessCalendar(Settings(country="KE", timezone="Africa/Nairobi")),
        BusinessCalendar(
            Settings(
                opening_hours={6: (dt.time(10), dt.time(13)), 2: (dt.time(7, 30), dt.time(21))},
                extra_closed_dates=frozenset({dt.date(2026, 1, 7)}),
                extra_open_dates=frozenset({dt.date(2026, 1, 8)}),
            )
        ),
    ]
)


@settings(max_examples=150, deadline=None)
@given(cal=CALENDARS, start=AWARE, minutes=st.integers(min_value=0, max_value=30_000))
def test_adding_then_measuring_round_trips(
    cal: BusinessCalendar, start: dt.datetime, minutes: int
) -> None:
    end = cal.add_business_minutes(start, minutes)
    assert cal.business_minutes_between(start, end) == minutes
    # The result is inside an open period or exactly at its closing time.
    local = end.astimezone(cal.tz)
    hours = cal.hours_on(local.date())
    assert hours is not None
    assert hours[0] <= local.time() <= hours[1]


@settings(max_examples=150, deadline=None)
@given(cal=CALENDARS, points=st.lists(ON_THE_MINUTE, min_size=3, max_size=3))
def test_minutes_between_add_up_over_a_middle_point(
    cal: BusinessCalendar, points: list[dt.datetime]
) -> None:
    a, b, c = sorted(points)
    assert cal.business_minutes_between(a, c) == (
        cal.business_minutes_between(a, b) + cal.business_minutes_between(b, c)
    )


@settings(max_examples=150, deadline=None)
@given(cal=CALENDARS, points=st.lists(AWARE, min_size=3, max_size=3))
def test_exact_business_time_adds_up_to_the_second(
    cal: BusinessCalendar, points: list[dt.datetime]
) -> None:
    a, b, c = sorted(points)
    assert cal.business_time_between(a, c) == (
        cal.business_time_between(a, b) + cal.business_time_between(b, c)
    )


@settings(max_examples=150, deadline=None)
@given(cal=CALENDARS, start=AWARE, end=AWARE)
def test_minutes_between_are_never_negative(
    cal: BusinessCalendar, start: dt.datetime, end: dt.datetime
) -> None:
    minutes = cal.business_minutes_between(start, end)
    assert minutes >= 0
    if end <= start:
        assert minutes == 0


def test_hours_that_end_before_they_start_are_refused() -> None:
    with pytest.raises(SettingsError, match="Monday closes at 08:00, which is not after"):
        BusinessCalendar(Settings(opening_hours={0: (dt.time(18), dt.time(8))}))


# ---------------------------------------------------------------- whole days from running totals
# The days between the first and the last are summed from running totals
# (businesstime._whole_days); these cases put their edges where a total could slip.


def test_a_holiday_and_a_closed_sunday_inside_a_gap_count_nothing() -> None:
    # Thu 8 Oct 17:00 -> Mon 12 Oct 09:00: Thu 60, Fri 9 Oct (Independence Day) 0,
    # Sat 10 Oct 300, Sun 11 Oct 0, Mon 60 = 420.
    assert UG.business_minutes_between(at(2026, 10, 8, 17), at(2026, 10, 12, 9)) == 420


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Midnight to midnight: all of Monday's 600, nothing of Tuesday.
        (at(2026, 10, 12), at(2026, 10, 13), 600),
        # Midnight to midnight over the closed Sunday.
        (at(2026, 10, 18), at(2026, 10, 19), 0),
        # Saturday's closing to Monday's opening: nothing open between.
        (at(2026, 10, 17, 14), at(2026, 10, 19, 8), 0),
        # Just before midnight to just after: both days closed then.
        (at(2026, 10, 13, 23, 59), at(2026, 10, 14, 0, 1), 0),
        # Friday 23:00 -> Monday 08:01: Saturday's 300 and one minute of Monday.
        (at(2026, 10, 16, 23), at(2026, 10, 19, 8, 1), 301),
    ],
)
def test_midnight_and_closing_edges(start: dt.datetime, end: dt.datetime, expected: int) -> None:
    assert BusinessCalendar(Settings()).business_minutes_between(start, end) == expected


def test_extra_closed_and_open_dates_inside_a_gap() -> None:
    cal = BusinessCalendar(Settings(extra_closed_dates=frozenset({dt.date(2026, 10, 14)}),
                                    extra_open_dates=frozenset({dt.date(2026, 10, 18)})))
    # Mon 12 Oct 12:00 -> Tue 20 Oct 10:00: Mon 360, Tue 600, Wed 0 (closed), Thu 600,
    # Fri 600, Sat 300, Sun 18 open with Monday's hours 600, Mon 19 600, Tue 20 120 = 3780.
    assert cal.business_minutes_between(at(2026, 10, 12, 12), at(2026, 10, 20, 10)) == 3780


def test_a_later_span_first_then_an_earlier_one() -> None:
    # The totals are built for the later weeks, then grown backwards for the earlier.
    cal = BusinessCalendar(Settings())
    # Mon 19 Oct -> Mon 26 Oct: a plain week, 5 x 600 + 300 = 3300.
    assert cal.business_minutes_between(at(2026, 10, 19), at(2026, 10, 26)) == 3300
    # Mon 5 Oct -> Mon 12 Oct: the same week less Friday 9 Oct (a holiday) = 2700.
    assert cal.business_minutes_between(at(2026, 10, 5), at(2026, 10, 12)) == 2700
    # And one span over both, with the week between: 2700 + 3300 + 3300 = 9300.
    assert cal.business_minutes_between(at(2026, 10, 5), at(2026, 10, 26)) == 9300


def test_a_zone_with_summer_time_counts_by_the_wall_clock() -> None:
    london = zoneinfo.ZoneInfo("Europe/London")
    cal = BusinessCalendar(Settings(timezone="Europe/London", country="GB"))
    # Clocks go back at 02:00 on Sun 25 Oct 2026; the shop's hours do not move.
    # Fri 23 Oct 17:00 -> Mon 26 Oct 09:00: Fri 60, Sat 300, Sun 0, Mon 60 = 420.
    start = dt.datetime(2026, 10, 23, 17, tzinfo=london)
    end = dt.datetime(2026, 10, 26, 9, tzinfo=london)
    assert cal.business_minutes_between(start, end) == 420
    # Two whole weeks over the change: 2 x 3300 = 6600.
    assert cal.business_minutes_between(dt.datetime(2026, 10, 19, tzinfo=london),
                                        dt.datetime(2026, 11, 2, tzinfo=london)) == 6600


def test_a_gap_too_long_for_the_totals_is_walked_with_the_same_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sheetcrm.businesstime as bt

    monkeypatch.setattr(bt, "_PREFIX_DAYS", 2)
    cal = BusinessCalendar(Settings())
    # As in the first case above: 420, but the three days between are walked.
    assert cal.business_minutes_between(at(2026, 10, 8, 17), at(2026, 10, 12, 9)) == 420
    assert cal._prefix == []
