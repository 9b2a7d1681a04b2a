"""Feedback on every lead: the lost reason, and which enquiries to win back.

Pure.  The framework says a lead that was not answered in time goes back to
marketing, not to the bin; so does one that was lost because the customer
was not ready yet, once a month has passed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .cells import text_of
from .model import CellValue
from .results import RowResult

#: The lost reason that means "ask again later".
NOT_READY = "Not ready yet"
#: Days after which a "Not ready yet" enquiry is worth asking again.
WIN_BACK_AFTER_DAYS = 30
LOST_WITHOUT_REASON = ("Lost reason is blank: say why it was lost, so you can see which "
                       "channels bring the wrong customers")


def read_reason(raw: CellValue, reasons: Sequence[str]) -> str | None:
    """The reason as the Lists tab spells it (any case, trimmed); other text as typed."""
    text = " ".join(text_of(raw).split())
    if not text:
        return None
    for reason in reasons:
        if reason.casefold() == text.casefold():
            return reason
    return text


def last_known(row: RowResult) -> dt.datetime | None:
    """The latest moment the tracker knows of for an enquiry: first reply, else received.

    The tracker does not record when an enquiry was marked lost, so this stands in for it.
    """
    moments = [m for m in (row.received, row.first_contact) if m is not None]
    return max(moments) if moments else None


def is_win_back(row: RowResult, now: dt.datetime, follow_up_days: Sequence[int]) -> bool:
    """Whether an enquiry belongs in the Today tab's "Win back" section.

    A pending enquiry whose first reply is overdue by more than the last
    follow-up day, or a lost one whose reason is "Not ready yet" and whose last
    known date is more than 30 days ago.
    """
    if row.status in (None, "pending") and row.sla is not None and row.sla.state == "overdue":
        by = row.sla.respond_by
        last_day = max(follow_up_days, default=0)
        return by is not None and now - by > dt.timedelta(days=last_day)
    if row.status == "lost" and (row.lost_reason or "").casefold() == NOT_READY.casefold():
        when = last_known(row)
        return when is not None and now - when > dt.timedelta(days=WIN_BACK_AFTER_DAYS)
    return False
