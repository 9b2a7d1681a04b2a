"""The Summary's "Spend, return and lead quality" section (sheetcrm/tabs/alignment.py)."""

from __future__ import annotations

from sheetcrm.model import Cell, Settings
from sheetcrm.summary import ChannelFigures, MonthFigures
from sheetcrm.tabs.alignment import COVERAGE_NOTE, MQL_ADVICE, mql_advice, section


def channel(source: str, **figures: object) -> ChannelFigures:
    base = ChannelFigures(source, 4, 3, 1, 1, 2, 0.25, 1.0, 60, 300000.0)
    from dataclasses import replace

    return replace(base, **figures)  # type: ignore[arg-type]


WHATSAPP = channel("WhatsApp", spend=75000.0, cost_per_enquiry=18750.0, cac=75000.0,
                   ltv=300000.0, roi=3.0, pipeline_value=100000.0, average_sale=300000.0,
                   mqls=2, mql_conversion_rate=0.5, lost_reasons={"Price": 1})
TOTAL = channel("Total", spend=75000.0, cost_per_enquiry=18750.0, cac=75000.0, ltv=300000.0,
                roi=3.0, pipeline_value=100000.0, average_sale=300000.0, mqls=2,
                mql_conversion_rate=0.1, pipeline_coverage=2.5, is_total=True)
OCT = MonthFigures("2026-10", [WHATSAPP], TOTAL, 0, False)


def test_the_section_for_a_month_with_a_target() -> None:
    rows = section([OCT], Settings(quarterly_revenue_target=40000), ["Spend row 3: bad"])
    assert rows[1] == [Cell("Spend, return and lead quality", style="subtitle")]
    assert rows[2] == [Cell("Not counted: Spend row 3: bad.", style="muted")]
    assert rows[3] == [Cell("October 2026", style="label")]
    assert [c.value for c in rows[4]] == [
        "Channel", "Spend (UGX)", "Cost per enquiry (UGX)", "CAC (UGX)", "LTV (UGX)", "ROI",
        "Pipeline value (UGX)", "Average sale (UGX)", "MQLs", "MQL conversion"]
    assert rows[5] == [Cell("WhatsApp"), Cell(75000, "money"), Cell(18750, "money"),
                       Cell(75000, "money"), Cell(300000, "money"), Cell(3.0, "percent"),
                       Cell(100000, "money"), Cell(300000, "money"), Cell(2),
                       Cell(0.5, "percent")]
    assert rows[6][0] == Cell("Total", "total") and rows[6][9] == Cell(0.1, "total_percent")
    assert rows[7] == [Cell("Pipeline coverage", "label"), Cell(2.5, "ratio"),
                       Cell(COVERAGE_NOTE, "muted")]
    # MQL conversion 10% is under 20%: the advice.
    assert rows[8] == [Cell(MQL_ADVICE, "alert")]
    assert rows[9] == [Cell("Lost reasons. WhatsApp: Price 1", "muted")]


def test_without_a_target_the_coverage_line_says_how_to_get_it() -> None:
    rows = section([OCT], Settings(), [])
    assert rows[6][0].value == "Pipeline coverage: set a Quarterly revenue target on the " \
        "Settings tab to see it. " + COVERAGE_NOTE
    assert "3-4x" in COVERAGE_NOTE


def test_null_figures_are_blank_cells() -> None:
    empty = channel("TikTok", pipeline_value=None)
    rows = section([MonthFigures("2026-10", [empty], TOTAL, 0, False)], Settings(), [])
    assert [c.value for c in rows[4][1:]] == [None] * 9


def test_the_advice_threshold() -> None:
    assert mql_advice(0.199) == MQL_ADVICE
    assert mql_advice(0.2) is None
    assert mql_advice(None) is None
