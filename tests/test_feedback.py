"""Feedback on every lead: lost reasons as the Lists spell them, and who to win back."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sheetcrm.feedback import is_win_back, read_reason
from sheetcrm.model import SlaState, Status
from sheetcrm.results import RowResult
from sheetcrm.sla import SlaResult

KAMPALA = zoneinfo.ZoneInfo("Africa/Kampala")
NOW = dt.datetime(2026, 11, 20, 10, tzinfo=KAMPALA)
REASONS = ["Price", "Not ready yet", "Other"]
DAYS = (2, 4, 7)


def row(status: Status | None, *, sla: SlaState = "met", respond_by: dt.datetime | None = None,
        received: dt.datetime | None = None, first: dt.datetime | None = None,
        reason: str | None = None) -> RowResult:
    return RowResult(row=2, id="E0001", name="Ann", contact="", phone=None, source="WhatsApp",
                     status=status, received=received, first_contact=first,
                     follow_ups_done=0, value=None,
                     sla=SlaResult(sla, respond_by, None, ""), next_follow_up=None,
                     whatsapp=None, lost_reason=reason)


def test_a_reason_is_spelt_as_on_the_lists_tab() -> None:
    assert read_reason("  not READY yet ", REASONS) == "Not ready yet"
    assert read_reason("Too far away", REASONS) == "Too far away"
    assert read_reason("  ", REASONS) is None
    assert read_reason(None, REASONS) is None


def test_a_pending_enquiry_overdue_by_more_than_the_last_follow_up_day() -> None:
    # The last follow-up day is 7: overdue since 13/11 09:59 is 7 days and 1 minute.
    assert is_win_back(row("pending", sla="overdue",
                           respond_by=NOW - dt.timedelta(days=7, minutes=1)), NOW, DAYS)
    assert not is_win_back(row("pending", sla="overdue",
                               respond_by=NOW - dt.timedelta(days=7)), NOW, DAYS)
    assert is_win_back(row(None, sla="overdue", respond_by=NOW - dt.timedelta(days=8)),
                       NOW, DAYS)
    # Answered late is not overdue: nothing to win back.
    assert not is_win_back(row("contacted", sla="missed",
                               respond_by=NOW - dt.timedelta(days=30)), NOW, DAYS)


def test_lost_as_not_ready_more_than_30_days_ago() -> None:
    long_ago = NOW - dt.timedelta(days=31)
    assert is_win_back(row("lost", received=long_ago, reason="Not ready yet"), NOW, DAYS)
    # The last known date is the first reply, 29 days ago: not yet.
    assert not is_win_back(row("lost", received=long_ago, first=NOW - dt.timedelta(days=29),
                               reason="Not ready yet"), NOW, DAYS)
    assert not is_win_back(row("lost", received=long_ago, reason="Price"), NOW, DAYS)
    assert not is_win_back(row("lost", reason="Not ready yet"), NOW, DAYS)  # no date
