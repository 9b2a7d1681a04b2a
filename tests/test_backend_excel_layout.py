"""What the owner sees in an Excel tracker (issue 14, items 13-16): charts, row heights,
column widths, frozen panes and the print set-up, read back from the saved file.

The same files are opened in LibreOffice by tests/test_libreoffice.py; these are the
fast, exact checks of what sheetcrm writes.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheetcrm import tracker
from sheetcrm.backends.excel import ExcelBackend
from sheetcrm.model import Cell, Chart, TabContent
from sheetcrm.template import load_template
from tests.helpers.trackers import TYPED_ORDER, contents

T = load_template()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A new Excel tracker made from the template."""
    target = tmp_path / "tracker.xlsx"
    ExcelBackend(target).create(T, contents(T))
    return target


def _chart_xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n).decode() for n in archive.namelist()
                if re.fullmatch(r"xl/charts/chart\d+\.xml", n)}


def _summary(kind: str, counts: list[int]) -> TabContent:
    """A Summary with one chart of ``kind`` over a channel block holding ``counts``."""
    rows = [[Cell("Channel", "header"), Cell("Enquiries", "header")]]
    rows += [[Cell(f"Channel {i}"), Cell(n)] for i, n in enumerate(counts)]
    chart = Chart(kind=kind, title="t", first_row=1, last_row=len(rows), first_col=1,  # type: ignore[arg-type]
                  last_col=2, anchor_row=len(rows) + 2, anchor_col=1, counts=kind == "bar",
                  percent=kind == "line")
    return TabContent(rows=rows, charts=[chart])


# ------------------------------------------------------------------ 13. charts


def test_line_charts_are_straight_lines_with_a_marker_on_each_point(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    ExcelBackend(path).create(T, {**contents(T), "Summary": _summary("line", [1, 2])})
    chart = openpyxl.load_workbook(path)["Summary"]._charts[0]
    assert all(s.smooth is False for s in chart.series)
    assert all(s.marker is not None and s.marker.symbol == "circle" for s in chart.series)
    (xml,) = _chart_xml(path).values()
    # Explicitly off: LibreOffice draws a line chart smoothed when the file does not say.
    assert len(re.findall(r'<smooth val="0"\s*/>', xml)) == 2  # the chart and its one series
    assert not re.search(r'<smooth val="1"', xml)
    assert len(re.findall(r'<symbol val="circle"\s*/>', xml)) == 1  # the one series


@pytest.mark.parametrize(("counts", "step"), [
    ([1, 0], 1),      # LibreOffice labelled this 0, 0.2 ... 1.2
    ([7, 4, 3], 1),   # up to 10 labels a step of 1
    ([11], 2),        # 11 / 2 -> 6 labels
    ([21, 3], 5),     # 21 / 5 -> 5 labels
    ([60], 10),
    ([250], 50),
])
def test_count_axes_start_at_0_and_step_in_whole_numbers(tmp_path: Path, counts: list[int],
                                                          step: int) -> None:
    path = tmp_path / "t.xlsx"
    ExcelBackend(path).create(T, {**contents(T), "Summary": _summary("bar", counts)})
    chart = openpyxl.load_workbook(path)["Summary"]._charts[0]
    assert chart.y_axis.majorUnit == step
    assert chart.y_axis.scaling.min == 0
    assert chart.y_axis.number_format.formatCode == "0"


# ------------------------------------------------------------------ 14. rows and columns


NOTE = ("Wants three bridal outfits for a wedding in June; will call back after talking "
        "to her sister")


def test_a_long_note_gets_a_row_tall_enough_for_its_lines(path: Path) -> None:
    ExcelBackend(path).append([
        {"Name": "Amina", "Notes": NOTE},
        {"Name": "Brian", "Notes": "short"},
        {"Name": "Chloe", "Notes": "line one\nline two"},
    ])
    ws = openpyxl.load_workbook(path)["Enquiries"]
    notes = T.column("notes")
    assert notes.width == 24  # 23 characters a line (a character's margin kept)
    # Broken between words at 23 characters: "Wants three bridal" / "outfits for a wedding in"
    # ... 24 is too long: "outfits for a wedding" / "in June; will call back" / "after
    # talking to her" / "sister": 5 lines of 15 points.
    assert ws.row_dimensions[2].height == 75
    assert ws.row_dimensions[3].height is None  # one line: the default height
    assert ws.row_dimensions[4].height == 30  # two typed lines
    assert ws.cell(2, 1 + [c.key for c in T.enquiries.columns].index("notes")).alignment.wrap_text


def test_an_email_address_fits_the_contact_column(path: Path) -> None:
    ws = openpyxl.load_workbook(path)["Enquiries"]
    letter = next(c.column_letter for c in ws[1] if c.value == "Contact")
    # A width is in characters of the default font; keep one character spare.
    assert ws.column_dimensions[letter].width >= len("nakato.fashions@gmail.com") + 1


# ------------------------------------------------------------------ 15. phone layout


def test_only_name_is_frozen_and_sla_and_respond_by_come_right_after_it(path: Path) -> None:
    ws = openpyxl.load_workbook(path)["Enquiries"]
    assert ws.freeze_panes == "B2"
    assert [c.value for c in ws[1]][:4] == ["Name", "SLA", "Respond by", "Received"]


def test_a_tracker_made_with_the_first_column_order_still_refreshes_by_header(
        path: Path) -> None:
    # An older tracker: Received A, Name B ... ID J, Respond by K, SLA L ... Problems O.
    old = [*TYPED_ORDER, "Respond by", "SLA", "Next follow-up", "WhatsApp", "Problems"]
    wb = openpyxl.load_workbook(path)
    ws = wb["Enquiries"]
    for c in range(1, ws.max_column + 1):
        ws.cell(1, c).value = old[c - 1] if c <= len(old) else None
    ws.cell(2, 1).value = dt.datetime(2026, 11, 2, 9, 0)
    ws.cell(2, 2).value = "Amina"
    ws.cell(2, 3).value = "0772 123456"
    ws.cell(2, 4).value = "WhatsApp"
    ws.cell(2, 5).value = "pending"
    wb.save(path)
    tracker.refresh(ExcelBackend(path), now=dt.datetime(2026, 11, 10, 12, 0))
    ws = openpyxl.load_workbook(path)["Enquiries"]
    assert [c.value for c in ws[1]][:15] == old
    assert ws["B2"].value == "Amina" and ws["A2"].value == dt.datetime(2026, 11, 2, 9, 0)
    assert ws["J2"].value == "E0001"
    # Mon 09:00 + 4 business hours = Mon 13:00, in Respond by (K), the state in SLA (L).
    assert ws["K2"].value == dt.datetime(2026, 11, 2, 13, 0)
    assert str(ws["L2"].value).startswith("Overdue")
    assert ws["N2"].hyperlink.target.startswith("https://wa.me/256772123456")


def test_the_summary_charts_sit_below_its_tables_in_column_a(tmp_path: Path) -> None:
    target = tmp_path / "demo.xlsx"
    from sheetcrm.demo import build_demo

    build_demo(ExcelBackend(target), now=dt.datetime(2026, 11, 23, 11, 0))
    ws = openpyxl.load_workbook(target)["Summary"]
    last_text = max(c.row for row in ws.iter_rows() for c in row if c.value is not None)
    anchors = [(c.anchor._from.row + 1, c.anchor._from.col + 1) for c in ws._charts]
    assert [col for _, col in anchors] == [1, 1, 1]
    assert all(row > last_text for row, _ in anchors)
    # One under another, 18 rows apart (a chart is 8 cm, under 16 rows of 15 points).
    assert [b[0] - a[0] for a, b in zip(anchors, anchors[1:], strict=False)] == [18, 18]
    assert ws.cell(anchors[0][0] - 1, 1).value == "Charts"


# ------------------------------------------------------------------ 16. printing


def _page(ws: Any) -> tuple[object, ...]:
    return (ws.page_setup.orientation, ws.page_setup.paperSize,
            ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr
            else None, ws.page_setup.fitToWidth, ws.page_setup.fitToHeight,
            ws.print_title_rows)


def test_today_summary_and_enquiries_print_landscape_one_page_wide_headers_repeated(
        path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    # A4 is paper size 9.
    assert _page(wb["Enquiries"]) == ("landscape", 9, True, 1, 0, "$1:$1")
    assert _page(wb["Today"]) == ("landscape", 9, True, 1, 0, "$1:$4")
    assert _page(wb["Summary"]) == ("landscape", 9, True, 1, 0, "$1:$1")
    assert wb["Settings"].print_title_rows is None


def test_a_refresh_keeps_the_print_set_up_of_the_tabs_it_rewrites(path: Path) -> None:
    backend = ExcelBackend(path)
    backend.append([{"Name": "Amina", "Received": dt.datetime(2026, 11, 2, 9, 0)}])
    tracker.refresh(backend, now=dt.datetime(2026, 11, 10, 12, 0))
    wb = openpyxl.load_workbook(path)
    assert _page(wb["Today"]) == ("landscape", 9, True, 1, 0, "$1:$4")
    assert _page(wb["Summary"]) == ("landscape", 9, True, 1, 0, "$1:$1")
