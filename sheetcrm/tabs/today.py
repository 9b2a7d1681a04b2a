"""The Today tab: the owner's to-do list, most urgent first."""

from __future__ import annotations

import datetime as dt

from ..links import contact_link
from ..model import Cell, TabContent
from ..results import RowResult
from ..sla import format_minutes
from .common import blank, header, placeholder
from .context import TabContext


def build(ctx: TabContext) -> TabContent:
    """The owner's to-do list: overdue replies, follow-ups due, then what is due soon."""
    if ctx.evaluation is None:
        return placeholder("To do today")
    evaluation = ctx.evaluation
    now = evaluation.now
    today = now.date()
    rows: list[list[Cell]] = [
        [Cell(f"To do: {now:%A %d/%m/%Y}", style="title")],
        [Cell(f"Refreshed {now:%d/%m/%Y %H:%M}. Overdue replies first, then follow-ups due, "
              "then what is due soon. Tap a WhatsApp link to answer.", style="muted")],
        blank(),
        header("What to do", "Name", "Contact", "WhatsApp", "When", "ID", "Row"),
    ]
    overdue = sorted(
        (r for r in evaluation.rows if r.sla and r.sla.state == "overdue"),
        key=lambda r: (r.sla.respond_by if r.sla and r.sla.respond_by else now, r.row),
    )
    follow_ups = sorted(
        (r for r in evaluation.rows if r.next_follow_up and r.next_follow_up <= today),
        key=lambda r: (r.next_follow_up or today, r.row),
    )
    due_soon = sorted(
        (r for r in evaluation.rows if r.sla and r.sla.state == "due"),
        key=lambda r: (r.sla.respond_by if r.sla and r.sla.respond_by else now, r.row),
    )
    tomorrow = today + dt.timedelta(days=1)
    follow_soon = sorted(
        (r for r in evaluation.rows if r.next_follow_up == tomorrow),
        key=lambda r: r.row,
    )
    total_days = len(evaluation.settings.follow_up_days)
    for r in overdue:
        rows.append(_todo(r, "Reply now: first reply is overdue", _late(r, now), "overdue"))
    for r in follow_ups:
        late = (today - r.next_follow_up).days if r.next_follow_up else 0
        when = "Due today" if late == 0 else f"{late} day{'s' if late != 1 else ''} late"
        n = (r.follow_ups_done or 0) + 1
        rows.append(_todo(r, f"Follow up ({n} of {total_days})", when,
                          "amber" if late else None))
    for r in due_soon:
        by = r.sla.respond_by if r.sla else None
        what = f"Reply by {by:%d/%m %H:%M}" if by else "Reply"
        rows.append(_todo(r, what, r.sla.text if r.sla else "", None))
    for r in follow_soon:
        n = (r.follow_ups_done or 0) + 1
        rows.append(_todo(r, f"Follow up ({n} of {total_days})", "Tomorrow", None))
    if len(rows) == 4:
        rows.append([Cell("Nothing to do right now. Well done.", style="muted")])
    rows += win_back_rows(evaluation.rows)
    # Contact as wide as on the Enquiries tab, so an email address shows whole.
    widths = {1: 32, 2: 18, 3: 26, 4: 20, 5: 30, 6: 8, 7: 6}
    return TabContent(rows=rows, widths=widths, freeze_rows=4)


def win_back_rows(results: list[RowResult]) -> list[list[Cell]]:
    """The short "Win back" section: leads to hand back to marketing, not to the bin.

    Empty when there are none (see sheetcrm.feedback for the rules).
    """
    chosen = [r for r in results if r.win_back]
    if not chosen:
        return []
    rows: list[list[Cell]] = [
        blank(),
        [Cell("Win back", style="subtitle")],
        [Cell("Not answered in time, or lost as not ready yet over 30 days ago: send a fresh "
              "message rather than giving up.", style="muted")],
    ]
    for r in chosen:
        what = ("Not ready yet: ask again" if r.status == "lost"
                else "Never answered: send a fresh message")
        rows.append(_todo(r, what, "", None))
    return rows


def _late(r: RowResult, now: dt.datetime) -> str:
    """How late a reply is, by the clock: what the customer has felt."""
    by = r.sla.respond_by if r.sla else None
    if by is None:
        return ""
    days = (now - by).days
    since = f"Due {by:%d/%m %H:%M}"
    if days >= 1:
        return f"{since}, {days} day{'s' if days != 1 else ''} ago"
    return f"{since}, {format_minutes(int((now - by).total_seconds() // 60))} ago"


def _todo(r: RowResult, what: str, when: str, style: str | None) -> list[Cell]:
    link = contact_link(r.phone, r.email, r.whatsapp)
    return [Cell(what, style=style), Cell(r.name), Cell(r.contact, style="text"), link,
            Cell(when), Cell(r.id), Cell(r.row)]
