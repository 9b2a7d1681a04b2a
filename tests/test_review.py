"""The monthly review (sheetcrm/review.py): the agenda, valid Markdown, and every figure
equal to what `report --json` gives."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from sheetcrm import tracker
from sheetcrm.backends.memory import MemoryBackend
from sheetcrm.errors import InputError
from sheetcrm.exporters import json as json_exporter
from sheetcrm.model import Settings
from sheetcrm.review import text

NOW = dt.datetime(2026, 11, 20, 10)
AGENDA = [
    "Monthly sales and marketing review: October 2026, Kato \\| Sons",  # as typed: escaped
    "1. Lead volume and quality",
    "2. Funnel conversion",
    "3. Revenue by channel",
    "4. Attribution questions to settle with data",
    "5. Scoring model review",
    "6. Response-time compliance",
    "7. Next month's targets",
    "KPI ownership",
]


def d(day: int, hour: int = 9, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour)


def made_tracker() -> MemoryBackend:
    """October: WhatsApp Ann (converted 300,000, MQL 60), Cy (contacted 100,000, 35),
    Instagram Ben (lost, Not ready yet, unknown signal), Dee (pending, no reply: breach).
    Spend: WhatsApp 50,000 + 25,000; TikTok 10,000 (no enquiries)."""
    backend = MemoryBackend()
    tracker.init_tracker(backend, Settings(business_name="Kato | Sons",
                                           quarterly_revenue_target=50000))
    backend.append([
        {"Received": d(5), "Name": "Ann", "Contact": "0772 123456", "Source": "WhatsApp",
         "Status": "converted", "First contact": d(5, 10), "Value": 300000,
         "Signals": "Asked for quote, Viewed prices, Decision-maker"},
        {"Received": d(6), "Name": "Ben", "Contact": "0772 223456", "Source": "Instagram",
         "Status": "lost", "First contact": d(6, 10), "Signals": "Liked a post",
         "Lost reason": "Not ready yet"},
        {"Received": d(7), "Name": "Cy", "Contact": "0772 323456", "Source": "WhatsApp",
         "Status": "contacted", "First contact": d(7, 10), "Value": 100000,
         "Signals": "Viewed prices, WhatsApp question"},
        {"Received": d(8), "Name": "Dee", "Contact": "0772 423456", "Source": "Instagram",
         "Status": "pending"},
    ])
    spend = backend.tabs["Spend"]
    for r, line in enumerate([("10/2026", "WhatsApp", 50000), (d(20), "whatsapp", 25000),
                              ("10/2026", "TikTok", 10000)], start=2):
        for c, value in enumerate(line, start=1):
            spend.put(r, c, value)
    return backend


def tokens_of(markdown: str) -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(markdown)


def headings(tokens: list[Token]) -> list[str]:
    return [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]


def tables(tokens: list[Token]) -> list[list[list[str]]]:
    """Every table as rows of cell texts (header row first), as the parser saw them."""
    out: list[list[list[str]]] = []
    for i, t in enumerate(tokens):
        if t.type == "table_open":
            out.append([])
        elif t.type == "tr_open":
            out[-1].append([])
        elif t.type == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            out[-1][-1].append(t.content)
    return out


def figure(cell: str) -> float | None:
    """A figure as written: 'UGX 28,333.33' -> 28333.33, '33.3%' -> 0.333; else None."""
    if cell.startswith("not available:"):
        return None
    match = re.fullmatch(r"(?:UGX )?([\d,]+(?:\.\d+)?)(%?)", cell.strip())
    assert match, f"not a figure: {cell!r}"
    number = float(match.group(1).replace(",", ""))
    return round(number / 100, 3) if match.group(2) else number


@pytest.fixture(scope="module")
def review_and_json() -> tuple[str, dict[str, Any]]:
    backend = made_tracker()
    markdown = tracker.monthly_review(backend, month="2026-10", now=NOW)
    figures = tracker.report_figures(backend, month="2026-10", now=NOW)
    data = json.loads(json_exporter.report(backend.label, figures.months, figures.figures))
    return markdown, data["months"][0]


def test_the_agenda_in_order_and_valid_markdown(review_and_json: tuple[str, Any]) -> None:
    markdown, _ = review_and_json
    tokens = tokens_of(markdown)
    assert headings(tokens) == AGENDA
    # Every table parses with a header row and its rows the same width.
    for table in tables(tokens):
        assert len({len(row) for row in table}) == 1


def test_lead_volume_figures_equal_the_json(review_and_json: tuple[str, Any]) -> None:
    markdown, month = review_and_json
    volume = tables(tokens_of(markdown))[0]
    assert volume[0] == ["Channel", "Enquiries", "MQLs", "Spend", "Cost per enquiry",
                         "Cost per MQL"]
    by = {c["source"]: c for c in month["channels"]} | {"Total": month["total"]}
    keys = ["enquiries", "mqls", "spend", "cost_per_enquiry", "cost_per_mql"]
    for row in volume[1:]:
        ch = by[row[0]]
        assert [figure(cell) for cell in row[1:]] == [ch[k] for k in keys], row
    # Worked by hand: WhatsApp spend 50,000 + 25,000 = 75,000 over 2 enquiries = 37,500;
    # Ann (25 + 20 + 15 = 60) is its only MQL; Cy scores 20 + 15 = 35.
    # Two enquiries each: Instagram before WhatsApp by name.
    assert volume[2] == ["WhatsApp", "2", "1", "UGX 75,000", "UGX 37,500", "UGX 75,000"]
    assert volume[1][3] == "not available: no spend recorded for Instagram"
    assert volume[3][:2] == ["TikTok", "0"]
    assert volume[3][4] == "not available: no enquiries for TikTok"
    # Total: 85,000 over 4 enquiries = 21,250; one MQL.
    assert volume[4] == ["Total", "4", "1", "UGX 85,000", "UGX 21,250", "UGX 85,000"]


def test_funnel_revenue_and_kpi_figures_equal_the_json(
        review_and_json: tuple[str, Any]) -> None:
    markdown, month = review_and_json
    t = month["total"]
    funnel, revenue, targets, kpis = tables(tokens_of(markdown))[1:]
    assert [[r[0], figure(r[1]), figure(r[2])] for r in funnel[2:]] == [
        ["Contacted", t["contacted"], t["contact_rate"]],
        ["MQL", t["mqls"], t["mql_rate"]],
        ["Converted", t["converted"], t["conversion_rate"]]]
    # By hand: 3 of 4 answered = 75%; 1 MQL of 4 = 25%; 1 converted of 4 = 25%.
    assert [r[2] for r in funnel[2:]] == ["75.0%", "25.0%", "25.0%"]
    by = {c["source"]: c for c in month["channels"]} | {"Total": t}
    keys = ["converted", "value_won", "average_sale", "pipeline_value", "cac", "ltv", "roi"]
    for row in revenue[1:]:
        assert [figure(c) for c in row[1:]] == [by[row[0]][k] for k in keys], row
    # By hand, total: CAC 85,000 / 1 = 85,000; LTV = average sale 300,000;
    # ROI (300,000 - 85,000) / 85,000 = 2.529...: 252.9%.
    assert revenue[-1][5:] == ["UGX 85,000", "UGX 300,000", "252.9%"]
    kpi = {row[1]: figure(row[2]) for row in kpis[1:]}
    assert kpi == {
        "Enquiries": t["enquiries"], "Cost per enquiry": t["cost_per_enquiry"],
        "Customer acquisition cost": t["cac"], "Marketing ROI": t["roi"], "MQLs": t["mqls"],
        "Converted": t["converted"], "Value won": t["value_won"],
        "Average sale": t["average_sale"], "Pipeline value": t["pipeline_value"],
        "Share answered within the SLA": t["sla_met_rate"],
        "Conversion rate": t["conversion_rate"],
        "MQL conversion": t["mql_conversion_rate"], "Lifetime value": t["ltv"]}
    # Next month's targets: this month's figures, and blank cells to fill in.
    assert [row[0] for row in targets[1:]] == [
        "Enquiries", "MQLs", "Conversion rate", "Share answered within the SLA",
        "Cost per enquiry", "Value won"]
    assert [figure(row[1]) for row in targets[1:]] == [
        t["enquiries"], t["mqls"], t["conversion_rate"], t["sla_met_rate"],
        t["cost_per_enquiry"], t["value_won"]]
    assert all(row[2].strip() == "" and row[3].strip() == "" for row in targets[1:])


def test_sentences_carry_the_json_figures(review_and_json: tuple[str, Any]) -> None:
    markdown, month = review_and_json
    t = month["total"]
    # Pipeline: Cy 100,000 + Dee nothing = 100,000 over the 50,000 target = 2x.
    assert t["pipeline_coverage"] == 2.0
    assert "Pipeline coverage: 2× (the framework's healthy range is 3-4×" in markdown
    assert "Lost reasons: Instagram: Not ready yet 1." in markdown
    assert "- MQL conversion (converted MQLs ÷ MQLs): 100.0%." in markdown
    assert "- SLA breaches: 1." in markdown and month["sla_breaches"] == 1
    assert "- Escalation is not due (fewer than 3 breaches)." in markdown
    # Ben's unknown signal is a problem; E0002 is Ben's ID.
    assert "- Rows with problems: E0002." in markdown
    assert "Top channels by enquiries: Instagram (2), WhatsApp (2)." in markdown


def test_low_mql_conversion_gives_the_frameworks_advice() -> None:
    backend = made_tracker()
    row = next(r for r, line in enumerate(backend.tabs["Settings"].values, start=1)
               if line and line[0] == "MQL threshold")
    backend.set_cell("Settings", row, 2, 30)
    markdown = tracker.monthly_review(backend, month="2026-10", now=NOW)
    # Threshold 30: Ann 60 and Cy 35 are MQLs; only Ann converted: 1 / 2 = 50%: no advice.
    assert "50.0%" in markdown and "lower the threshold" not in markdown


def test_advice_when_under_twenty_percent() -> None:
    backend = made_tracker()
    # Ann's sale is undone: 1 MQL, none converted: 0% is under 20%.
    status = backend.tabs["Enquiries"].values[0].index("Status") + 1
    backend.set_cell("Enquiries", 2, status, "contacted")
    markdown = tracker.monthly_review(backend, month="2026-10", now=NOW)
    assert ("MQL conversion is under 20%: lower the threshold or revise the points in the "
            "Scoring table on the Lists tab.") in markdown


def test_a_month_without_enquiries_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no enquiries received in 2026-03"):
        tracker.monthly_review(made_tracker(), month="2026-03", now=NOW)
    with pytest.raises(InputError, match="is not a month"):
        tracker.monthly_review(made_tracker(), month="March", now=NOW)


def test_user_text_cannot_make_markdown() -> None:
    assert text("Kato | *Sons*") == "Kato \\| \\*Sons\\*"
