"""An .xlsx file's cells read straight from its sheet XML, not through any backend.

The tests use these to check "nothing lost" on the file itself: what a spreadsheet
application would load, whatever the Excel backend under test thinks it wrote.
"""

from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


@dataclass(frozen=True)
class RawCell:
    """A cell as the sheet XML holds it: kind is text, number, bool, error or formula."""

    kind: str
    value: str | float

    def same_as(self, other: RawCell | None) -> bool:
        """Equal, allowing numbers the float noise of a date-time round trip (under 0.1 ms)."""
        if other is None or other.kind != self.kind:
            return False
        if isinstance(self.value, float) and isinstance(other.value, float):
            return math.isclose(self.value, other.value, rel_tol=1e-12, abs_tol=1e-9)
        return self.value == other.value


def xlsx_cells(path: Path, tab: str) -> dict[tuple[int, int], RawCell]:
    """Every non-blank cell of ``tab`` as (row, column) -> RawCell, read from the zip directly."""
    with zipfile.ZipFile(path) as archive:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in rels}
        rid = next(s.get(f"{_REL}id") for s in book.iter(f"{_NS}sheet") if s.get("name") == tab)
        target = targets[rid]
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        shared: list[str] = []
        if "xl/sharedStrings.xml" in archive.namelist():
            root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
            for si in root.iter(f"{_NS}si"):
                shared.append("".join(t.text or "" for t in si.iter(f"{_NS}t")))
        sheet = ElementTree.fromstring(archive.read(part))
    cells: dict[tuple[int, int], RawCell] = {}
    for c in sheet.iter(f"{_NS}c"):
        letters, row = coordinate_from_string(c.get("r", ""))
        kind = c.get("t", "n")
        formula = c.findtext(f"{_NS}f")
        raw = c.findtext(f"{_NS}v")
        cell: RawCell | None = None
        if formula is not None:
            cell = RawCell("formula", formula)
        elif kind == "s" and raw is not None:
            cell = RawCell("text", shared[int(raw)])
        elif kind == "inlineStr":
            cell = RawCell("text", "".join(t.text or "" for t in c.iter(f"{_NS}t")))
        elif kind == "str" and raw is not None:
            cell = RawCell("text", raw)
        elif kind == "b" and raw is not None:
            cell = RawCell("bool", raw)
        elif kind == "e" and raw is not None:
            cell = RawCell("error", raw)
        elif raw not in (None, ""):
            cell = RawCell("number", float(raw))
        if cell is not None and cell.value != "":
            cells[(row, column_index_from_string(letters))] = cell
    return cells


def xlsx_columns(path: Path, tab: str, headers: list[str]) -> dict[str, dict[int, RawCell]]:
    """The cells below row 1 of the columns with these headers, found by header."""
    cells = xlsx_cells(path, tab)
    by_header = {c.value: col for (row, col), c in cells.items() if row == 1}
    out: dict[str, dict[int, RawCell]] = {}
    for header in headers:
        col = by_header[header]
        out[header] = {r: c for (r, cc), c in cells.items() if cc == col and r > 1}
    return out


def same_columns(a: dict[str, dict[int, RawCell]], b: dict[str, dict[int, RawCell]]) -> bool:
    """Whether two column snapshots hold the same values in the same rows."""
    if a.keys() != b.keys():
        return False
    for header in a:
        if a[header].keys() != b[header].keys():
            return False
        if not all(a[header][r].same_as(b[header][r]) for r in a[header]):
            return False
    return True


_INLINE = re.compile(rb'<c ([^>]*?) ?t="inlineStr"([^>]*)><is><t(?: xml:space="preserve")?>'
                     rb'(.*?)</t></is></c>', re.S)
_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_EXCEL_ROOT = (b' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
               b' mc:Ignorable="x14ac"'
               b' xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"')


def excel_style(path: Path) -> None:
    """Rewrite an .xlsx the way Excel itself saves one.

    Text goes into a shared-strings table (``t="s"`` cells), and every row gets
    Excel's ``spans`` and its own-namespace ``x14ac:dyDescent`` attribute,
    declared on the sheet as ignorable, as Excel writes them.
    """
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    strings: dict[bytes, int] = {}

    def shared(match: re.Match[bytes]) -> bytes:
        index = strings.setdefault(match.group(3), len(strings))
        return b"<c " + match.group(1) + b' t="s"' + match.group(2) + b"><v>" + \
            str(index).encode() + b"</v></c>"

    for name in [n for n in parts if n.startswith("xl/worksheets/sheet")]:
        xml = _INLINE.sub(shared, parts[name])
        xml = re.sub(rb"<row r=\"(\d+)\"", rb'<row r="\1" spans="1:20" x14ac:dyDescent="0.25"',
                     xml)
        parts[name] = xml.replace(b'<worksheet xmlns="' + _MAIN + b'"',
                                  b'<worksheet xmlns="' + _MAIN + b'"' + _EXCEL_ROOT, 1)
    items = b"".join(b'<si><t xml:space="preserve">' + text + b"</t></si>" for text in strings)
    parts["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="' + _MAIN
        + f'" count="{len(strings)}" uniqueCount="{len(strings)}">'.encode() + items + b"</sst>")
    types = parts["[Content_Types].xml"]
    if b"sharedStrings" not in types:
        parts["[Content_Types].xml"] = types.replace(b"</Types>", (
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
    rels = parts["xl/_rels/workbook.xml.rels"]
    if b"sharedStrings" not in rels:
        parts["xl/_rels/workbook.xml.rels"] = rels.replace(b"</Relationships>", (
            b'<Relationship Id="rIdExcelStrings" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            b"</Relationships>"))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
