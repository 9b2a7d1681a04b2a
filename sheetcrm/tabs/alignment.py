"""The alignment framework's block under each month of the Summary tab: spend and return,
pipeline, lead scoring and lost reasons (docs/rules.md gives each formula)."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Cell, Settings
from ..summary import ChannelFigures, MonthFigures, month_label
from .common import money, pct

#: Below this MQL conversion the framework says to look again at the scoring.
MQL_CONVERSION_FLOOR = 0.2
MQL_ADVICE = ("Under 20% of MQLs became customers: lower the MQL threshold or revise the "
              "points on the Lists tab.")
COVERAGE_NOTE = "The framework's healthy range is 3-4x the quarterly target."


def mql_advice(rate: float | None) -> str | None:
    """The framework's advice when MQL conversion is under 20%, else None."""
    return MQL_ADVICE if rate is not None and rate < MQL_CONVERSION_FLOOR else None


def reasons_text(reasons: dict[str, int] | object) -> str:
    """{'Price': 2, 'No reply': 1} -> 'Price 2, No reply 1'."""
    if not isinstance(reasons, dict) or not reasons:
        return ""
    return ", ".join(f"{reason} {count}" for reason, count in reasons.items())


def section(months: Sequence[MonthFigures], settings: Settings,
            spend_problems: Sequence[str]) -> list[list[Cell]]:
    """The section below the monthly blocks: one block per month, newest first."""
    rows: list[list[Cell]] = [[], [Cell("Spend, return and lead quality", style="subtitle")]]
    rows += [[Cell(f"Not counted: {problem}.", style="muted")] for problem in spend_problems]
    for m in months:
        rows += month_rows(m, settings)
        rows.append([])
    return rows


def month_rows(m: MonthFigures, settings: Settings) -> list[list[Cell]]:
    """The block for one month: a table per channel and total, then coverage and advice."""
    cur = settings.currency
    rows: list[list[Cell]] = [[Cell(month_label(m.month), style="label")]]
    rows.append([Cell(t, style="header") for t in (
        "Channel", f"Spend ({cur})", f"Cost per enquiry ({cur})", f"CAC ({cur})",
        f"LTV ({cur})", "ROI", f"Pipeline value ({cur})", f"Average sale ({cur})", "MQLs",
        "MQL conversion")])
    for ch in m.channels:
        rows.append(_row(ch, total=False))
    rows.append(_row(m.total, total=True))
    coverage = m.total.pipeline_coverage
    if settings.quarterly_revenue_target is None:
        rows.append([Cell("Pipeline coverage: set a Quarterly revenue target on the Settings "
                          "tab to see it. " + COVERAGE_NOTE, style="muted")])
    else:
        rows.append([Cell("Pipeline coverage", style="label"),
                     Cell(coverage, style="ratio"), Cell(COVERAGE_NOTE, style="muted")])
    advice = mql_advice(m.total.mql_conversion_rate)
    if advice:
        rows.append([Cell(advice, style="alert")])
    lost = [f"{ch.source}: {reasons_text(dict(ch.lost_reasons))}"
            for ch in m.channels if ch.lost_reasons]
    if lost:
        rows.append([Cell("Lost reasons. " + "; ".join(lost), style="muted")])
    return rows


def _amount(value: float | None, style: str) -> Cell:
    return Cell(None if value is None else money(round(value, 2)), style=style)


def _row(ch: ChannelFigures, *, total: bool) -> list[Cell]:
    s = "total" if total else None
    m = "total_money" if total else "money"
    p = "total_percent" if total else "percent"
    return [
        Cell(ch.source, style=s), _amount(ch.spend, m), _amount(ch.cost_per_enquiry, m),
        _amount(ch.cac, m), _amount(ch.ltv, m), pct(ch.roi, p),
        _amount(ch.pipeline_value, m), _amount(ch.average_sale, m), Cell(ch.mqls, style=s),
        pct(ch.mql_conversion_rate, p),
    ]
