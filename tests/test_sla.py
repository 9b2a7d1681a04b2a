"""SLA states, respond-by times and their wording, worked out by hand.

Default week: Mon-Fri 08:00-18:00, Sat 09:00-14:00, Sunday closed; Uganda's
public holidays; SLA 4 hours = 240 business minutes.  October 2026: Thu 8,
Fri 9 (Independence Day), Sat 10, Mon 12, Fri 16, Sat 17, Sun 18, Mon 19.
"""

from __future__ import annotations

import datetime as dt

import pytest

from sheetcrm.businesstime import BusinessCalendar
from sheetcrm.model import Settings, Status
from sheetcrm.sla import SlaResult, assess_sla, format_minutes
from tests.helpers.clock import at

CAL = BusinessCalendar(Settings())
SLA = 240


def assess(
    received: dt.datetime | None,
    first_contact: dt.datetime | None = None,
    status: Status | None = "pending",
    now: dt.datetime | None = None,
    sla_minutes: int = SLA,
) -> SlaResult:
    return assess_sla(
        received=received, first_contact=first_contact, status=status,
        now=now if now is not None else at(2026, 10, 12, 9), cal=CAL, sla_minutes=sla_minutes,
    )


CASES = [
    pytest.param(
        # Mon 10:00 -> first contact Mon 14:00 = 240 <= 240: met, on the boundary.
        dict(received=at(2026, 10, 12, 10), first_contact=at(2026, 10, 12, 14), status="contacted"),
        SlaResult("met", at(2026, 10, 12, 14), 240, "Met in 4h"),
        id="240-minutes-met",
    ),
    pytest.param(
        # Mon 10:00 -> Mon 14:01 = 241 > 240: missed by 1.
        dict(received=at(2026, 10, 12, 10), first_contact=at(2026, 10, 12, 14, 1),
             status="contacted"),
        SlaResult("missed", at(2026, 10, 12, 14), 241, "Missed by 1m (took 4h 1m)"),
        id="241-minutes-missed",
    ),
    pytest.param(
        # Mon 19:30 arrives after closing: clock starts Tue 08:00, respond by Tue 12:00;
        # reply Tue 09:15 = 75 business minutes: met in 1h 15m.
        dict(received=at(2026, 10, 12, 19, 30), first_contact=at(2026, 10, 13, 9, 15),
             status="converted"),
        SlaResult("met", at(2026, 10, 13, 12), 75, "Met in 1h 15m"),
        id="after-hours-arrival-met",
    ),
    pytest.param(
        # Fri 17:00: Fri 60 + Sat 09:00-12:00 180 -> respond by Sat 12:00.
        # Reply Mon 08:15: Fri 60 + Sat 300 + Mon 15 = 375 -> missed by 135 = 2h 15m.
        dict(received=at(2026, 10, 16, 17), first_contact=at(2026, 10, 19, 8, 15), status="lost"),
        SlaResult("missed", at(2026, 10, 17, 12), 375, "Missed by 2h 15m (took 6h 15m)"),
        id="over-short-saturday-missed",
    ),
    pytest.param(
        # Mon 10:00, respond by 14:00; now Mon 12:40 -> 80 minutes left.
        dict(received=at(2026, 10, 12, 10), now=at(2026, 10, 12, 12, 40)),
        SlaResult("due", at(2026, 10, 12, 14), None, "Due in 1h 20m"),
        id="due",
    ),
    pytest.param(
        # Mon 10:00, respond by 14:00; now Mon 16:10 -> 130 minutes late.
        dict(received=at(2026, 10, 12, 10), now=at(2026, 10, 12, 16, 10)),
        SlaResult("overdue", at(2026, 10, 12, 14), None, "Overdue by 2h 10m"),
        id="overdue",
    ),
    pytest.param(
        # Thu 8 Oct 16:00: Thu 120; Fri 9 Oct Independence Day closed; Sat 09:00 + 120
        # -> respond by Sat 10 Oct 11:00.  Now Mon 12 Oct 09:00: late by Sat 11:00-14:00 180
        # + Mon 08:00-09:00 60 = 240 = 4h.
        dict(received=at(2026, 10, 8, 16), now=at(2026, 10, 12, 9)),
        SlaResult("overdue", at(2026, 10, 10, 11), None, "Overdue by 4h"),
        id="overdue-across-holiday-and-sunday",
    ),
    pytest.param(
        # Mon 5 Oct 10:00 -> respond by 14:00.  Now Mon 19 Oct 10:00: late by Mon 4h + Tue 10h
        # + Wed 10h already passes 24 business hours, so the wording gives the due date and
        # the clock days since: 14:00 on 5 Oct to 10:00 on 19 Oct is 13 days 20 hours -> 13.
        dict(received=at(2026, 10, 5, 10), now=at(2026, 10, 19, 10)),
        SlaResult("overdue", at(2026, 10, 5, 14), None,
                  "Overdue since 05/10/2026 14:00 (13 days)"),
        id="overdue-long-ago",
    ),
    pytest.param(
        # Sat 12:30: Sat 90, Sunday closed, Mon 08:00 + 150 -> respond by Mon 10:30.
        # Now Sun 20:00 (closed): left = Mon 08:00-10:30 = 150 = 2h 30m.
        dict(received=at(2026, 10, 17, 12, 30), now=at(2026, 10, 18, 20)),
        SlaResult("due", at(2026, 10, 19, 10, 30), None, "Due in 2h 30m"),
        id="due-counted-in-business-time-while-closed",
    ),
    pytest.param(
        # Mon 14:00 -> respond by Mon 18:00 (closing).  Now Mon 19:00: past the deadline
        # but no business minutes late yet, so the text gives the deadline instead.
        dict(received=at(2026, 10, 12, 14), now=at(2026, 10, 12, 19)),
        SlaResult("overdue", at(2026, 10, 12, 18), None, "Overdue: was due 12/10/2026 18:00"),
        id="overdue-after-closing",
    ),
    pytest.param(
        # Now is exactly the deadline: still due (now <= respond by), nothing left.
        dict(received=at(2026, 10, 12, 10), now=at(2026, 10, 12, 14)),
        SlaResult("due", at(2026, 10, 12, 14), None, "Due now"),
        id="due-now",
    ),
    pytest.param(
        # A 90-minute SLA: Mon 17:00 -> Mon 60 + Tue 08:00-08:30 30 -> respond by Tue 08:30.
        dict(received=at(2026, 10, 12, 17), now=at(2026, 10, 12, 17, 30), sla_minutes=90),
        SlaResult("due", at(2026, 10, 13, 8, 30), None, "Due in 1h"),
        id="other-sla-length",
    ),
    pytest.param(
        # 07:00 UTC = 10:00 Kampala; reply 10:30 UTC = 13:30 Kampala: 210 minutes, met.
        dict(received=at(2026, 10, 12, 7, tz="UTC"),
             first_contact=at(2026, 10, 12, 10, 30, tz="UTC"), status="contacted"),
        SlaResult("met", at(2026, 10, 12, 14), 210, "Met in 3h 30m"),
        id="aware-times-in-another-zone",
    ),
    pytest.param(
        # A First contact stops the clock whatever the status says (pending here).
        dict(received=at(2026, 10, 12, 10), first_contact=at(2026, 10, 12, 10, 45)),
        SlaResult("met", at(2026, 10, 12, 14), 45, "Met in 45m"),
        id="first-contact-with-pending-status",
    ),
    pytest.param(
        # An unreadable status with a First contact is still measured.
        dict(received=at(2026, 10, 12, 10), first_contact=at(2026, 10, 12, 10, 45), status=None),
        SlaResult("met", at(2026, 10, 12, 14), 45, "Met in 45m"),
        id="unreadable-status-with-first-contact",
    ),
    pytest.param(
        # Replied the moment it arrived.
        dict(received=at(2026, 10, 12, 10), first_contact=at(2026, 10, 12, 10), status="contacted"),
        SlaResult("met", at(2026, 10, 12, 14), 0, "Met in 0m"),
        id="replied-at-once",
    ),
    pytest.param(
        dict(received=None, first_contact=at(2026, 10, 12, 10), status="contacted"),
        SlaResult("unknown", None, None, "Unknown: no Received date"),
        id="unknown-no-received",
    ),
    pytest.param(
        dict(received=at(2026, 10, 12, 10), status="contacted"),
        SlaResult("unknown", at(2026, 10, 12, 14), None,
                  "Unknown: contacted but First contact is blank"),
        id="unknown-contacted-without-first-contact",
    ),
    pytest.param(
        dict(received=at(2026, 10, 12, 10), status="converted"),
        SlaResult("unknown", at(2026, 10, 12, 14), None,
                  "Unknown: converted but First contact is blank"),
        id="unknown-converted-without-first-contact",
    ),
    pytest.param(
        dict(received=at(2026, 10, 12, 10), status="lost"),
        SlaResult("unknown", at(2026, 10, 12, 14), None,
                  "Unknown: lost but First contact is blank"),
        id="unknown-lost-without-first-contact",
    ),
    pytest.param(
        dict(received=at(2026, 10, 12, 10), first_contact=at(2026, 10, 12, 9, 59),
             status="contacted"),
        SlaResult("unknown", at(2026, 10, 12, 14), None,
                  "Unknown: First contact is before Received"),
        id="unknown-first-contact-before-received",
    ),
    pytest.param(
        dict(received=at(2026, 10, 12, 10), status=None),
        SlaResult("unknown", at(2026, 10, 12, 14), None, "Unknown: Status cannot be read"),
        id="unknown-unreadable-status-no-first-contact",
    ),
    pytest.param(
        # Fri 31/12/9999 17:00: the clock would run past the last date a computer holds.
        dict(received=at(9999, 12, 31, 17)),
        SlaResult("unknown", None, None, "Unknown: Received is too far in the future"),
        id="unknown-received-at-the-end-of-time",
    ),
]


@pytest.mark.parametrize(("kwargs", "expected"), CASES)
def test_assess_sla(kwargs: dict[str, object], expected: SlaResult) -> None:
    assert assess(**kwargs) == expected  # type: ignore[arg-type]


def test_state_word_comes_first_in_every_text() -> None:
    for case in CASES:
        result = case.values[1]
        assert isinstance(result, SlaResult)
        assert result.text.split()[0].rstrip(":").lower() == result.state


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0m"), (1, "1m"), (45, "45m"), (60, "1h"), (130, "2h 10m"), (1505, "25h 5m"),
     (6000, "100h")],
)
def test_format_minutes(minutes: int, text: str) -> None:
    assert format_minutes(minutes) == text


def test_format_minutes_refuses_negative() -> None:
    with pytest.raises(ValueError):
        format_minutes(-1)
