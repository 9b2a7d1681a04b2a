"""The fast read (python-calamine) gives the engine exactly what the openpyxl read gives.

For every kind of tracker the suite knows, :func:`read_grids` either returns the
very grids :func:`grid` makes of the openpyxl workbook, or None (the read falls
back to openpyxl); the kinds sheetcrm writes itself must take the fast read.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetcrm.backends.excel import ExcelBackend
from sheetcrm.backends.excel.fastread import read_grids
from sheetcrm.backends.excel.workbook import find_sheet, grid, open_workbook
from tests.helpers.cli import run
from tests.helpers.trackers import cli_tracker

NAMES = ["Enquiries", "Settings", "Lists", "sheetcrm", "Spend"]
NOW = "2026-11-02T10:00"


def openpyxl_grids(path: Path) -> dict[str, Any]:
    """The grids the openpyxl read makes of the same tabs (the reference)."""
    wb = open_workbook(path.read_bytes(), str(path))
    return {name: grid(ws) for name in NAMES if (ws := find_sheet(wb, name)) is not None}


def refreshed(tmp_path: Path) -> Path:
    """Three enquiries added and refreshed through the CLI."""
    path = cli_tracker(tmp_path, *(("--name", name, "--received", received, "--source", source,
                                    "--contact", contact)
                                   for name, received, source, contact in (
                                       ("Ann", "05/10/2026 09:00", "WhatsApp", "0772 123456"),
                                       ("Ben", "06/10/2026 09:00", "Facebook", "0701 234567"),
                                       ("Cat", "03/11/2026 09:00", "Walk-in", ""))))
    assert run("refresh", str(path), "--now", NOW).exit_code == 0
    return path


def typed(path: Path, values: dict[str, Any], *, extra_tab: bool = False) -> Path:
    """Cells typed over the tracker as Excel would store them (``"A5": value``)."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Enquiries"]
    for ref, value in values.items():
        ws[ref] = value
        if isinstance(value, str) and value.startswith("#"):
            ws[ref].data_type = "e"
    if extra_tab:
        wb.create_sheet("Stylists")["A1"] = "Mary"
    wb.save(path)
    return path


def test_a_refreshed_tracker_reads_fast_and_the_same(tmp_path: Path) -> None:
    path = refreshed(tmp_path)
    fast = read_grids(path.read_bytes(), NAMES)
    assert fast is not None
    assert fast == openpyxl_grids(path)
    # Hand-checked: Ann's row as typed.
    headers, ann = fast["Enquiries"][0], fast["Enquiries"][1]
    assert [ann[headers.index(h)] for h in ("Received", "Name", "Contact", "Source")] == [
        dt.datetime(2026, 10, 5, 9, 0), "Ann", "0772 123456", "WhatsApp"]


def test_the_demo_reads_fast_and_the_same(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    assert run("demo", str(path), "--now", NOW).exit_code == 0
    fast = read_grids(path.read_bytes(), NAMES)
    assert fast is not None and fast == openpyxl_grids(path)


def test_owner_moved_and_added_columns_and_tabs_read_the_same(tmp_path: Path) -> None:
    path = refreshed(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Enquiries"]
    ws.move_range("A1:A4", cols=21)  # Name moved far right
    ws["Z1"] = "Stylist"
    ws["Z2"] = "Mary"
    wb.create_sheet("Stylists", 0)["A1"] = "Mary"
    wb.save(path)
    fast = read_grids(path.read_bytes(), NAMES)
    assert fast is not None and fast == openpyxl_grids(path)
    assert fast["Enquiries"][0][21] == "Name"  # column V


def test_messy_owner_values_read_the_same(tmp_path: Path) -> None:
    path = typed(refreshed(tmp_path), {
        "A5": "5/10/26 9am", "B5": "  Dora  ", "C5": 772123456, "G5": 2, "H5": 45000.5,
        "I5": "line one\nline two", "A6": dt.date(2026, 10, 7), "F6": dt.time(9, 30),
        "B6": True, "H6": -3, "I6": "Nakato’s — “quoted” ✓", "J6": "E0042",
        "A7": dt.datetime(2026, 10, 8, 23, 59, 59), "H7": 0.1,
    }, extra_tab=True)
    fast = read_grids(path.read_bytes(), NAMES)
    assert fast is not None and fast == openpyxl_grids(path)
    assert fast["Enquiries"][4][:3] == ["5/10/26 9am", "  Dora  ", 772123456]
    assert fast["Enquiries"][5][0] == dt.datetime(2026, 10, 7)  # a date reads as a date-time


@pytest.mark.parametrize("ref,value", [
    ("J5", "=1+1"),                    # Value, a formula: calamine gives its result
    ("J5", "#N/A"),                    # an error value
    ("J5", 12345678901234567890),      # too long for a float
    ("K5", "a_x000D_b"),               # Notes, an escaped character
    ("J5", 1e-7),                      # an exponent
])
def test_what_calamine_reads_differently_falls_back_to_openpyxl(tmp_path: Path, ref: str,
                                                               value: Any) -> None:
    path = typed(refreshed(tmp_path), {"A5": "Eve", ref: value})
    assert read_grids(path.read_bytes(), NAMES) is None
    backend = ExcelBackend(path)
    assert backend.read_saved().tabs == openpyxl_grids(path)
    assert backend.last_read_path == "openpyxl"


def test_a_whole_number_written_with_a_point_falls_back(tmp_path: Path) -> None:
    # Some writers store 3 as "3.0", which openpyxl reads as the float 3.0.
    path = typed(refreshed(tmp_path), {"H5": 3.5})
    rewrite_zip(path, "xl/worksheets/sheet1.xml", b"<v>3.5</v>", b"<v>3.0</v>")
    assert read_grids(path.read_bytes(), NAMES) is None
    assert ExcelBackend(path).read_saved().tabs["Enquiries"][4][7] == 3.0


def rewrite_zip(path: Path, member: str, old: bytes, new: bytes) -> None:
    """Replace bytes inside one part of the .xlsx."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    assert old in parts[member]
    parts[member] = parts[member].replace(old, new)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_the_1904_date_system_falls_back(tmp_path: Path) -> None:
    path = refreshed(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb.epoch = openpyxl.utils.datetime.MAC_EPOCH
    wb.save(path)
    assert read_grids(path.read_bytes(), NAMES) is None


def test_a_damaged_file_falls_back(tmp_path: Path) -> None:
    path = refreshed(tmp_path)
    data = path.read_bytes()
    assert read_grids(data[: len(data) // 2], NAMES) is None
    with zipfile.ZipFile(path) as archive:
        assert "xl/workbook.xml" in archive.namelist()


_cell_values = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30),
    st.integers(-(10**12), 10**12),
    st.floats(-1e9, 1e9, allow_nan=False).filter(lambda x: not x.is_integer()),
    st.booleans(),
    st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2090, 1, 1)).map(
        lambda d: d.replace(microsecond=0)),
    st.dates(dt.date(1990, 1, 1), dt.date(2090, 1, 1)),
    st.times().map(lambda t: t.replace(microsecond=0)),
    st.none(),
)


@functools.cache
def _empty_tracker() -> bytes:
    folder = Path(tempfile.mkdtemp())
    data = cli_tracker(folder).read_bytes()
    shutil.rmtree(folder)
    return data


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(_cell_values, min_size=1, max_size=12))
def test_hypothesis_owner_values_read_the_same_or_fall_back(tmp_path: Path,
                                                             values: list[Any]) -> None:
    path = Path(tempfile.mkdtemp(dir=tmp_path)) / "tracker.xlsx"
    path.write_bytes(_empty_tracker())
    cols = "ABCDEFGHI"
    typed(path, {f"{cols[i % 9]}{2 + i // 9}": v for i, v in enumerate(values)})
    fast = read_grids(path.read_bytes(), NAMES)
    if fast is not None:
        assert fast == openpyxl_grids(path)


@pytest.mark.libreoffice
def test_a_libreoffice_saved_tracker_reads_the_same(tmp_path: Path, libreoffice: str) -> None:
    from tests.helpers.libreoffice import roundtrip

    source = refreshed(tmp_path)
    out = tmp_path / "lo"
    out.mkdir()
    path = roundtrip(source, out, soffice=libreoffice)
    fast = read_grids(path.read_bytes(), NAMES)
    if fast is not None:
        assert fast == openpyxl_grids(path)
    assert ExcelBackend(path).read_saved().tabs == openpyxl_grids(path)


_ONE_PATTERN = re.compile(  # the screen's cases as one alternation: the plain statement of it
    rb"<f[\s>/]|\st=\"[ed]\"|<v>[^<]*[.eE][^<]*</v>|<v>-?\d{16,}</v>|_x[0-9A-Fa-f]{4}_")
_PLAIN = re.compile(rb"<v>-?\d+\.\d*[1-9]\d*</v>")


def _one_pattern_refuses(xml: bytes) -> bool:
    return any(not _PLAIN.fullmatch(m.group(0)) for m in _ONE_PATTERN.finditer(xml))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([
    b"<c r=\"A1\" t=\"n\"><v>1</v></c>", b"<v>1.5</v>", b"<v>2.0</v>", b"<v>1E3</v>",
    b"<v>12345678901234567</v>", b"<v>-1234567890123456</v>", b" t=\"e\"", b"t=\"d\"",
    b"\tt=\"d\"", b"<f>", b"<f/>", b"<fo>", b"_x0041_", b"_x00G1_", b"x", b"<", b"v>",
    b"</v>", b"1", b".", b"e", b"_x", b" "]), max_size=12))
def test_the_screen_refuses_what_the_one_pattern_refuses(fragments: list[bytes]) -> None:
    from sheetcrm.backends.excel.fastread import Unsupported, _screen

    xml = b"".join(fragments)
    try:
        _screen(xml)
        refused = False
    except Unsupported:
        refused = True
    assert refused == _one_pattern_refuses(xml)
