"""The tabs sheetcrm owns, as :class:`~sheetcrm.model.TabContent`: pure, no I/O.

Summary and Today are rewritten by every refresh; Lists, About and the meta
tab are written once by ``init``.  Backends render these cells and charts.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .model import STATUSES, WEEKDAYS, Cell, Chart, Formula, Settings, TabContent
from .sla import format_minutes
from .summary import ChannelFigures
from .template import Template

if TYPE_CHECKING:
    from .tracker import Evaluation, RowResult

#: Months shown in the month-by-month table and its chart.
HISTORY_MONTHS = 12


def month_label(month: str) -> str:
    """'2026-10' -> 'October 2026'."""
    year, mon = month.split("-")
    return dt.date(int(year), int(mon), 1).strftime("%B %Y")


def _short_month(month: str) -> str:
    year, mon = month.split("-")
    return dt.date(int(year), int(mon), 1).strftime("%b %Y")


def _blank() -> list[Cell]:
    return []


def _header(*titles: str) -> list[Cell]:
    return [Cell(t, style="header") for t in titles]


def _pct(value: float | None, style: str = "percent") -> Cell:
    return Cell(value, style=style)


def _money(value: float) -> int | float:
    return int(value) if value == int(value) else value


def _days(minutes: int | None) -> float | None:
    """Minutes as a spreadsheet duration (a fraction of a day), shown as 7h 21m."""
    return minutes / 1440 if minutes is not None else None


def summary_tab(
    evaluation: Evaluation, template: Template, letters: Mapping[str, str], last_row: int = 0
) -> TabContent:
    """The Summary tab: live counts, month-by-month trend and one block per month.

    The live formulas cover the template's formatted rows, or more when the
    tracker has grown past them (``last_row`` is the last enquiry's row).
    """
    settings = evaluation.settings
    now = evaluation.now
    enq = template.enquiries.name
    rows: list[list[Cell]] = []
    title = "Enquiry summary"
    if settings.business_name:
        title += f": {settings.business_name}"
    rows.append([Cell(title, style="title")])
    rows.append([Cell(
        f"Refreshed {now:%d/%m/%Y %H:%M} ({settings.timezone}). "
        f"Target: first reply within {_hours(settings.sla_hours)} business hours.",
        style="muted",
    )])
    rows.append(_blank())

    # Live counts: formulas, so they stay true between refreshes.
    rows.append([Cell("Right now (updates live in the sheet)", style="subtitle")])
    rows += _live_counts(enq, letters, max(template.rows, last_row + 1000))
    rows.append(_blank())

    charts: list[Chart] = []
    months = evaluation.months
    if not months:
        rows.append([Cell("No dated enquiries yet. Add some on the Enquiries tab and refresh.",
                          style="muted")])
        return TabContent(rows=rows, widths=_summary_widths(), freeze_rows=0)

    # Month by month, oldest first so the chart reads left to right.
    rows.append([Cell("Month by month", style="subtitle")])
    trend_header = len(rows) + 1
    rows.append(_header("Month", "Conversion rate", "Answered within SLA", "Enquiries",
                        "Converted", "SLA breaches", f"Value won ({settings.currency})"))
    history = list(reversed(months[:HISTORY_MONTHS]))
    for m in history:
        t = m.total
        rows.append([Cell(_short_month(m.month)), _pct(t.conversion_rate),
                     _pct(t.sla_met_rate), Cell(t.enquiries), Cell(t.converted),
                     Cell(m.sla_breaches, style="bad" if m.escalate else None),
                     Cell(_money(t.value_won), style="money")])
    trend_last = len(rows)
    charts.append(Chart(kind="line", title="Conversion rate and replies within SLA, by month",
                        first_row=trend_header, last_row=trend_last, first_col=1, last_col=3,
                        anchor_row=24, anchor_col=13, y_axis_title="Share",
                        percent=True))
    rows.append(_blank())

    for index, m in enumerate(months):
        rows.append([Cell(month_label(m.month), style="subtitle")])
        block_header = len(rows) + 1
        rows.append(_header("Channel", "Enquiries", "Converted", "Contacted", "Lost", "Open",
                            "Conversion rate", "Within SLA", "Median first reply",
                            f"Value won ({settings.currency})"))
        for ch in m.channels:
            rows.append(_channel_row(ch, total=False))
        channel_last = len(rows)
        rows.append(_channel_row(m.total, total=True))
        breaches = f"SLA breaches this month: {m.sla_breaches}"
        rows.append([Cell(breaches, style="bad" if m.escalate else "label")])
        if m.escalate:
            rows.append([Cell(
                f"Escalate: {m.sla_breaches} enquiries were not answered within "
                f"{_hours(settings.sla_hours)} business hours this month (3 or more). "
                "Review who answers enquiries and when.",
                style="alert",
            )])
        if index == 0:
            charts.append(Chart(kind="bar", title=f"Enquiries and conversions by channel, "
                                f"{month_label(m.month)}",
                                first_row=block_header, last_row=channel_last, first_col=1,
                                last_col=3, anchor_row=4, anchor_col=13,
                                y_axis_title="Enquiries"))
        rows.append(_blank())
    if evaluation.undated:
        count = evaluation.undated
        what = ("1 enquiry has no readable Received date, so it is" if count == 1 else
                f"{count} enquiries have no readable Received date, so they are")
        rows.append([Cell(f"{what} not counted: see the Problems column.", style="muted")])
    return TabContent(rows=rows, widths=_summary_widths(), charts=charts)


LIVE_KEYS = ("status", "name", "first_contact", "respond_by", "next_follow_up")


def _live_counts(enq: str, letters: Mapping[str, str], span: int) -> list[list[Cell]]:
    """Three formulas counting pending, overdue and due follow-ups over the Enquiries rows.

    SUMPRODUCT rather than COUNTIF so that " Pending " and a blank Status count as
    pending, as they do everywhere else; a blank-status row counts once it has a Name.
    """
    if any(key not in letters for key in LIVE_KEYS):
        # A computed column was deleted: this refresh puts it back, the next one
        # knows where it is.
        return [[Cell("The live counts come back after the next refresh.", style="muted")]]

    def rng(key: str) -> str:
        return f"{enq}!${letters[key]}$2:${letters[key]}${span}"

    status, name = rng("status"), rng("name")
    pending = f'((LOWER(TRIM({status}))="pending")+(TRIM({status})="")*(TRIM({name})<>""))'
    respond = rng("respond_by")
    late = f'(TRIM({rng("first_contact")})="")*ISNUMBER({respond})*({respond}<NOW())'
    follow = rng("next_follow_up")
    due = f'(LOWER(TRIM({status}))="contacted")*ISNUMBER({follow})*({follow}<TODAY()+1)'
    return [
        [Cell("Pending enquiries", style="label"),
         Cell(Formula(f"=SUMPRODUCT({pending})"), style="integer")],
        [Cell("Pending and past Respond by", style="label"),
         Cell(Formula(f"=SUMPRODUCT({pending}*{late})"), style="integer")],
        [Cell("Follow-ups due today or earlier", style="label"),
         Cell(Formula(f"=SUMPRODUCT({due})"), style="integer")],
    ]


def _channel_row(ch: ChannelFigures, *, total: bool) -> list[Cell]:
    s = "total" if total else None
    return [
        Cell(ch.source, style=s), Cell(ch.enquiries, style=s), Cell(ch.converted, style=s),
        Cell(ch.contacted, style=s), Cell(ch.lost, style=s), Cell(ch.open, style=s),
        _pct(ch.conversion_rate, "total_percent" if total else "percent"),
        _pct(ch.sla_met_rate, "total_percent" if total else "percent"),
        Cell(_days(ch.median_response_minutes),
             style="total_duration" if total else "duration"),
        Cell(_money(ch.value_won), style="total_money" if total else "money"),
    ]


def _summary_widths() -> dict[int, float]:
    # Wide enough for each header on one line: LibreOffice does not grow rows to fit.
    return {1: 30, 2: 16, 3: 20, 4: 12, 5: 11, 6: 14, 7: 17, 8: 12, 9: 19, 10: 17}


def _hours(hours: float) -> str:
    return f"{hours:g}"


# --------------------------------------------------------------------------- Today


def today_tab(evaluation: Evaluation, template: Template) -> TabContent:
    """The owner's to-do list: overdue replies, follow-ups due, then what is due soon."""
    now = evaluation.now
    today = now.date()
    rows: list[list[Cell]] = [
        [Cell(f"To do: {now:%A %d/%m/%Y}", style="title")],
        [Cell(f"Refreshed {now:%d/%m/%Y %H:%M}. Overdue replies first, then follow-ups due, "
              "then what is due soon. Tap a WhatsApp link to answer.", style="muted")],
        _blank(),
        _header("What to do", "Name", "Contact", "WhatsApp", "When", "ID", "Row"),
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
    widths = {1: 32, 2: 18, 3: 18, 4: 20, 5: 30, 6: 8, 7: 6}
    return TabContent(rows=rows, widths=widths, freeze_rows=4)


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
    link = Cell(None)
    if r.whatsapp and r.phone:
        link = Cell(f"wa.me/{r.phone[1:]}", "link", r.whatsapp)
    return [Cell(what, style=style), Cell(r.name), Cell(r.contact, style="text"), link,
            Cell(when), Cell(r.id), Cell(r.row)]


# --------------------------------------------------------------------------- init-only tabs


def lists_tab(template: Template) -> TabContent:
    """The Lists tab: the channels for the Source dropdown, which the owner may extend."""
    lists = template.tab("lists")
    rows = [[Cell(lists.sources_header, style="header"), Cell(None),
             Cell("Add a channel at the bottom of the Sources list and it appears in the "
                  "Source dropdown.", style="muted")]]
    rows += [[Cell(s)] for s in lists.sources]
    return TabContent(rows=rows, widths={1: 18, 2: 4, 3: 60}, freeze_rows=1)


#: Characters per line on the About tab: text is split into rows rather than wrapped,
#: because spreadsheet apps do not grow a row to fit wrapped text they did not type.
ABOUT_LINE = 95


def _para(text: str, style: str | None = None, col: int = 1,
          width: int = ABOUT_LINE) -> list[list[Cell]]:
    lines = textwrap.wrap(text, width) or [""]
    return [[Cell(None)] * (col - 1) + [Cell(line, style=style)] for line in lines]


def about_tab(template: Template, settings: Settings) -> TabContent:
    """The About tab: what each column means and how the response rules work."""
    enq = template.enquiries
    computed = [c.header for c in template.computed_columns()]
    rows: list[list[Cell]] = [[Cell("How this tracker works", style="title")]]
    rows += _para("Type each new enquiry on the Enquiries tab: when it came in, the name, the "
                  "contact, where it came from and its status. When sheetcrm refreshes the "
                  f"tracker it fills in a blank ID and the columns {computed[0]} to "
                  f"{computed[-1]}, and rewrites the Today and Summary tabs. It never changes "
                  "what you typed.")
    rows += [_blank(), [Cell("The rules", style="subtitle")]]
    rows += _para(f"Reply to every new enquiry within {_hours(settings.sla_hours)} business "
                  "hours (the SLA). Only opening hours count: closed days and public holidays "
                  "do not. The hours are on the Settings tab.")
    rows += _para("After the first reply, follow up on days "
                  f"{_join(settings.follow_up_days)} (Next follow-up shows the date). Add one "
                  "to Follow-ups done each time you follow up.")
    rows += _para("Three or more late replies in a month are flagged on the Summary tab for "
                  "review.")
    rows += _para("Status words: " + ", ".join(STATUSES) + ".")
    rows += [_blank(), [Cell("Colours on the Enquiries tab", style="subtitle")]]
    for rule in enq.conditional_formats:
        rows += _para(rule.explain, style=rule.style)
    rows += [_blank(), [Cell("The columns", style="subtitle")],
             _header("Column", "Who fills it", "What it means")]
    who = {"owner": "You", "id": "sheetcrm (or you)", "computed": "sheetcrm"}
    for col in enq.columns:
        lines = textwrap.wrap(col.note, 70) or [""]
        rows.append([Cell(col.header, style="label"), Cell(who[col.role]), Cell(lines[0])])
        rows += [[Cell(None), Cell(None), Cell(line)] for line in lines[1:]]
    rows += [_blank(), [Cell("The tabs", style="subtitle")]]
    for name, what in (
        ("Today", "Your to-do list: overdue replies, follow-ups due, and what is due soon."),
        ("Summary", "Monthly figures per channel: conversions, replies within the SLA, "
                    "value won."),
        ("Settings", "Opening hours, public holiday country, SLA hours and follow-up days."),
        ("Lists", "The channels in the Source dropdown."),
    ):
        rows.append([Cell(name, style="label"), Cell(None), Cell(what)])
    rows += _para("Hidden tabs whose names begin with \"sheetcrm\" are its own bookkeeping "
                  "(on Google, a copy of the Enquiries tab taken at each refresh, to check "
                  "every value landed on its own row): leave them as they are.", style="muted")
    opening = ", ".join(
        f"{WEEKDAYS[d][:3]} {h[0]:%H:%M}-{h[1]:%H:%M}" if h else f"{WEEKDAYS[d][:3]} closed"
        for d, h in sorted(settings.opening_hours.items())
    )
    rows += [_blank()]
    rows += _para(f"Opening hours when this tracker was made: {opening}.", style="muted")
    return TabContent(rows=rows, widths={1: 22, 2: 18, 3: 70})


def _join(days: tuple[int, ...]) -> str:
    parts = [str(d) for d in days]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def placeholder_tab(title: str) -> TabContent:
    """An owned tab before the first refresh."""
    return TabContent(rows=[[Cell(title, style="title")],
                            [Cell("Run `sheetcrm refresh` to fill this tab.", style="muted")]])


def meta_tab(template: Template) -> TabContent:
    """The hidden bookkeeping tab."""
    return TabContent(rows=[
        [Cell("template_version"), Cell(str(template.version))],
        [Cell("last_id"), Cell("0")],
        [Cell("note"), Cell("Kept by sheetcrm. Please do not edit this tab.")],
    ])
