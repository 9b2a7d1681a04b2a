"""Plain text for people: what ``refresh`` and ``report`` print."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..outcomes import TrackerOutcome
from ..results import Evaluation
from ..sla import format_minutes
from ..summary import MonthFigures, headline, month_label


def enquiries(count: int) -> str:
    """'1 enquiry', '3 enquiries'."""
    return "1 enquiry" if count == 1 else f"{count} enquiries"


def percent(value: float | None) -> str:
    """A share as a whole percentage, '-' when there is nothing to divide."""
    return "-" if value is None else f"{value:.0%}"


def refresh(label: str, e: Evaluation, details: Mapping[str, str] | None = None) -> str:
    """A refresh's outcome in a few lines."""
    lines = [
        f"Refreshed {label} as at {e.now:%d/%m/%Y %H:%M} ({e.settings.timezone}).",
        f"  {enquiries(len(e.rows))}: {e.count('due')} due, {e.count('overdue')} overdue, "
        f"{e.count('met')} met, {e.count('missed')} missed, {e.count('unknown')} unknown.",
        f"  Follow-ups due today or earlier: {e.follow_ups_due}.",
    ]
    if e.rows_with_problems:
        lines.append(f"  Rows with problems: {e.rows_with_problems} (see the Problems column).")
    heading = headline(e.months, e.now.date())
    shown = [(heading.so_far(), heading.current)] if heading.current else []
    if heading.complete:
        shown.append((heading.last_full(), heading.complete))
    if not shown and e.months:  # every dated enquiry is in a month still to come
        shown.append((month_label(e.months[0].month), e.months[0]))
    for title, m in shown:
        t = m.total
        # A sentence never shows "-" for a figure: it says why there is none.
        converted = f"{t.converted} converted"
        if t.conversion_rate is not None:
            converted += f" ({percent(t.conversion_rate)})"
        within = (f"{percent(t.sla_met_rate)} answered within the SLA"
                  if t.sla_met_rate is not None else "no reply due or made yet to measure "
                  "against the SLA")
        line = (f"  {title}: {enquiries(t.enquiries)}, {t.contacted} contacted, {converted}, "
                f"{within}, "
                f"{m.sla_breaches} SLA breaches")
        lines.append(line + (": escalate." if m.escalate else "."))
    return "\n".join(lines)


def report(label: str, months: Sequence[MonthFigures],
           figures: Mapping[str, Any] | None = None) -> str:
    """The monthly figures per channel as a table for each month, then the sales cycle
    and the enquiries to win back."""
    if not months:
        return f"{label} has no dated enquiries yet."
    text = "\n".join(_month(m) for m in months)
    cycle = (figures or {}).get("average_sales_cycle_days")
    if cycle is not None:
        text += (f"\nAverage sales cycle: {cycle:g} days from first contact to converted "
                 "(measured at refresh time, or the Closed on date)")
    win_back = (figures or {}).get("win_back")
    if win_back:
        text += "\nWin back (see the Today tab): " + ", ".join(win_back)
    return text


def _month(m: MonthFigures) -> str:
    lines = [month_label(m.month),
             f"  {'Channel':<14}{'Enq':>5}{'Cont':>6}{'Conv':>6}{'Lost':>6}{'Open':>6}"
             f"{'Conv%':>7}{'SLA%':>7}{'Median':>9}{'Value won':>14}"]
    for ch in [*m.channels, m.total]:
        median = ch.median_response_minutes
        lines.append(
            f"  {ch.source[:14]:<14}{ch.enquiries:>5}{ch.contacted:>6}{ch.converted:>6}"
            f"{ch.lost:>6}{ch.open:>6}{percent(ch.conversion_rate):>7}"
            f"{percent(ch.sla_met_rate):>7}"
            f"{format_minutes(median) if median is not None else '-':>9}"
            f"{ch.value_won:>14,.0f}"
        )
    flag = " (3 or more: escalate)" if m.escalate else ""
    lines += [f"  SLA breaches: {m.sla_breaches}{flag}", ""]
    return "\n".join(lines)


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], last: int) -> list[str]:
    """Columns padded to their widest cell; the ``last`` column is left unpadded (messages)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    out = []
    for cells in [list(headers), *rows]:
        padded = [c if i == last else c.ljust(widths[i]) for i, c in enumerate(cells)]
        out.append("  ".join(padded).rstrip())
    return out


def fleet(action: str, outcomes: Sequence[TrackerOutcome]) -> str:
    """The closing table of ``refresh --all`` or ``report --all``: one line per tracker."""
    failed = sum(1 for o in outcomes if not o.ok)
    verb = "Refreshed" if action == "refresh" else "Read"
    head = f"{verb} {len(outcomes) - failed} of {len(outcomes)} trackers"
    head += f"; {failed} failed." if failed else "."
    rows = [[o.name, _count(o.due), _count(o.overdue), _count(o.follow_ups_due),
             _count(o.problems), _count(o.requests), o.result] for o in outcomes]
    headers = ["Tracker", "Due", "Overdue", "Follow-ups due", "Problems", "Requests", "Result"]
    return "\n".join([head, *_table(headers, rows, last=6)])


def trackers(outcomes: Sequence[TrackerOutcome]) -> str:
    """``list``: each tracker's kind and when it was last refreshed, from its own meta tab."""
    rows = []
    for o in outcomes:
        if not o.ok:
            when = f"cannot tell: {o.error}"
        else:
            when = _when(o.last_refresh)
        rows.append([o.name, o.kind, o.target, when])
    headers = ["Tracker", "Kind", "Where", "Last refreshed"]
    return "\n".join(_table(headers, rows, last=3))


def _when(stamp: str | None) -> str:
    """An ISO moment from the meta tab as dd/mm/yyyy HH:MM, or 'never'."""
    if not stamp:
        return "never"
    import datetime as dt

    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return f"{moment:%d/%m/%Y %H:%M}"
