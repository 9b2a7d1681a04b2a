"""The Spend tab: months typed several ways, lines that add up, unreadable lines named."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from sheetcrm.spend import parse_month, read_spend

SOURCES = ["WhatsApp", "Instagram"]


def test_a_month_from_a_date_a_month_or_text() -> None:
    assert parse_month(dt.datetime(2026, 10, 31, 9)) == "2026-10"
    assert parse_month(dt.date(2026, 10, 1)) == "2026-10"
    assert parse_month("10/2026") == "2026-10"
    assert parse_month("3-2026") == "2026-03"
    assert parse_month("2026-10") == "2026-10"
    assert parse_month("15/10/2026") == "2026-10"
    assert parse_month("13/2026") is None
    assert parse_month("soon") is None
    assert parse_month(None) is None


def test_lines_for_one_month_and_channel_add_up() -> None:
    grid = [["Month", "Channel", "Amount"],
            ["10/2026", "whatsapp", 50000],
            [dt.datetime(2026, 10, 20), "WhatsApp ", "UGX 25,000"],
            ["11/2026", "WhatsApp", 1000],
            ["10/2026", "Instagram", 0]]
    sheet = read_spend(grid, SOURCES)
    assert sheet.problems == ()
    # 50,000 + 25,000 = 75,000 for WhatsApp in October; spelt as on the Lists tab.
    assert sheet.by_month_channel() == {("2026-10", "whatsapp"): 75000,
                                        ("2026-11", "whatsapp"): 1000,
                                        ("2026-10", "instagram"): 0}
    assert sheet.lines[1].channel == "WhatsApp"


def test_unreadable_lines_are_left_out_and_named_by_row() -> None:
    grid = [["Channel", "Amount", "Month"],
            ["WhatsApp", 100, "someday"],
            ["", 100, "10/2026"],
            ["WhatsApp", "-5", "10/2026"],
            [None, None, None],
            ["TikTok", 7, "10/2026"]]
    sheet = read_spend(grid, SOURCES)
    assert [line.channel for line in sheet.lines] == ["TikTok"]
    assert len(sheet.problems) == 3
    assert sheet.problems[0].startswith("Spend row 2: Month 'someday' is not a month")
    assert sheet.problems[1] == "Spend row 3: Channel is blank: pick the channel"
    assert sheet.problems[2].startswith("Spend row 4: Amount '-5' is negative")


def test_a_spend_tab_without_its_headers_says_so() -> None:
    sheet = read_spend([["Month", "Where"]], SOURCES)
    assert sheet.lines == ()
    assert sheet.problems == ("Spend row 1 has no Channel, Amount column: put the header back",)
    assert read_spend([], SOURCES).problems == ()


cell = st.one_of(st.none(), st.text(max_size=12), st.integers(), st.floats(),
                 st.datetimes(min_value=dt.datetime(1900, 1, 1)))


@given(st.lists(st.lists(cell, max_size=4), max_size=6))
def test_any_spend_tab_reads_without_raising(rows: list[list[object]]) -> None:
    sheet = read_spend([["Month", "Channel", "Amount"], *rows], SOURCES)  # type: ignore[list-item]
    assert all(line.amount >= 0 for line in sheet.lines)
