"""The fast write is kept only while its file reads exactly as the openpyxl path's file.

Each test makes one tracker, copies it, runs the same command on both copies,
one with the fast path (the default) and one with it turned off, and compares
what openpyxl (and, in the LibreOffice test, headless LibreOffice) reads from
the two results: every cell's value, number format, font, fill, alignment and
link on every tab, the dropdowns, conditional formats, charts, frozen panes,
column widths, tab order and visibility.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import textwrap
import zipfile
from copy import copy
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.worksheet.table import Table

from sheetcrm import tracker
from sheetcrm.backends.excel import ExcelBackend
from tests.helpers.cli import run
from tests.helpers.trackers import cli_tracker
from tests.helpers.xlsx import excel_style

NOW = dt.datetime(2026, 11, 23, 11, 0)
PEOPLE = (("Ann", "05/10/2026 09:00", "WhatsApp", "0772 123456"),
          ("Ben", "06/10/2026 09:00", "Facebook", "+256 701 234567"),
          ("Cat", "03/11/2026 09:00", "Walk-in", ""))


def small(folder: Path) -> Path:
    """Three enquiries added through the CLI, refreshed once by the openpyxl path."""
    path = cli_tracker(folder, *(("--name", n, "--received", r, "--source", s, "--contact", c)
                                 for n, r, s, c in PEOPLE))
    backend = ExcelBackend(path)
    backend.fast_write = False
    tracker.refresh(backend, now=NOW)
    return path


def cell_view(cell: Any) -> tuple[Any, ...]:
    """What a reader sees of one cell."""
    link = cell.hyperlink.target or cell.hyperlink.location if cell.hyperlink else None
    return (cell.value, cell.number_format, copy(cell.font), copy(cell.fill),
            copy(cell.alignment), link)


def workbook_view(path: Path) -> dict[str, Any]:
    """Everything the comparison covers, as openpyxl reads it."""
    wb = openpyxl.load_workbook(path)
    out: dict[str, Any] = {"tabs": [(ws.title, ws.sheet_state) for ws in wb.worksheets],
                           "names": sorted(wb.defined_names)}
    blank = cell_view(openpyxl.Workbook().active["A1"])
    for ws in wb.worksheets:
        cells = {(c.row, c.column): cell_view(c) for c in ws._cells.values()}
        out[ws.title] = {
            "cells": {k: v for k, v in cells.items() if v != blank},
            "validations": [(str(d.sqref), d.type, d.formula1, d.formula2)
                            for d in ws.data_validations.dataValidation],
            "formats": [(str(cf.sqref), [(r.type, r.formula, r.priority) for r in cf.rules])
                        for cf in ws.conditional_formatting],
            "charts": [(type(c).__name__, c.anchor._from.col, c.anchor._from.row)
                       for c in ws._charts],
            "freeze": ws.freeze_panes,
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
            "heights": {r: d.height for r, d in ws.row_dimensions.items() if d.height},
            "notes": {c.coordinate: c.comment.text for c in ws._cells.values() if c.comment},
        }
    return out


def both(source: Path, tmp_path: Path, command: Any) -> tuple[Path, Path, ExcelBackend]:
    """``command(backend)`` on a copy by each path; returns (fast file, openpyxl file, fast)."""
    fast, slow = tmp_path / "fast" / source.name, tmp_path / "slow" / source.name
    for target in (fast, slow):
        target.parent.mkdir(exist_ok=True)
        shutil.copy(source, target)
    fast_backend, slow_backend = ExcelBackend(fast), ExcelBackend(slow)
    slow_backend.fast_write = False
    command(fast_backend)
    command(slow_backend)
    assert slow_backend.last_write_path == "openpyxl"
    return fast, slow, fast_backend


def refresh(backend: ExcelBackend) -> None:
    """A later refresh."""
    tracker.refresh(backend, now=NOW)


def assert_same(fast: Path, slow: Path) -> None:
    """openpyxl reads both files alike."""
    a, b = workbook_view(fast), workbook_view(slow)
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == b[key], key


# ---------------------------------------------------------------- the trackers of the suite


def test_a_later_refresh(tmp_path: Path) -> None:
    fast, slow, backend = both(small(tmp_path), tmp_path, refresh)
    assert backend.last_write_path == "fast"
    assert_same(fast, slow)
    ws = openpyxl.load_workbook(fast)["Enquiries"]
    col = [c.value for c in ws[1]].index("WhatsApp") + 1
    # Ann's WhatsApp link is built from 0772 123456 in Uganda: +256 772 123456.
    assert ws.cell(2, col).hyperlink.target.startswith("https://wa.me/256772123456?text=")


def test_the_demo(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    assert run("demo", str(path), "--now", "2026-11-02T10:00").exit_code == 0
    fast, slow, backend = both(path, tmp_path, refresh)
    assert backend.last_write_path == "fast"
    assert_same(fast, slow)


def test_add_and_import_append_rows_alike(tmp_path: Path) -> None:
    def add(backend: ExcelBackend) -> None:
        tracker.add_enquiry(backend, {"name": "Dora", "contact": "0772 999888",
                                      "source": "Instagram",
                                      "received": "20/11/2026 10:00"}, now=NOW)
        tracker.refresh(backend, now=NOW)

    fast, slow, backend = both(small(tmp_path), tmp_path, add)
    assert backend.last_write_path == "fast"
    assert_same(fast, slow)
    ws = openpyxl.load_workbook(fast)["Enquiries"]
    assert ws.cell(5, [c.value for c in ws[1]].index("Name") + 1).value == "Dora"


def test_an_added_enquiry_with_a_long_note_gets_the_same_row_height(tmp_path: Path) -> None:
    note = "Wants a quote for forty school uniforms in three sizes, delivered before term " * 3

    def add(backend: ExcelBackend) -> None:
        tracker.add_enquiry(backend, {"name": "Esther", "contact": "0772 999777",
                                      "source": "Walk-in", "received": "20/11/2026 10:00",
                                      "notes": note}, now=NOW)

    fast, slow, backend = both(small(tmp_path), tmp_path, add)
    assert backend.last_write_path == "fast"
    assert_same(fast, slow)
    ws = openpyxl.load_workbook(fast)["Enquiries"]
    width = ws.column_dimensions[openpyxl.utils.get_column_letter(
        [c.value for c in ws[1]].index("Notes") + 1)].width
    # At one character per unit of column width less one, the note wraps onto several
    # lines of 15 points each (broken between words, as Excel breaks them).
    lines = len(textwrap.wrap(note, int(width) - 1))
    assert lines > 1
    assert ws.row_dimensions[5].height == lines * 15


def test_owner_reordered_and_added_columns_and_tabs(tmp_path: Path) -> None:
    path = small(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Enquiries"]
    ws.move_range("L1:L4", cols=6)   # SLA moved to column R
    ws.move_range("I1:I4", cols=10)  # Notes moved to column S
    ws["T1"], ws["T2"], ws["T3"] = "Stylist", "Mary", "Joan"
    ws["T2"].hyperlink = "https://example.com/mary"
    wb.create_sheet("Stylists", 1)["A1"] = "Mary"
    wb.save(path)
    fast, slow, backend = both(path, tmp_path, refresh)
    assert backend.last_write_path == "fast"
    assert_same(fast, slow)
    ws = openpyxl.load_workbook(fast)["Enquiries"]
    assert ws["T2"].hyperlink.target == "https://example.com/mary"  # the owner's link stays


def test_messy_owner_values_and_stale_computed_cells(tmp_path: Path) -> None:
    path = small(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Enquiries"]
    ws["A5"], ws["B5"], ws["C5"], ws["H5"] = "5/10/26 9am", "  Dora  ", 772123456, 45000.5
    ws["I5"] = "line one\nline two & <more>"
    ws["A6"], ws["B6"], ws["F6"] = dt.date(2026, 10, 7), "Eve", dt.time(9, 30)
    headers = [c.value for c in ws[1]]
    sla = headers.index("SLA") + 1
    link = headers.index("WhatsApp") + 1
    ws.cell(9, sla).value = "left over"  # a computed cell below the last enquiry is cleared
    ws.cell(9, link).hyperlink = "https://wa.me/256700000000"
    wb.save(path)
    fast, slow, backend = both(path, tmp_path, refresh)
    assert backend.last_write_path == "fast"
    assert_same(fast, slow)
    ws = openpyxl.load_workbook(fast)["Enquiries"]
    assert ws.cell(9, sla).value is None and ws.cell(9, link).hyperlink is None


_owner_values = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20),
    st.integers(-(10**9), 10**9),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2027, 1, 1)).map(
        lambda d: d.replace(microsecond=0)),
    st.none(),
)


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(_owner_values, min_size=1, max_size=10))
def test_hypothesis_trackers(tmp_path: Path, values: list[Any]) -> None:
    import tempfile

    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    path = folder / "tracker.xlsx"
    path.write_bytes(_small_bytes())
    wb = openpyxl.load_workbook(path)
    columns = (2, 3, 8, 9)  # Name, Contact, Value, Notes: no date format to overflow
    for i, value in enumerate(values):
        wb["Enquiries"].cell(row=2 + i // 4, column=columns[i % 4], value=value)
    wb.save(path)
    fast, slow, _ = both(path, folder, refresh)
    assert_same(fast, slow)


_SMALL: list[bytes] = []


def _small_bytes() -> bytes:
    import tempfile

    if not _SMALL:
        folder = Path(tempfile.mkdtemp())
        _SMALL.append(small(folder).read_bytes())
        shutil.rmtree(folder)
    return _SMALL[0]


# ---------------------------------------------------------------- what falls back


def test_a_table_over_the_enquiries_falls_back_to_openpyxl(tmp_path: Path) -> None:
    path = small(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["Enquiries"].add_table(Table(displayName="Enquiries", ref="A1:O4"))
    wb.save(path)
    fast, slow, backend = both(path, tmp_path, refresh)
    assert backend.last_write_path == "openpyxl"
    assert_same(fast, slow)


def test_merged_cells_fall_back_to_openpyxl(tmp_path: Path) -> None:
    path = small(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["Enquiries"].merge_cells("Z2:AA2")  # beyond every column sheetcrm writes
    wb.save(path)
    _, _, backend = both(path, tmp_path, refresh)
    assert backend.last_write_path == "openpyxl"


def test_a_formula_in_an_owner_cell_falls_back_to_openpyxl(tmp_path: Path) -> None:
    path = small(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["Enquiries"]["H2"] = "=1000*2"
    wb.save(path)
    fast, slow, backend = both(path, tmp_path, refresh)
    assert backend.last_write_path == "openpyxl"
    assert_same(fast, slow)


def test_the_json_output_says_which_path_wrote(tmp_path: Path) -> None:
    path = small(tmp_path)
    result = run("refresh", str(path), "--now", "2026-11-23T11:00", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["excel_path"] == "fast"


# ---------------------------------------------------------------- files from other programs


def test_an_excel_style_tracker_reads_the_same_from_both_paths(tmp_path: Path) -> None:
    path = small(tmp_path)
    excel_style(path)  # shared strings, row spans and Excel's own row attributes
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b't="s"' in sheet and b"x14ac:dyDescent" in sheet and b't="inlineStr"><is>' \
        not in sheet
    fast, slow, backend = both(path, tmp_path, refresh)
    assert backend.last_write_path == "fast"
    assert_same(fast, slow)
    with zipfile.ZipFile(fast) as archive:
        kept = archive.read("xl/worksheets/sheet1.xml")
    assert b"x14ac:dyDescent" in kept  # the rows the fast path kept are Excel's own bytes


@pytest.mark.libreoffice
def test_libreoffice_reads_both_alike_and_a_libreoffice_saved_tracker_too(
        tmp_path: Path, libreoffice: str) -> None:
    from tests.helpers.libreoffice import export_tabs, roundtrip

    (tmp_path / "made").mkdir()
    source = small(tmp_path / "made")
    (tmp_path / "saved").mkdir()
    saved = roundtrip(source, tmp_path / "saved", soffice=libreoffice)  # shared strings, LO XML
    for name, origin in (("ours", source), ("lo", saved)):
        folder = tmp_path / name
        folder.mkdir()
        fast, slow, backend = both(origin, folder, refresh)
        assert backend.last_write_path == "fast"
        assert_same(fast, slow)
        (folder / "csv-fast").mkdir()
        (folder / "csv-slow").mkdir()
        assert export_tabs(fast, folder / "csv-fast", soffice=libreoffice) == \
            export_tabs(slow, folder / "csv-slow", soffice=libreoffice)


# ------------------------------------------------------------------ one cell, written directly

_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
    st.sampled_from(["", "  padded  ", " ", "=1+1", "#N/A", "a\u0007b", "<&>\"'", "x" * 40000]),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)))


def _write_both(value: Any, style: str | None, link: str | None, xf: int) -> tuple[Any, Any]:
    """(direct, openpyxl) for one computed cell: (xml, links) or the error each raised."""
    from sheetcrm.backends.excel.fastwrite import FastWriter, _CellEdit
    from sheetcrm.errors import SheetCRMError
    from sheetcrm.model import Cell
    from sheetcrm.template import load_template

    template = load_template()
    wb = openpyxl.Workbook()
    ws = wb.active
    # A second style in the book, as an owner's or an older refresh's, to start from.
    ws["A1"].font = openpyxl.styles.Font(bold=True)
    _ = ws["A1"].style_id
    writer = FastWriter(template, _small_bytes(), "t.xlsx")
    results = []
    for direct in (True, False):
        edit = _CellEdit(Cell(value, style=style, link=link), template, "t.xlsx, Enquiries!", 3,
                         7, None)
        links: dict[str, bytes] = {"C7": b"<old/>"}
        new_links: list[bytes] = []
        try:
            if direct:
                # The first cell of its kind is made by openpyxl; the second is written directly.
                writer._cell(ws, 6, 3, xf, [("cell", edit)], {}, [])
                made = writer._direct(ws, 7, 3, xf, edit, links, new_links)
            else:
                made = writer._made(ws, 7, 3, xf, [("cell", edit)], links, new_links)
        except SheetCRMError as exc:
            results.append(("error", str(exc)))
            continue
        results.append((made, links, new_links))
    return results[0], results[1]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_VALUES,
       style=st.sampled_from([None, "link", "date", "datetime", "overdue", "wrap", "money"]),
       link=st.sampled_from([None, "https://wa.me/256772123456?text=Hello%20Ann"]),
       xf=st.sampled_from([0, 1]))
def test_a_cell_written_directly_is_byte_for_byte_what_openpyxl_writes(
        value: Any, style: str | None, link: str | None, xf: int) -> None:
    direct, made = _write_both(value, style, link, xf)
    if direct[0] is None:  # a kind the direct writer leaves to openpyxl
        assert value is None and link or isinstance(value, int) and abs(value) > 2**53
        return
    assert direct == made


def test_a_direct_cell_example_worked_by_hand() -> None:
    direct, made = _write_both("  Reply today  ", None, None, 0)
    assert direct == made
    # Style 2: the book has its default (0) and A1's bold (1); write_cell's plain look is a
    # third, as openpyxl's Font() is not the book's default Calibri 11.
    assert direct[0] == (b'<c r="C7" s="2" t="inlineStr"><is><t xml:space="preserve">'
                         b"  Reply today  </t></is></c>")
    assert direct[1] == {}  # the old link on C7 is gone, as write_cell replaces it
    number, _ = _write_both(2.5, None, None, 0)
    assert number[0] == b'<c r="C7" s="2" t="n"><v>2.5</v></c>'
    day, _ = _write_both(dt.date(2026, 11, 23), None, None, 0)
    # 23/11/2026 is 46,349 days after Excel's day 0 (30/12/1899).
    assert day[0].endswith(b'<v>46349</v></c>')


def test_verbose_says_the_fast_writer_wrote(tmp_path: Path) -> None:
    path = small(tmp_path)
    result = run("refresh", str(path), "--now", "2026-11-23T11:00", "--verbose")
    assert result.exit_code == 0, result.output
    assert "Written by the fast writer" in result.stderr
    assert "Written by" not in result.stdout  # the summary on stdout stays as it was


def test_verbose_and_json_say_why_openpyxl_wrote(tmp_path: Path) -> None:
    path = small(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["Enquiries"].merge_cells("Z2:AA2")
    wb.save(path)
    shutil.copyfile(path, tmp_path / "copy.xlsx")
    result = run("refresh", str(path), "--now", "2026-11-23T11:00", "-v")
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines()[-1] == (
        "Written by openpyxl: the fast writer does not handle this file (merged cells, a "
        "table, protection or extensions on Enquiries).")
    result = run("refresh", str(tmp_path / "copy.xlsx"), "--now", "2026-11-23T11:00", "--json")
    out = json.loads(result.stdout)
    assert out["excel_path"] == "openpyxl"
    assert out["excel_fallback"] == ("merged cells, a table, protection or extensions on "
                                     "Enquiries")
