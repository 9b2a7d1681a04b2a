"""The first-response SLA, the next follow-up, and how durations are worded.

Durations shown to people are business time, written by
:func:`format_minutes`: minutes alone under an hour ("45m"), whole hours
alone ("2h"), otherwise hours and minutes with the minutes unpadded
("2h 5m", "25h 10m").  Hours are never turned into days, because a business
day has no fixed length (a Saturday is shorter); an enquiry more than 24
business hours overdue is worded with the date it fell due and the days since.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from .businesstime import BusinessCalendar
from .model import SlaState, Status

#: Beyond this much business time late, the wording switches to the date it fell due.
LONG_OVERDUE_MINUTES = 24 * 60

_ANSWERED: frozenset[Status] = frozenset({"contacted", "converted", "lost"})


@dataclass(frozen=True)
class SlaResult:
    """Where an enquiry stands against the first-response target."""

    state: SlaState
    respond_by: dt.datetime | None
    response_minutes: int | None
    text: str


def format_minutes(minutes: int) -> str:
    """A duration for people: 45 -> '45m', 60 -> '1h', 130 -> '2h 10m', 1505 -> '25h 5m'."""
    if minutes < 0:
        raise ValueError("a duration cannot be negative")
    hours, mins = divmod(minutes, 60)
    if hours == 0:
        return f"{mins}m"
    if mins == 0:
        return f"{hours}h"
    return f"{hours}h {mins}m"


def assess_sla(
    *,
    received: dt.datetime | None,
    first_contact: dt.datetime | None,
    status: Status | None,
    now: dt.datetime,
    cal: BusinessCalendar,
    sla_minutes: int,
) -> SlaResult:
    """The SLA state, respond-by time and wording for one enquiry.

    ``unknown`` when Received is missing; when the status says the customer
    was answered but First contact is blank; when the status is unreadable and
    there is no First contact; or when First contact is before Received.
    """
    if received is None:
        return SlaResult("unknown", None, None, "Unknown: no Received date")
    try:
        respond_by = cal.add_business_minutes(received, sla_minutes)
    except OverflowError:
        return SlaResult("unknown", None, None, "Unknown: Received is too far in the future")

    if first_contact is not None:
        if first_contact < received:
            return SlaResult(
                "unknown", respond_by, None, "Unknown: First contact is before Received"
            )
        taken = cal.business_minutes_between(received, first_contact)
        if taken <= sla_minutes:
            return SlaResult("met", respond_by, taken, f"Met in {format_minutes(taken)}")
        late = format_minutes(taken - sla_minutes)
        return SlaResult(
            "missed", respond_by, taken, f"Missed by {late} (took {format_minutes(taken)})"
        )

    if status is None:
        return SlaResult("unknown", respond_by, None, "Unknown: Status cannot be read")
    if status in _ANSWERED:
        return SlaResult(
            "unknown", respond_by, None, f"Unknown: {status} but First contact is blank"
        )
    if now <= respond_by:
        left = cal.business_minutes_between(now, respond_by)
        text = "Due now" if left == 0 else f"Due in {format_minutes(left)}"
        return SlaResult("due", respond_by, None, text)
    late_minutes = cal.business_minutes_between(respond_by, now)
    if late_minutes == 0:
        # Past the deadline but not by any opening time yet (it fell due at closing).
        local = respond_by.astimezone(cal.tz)
        return SlaResult(
            "overdue", respond_by, None, f"Overdue: was due {local:%d/%m/%Y %H:%M}"
        )
    days = (now - respond_by).days
    if late_minutes > LONG_OVERDUE_MINUTES:
        # Hundreds of business hours mean little to an owner; the date and the days do.
        local = respond_by.astimezone(cal.tz)
        plural = "s" if days != 1 else ""
        return SlaResult("overdue", respond_by, None,
                         f"Overdue since {local:%d/%m/%Y %H:%M} ({days} day{plural})")
    return SlaResult("overdue", respond_by, None, f"Overdue by {format_minutes(late_minutes)}")


def next_follow_up(
    *,
    status: Status | None,
    first_contact: dt.datetime | None,
    follow_ups_done: int | None,
    cal: BusinessCalendar,
    days: Sequence[int],
) -> dt.date | None:
    """The day of the next follow-up for a contacted enquiry, moved to an open day; else None.

    Days count from First contact (not from the last follow-up): with days
    2, 4, 7 and one follow-up done, the next is First contact's date + 4.
    """
    if status != "contacted" or first_contact is None or follow_ups_done is None:
        return None
    if not 0 <= follow_ups_done < len(days):
        return None
    contacted_on = first_contact.astimezone(cal.tz).date()
    try:
        return cal.next_open_day(contacted_on + dt.timedelta(days=days[follow_ups_done]))
    except OverflowError:
        return None
