"""The Excel backend against real .xlsx files in tmp_path, checked by reloading with openpyxl."""

from __future__ import annotations

import datetime as dt
import errno
import functools
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import filelock
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.drawing.image import Image as XLImage
from openpyxl.worksheet.dimensions import ColumnDimension
from openpyxl.worksheet.table import Table
from PIL import Image

from sheetcrm.backends.base import Backend
from sheetcrm.backends.excel import BACKUP_DIR, ExcelBackend
from sheetcrm.errors import (
    BackendError,
    ConcurrentEdit,
    InputError,
    NotATracker,
    SheetCRMError,
    TrackerBusy,
    TrackerNotFound,
    WriteFailed,
)
from sheetcrm.model import Cell, Changes, Formula, TabContent
from sheetcrm.planner import CONTROL_CHARACTERS
from sheetcrm.template import Template, load_template
from tests.helpers.trackers import add_zip_entries, contents, summary_content

#: The headers issue 2 fixes; the template decides their order.
HEADERS = {"Received", "Name", "Contact", "Source", "Status", "First contact",
           "Follow-ups done", "Value", "Notes", "ID", "Respond by", "SLA", "Next follow-up",
           "WhatsApp", "Problems", "Signals", "Lost reason", "Score", "MQL"}


def letter(template: Template, header: str) -> str:
    """The column letter ``init`` gives a header: its place in the template (A = 1st)."""
    headers = [c.header for c in template.enquiries.columns]
    return chr(ord("A") + headers.index(header))


def at(ws: Any, header: str, row: int) -> Any:
    """The cell of ``header`` (found on the sheet's own row 1) on ``row``."""
    return ws.cell(row, column_of(ws, header))


def records(grid: list[list[Any]]) -> list[dict[str, Any]]:
    """Data rows of an Enquiries grid as header -> value, blanks left out."""
    return [{h: v for h, v in zip(grid[0], row, strict=False) if v is not None}
            for row in grid[1:]]


def dimension(ws: Any, col: int) -> Any:
    """The column dimension covering ``col`` (LibreOffice groups equal columns)."""
    for dim in ws.column_dimensions.values():
        if dim.min is not None and dim.min <= col <= dim.max:
            return dim
    raise AssertionError(f"no dimension covers column {col}")


@pytest.fixture
def template() -> Template:
    return load_template()


@pytest.fixture
def tracker(tmp_path: Path, template: Template) -> Path:
    path = tmp_path / "tracker.xlsx"
    ExcelBackend(path).create(template, contents(template))
    return path


def enquiries_rows() -> list[dict[str, Any]]:
    return [
        {"Received": dt.datetime(2026, 10, 1, 9, 0), "Name": "Sarah N.", "Contact": "0772123456",
         "Source": "WhatsApp", "Status": "pending"},
        {"Received": dt.datetime(2026, 10, 2, 10, 30), "Name": "Okello", "Contact": "0700111222",
         "Source": "Walk-in", "Status": "contacted",
         "First contact": dt.datetime(2026, 10, 2, 11, 0), "Value": 250000, "ID": "E0007"},
        {"Received": dt.datetime(2026, 10, 3, 8, 0), "Name": "Amina", "Contact": "+256772000111",
         "Source": "Referral", "Status": "lost", "Notes": "Too expensive"},
    ]


def changes_for(rows: int, **overrides: Any) -> Changes:
    """Computed values for ``rows`` data rows, with plain text the tests can look for."""
    computed = {
        "Respond by": [Cell(dt.datetime(2026, 10, 1, 13, 0) + dt.timedelta(days=i))
                       for i in range(rows)],
        "SLA": [Cell(f"overdue: Overdue by {i}h") for i in range(rows)],
        "WhatsApp": [Cell("Chat", link=f"https://wa.me/25677200000{i}") for i in range(rows)],
        "Problems": [Cell(None) for _ in range(rows)],
    }
    fields: dict[str, Any] = dict(computed=computed, id_fills={}, expected_ids=[],
                                  tabs={}, meta={})
    fields.update(overrides)
    return Changes(**fields)


def column_of(ws: Any, header: str) -> int:
    for cell in ws[1]:
        if cell.value == header:
            return int(cell.column)
    raise AssertionError(f"no header {header!r}")


def owner_cells(path: Path) -> dict[tuple[str, str], Any]:
    """Every value outside the computed columns (ID excepted), on every tab but owned ones."""
    wb = openpyxl.load_workbook(path)
    computed = {"Respond by", "SLA", "Next follow-up", "WhatsApp", "Problems", "ID"}
    out: dict[tuple[str, str], Any] = {}
    for ws in wb.worksheets:
        if ws.title in ("Summary", "Today", "sheetcrm"):
            continue
        skip = {c.column for c in ws[1] if ws.title == "Enquiries" and c.value in computed}
        for row in ws.iter_rows():
            for c in row:
                if c.column not in skip and c.value is not None:
                    out[(ws.title, c.coordinate)] = (c.value, c.data_type, c.number_format)
    return out


def entries_except_timestamps(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


# ---------------------------------------------------------------- create


def test_backend_satisfies_the_protocol(tmp_path: Path) -> None:
    assert isinstance(ExcelBackend(tmp_path / "t.xlsx"), Backend)


def test_create_renders_the_enquiries_tab(tracker: Path, template: Template) -> None:
    wb = openpyxl.load_workbook(tracker)
    assert wb.sheetnames == ["Enquiries", "Today", "Summary", "History", "Settings", "Lists",
                             "Spend", "About", "sheetcrm"]
    assert wb["sheetcrm"].sheet_state == "hidden"
    assert wb.active.title == "Enquiries"
    ws = wb["Enquiries"]
    headers = [c.value for c in ws[1]]
    assert headers == [c.header for c in template.enquiries.columns]
    assert set(headers) == HEADERS
    status = ws[f"{letter(template, 'Status')}1"]
    assert status.font.b and status.fill.fgColor.rgb == "FF1F4E78"
    assert status.comment.author == "sheetcrm"
    assert status.comment.text == template.column("status").note
    assert ws.freeze_panes == "B2"  # freeze_rows = 1, freeze_cols = 1: Name only
    for col in template.enquiries.columns:
        assert ws.column_dimensions[letter(template, col.header)].width == col.width
    # Column-level formats, so rows the owner types later inherit them.
    formats = {h: ws.column_dimensions[letter(template, h)].number_format
               for h in ("Contact", "Received", "Value", "Notes")}
    assert formats == {"Contact": "@", "Received": "dd/mm/yyyy hh:mm", "Value": "#,##0",
                       "Notes": "General"}


def test_create_adds_dropdowns_that_warn_rather_than_block(tracker: Path,
                                                           template: Template) -> None:
    wb = openpyxl.load_workbook(tracker)
    dvs = {str(dv.sqref): dv for dv in wb["Enquiries"].data_validations.dataValidation}
    source, status, follow_ups, signals, reason = (
        f"{letter(template, h)}2:{letter(template, h)}5000"
        for h in ("Source", "Status", "Follow-ups done", "Signals", "Lost reason"))
    assert set(dvs) == {source, status, follow_ups, signals, reason}
    assert dvs[status].type == "list"
    assert dvs[status].formula1 == '"pending,contacted,converted,lost"'
    # The Source list goes through a defined name pointing at the Lists tab.
    assert dvs[source].formula1 == "sheetcrm_source_list"
    assert wb.defined_names["sheetcrm_source_list"].attr_text == "Lists!$A$2:$A$100"
    whole = dvs[follow_ups]
    assert (whole.type, whole.operator, whole.formula1, whole.formula2) == (
        "whole", "between", "0", "3")
    assert {dv.errorStyle for dv in dvs.values()} == {"warning"}
    assert all(dv.showErrorMessage for dv in dvs.values())


def test_create_adds_conditional_formats_reading_sla_hours_from_settings(
        tracker: Path, template: Template) -> None:
    wb = openpyxl.load_workbook(tracker)
    ws = wb["Enquiries"]
    rules = [(str(cf.sqref), rule) for cf in ws.conditional_formatting for rule in cf.rules]
    last = chr(ord("A") + len(template.enquiries.columns) - 1)
    assert [sqref for sqref, _ in rules] == [f"A2:{last}5000", f"A2:{last}5000"]
    overdue, amber = (rule for _, rule in rules)
    s, f, r, a = (letter(template, h)
                  for h in ("Status", "First contact", "Respond by", "Received"))
    assert overdue.formula == [
        f'AND(OR(LOWER(TRIM(${s}2))="pending",TRIM(${s}2)=""),${f}2="",ISNUMBER(${r}2),'
        f'${r}2<NOW())']
    # Settings: header on row 1, then business name, time zone, country, currency,
    # SLA hours on row 6, value in column B.
    assert amber.formula == [
        f'AND(OR(LOWER(TRIM(${s}2))="pending",TRIM(${s}2)=""),${f}2="",${r}2="",'
        f'ISNUMBER(${a}2),${a}2+INDIRECT("Settings!$B$6")/24<NOW())']
    assert wb["Settings"]["A6"].value == "SLA hours"
    assert overdue.dxf.fill.fgColor.rgb == "FFF4C7C3"
    assert overdue.dxf.font.color.rgb == "FF9C0006"
    assert amber.dxf.fill.fgColor.rgb == "FFFFE699"


def test_create_writes_other_tabs_with_styles_widths_and_charts(tracker: Path) -> None:
    wb = openpyxl.load_workbook(tracker)
    settings = wb["Settings"]
    assert settings["A1"].value == "Setting" and settings["A1"].font.b
    assert settings.column_dimensions["C"].width == 60
    assert settings.freeze_panes == "A2"
    summary = wb["Summary"]
    assert summary["A1"].font.sz == 14
    assert summary["B5"].value == "=SUM(B3:B4)" and summary["B5"].data_type == "f"
    assert summary["B8"].number_format == "0%"
    assert len(summary._charts) == 2
    assert summary._charts[1].y_axis.number_format.formatCode == "0%"
    assert wb["Lists"]["A10"].value == "Other"


def test_create_refuses_an_existing_file_unless_forced(tracker: Path, template: Template) -> None:
    before = tracker.read_bytes()
    with pytest.raises(InputError, match="already exists"):
        ExcelBackend(tracker).create(template, contents(template))
    assert tracker.read_bytes() == before
    ExcelBackend(tracker, force=True).create(template, contents(template))
    backups = list((tracker.parent / BACKUP_DIR).iterdir())
    assert [b.read_bytes() for b in backups] == [before]


def test_create_needs_the_sla_hours_row_on_settings(tmp_path: Path, template: Template) -> None:
    tabs = contents(template)
    tabs["Settings"] = TabContent(rows=[[Cell("Time zone"), Cell("Africa/Kampala")]])
    with pytest.raises(SheetCRMError, match="SLA hours"):
        ExcelBackend(tmp_path / "t.xlsx").create(template, tabs)
    assert not (tmp_path / "t.xlsx").exists()


# ---------------------------------------------------------------- read


def test_read_returns_raw_grids_of_the_tabs_the_engine_needs(tracker: Path,
                                                              template: Template) -> None:
    backend = ExcelBackend(tracker)
    backend.append(enquiries_rows())
    snap = backend.read()
    assert set(snap.tabs) == {"Enquiries", "Settings", "Lists", "sheetcrm", "Spend"}
    assert snap.tab_names == ("Enquiries", "Today", "Summary", "History", "Settings", "Lists",
                              "Spend", "About", "sheetcrm")
    grid = snap.tabs["Enquiries"]
    assert grid[0] == [c.header for c in template.enquiries.columns]
    assert records(grid) == enquiries_rows()
    assert all(row[-1] is not None for row in grid)  # trailing blanks trimmed
    assert snap.tabs["Settings"][5][:2] == ["SLA hours", 4]
    assert snap.tabs["sheetcrm"] == [["next_id", "1"], ["template_version", "1"]]


def test_read_gives_formulas_and_errors_as_text(tracker: Path) -> None:
    wb = openpyxl.load_workbook(tracker)
    ws = wb["Enquiries"]
    ws["A2"] = "=TODAY()-1"
    ws["B2"] = "#N/A"  # openpyxl stores this as an error value, as Excel would
    ws["C2"] = dt.time(9, 30)
    wb.save(tracker)
    grid = ExcelBackend(tracker).read().tabs["Enquiries"]
    assert grid[1] == ["=TODAY()-1", "#N/A", dt.time(9, 30)]


def test_read_keeps_a_number_too_big_for_a_date(tracker: Path, template: Template) -> None:
    backend = ExcelBackend(tracker)
    backend.append([{"Received": 10**10, "Name": "Typo"}])
    grid = ExcelBackend(tracker).read().tabs["Enquiries"]
    assert records(grid) == [{"Received": 10**10, "Name": "Typo"}]
    # ...and a refresh saves it back as the number, not as #VALUE!.
    ExcelBackend(tracker).apply(changes_for(1, expected_ids=[None]))
    with pytest.warns(UserWarning, match="outside the limits for dates"):
        wb = openpyxl.load_workbook(tracker)
    assert wb is not None
    with zipfile.ZipFile(tracker) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert f'<c r="{letter(template, "Received")}2" s="' in sheet
    assert "<v>10000000000</v>" in sheet


@pytest.mark.parametrize("name", ["tracker.xls", "enquiries.csv", "tracker.xlsm"])
def test_read_refuses_other_file_types(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"Name,Contact\n")
    with pytest.raises(NotATracker, match=name.replace(".", r"\.")):
        ExcelBackend(path).read()


def test_read_without_permission(tracker: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(self: Path) -> bytes:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(BackendError, match="not allowed to read .*tracker.xlsx"):
        ExcelBackend(tracker).read()


def test_read_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TrackerNotFound) as info:
        ExcelBackend(tmp_path / "tracker.xlsx").read()
    assert str(info.value).endswith(
        "tracker.xlsx does not exist: create one with "
        f"`sheetcrm init {tmp_path / 'tracker.xlsx'}`")


@pytest.mark.parametrize("damage", ["text", "truncated", "ole", "empty zip"])
def test_read_damaged_files(tracker: Path, damage: str) -> None:
    good = tracker.read_bytes()
    if damage == "text":
        tracker.write_text("Name,Contact\nSarah,0772123456\n")
    elif damage == "truncated":
        tracker.write_bytes(good[: len(good) // 2])
    elif damage == "ole":
        tracker.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 600)
    else:
        with zipfile.ZipFile(tracker, "w") as z:
            z.writestr("hello.txt", "hi")
    before = tracker.read_bytes()
    with pytest.raises(NotATracker, match="tracker.xlsx"):
        ExcelBackend(tracker).read()
    assert tracker.read_bytes() == before


def test_read_workbook_without_enquiries_tab(tmp_path: Path) -> None:
    path = tmp_path / "tracker.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Customers"
    wb.save(path)
    with pytest.raises(NotATracker, match="it has no 'Enquiries' tab"):
        ExcelBackend(path).read()


def test_read_finds_tabs_whatever_their_case(tracker: Path) -> None:
    wb = openpyxl.load_workbook(tracker)
    wb["Enquiries"].title = "enquiries "
    wb.save(tracker)
    assert ExcelBackend(tracker).read().tabs["Enquiries"][0][0] == "Name"


# ---------------------------------------------------------------- nothing lost


@pytest.mark.parametrize(("entries", "words"), [
    ({"xl/vbaProject.bin": b"\0"}, "macros"),
    ({"xl/pivotTables/pivotTable1.xml": b"<x/>",
      "xl/pivotCache/pivotCacheDefinition1.xml": b"<x/>"}, "pivot tables"),
    ({"xl/slicers/slicer1.xml": b"<x/>"}, "slicers"),
    ({"xl/threadedComments/threadedComment1.xml": b"<x/>"}, "threaded comments"),
    ({"xl/ctrlProps/ctrlProp1.xml": b"<x/>"}, "form controls"),
])
def test_read_refuses_parts_openpyxl_would_drop(tracker: Path, entries: dict[str, bytes],
                                                words: str) -> None:
    add_zip_entries(tracker, entries)
    before = tracker.read_bytes()
    with pytest.raises(BackendError, match=words):
        ExcelBackend(tracker).read()
    with pytest.raises(BackendError, match=words):
        ExcelBackend(tracker).apply(changes_for(0))
    assert tracker.read_bytes() == before


def test_read_refuses_shapes_in_a_drawing(tracker: Path) -> None:
    xdr = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
    drawing = (
        f'<xdr:wsDr xmlns:xdr="{xdr}"><xdr:twoCellAnchor><xdr:from/><xdr:to/>'
        '<xdr:sp><xdr:nvSpPr/></xdr:sp><xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>'
    )
    add_zip_entries(tracker, {"xl/drawings/drawing9.xml": drawing.encode()})
    with pytest.raises(BackendError, match="shapes, text boxes or drawings"):
        ExcelBackend(tracker).read()


def test_read_refuses_extensions_openpyxl_removes(tracker: Path) -> None:
    with zipfile.ZipFile(tracker) as z:
        sheet = z.read("xl/worksheets/sheet4.xml").decode()  # Settings
    ext = ('<extLst><ext uri="{05C60535-1F16-4FD2-B633-F4F36F0B64E0}" '
           'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"/></extLst>')
    add_zip_entries(tracker, {
        "xl/worksheets/sheet4.xml": sheet.replace("</worksheet>", ext + "</worksheet>").encode()
    })
    with pytest.raises(BackendError, match="sparklines"):
        ExcelBackend(tracker).read()


def test_pictures_and_charts_the_owner_added_survive_a_refresh(tracker: Path,
                                                               tmp_path: Path) -> None:
    picture = tmp_path / "logo.png"
    Image.new("RGB", (8, 8), (255, 0, 0)).save(picture)
    wb = openpyxl.load_workbook(tracker)
    mine = wb.create_sheet("My figures")
    for i in range(1, 4):
        mine.append([f"week {i}", i * 10])
    chart = BarChart()
    chart.title = "My own chart"
    chart.add_data(Reference(mine, min_col=2, min_row=1, max_row=3))
    mine.add_chart(chart, "D2")
    mine.add_image(XLImage(str(picture)), "D20")
    wb.save(tracker)

    backend = ExcelBackend(tracker)
    backend.read()
    backend.apply(changes_for(0, tabs={"Summary": summary_content()}))

    wb = openpyxl.load_workbook(tracker)
    mine = wb["My figures"]
    assert len(mine._images) == 1
    assert [c.title.tx.rich.p[0].r[0].t for c in mine._charts] == ["My own chart"]
    assert len(wb["Summary"]._charts) == 2


# ---------------------------------------------------------------- apply


def test_apply_writes_only_computed_columns(tracker: Path, template: Template) -> None:
    backend = ExcelBackend(tracker)
    backend.append(enquiries_rows())
    wb = openpyxl.load_workbook(tracker)
    extra = chr(ord("A") + len(template.enquiries.columns))  # just right of the template's
    wb["Enquiries"][f"{extra}1"] = "My column"
    wb["Enquiries"][f"{extra}3"] = "keep me"
    wb["Settings"]["B6"] = 6
    wb.save(tracker)
    before = owner_cells(tracker)

    backend = ExcelBackend(tracker)
    snap = backend.read()
    backend.apply(changes_for(3, expected_ids=[None, "E0007", None]))

    assert owner_cells(tracker) == before
    ws = openpyxl.load_workbook(tracker)["Enquiries"]
    assert [at(ws, "SLA", r).value for r in (2, 3, 4)] == [
        "overdue: Overdue by 0h", "overdue: Overdue by 1h", "overdue: Overdue by 2h"]
    respond = at(ws, "Respond by", 3)
    assert respond.value == dt.datetime(2026, 10, 2, 13, 0)
    assert respond.number_format == "dd/mm/yyyy hh:mm"  # the column's template style
    link = at(ws, "WhatsApp", 4)
    assert link.hyperlink.target == "https://wa.me/256772000002"
    assert link.font.u == "single" and link.font.color.rgb == "FF0563C1"
    assert records(snap.tabs["Enquiries"])[1]["My column"] == "keep me"


def test_apply_finds_columns_the_owner_reordered(tmp_path: Path, template: Template) -> None:
    path = tmp_path / "tracker.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Enquiries"
    # The owner put SLA first, renamed case and spacing, and added a column.
    ws.append(["  sla ", "Name", "Received", "Status", "My column", "ID", "Respond By"])
    ws.append([None, "Sarah", dt.datetime(2026, 10, 1, 9), "pending", "mine", "E0001", None])
    ws.append([None, "Okello", dt.datetime(2026, 10, 2, 9), "pending", "mine too", None, None])
    # Excel stores equal neighbouring columns as one record: G to L share a width here.
    ws.column_dimensions["G"] = ColumnDimension(ws, index="G", min=7, max=12, width=20)
    wb.save(path)

    backend = ExcelBackend(path)
    backend.read()
    backend.apply(changes_for(2, expected_ids=["E0001", None], id_fills={3: "E0002"}))

    ws = openpyxl.load_workbook(path)["Enquiries"]
    assert [c.value for c in ws[2]][:7] == [
        "overdue: Overdue by 0h", "Sarah", dt.datetime(2026, 10, 1, 9), "pending", "mine",
        "E0001", dt.datetime(2026, 10, 1, 13)]
    assert ws["F3"].value == "E0002"
    assert ws["E3"].value == "mine too"
    # WhatsApp and Problems were missing: added after the last used column, with header style.
    assert ws["H1"].value == "WhatsApp" and ws["I1"].value == "Problems"
    assert ws["H1"].font.b
    assert ws["H2"].hyperlink.target == "https://wa.me/256772000000"
    # Both landed inside the G:L record: no overlapping record was added (Excel would
    # call the file damaged) and the owner's width stays.
    with zipfile.ZipFile(path) as z:
        cols = re.findall(r'<col [^>]*min="(\d+)" max="(\d+)"',
                          z.read("xl/worksheets/sheet1.xml").decode())
    spans = sorted((int(a), int(b)) for a, b in cols)
    assert all(b1 < a2 for (_, b1), (a2, _) in zip(spans, spans[1:], strict=False))
    assert (7, 12) in spans
    assert ws.column_dimensions["G"].width == 20


def test_apply_adds_a_missing_computed_column_with_its_template_look(
        tracker: Path, template: Template) -> None:
    wb = openpyxl.load_workbook(tracker)
    ws = wb["Enquiries"]
    ws.delete_cols(column_of(ws, "Problems"))  # the owner deleted the whole column
    wb.save(tracker)
    backend = ExcelBackend(tracker)
    backend.read()
    backend.apply(changes_for(1, expected_ids=[None],
                              computed={"Problems": [Cell("Received: not a date")]}))
    ws = openpyxl.load_workbook(tracker)["Enquiries"]
    col = len(template.enquiries.columns)  # after the last used column, where it was
    header = ws.cell(1, col)
    assert header.value == "Problems" and header.font.b
    assert header.comment.text == template.column("problems").note
    assert ws.column_dimensions[chr(ord("A") + col - 1)].width == template.column(
        "problems").width
    assert ws.cell(2, col).value == "Received: not a date"


def test_apply_fills_only_blank_ids(tracker: Path) -> None:
    backend = ExcelBackend(tracker)
    backend.append(enquiries_rows())
    wb = openpyxl.load_workbook(tracker)
    at(wb["Enquiries"], "ID", 4).value = "   "
    wb.save(tracker)
    backend = ExcelBackend(tracker)
    backend.read()
    backend.apply(changes_for(3, expected_ids=[None, "E0007", "   "],
                              id_fills={2: "E0008", 3: "E0009", 4: "E0010"}))
    ws = openpyxl.load_workbook(tracker)["Enquiries"]
    assert [at(ws, "ID", r).value for r in (2, 3, 4)] == ["E0008", "E0007", "E0010"]


def test_apply_clears_computed_cells_below_the_new_list(tracker: Path) -> None:
    backend = ExcelBackend(tracker)
    backend.append(enquiries_rows())
    backend.read()
    backend.apply(changes_for(3, expected_ids=[None, "E0007", None]))
    wb = openpyxl.load_workbook(tracker)
    at(wb["Enquiries"], "Received", 4).value = None  # the owner emptied the last row
    at(wb["Enquiries"], "Name", 4).value = None
    wb.save(tracker)
    backend.read()
    backend.apply(changes_for(2, expected_ids=[None, "E0007"]))
    ws = openpyxl.load_workbook(tracker)["Enquiries"]
    assert at(ws, "SLA", 3).value == "overdue: Overdue by 1h"
    whatsapp = at(ws, "WhatsApp", 4)
    assert (at(ws, "Respond by", 4).value, at(ws, "SLA", 4).value, whatsapp.value,
            whatsapp.hyperlink) == (None, None, None, None)
    assert at(ws, "Status", 4).value == "lost"  # an owner cell on the emptied row stays


def test_apply_refuses_when_ids_moved(tracker: Path) -> None:
    ExcelBackend(tracker).append(enquiries_rows())
    before = tracker.read_bytes()
    with pytest.raises(ConcurrentEdit):
        ExcelBackend(tracker).apply(changes_for(3, expected_ids=[None, "E0001", None]))
    assert tracker.read_bytes() == before


def test_apply_refuses_when_the_file_changed_since_read(tracker: Path) -> None:
    backend = ExcelBackend(tracker)
    backend.read()
    wb = openpyxl.load_workbook(tracker)
    wb["Enquiries"]["A2"] = "typed meanwhile"  # Name
    wb.save(tracker)
    before = tracker.read_bytes()
    with pytest.raises(ConcurrentEdit, match="changed on disk"):
        backend.apply(changes_for(0))
    assert tracker.read_bytes() == before
    backend.read()
    backend.apply(changes_for(1, expected_ids=[None]))
    assert openpyxl.load_workbook(tracker)["Enquiries"]["A2"].value == "typed meanwhile"


def test_apply_replaces_owned_tabs_whole(tracker: Path) -> None:
    wb = openpyxl.load_workbook(tracker)
    old = wb["Summary"]
    old["Z99"] = "stale"
    old.merge_cells("A30:C30")
    wb.remove(wb["Today"])
    wb.save(tracker)

    new_summary = summary_content(title="Summary for October", months=3)
    today = TabContent(rows=[[Cell("Overdue", "alert")], [Cell("Sarah N.")]], widths={1: 30})
    backend = ExcelBackend(tracker)
    backend.read()
    backend.apply(changes_for(0, tabs={"Summary": new_summary, "Today": today}))

    wb = openpyxl.load_workbook(tracker)
    summary = wb["Summary"]
    assert summary["A1"].value == "Summary for October"
    assert summary["Z99"].value is None
    assert not summary.merged_cells.ranges
    assert summary["A10"].value == "2026-08"
    assert [c.title.tx.rich.p[0].r[0].t for c in summary._charts] == [
        "Enquiries by channel", "Conversion rate"]
    # Today was recreated where the template puts it: after Enquiries.
    assert wb.sheetnames[:3] == ["Enquiries", "Today", "Summary"]
    assert wb["Today"]["A1"].fill.fgColor.rgb == "FFF4C7C3"
    assert wb["Today"].column_dimensions["A"].width == 30
    assert wb["About"]["A1"].value == "About this tracker"  # not in changes: untouched


def test_apply_writes_meta_and_recreates_the_hidden_tab(tracker: Path) -> None:
    backend = ExcelBackend(tracker)
    backend.read()
    backend.apply(changes_for(0, meta={"next_id": "8", "last_refresh": "2026-11-02T10:00"}))
    ws = openpyxl.load_workbook(tracker)["sheetcrm"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["next_id", "8"], ["template_version", "1"], ["last_refresh", "2026-11-02T10:00"]]

    wb = openpyxl.load_workbook(tracker)
    wb.remove(wb["sheetcrm"])
    wb.save(tracker)
    backend.read()
    backend.apply(changes_for(0, meta={"next_id": "9"}))
    ws = openpyxl.load_workbook(tracker)["sheetcrm"]
    assert ws.sheet_state == "hidden" and ws["A1"].value == "next_id" and ws["B1"].value == "9"


def test_apply_twice_gives_the_same_file(tracker: Path) -> None:
    backend = ExcelBackend(tracker)
    backend.append(enquiries_rows())
    changes = changes_for(3, expected_ids=[None, "E0007", None], id_fills={2: "E0008"},
                          tabs={"Summary": summary_content()}, meta={"next_id": "9"})
    backend.read()
    backend.apply(changes)
    first = entries_except_timestamps(tracker)
    # The second refresh reads the ID it filled; the fill itself is skipped (not blank).
    changes.expected_ids = ["E0008", "E0007", None]
    backend.read()
    backend.apply(changes)
    assert entries_except_timestamps(tracker) == first


# ---------------------------------------------------------------- injection


INJECTIONS = ["=1+1", "+256772123456", "-5", "@SUM(A1)", "=HYPERLINK(\"http://x\")", "#N/A"]


def test_text_that_looks_like_a_formula_stays_text(tracker: Path) -> None:
    backend = ExcelBackend(tracker)
    rows = backend.append([{"Name": text, "Notes": text} for text in INJECTIONS])
    backend.read()
    n = len(INJECTIONS)
    backend.apply(changes_for(0, computed={"SLA": [Cell(t) for t in INJECTIONS]},
                              expected_ids=[None] * n,
                              tabs={"Today": TabContent(rows=[[Cell(t)] for t in INJECTIONS])}))
    wb = openpyxl.load_workbook(tracker)
    enquiries, today = wb["Enquiries"], wb["Today"]
    for i, text in enumerate(INJECTIONS):
        for cell in (at(enquiries, "Name", rows[i]), at(enquiries, "Notes", rows[i]),
                     at(enquiries, "SLA", rows[i]), today.cell(i + 1, 1)):
            assert (cell.value, cell.data_type) == (text, "s"), cell.coordinate
    assert records(ExcelBackend(tracker).read().tabs["Enquiries"])[0]["Name"] == "=1+1"


def test_only_formula_objects_become_formulas(tracker: Path) -> None:
    backend = ExcelBackend(tracker)
    backend.read()
    backend.apply(changes_for(0, tabs={"Today": TabContent(rows=[[
        Cell(Formula("=COUNTA(Enquiries!B:B)-1")), Cell("=COUNTA(Enquiries!B:B)-1")]])}))
    ws = openpyxl.load_workbook(tracker)["Today"]
    assert (ws["A1"].data_type, ws["B1"].data_type) == ("f", "s")


# ---------------------------------------------------------------- locks and saving


@pytest.mark.parametrize("lock_name", ["~$tracker.xlsx", ".~lock.tracker.xlsx#"])
def test_owner_lock_files_stop_everything(tracker: Path, lock_name: str) -> None:
    backend = ExcelBackend(tracker)
    backend.read()
    (tracker.parent / lock_name).write_text("owner")
    before = tracker.read_bytes()
    with pytest.raises(TrackerBusy, match=lock_name.replace("$", r"\$").replace(".", r"\.")):
        backend.read()
    with pytest.raises(TrackerBusy):
        backend.apply(changes_for(0))
    with pytest.raises(TrackerBusy):
        backend.append([{"Name": "x"}])
    assert tracker.read_bytes() == before
    assert not (tracker.parent / BACKUP_DIR).exists()


def test_another_sheetcrm_holding_the_lock_makes_us_busy(tracker: Path) -> None:
    other = filelock.FileLock(str(tracker.parent / ".tracker.xlsx.sheetcrm.lock"))
    before = tracker.read_bytes()
    with other:
        backend = ExcelBackend(tracker, lock_timeout=0.05)
        with pytest.raises(TrackerBusy, match="Another sheetcrm command"):
            backend.apply(changes_for(0))
        with pytest.raises(TrackerBusy):
            with backend.lock():
                pass
    assert tracker.read_bytes() == before


def test_no_lock_file_is_left_beside_the_tracker(tracker: Path) -> None:
    backend = ExcelBackend(tracker)
    with backend.lock():
        with backend.lock():  # re-entrant: the inner release keeps it
            backend.read()
        assert (tracker.parent / ".tracker.xlsx.sheetcrm.lock").exists()
        backend.apply(changes_for(0, meta={"next_id": "2"}))
    assert sorted(p.name for p in tracker.parent.iterdir()) == ["sheetcrm-backups",
                                                                "tracker.xlsx"]


def test_a_waiter_locks_the_new_file_after_the_holder_removed_the_old_one(
        tracker: Path) -> None:
    # A holds the lock; B waits on the same file; A lets go (removing the file); B must then
    # hold the lock on the file now at the path, so that C, arriving last, is told it is busy.
    import threading

    a, b = ExcelBackend(tracker), ExcelBackend(tracker, lock_timeout=5)
    c = ExcelBackend(tracker, lock_timeout=0.2)
    b_has_it, b_may_go = threading.Event(), threading.Event()

    def waiter() -> None:
        with b.lock():
            b_has_it.set()
            b_may_go.wait(5)

    with a.lock():
        thread = threading.Thread(target=waiter)
        thread.start()
        assert not b_has_it.wait(0.3)  # B waits while A holds it
    assert b_has_it.wait(5)
    with pytest.raises(TrackerBusy, match="Another sheetcrm command"):
        with c.lock():
            pass
    b_may_go.set()
    thread.join(5)
    with c.lock():  # free again once B is done
        pass
    assert not (tracker.parent / ".tracker.xlsx.sheetcrm.lock").exists()


def test_read_saved_reads_a_tracker_open_elsewhere_and_says_so(tracker: Path) -> None:
    backend = ExcelBackend(tracker)
    assert backend.read_saved().tabs["sheetcrm"][0] == ["next_id", "1"]
    assert backend.notice is None
    (tracker.parent / "~$tracker.xlsx").write_text("owner")
    assert backend.read_saved().tabs["sheetcrm"][0] == ["next_id", "1"]
    assert backend.notice is not None and "last saved copy" in backend.notice
    with pytest.raises(TrackerBusy):
        backend.read()  # a read that may lead to a write still refuses


def test_the_engine_can_hold_the_lock_across_read_and_apply(tracker: Path) -> None:
    backend = ExcelBackend(tracker)
    with backend.lock():
        snap = backend.read()
        backend.apply(changes_for(0, meta={"next_id": "2"}))
    assert snap.tabs["sheetcrm"][0] == ["next_id", "1"]
    assert ExcelBackend(tracker).read().tabs["sheetcrm"][0] == ["next_id", "2"]


def no_temp_files(directory: Path) -> bool:
    return not [p for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_a_full_disk_leaves_the_tracker_as_it_was(tracker: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    backend = ExcelBackend(tracker)
    backend.read()
    before = tracker.read_bytes()

    def full_disk(self: Any, filename: Any) -> None:
        filename.write(b"PK partial")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(openpyxl.Workbook, "save", full_disk)
    with pytest.raises(WriteFailed, match="No space left on device"):
        backend.apply(changes_for(0, meta={"next_id": "5"}))
    assert tracker.read_bytes() == before
    assert no_temp_files(tracker.parent)
    monkeypatch.undo()
    # The failed apply does not leave a half-changed workbook behind for the next one.
    backend.read()
    backend.apply(changes_for(0))
    assert ExcelBackend(tracker).read().tabs["sheetcrm"][0] == ["next_id", "1"]


def test_a_failing_replace_leaves_the_tracker_as_it_was(tracker: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    backend = ExcelBackend(tracker)
    backend.read()
    before = tracker.read_bytes()

    def refuse(src: Any, dst: Any) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(WriteFailed, match="tracker.xlsx"):
        backend.apply(changes_for(0))
    assert tracker.read_bytes() == before
    assert no_temp_files(tracker.parent)


def test_saving_keeps_the_previous_file_and_rotates_five_backups(tracker: Path) -> None:
    backend = ExcelBackend(tracker)
    previous = b""
    for n in range(7):
        backend.read()
        previous = tracker.read_bytes()
        backend.apply(changes_for(0, meta={"next_id": str(n)}))
    backups = sorted((tracker.parent / BACKUP_DIR).iterdir())
    assert len(backups) == 5
    assert all(b.name.startswith("tracker-") and b.suffix == ".xlsx" for b in backups)
    assert backups[-1].read_bytes() == previous
    other = tracker.parent / BACKUP_DIR / "notes.txt"
    other.write_text("the owner's")
    backend.read()
    backend.apply(changes_for(0))
    assert other.exists()


@pytest.mark.parametrize("step", ["fsync", "copy2", "replace"])
def test_an_interrupted_save_leaves_the_tracker_whole(tracker: Path, step: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    backend = ExcelBackend(tracker)
    backend.read()
    before = tracker.read_bytes()

    def killed(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    target = {"fsync": os, "copy2": shutil, "replace": os}[step]
    monkeypatch.setattr(target, step, killed)
    with pytest.raises(KeyboardInterrupt):
        backend.apply(changes_for(0, meta={"next_id": "5"}))
    monkeypatch.undo()
    assert tracker.read_bytes() == before
    assert no_temp_files(tracker.parent)
    assert ExcelBackend(tracker).read().tabs["sheetcrm"][0] == ["next_id", "1"]


def test_a_temp_file_left_by_a_killed_save_is_cleaned_up(tracker: Path) -> None:
    leftover = tracker.parent / ".tracker.xlsx.k1ll3d.tmp"
    leftover.write_bytes(b"PK half a workbook")
    owners = tracker.parent / "notes.tmp"
    owners.write_text("not ours")
    backend = ExcelBackend(tracker)
    backend.read()
    backend.apply(changes_for(0))
    assert not leftover.exists()
    assert owners.exists()


def test_saving_keeps_the_file_permissions(tracker: Path) -> None:
    tracker.chmod(0o640)
    backend = ExcelBackend(tracker)
    backend.read()
    backend.apply(changes_for(0))
    assert tracker.stat().st_mode & 0o777 == 0o640


# ---------------------------------------------------------------- append


def test_append_writes_below_the_last_owner_value_with_column_formats(tracker: Path) -> None:
    backend = ExcelBackend(tracker)
    assert backend.append(enquiries_rows()[:2]) == [2, 3]
    wb = openpyxl.load_workbook(tracker)
    ws = wb["Enquiries"]
    at(ws, "SLA", 9).value = "old computed text"  # computed columns do not count
    at(ws, "Name", 40).number_format = "@"  # nor do formatted empty cells
    wb.save(tracker)
    rows = ExcelBackend(tracker).append([{" name ": "Grace", "contact": "0772555666",
                                          "Received": dt.datetime(2026, 10, 5, 9)}])
    assert rows == [4]
    ws = openpyxl.load_workbook(tracker)["Enquiries"]
    assert at(ws, "Name", 4).value == "Grace"
    contact = at(ws, "Contact", 4)
    assert (contact.value, contact.number_format) == ("0772555666", "@")
    assert at(ws, "Received", 4).number_format == "dd/mm/yyyy hh:mm"
    assert at(ws, "Value", 3).number_format == "#,##0"


def test_append_grows_an_excel_table_that_ends_on_the_last_enquiry(tracker: Path) -> None:
    ExcelBackend(tracker).append(enquiries_rows()[:2])
    wb = openpyxl.load_workbook(tracker)
    wb["Enquiries"].add_table(Table(displayName="Enquiries_table", ref="A1:O3"))
    wb.save(tracker)
    assert ExcelBackend(tracker).append([{"Name": "Grace"}, {"Name": "Juma"}]) == [4, 5]
    table = openpyxl.load_workbook(tracker)["Enquiries"].tables["Enquiries_table"]
    assert table.ref == "A1:O5"


def test_append_stores_aware_times_as_their_wall_time(tracker: Path) -> None:
    kampala = dt.timezone(dt.timedelta(hours=3))
    ExcelBackend(tracker).append([{"Received": dt.datetime(2026, 10, 5, 9, 40,
                                                           tzinfo=kampala)}])
    assert openpyxl.load_workbook(tracker)["Enquiries"]["D2"].value == dt.datetime(  # Received
        2026, 10, 5, 9, 40)


@pytest.mark.parametrize(("bad_row", "message"), [
    ({"Name": "Okello", "Colour": "red"}, "no 'Colour' column"),
    ({"Name": "Okello\x07"}, "Enquiry 3, Name: the text has control characters"),
    ({"Value": float("nan")}, "Enquiry 3, Value"),
    ({"Value": 1.7976931348623157e308}, "not a number a spreadsheet can hold"),
    ({"Notes": "x" * 40000}, "longer than"),
    ({"Name": "  ", "Notes": None}, "Enquiry 3 has no values"),
])
def test_append_is_all_or_nothing(tracker: Path, bad_row: dict[str, Any], message: str) -> None:
    before = tracker.read_bytes()
    with pytest.raises(InputError, match=message):
        ExcelBackend(tracker).append([{"Name": "Sarah"}, bad_row])
    assert tracker.read_bytes() == before


def test_append_nothing_writes_nothing(tracker: Path) -> None:
    before = tracker.read_bytes()
    assert ExcelBackend(tracker).append([]) == []
    assert tracker.read_bytes() == before


# ---------------------------------------------------------------- LibreOffice


@pytest.mark.libreoffice
def test_a_tracker_saved_by_libreoffice_is_read_and_refreshed(tracker: Path, tmp_path: Path,
                                                              libreoffice: str) -> None:
    from tests.helpers.libreoffice import convert

    ExcelBackend(tracker).append(enquiries_rows())
    [copy] = convert(tracker, "xlsx", tmp_path / "saved-by-lo", soffice=libreoffice)
    backend = ExcelBackend(copy)
    snap = backend.read()  # nothing LibreOffice writes is refused as "would be lost"
    grid = snap.tabs["Enquiries"]
    assert [grid[1][grid[0].index(h)] for h in ("Received", "Name", "Contact", "Source",
                                                "Status")] == [
        dt.datetime(2026, 10, 1, 9, 0), "Sarah N.", "0772123456", "WhatsApp", "pending"]
    backend.apply(changes_for(3, expected_ids=[None, "E0007", None],
                              tabs={"Summary": summary_content()}))
    wb = openpyxl.load_workbook(copy)
    ws = wb["Enquiries"]
    assert at(ws, "SLA", 4).value == "overdue: Overdue by 2h"
    assert dimension(ws, column_of(ws, "Contact")).number_format == "@"
    assert len(wb["Summary"]._charts) == 2


# ---------------------------------------------------------------- any value


_excel_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
    max_size=40,
).filter(lambda s: not ILLEGAL_CHARACTERS_RE.search(s) and not CONTROL_CHARACTERS.search(s))
_any_value = st.one_of(
    st.none(),
    _excel_text,
    st.sampled_from(INJECTIONS + ["#REF!", "0772123456", " padded ", "Ñandú 🦜 ካሳ"]),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(min_value=-9.99999999999999e307, max_value=9.99999999999999e307),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 12, 31))
    .map(lambda d: d.replace(microsecond=0)),
)


@functools.cache
def _new_tracker_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tracker.xlsx"
        template = load_template()
        ExcelBackend(path).create(template, contents(template))
        return path.read_bytes()


def _not_empty(row: dict[str, Any]) -> bool:
    return any(v is not None and not (isinstance(v, str) and not v.strip())
               for v in row.values())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.fixed_dictionaries({"Name": _any_value, "Notes": _any_value,
                                       "Value": _any_value}).filter(_not_empty),
                min_size=1, max_size=3))
def test_appended_values_read_back_unchanged(rows: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tracker.xlsx"
        path.write_bytes(_new_tracker_bytes())
        numbers = ExcelBackend(path).append(rows)
        grid = ExcelBackend(path).read().tabs["Enquiries"]
        assert numbers == list(range(2, len(rows) + 2))
        for got_row, row in zip(records(grid), rows, strict=True):
            got = {h: got_row.get(h) for h in row}
            # Excel keeps 15-16 significant digits of a number, as openpyxl writes them.
            want = {h: (None if v == "" else pytest.approx(v, rel=1e-15)
                        if isinstance(v, float) else v) for h, v in row.items()}
            assert got == want


# ---------------------------------------------------------------- growing the formatted range


def formatted_ends(path: Path) -> set[int]:
    """The last row of every dropdown and conditional format range on Enquiries."""
    ws = openpyxl.load_workbook(path)["Enquiries"]
    ends = {r.max_row for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges}
    ends |= {r.max_row for cf in ws.conditional_formatting for r in cf.sqref.ranges}
    return ends


def test_dropdowns_and_colours_grow_with_the_tracker(tmp_path: Path, template: Template) -> None:
    import dataclasses

    small = dataclasses.replace(template, rows=10)  # as if 5,000 were 10
    path = tmp_path / "tracker.xlsx"
    backend = ExcelBackend(path, template=small)
    backend.create(small, contents(small))
    assert formatted_ends(path) == {10}
    backend.append([{"Name": f"N{i}", "Source": "WhatsApp"} for i in range(12)])
    # Last enquiry on row 13; at least 10 // 5 = 2 rows of room wanted (row 15), so the
    # range grows a whole step of 10, to row 20.
    assert formatted_ends(path) == {20}
    backend.append([{"Name": "One more", "Source": "WhatsApp"}])
    assert formatted_ends(path) == {20}  # row 14 + 2 still fits
    ws = openpyxl.load_workbook(path)["Enquiries"]
    sources = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert any(str(dv.sqref) == f"{letter(small, 'Source')}2:{letter(small, 'Source')}20"
               for dv in sources)


def test_an_owner_range_elsewhere_is_left_alone(tmp_path: Path, template: Template) -> None:
    import dataclasses

    from openpyxl.worksheet.datavalidation import DataValidation

    small = dataclasses.replace(template, rows=10)
    path = tmp_path / "tracker.xlsx"
    ExcelBackend(path, template=small).create(small, contents(small))
    wb = openpyxl.load_workbook(path)
    owner = DataValidation(type="whole", operator="between", formula1="0", formula2="9")
    owner.add("Q3:Q7")
    wb["Enquiries"].add_data_validation(owner)
    wb.save(path)
    ExcelBackend(path, template=small).append(
        [{"Name": f"N{i}", "Source": "WhatsApp"} for i in range(12)])
    ws = openpyxl.load_workbook(path)["Enquiries"]
    assert "Q3:Q7" in {str(dv.sqref) for dv in ws.data_validations.dataValidation}
