"""Plain text for people: what ``refresh`` and ``report`` print."""

from __future__ import annotations

from collections.abc import Sequence

from ..results import Evaluation
from ..sla import format_minutes
from ..summary import MonthFigures, headline, month_label


def enquiries(count: int) -> str:
    """'1 enquiry', '3 enquiries'."""
    return "1 enquiry" if count == 1 else f"{count} enquiries"


def percent(value: float | None) -> str:
    """A share as a whole percentage, '-' when there is nothing to divide."""
    return "-" if value is None else f"{value:.0%}"


def refresh(label: str, e: Evaluation) -> str:
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
        line = (f"  {title}: {enquiries(t.enquiries)}, {t.contacted} contacted, "
                f"{t.converted} converted ({percent(t.conversion_rate)}), "
                f"{percent(t.sla_met_rate)} answered within the SLA, "
                f"{m.sla_breaches} SLA breaches")
        lines.append(line + (": escalate." if m.escalate else "."))
    return "\n".join(lines)


def report(label: str, months: Sequence[MonthFigures]) -> str:
    """The monthly figures per channel as a table for each month."""
    if not months:
        return f"{label} has no dated enquiries yet."
    return "\n".join(_month(m) for m in months)


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
