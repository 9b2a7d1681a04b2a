"""What the owner sees in a Google tracker (issue 14, items 13, 15 and 16), on the fake
Sheets API: the chart specs, where the charts sit, and the frozen column.

Google Sheets keeps no print set-up that the API can write (orientation, fit to width
and repeated rows are chosen in the print dialogue), so item 16 has nothing to send here:
docs/screen.md says so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sheetcrm import tracker
from sheetcrm.backends.google import GoogleBackend
from tests.fake_sheets import FakeSheets
from tests.helpers.clock import three_quick_tries

NOW = dt.datetime(2026, 11, 4, 10, 0)


@pytest.fixture
def sheet() -> tuple[FakeSheets, str]:
    """A Google tracker with enquiries in October and November, refreshed on 4/11/2026."""
    fake = FakeSheets()
    key = fake.create_spreadsheet("Tracker")
    backend = GoogleBackend(fake.url(key), client=fake.client(), retry=three_quick_tries())
    tracker.init_tracker(backend)
    backend.append([
        {"Received": dt.datetime(2026, 10, 5, 9, 0), "Name": "Amina", "Source": "WhatsApp",
         "Status": "converted", "First contact": dt.datetime(2026, 10, 5, 9, 30)},
        {"Received": dt.datetime(2026, 11, 2, 9, 0), "Name": "Brian", "Source": "Walk-in",
         "Status": "pending"},
    ])
    tracker.refresh(backend, now=NOW)
    return fake, key


def _sheet(fake: FakeSheets, key: str, title: str) -> dict[str, Any]:
    sheets = fake.sheet_properties(key, grid_data=False)["sheets"]
    return next(s for s in sheets if s["properties"]["title"] == title)


def _charts(fake: FakeSheets, key: str) -> list[dict[str, Any]]:
    return [c for c in _sheet(fake, key, "Summary").get("charts", [])]


def test_the_line_chart_is_straight_with_a_point_on_each_month(
        sheet: tuple[FakeSheets, str]) -> None:
    (line,) = [c for c in _charts(*sheet)
               if c["spec"]["basicChart"]["chartType"] == "LINE"]
    basic = line["spec"]["basicChart"]
    assert basic["lineSmoothing"] is False
    assert [s["pointStyle"] for s in basic["series"]] == [{"shape": "CIRCLE", "size": 7}] * 2
    (axis,) = basic["axis"]
    assert axis["viewWindowOptions"] == {"viewWindowMode": "EXPLICIT", "viewWindowMin": 0,
                                         "viewWindowMax": 1}


def test_bar_charts_for_this_month_so_far_and_the_last_full_month_count_from_0(
        sheet: tuple[FakeSheets, str]) -> None:
    bars = [c for c in _charts(*sheet) if c["spec"]["basicChart"]["chartType"] == "BAR"]
    assert [c["spec"]["title"] for c in bars] == [
        "By channel, November 2026 so far (1 to 4 November)",
        "By channel, October 2026 (last full month)"]
    for bar in bars:
        basic = bar["spec"]["basicChart"]
        (axis,) = basic["axis"]
        assert axis["viewWindowOptions"] == {"viewWindowMode": "EXPLICIT", "viewWindowMin": 0}
        # Enquiries, Contacted, Converted: the funnel's first three columns.
        assert len(basic["series"]) == 3
        assert "lineSmoothing" not in basic


def test_the_charts_sit_below_the_summary_tables_in_column_a(
        sheet: tuple[FakeSheets, str]) -> None:
    fake, key = sheet
    grid = fake.get_values(key, "Summary")
    charts_row = next(i for i, row in enumerate(grid) if row and row[0] == "Charts")
    anchors = [c["position"]["overlayPosition"]["anchorCell"] for c in _charts(fake, key)]
    assert [a.get("columnIndex", 0) for a in anchors] == [0, 0, 0]
    # 0-based rows: the first chart right under the "Charts" heading, then 18 rows apart.
    assert [a["rowIndex"] for a in anchors] == [charts_row + 1, charts_row + 19,
                                               charts_row + 37]


def test_only_the_name_column_is_frozen(sheet: tuple[FakeSheets, str]) -> None:
    grid = _sheet(*sheet, "Enquiries")["properties"]["gridProperties"]
    assert (grid["frozenRowCount"], grid["frozenColumnCount"]) == (1, 1)
    fake, key = sheet
    assert fake.get_values(key, "Enquiries")[0][:3] == ["Name", "SLA", "Respond by"]
