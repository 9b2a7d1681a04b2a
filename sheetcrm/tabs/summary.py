"""The Summary tab: live counts, the month-by-month trend and one block per month."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ..history import SalesCycle
from ..model import Cell, Chart, Formula, TabContent
from ..summary import ChannelFigures, headline, month_label
from . import alignment
from .common import blank, days, header, hours, money, para, pct, placeholder, short_month
from .context import TabContext

#: Months shown in the month-by-month table and its chart.
HISTORY_MONTHS = 12
#: Rows kept for each chart below the tables: a chart is 8 cm (Excel, LibreOffice) or
#: 300 pixels (Google) tall, which is under 16 rows of the default height anywhere.
CHART_ROWS = 18


def build(ctx: TabContext) -> TabContent:
    """The Summary tab: live counts, month-by-month trend and one block per month.

    The live formulas cover the template's formatted rows, or more when the
    tracker has grown past them (``ctx.last_row`` is the last enquiry's row).
    Before the first refresh it is a placeholder.
    """
    if ctx.evaluation is None:
        return placeholder("Enquiry summary")
    evaluation, template, letters, last_row = ctx.evaluation, ctx.template, ctx.letters, \
        ctx.last_row
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
        f"Target: first reply within {hours(settings.sla_hours)} business hours.",
        style="muted",
    )])
    rows.append(blank())

    # Live counts: formulas, so they stay true between refreshes.
    rows.append([Cell("Right now (updates live in the sheet)", style="subtitle")])
    rows += _live_counts(enq, letters, max(template.rows, last_row + 1000))
    rows.append(blank())

    charts: list[Chart] = []
    months = evaluation.months
    if not months:
        rows.append([Cell("No dated enquiries yet. Add some on the Enquiries tab and refresh.",
                          style="muted")])
        if evaluation.sales_cycle is not None:
            rows += [blank(), *_sales_cycle(evaluation.sales_cycle)]
        return TabContent(rows=rows, widths=_summary_widths(), freeze_rows=0)

    # Month by month, oldest first so the chart reads left to right.
    rows.append([Cell("Month by month", style="subtitle")])
    trend_header = len(rows) + 1
    rows.append(header("Month", "Conversion rate", "Answered within SLA", "Enquiries",
                        "Converted", "SLA breaches", f"Value won ({settings.currency})"))
    history = list(reversed(months[:HISTORY_MONTHS]))
    heading = headline(months, now.date())
    for m in history:
        t = m.total
        label = short_month(m.month) + (" so far" if m is heading.current else "")
        rows.append([Cell(label), pct(t.conversion_rate),
                     pct(t.sla_met_rate), Cell(t.enquiries), Cell(t.converted),
                     Cell(m.sla_breaches, style="bad" if m.escalate else None),
                     Cell(money(t.value_won), style="money")])
    trend_last = len(rows)
    trend = Chart(kind="line", title="Conversion rate and replies within SLA, by month",
                  first_row=trend_header, last_row=trend_last, first_col=1, last_col=3,
                  anchor_row=0, anchor_col=1, y_axis_title="Share", percent=True)
    rows.append(blank())

    # Bar charts for this month so far and the last full month (or, when every
    # month is in the future, the newest one).
    charted = [x for x in (heading.current, heading.complete) if x is not None] or months[:1]
    for m in months:
        if m is heading.current:
            title = heading.so_far()
        elif m is heading.complete:
            title = heading.last_full()
        else:
            title = month_label(m.month)
        rows.append([Cell(title, style="subtitle")])
        block_header = len(rows) + 1
        # The funnel's order, as in `sheetcrm report` and its JSON.
        rows.append(header("Channel", "Enquiries", "Contacted", "Converted", "Lost", "Open",
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
                f"{hours(settings.sla_hours)} business hours this month (3 or more). "
                "Review who answers enquiries and when.",
                style="alert",
            )])
        if m in charted:
            charts.append(Chart(kind="bar", title=f"By channel, {title}",
                                first_row=block_header, last_row=channel_last, first_col=1,
                                last_col=4, anchor_row=0, anchor_col=1,
                                y_axis_title="Enquiries", counts=True))
        rows.append(blank())
    rows += _sales_cycle(evaluation.sales_cycle)
    if evaluation.undated:
        count = evaluation.undated
        what = ("1 enquiry has no readable Received date, so it is" if count == 1 else
                f"{count} enquiries have no readable Received date, so they are")
        rows.append([Cell(f"{what} not counted: see the Problems column.", style="muted")])
    rows += alignment.section(months, settings, evaluation.spend_problems)
    return TabContent(rows=rows, widths=_summary_widths(),
                      charts=_below(rows, [*charts, trend]))


def _below(rows: list[list[Cell]], charts: list[Chart]) -> list[Chart]:
    """The charts one under another below the tables, where a phone scrolls to them.

    Beside the tables (from column M) they were off a phone's screen. A heading
    row says they are there; each chart gets :data:`CHART_ROWS` empty rows.
    """
    rows.append(blank())
    rows.append([Cell("Charts", style="subtitle")])
    placed = []
    for n, chart in enumerate(charts):
        placed.append(replace(chart, anchor_row=len(rows) + 1 + n * CHART_ROWS, anchor_col=1))
    return placed


def _sales_cycle(cycle: SalesCycle | None) -> list[list[Cell]]:
    """The average sales cycle (issue 11), from what the refreshes saw: see docs/rules.md."""
    if cycle is None:
        return []
    rows: list[list[Cell]] = [[Cell("Sales cycle", style="subtitle")]]
    if cycle.days is None:
        rows += para("Average sales cycle: not known yet. It needs a converted enquiry with a "
                     "First contact, seen converted by a refresh or with a Closed on date.",
                     style="muted")
        return [*rows, blank()]
    rows.append([Cell("Average sales cycle (days, measured at refresh time)", style="label"),
                 Cell(cycle.days)])
    typed = f", {cycle.typed} of them from the Closed on column" if cycle.typed else ""
    rows += para(
        f"From First contact to the refresh that first saw the status converted (or the "
        f"Closed on date where you typed one), over {cycle.count} converted "
        f"enquir{'y' if cycle.count == 1 else 'ies'}{typed}. A refresh sees a change only "
        "when it runs, so refresh often for a close figure.", style="muted")
    return [*rows, blank()]


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
        Cell(ch.source, style=s), Cell(ch.enquiries, style=s), Cell(ch.contacted, style=s),
        Cell(ch.converted, style=s), Cell(ch.lost, style=s), Cell(ch.open, style=s),
        pct(ch.conversion_rate, "total_percent" if total else "percent"),
        pct(ch.sla_met_rate, "total_percent" if total else "percent"),
        Cell(days(ch.median_response_minutes),
             style="total_duration" if total else "duration"),
        Cell(money(ch.value_won), style="total_money" if total else "money"),
    ]


def _summary_widths() -> dict[int, float]:
    # Wide enough for each header on one line: LibreOffice does not grow rows to fit.
    return {1: 30, 2: 16, 3: 20, 4: 12, 5: 11, 6: 14, 7: 17, 8: 12, 9: 19, 10: 17}
