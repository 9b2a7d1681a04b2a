"""Next follow-up dates, worked out by hand on the 2026 calendar.

Follow-up days 2, 4, 7 after the First contact, for 0, 1 or 2 follow-ups
done; moved forward to the next open day (Sunday and public holidays closed).
October 2026: Wed 7, Thu 8, Fri 9 (Uganda Independence Day), Sat 10, Thu 15,
Fri 16, Sat 17, Sun 18, Mon 19, Tue 20 (Kenya Mashujaa Day), Wed 21, Thu 22.
"""

from __future__ import annotations

import datetime as dt

import pytest

from sheetcrm.businesstime import BusinessCalendar
from sheetcrm.model import Settings, Status
from sheetcrm.sla import next_follow_up
from tests.helpers.clock import ten_am

UG = BusinessCalendar(Settings())
KE = BusinessCalendar(Settings(country="KE", timezone="Africa/Nairobi"))
DAYS = (2, 4, 7)


@pytest.mark.parametrize(
    ("first_contact", "done", "expected"),
    [
        # Thu 15 Oct + 2 = Sat 17 Oct, open 09:00-14:00
        (ten_am(2026, 10, 15), 0, dt.date(2026, 10, 17)),
        # Thu 15 Oct + 4 = Mon 19 Oct
        (ten_am(2026, 10, 15), 1, dt.date(2026, 10, 19)),
        # Thu 15 Oct + 7 = Thu 22 Oct
        (ten_am(2026, 10, 15), 2, dt.date(2026, 10, 22)),
        # Three done: no more follow-ups
        (ten_am(2026, 10, 15), 3, None),
        # Fri 16 Oct + 2 = Sun 18 Oct (closed) -> Mon 19 Oct
        (ten_am(2026, 10, 16), 0, dt.date(2026, 10, 19)),
        # Wed 7 Oct + 2 = Fri 9 Oct, Independence Day -> Sat 10 Oct
        (ten_am(2026, 10, 7), 0, dt.date(2026, 10, 10)),
        # Wed 23 Dec + 2 = Fri 25 Dec Christmas -> Sat 26 Boxing Day -> Sun 27 -> Mon 28 Dec
        (ten_am(2026, 12, 23), 0, dt.date(2026, 12, 28)),
        # 22:30 UTC on Thu 15 Oct is 01:30 on Fri 16 Oct in Kampala: the local date counts,
        # so Fri 16 + 2 = Sun 18 -> Mon 19 (counting from the UTC date would give Sat 17)
        (dt.datetime(2026, 10, 15, 22, 30, tzinfo=dt.UTC), 0, dt.date(2026, 10, 19)),
        # Negative counts are not a stage of the plan
        (ten_am(2026, 10, 15), -1, None),
    ],
)
def test_contacted_follow_ups(
    first_contact: dt.datetime, done: int, expected: dt.date | None
) -> None:
    got = next_follow_up(
        status="contacted", first_contact=first_contact, follow_ups_done=done, cal=UG, days=DAYS
    )
    assert got == expected


def test_kenyan_holiday_moves_the_follow_up() -> None:
    # Sun 18 Oct + 2 = Tue 20 Oct, Mashujaa Day in Kenya -> Wed 21 Oct
    got = next_follow_up(
        status="contacted", first_contact=ten_am(2026, 10, 18, tz="Africa/Nairobi"),
        follow_ups_done=0, cal=KE, days=DAYS,
    )
    assert got == dt.date(2026, 10, 21)


def test_extra_closed_date_moves_the_follow_up() -> None:
    # Thu 15 Oct + 4 = Mon 19 Oct, closed as an extra date -> Tue 20 Oct
    cal = BusinessCalendar(Settings(extra_closed_dates=frozenset({dt.date(2026, 10, 19)})))
    got = next_follow_up(
        status="contacted", first_contact=ten_am(2026, 10, 15), follow_ups_done=1, cal=cal,
        days=DAYS,
    )
    assert got == dt.date(2026, 10, 20)


def test_other_follow_up_days() -> None:
    # Days (1, 10): Thu 15 Oct + 10 = Sun 25 Oct (closed) -> Mon 26 Oct
    got = next_follow_up(
        status="contacted", first_contact=ten_am(2026, 10, 15), follow_ups_done=1, cal=UG,
        days=(1, 10),
    )
    assert got == dt.date(2026, 10, 26)
    # Only two stages: after two follow-ups there is nothing more
    assert next_follow_up(
        status="contacted", first_contact=ten_am(2026, 10, 15), follow_ups_done=2, cal=UG,
        days=(1, 10),
    ) is None


@pytest.mark.parametrize("status", ["pending", "converted", "lost", None])
def test_only_contacted_enquiries_get_follow_ups(status: Status | None) -> None:
    assert next_follow_up(
        status=status, first_contact=ten_am(2026, 10, 15), follow_ups_done=0, cal=UG, days=DAYS
    ) is None


def test_no_follow_up_without_first_contact_or_readable_count() -> None:
    assert next_follow_up(
        status="contacted", first_contact=None, follow_ups_done=0, cal=UG, days=DAYS
    ) is None
    assert next_follow_up(
        status="contacted", first_contact=ten_am(2026, 10, 15), follow_ups_done=None, cal=UG,
        days=DAYS,
    ) is None
