"""Reading a tracker's tabs fast with python-calamine, for commands that write nothing.

openpyxl builds a styled object for every cell, which costs seconds at ten
thousand enquiries; calamine reads values only, in a fraction of that.  The
grids must be exactly what :func:`.workbook.grid` makes of the same tabs, so
anything calamine would read differently sends the read back to openpyxl
(:func:`read_grids` returns None): formulas (calamine gives their last result,
openpyxl their text), error values, numbers written with a decimal point or an
exponent (openpyxl keeps 3.0 and 1E3 as floats), integers too long for a
float, escaped control characters, ISO dates, the 1904 date system, dates
before March 1900 and durations.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Sequence
from io import BytesIO
from pathlib import PurePosixPath
from typing import Any
from xml.etree import ElementTree

from ...model import CellValue, Grid

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"

#: Sheet XML that calamine would read differently from openpyxl, one pattern per
#: case, each starting with fixed text (a lookbehind stands for a leading space):
#: the regex engine jumps to that text, where one alternation of them all would
#: stop at every "<" of a large sheet.
_UNSAFE_PARTS = tuple(re.compile(part) for part in (
    rb"<f[\s>/]",                     # a formula
    rb"t=\"[ed]\"",                   # an error value or an ISO date (after a space)
    # A number with a point or exponent, but not a plain decimal like 1.5 (a float to
    # both readers), which the lookahead passes over without leaving the regex engine.
    rb"<v>(?!-?\d+\.\d*[1-9]\d*</v>)[^<]*[.eE][^<]*</v>",
    rb"<v>-?\d{16,}</v>",              # an integer a float cannot hold exactly
    rb"_x[0-9A-Fa-f]{4}_",             # an escaped character openpyxl may decode
))
_PLAIN_DECIMAL = re.compile(rb"<v>-?\d+\.\d*[1-9]\d*</v>")
_EARLIEST = dt.datetime(1900, 3, 1)


class Unsupported(Exception):
    """Raised inside this module when only openpyxl can read a tab exactly."""


def read_grids(data: bytes, names: Sequence[str]) -> dict[str, Grid] | None:
    """The tabs called ``names`` (matched as Excel does) as grids, or None to use openpyxl.

    A tab that does not exist is left out, as the openpyxl read leaves it out.
    """
    try:
        return _read(data, names)
    except Unsupported:
        return None
    except Exception:  # noqa: BLE001 - anything odd in the file: openpyxl decides
        return None


def read_book(data: bytes, names: Sequence[str], *, refuse_extensions: bool = False,
              ) -> tuple[list[str], dict[str, Grid]] | None:
    """Every tab's title, in order, and the grids of ``names``; None to use openpyxl.

    With ``refuse_extensions``, also None when any sheet has extensions (``extLst``):
    only openpyxl's load says whether it keeps them.
    """
    try:
        grids = _read(data, names, refuse_extensions)
        archive = zipfile.ZipFile(BytesIO(data))
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        return list(_sheet_parts(archive, book)), grids
    except Exception:  # noqa: BLE001 - anything odd in the file: openpyxl decides
        return None


def _read(data: bytes, names: Sequence[str], refuse_extensions: bool = False,
          ) -> dict[str, Grid]:
    from python_calamine import CalamineWorkbook

    archive = zipfile.ZipFile(BytesIO(data))
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    pr = book.find(f"{_NS}workbookPr")
    if pr is not None and pr.get("date1904") in ("1", "true"):
        raise Unsupported("1904 dates")
    parts = _sheet_parts(archive, book)
    titles = list(parts)
    wanted: dict[str, str] = {}
    for name in names:
        title = _find(titles, name)
        if title is not None:
            wanted[name] = title
    screened = set()
    for title in wanted.values():
        xml = archive.read(parts[title])  # inflated once for both looks: a sheet can be large
        if refuse_extensions and b"<extLst" in xml:
            raise Unsupported("extensions")
        _screen(xml)
        screened.add(parts[title])
    if refuse_extensions and any(
            b"<extLst" in archive.read(name) for name in archive.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
            and name not in screened):
        raise Unsupported("extensions")
    workbook = CalamineWorkbook.from_filelike(BytesIO(data))
    if list(workbook.sheet_names) != titles:
        raise Unsupported("calamine sees other tabs")
    out: dict[str, Grid] = {}
    for name, title in wanted.items():
        rows = workbook.get_sheet_by_name(title).to_python(skip_empty_area=False)
        out[name] = _grid(rows)
    return out


def _sheet_parts(archive: zipfile.ZipFile, book: ElementTree.Element) -> dict[str, str]:
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    parts: dict[str, str] = {}
    for sheet in book.iter(f"{_NS}sheet"):
        target = targets.get(sheet.get(f"{_REL}id"), "")
        part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        parts[sheet.get("name", "")] = part
    return parts


def _find(titles: list[str], name: str) -> str | None:
    """As :func:`.workbook.find_sheet`: the exact name, else ignoring case and spaces."""
    if name in titles:
        return name
    want = name.strip().casefold()
    return next((t for t in titles if t.strip().casefold() == want), None)


def _screen(xml: bytes) -> None:
    for part in _UNSAFE_PARTS:
        for match in part.finditer(xml):
            if _PLAIN_DECIMAL.fullmatch(match.group(0)):
                continue  # 1.5 is a float to both readers
            if match.group(0).startswith(b"t=") and not xml[match.start() - 1:
                                                           match.start()].isspace():
                continue  # not the t attribute (a lookbehind would slow the search tenfold)
            raise Unsupported(match.group(0)[:20].decode("ascii", "replace"))


def _value(value: Any) -> CellValue:
    """A calamine value as openpyxl's read gives it (see :func:`.workbook.raw`)."""
    if isinstance(value, str):
        return value if value else None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        if value < _EARLIEST:
            raise Unsupported("an early date")
        return value
    if isinstance(value, dt.date):
        if value < _EARLIEST.date():
            raise Unsupported("an early date")
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, dt.time):
        return value
    raise Unsupported(type(value).__name__)  # durations and anything new


def _grid(rows: list[list[Any]]) -> Grid:
    out: Grid = []
    for row in rows:
        # Text and blanks, most of a tracker, are taken here without a call for each.
        cells = [(v or None) if type(v) is str else _value(v) for v in row]
        while cells and cells[-1] is None:
            cells.pop()
        out.append(cells)
    while out and not out[-1]:
        out.pop()
    return out
