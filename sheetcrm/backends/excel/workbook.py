"""Opening a tracker's bytes with openpyxl, and reading its tabs as raw grids.

openpyxl silently drops parts it does not understand when it saves (macros,
pivot tables, slicers, shapes, newer-format extensions...).  Before a
workbook is used, :func:`open_workbook` looks inside the zip and refuses,
naming what would be lost.  Pictures and charts the owner added are kept by
openpyxl (pictures need Pillow; without it they are refused too).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import warnings
import zipfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import PurePosixPath
from typing import Any
from xml.etree import ElementTree

import openpyxl
from openpyxl.packaging.relationship import Relationship, RelationshipList
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from ...errors import BackendError, NotATracker
from ...model import CellValue, Grid

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CHART_URI = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
_ANCHORS = {f"{_XDR}twoCellAnchor", f"{_XDR}oneCellAnchor", f"{_XDR}absoluteAnchor"}
_ANCHOR_PLACEMENT = {f"{_XDR}from", f"{_XDR}to", f"{_XDR}pos", f"{_XDR}ext", f"{_XDR}clientData"}

#: Zip entries (by folder or name) that openpyxl drops on save, and how to say so.
_UNKEPT_PARTS: tuple[tuple[str, str], ...] = (
    ("xl/vbaProject.bin", "macros (VBA)"),
    ("xl/pivotTables/", "pivot tables"),
    ("xl/pivotCache/", "pivot tables"),
    ("xl/slicers/", "slicers"),
    ("xl/slicerCaches/", "slicers"),
    ("xl/timelines/", "timelines"),
    ("xl/timelineCaches/", "timelines"),
    ("xl/activeX/", "form controls"),
    ("xl/ctrlProps/", "form controls"),
    ("xl/threadedComments/", "threaded comments"),
    ("xl/model/", "a data model (Power Pivot)"),
    ("xl/queryTables/", "data queries"),
    ("xl/connections.xml", "data connections"),
    ("xl/embeddings/", "embedded objects"),
    ("xl/richData/", "pictures or data types inside cells"),
    ("xl/metadata.xml", "dynamic array formulas"),
)

#: openpyxl load warnings that do not mean anything of the owner's is lost.
_HARMLESS_WARNINGS = (
    "contains no default style",
    "contains no stylesheet",
    "Ignored Error extension",  # only hides Excel's green triangles
)
_DATE_OVERFLOW = re.compile(r"^Cell ([A-Z]+[0-9]+) is marked as a date but the serial value")


def check_package(data: bytes, label: str) -> tuple[zipfile.ZipFile, list[str]]:
    """Refuse bytes that are not an .xlsx, or that hold parts openpyxl would drop on save.

    Returns the open zip and the names of its parts; what only openpyxl's load
    can find (its warnings) is checked by :func:`open_workbook`.
    """
    damaged = f"{label} is not an Excel workbook (.xlsx) or is damaged"
    if data.startswith(_OLE_MAGIC):
        raise NotATracker(
            f"{label} is an old Excel 97-2003 file or is protected with a password: save it "
            "as an Excel workbook (.xlsx) without a password and use that file"
        )
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise NotATracker(damaged) from exc
    if "xl/workbook.xml" not in names:
        raise NotATracker(damaged)
    lost = _unkept_features(archive, names)
    if lost:
        raise _losing(label, lost)
    return archive, names


def _losing(label: str, lost: list[str]) -> BackendError:
    what = ", ".join(dict.fromkeys(lost))
    return BackendError(
        f"{label} contains {what}, which sheetcrm would lose when saving: keep those in "
        "another workbook and remove them from the tracker, then run the command again"
    )


def open_workbook(data: bytes, label: str) -> Any:
    """Check the bytes of a tracker and load them with openpyxl (formulas kept)."""
    damaged = f"{label} is not an Excel workbook (.xlsx) or is damaged"
    archive, _names = check_package(data, label)
    lost: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with _indexed_relationships():
                wb = openpyxl.load_workbook(BytesIO(data), rich_text=False, keep_links=True)
        except Exception as exc:  # a damaged part can fail in many ways inside openpyxl
            raise NotATracker(damaged) from exc
    overflowed: list[str] = []
    for w in caught:
        text = str(w.message)
        match = _DATE_OVERFLOW.match(text)
        if match:
            overflowed.append(match.group(1))
        elif not any(h in text for h in _HARMLESS_WARNINGS):
            lost.append(_plain_warning(text))
    if lost:
        raise _losing(label, lost)
    if overflowed:
        try:
            _restore_overflowed_dates(wb, archive, set(overflowed))
        except (KeyError, ValueError, ElementTree.ParseError, zipfile.BadZipFile) as exc:
            raise NotATracker(damaged) from exc
    return wb


def _indexed_get(self: RelationshipList, key: str) -> Relationship:
    """:meth:`RelationshipList.get` through an index by id (the first with that id wins)."""
    index: dict[str, Relationship] | None = self.__dict__.get("_sheetcrm_index")
    if index is None or self.__dict__.get("_sheetcrm_size") != len(self):
        index = {}
        for rel in self:
            index.setdefault(rel.Id, rel)
        self.__dict__["_sheetcrm_index"] = index
        self.__dict__["_sheetcrm_size"] = len(self)
    try:
        return index[key]
    except KeyError:
        raise KeyError(f"Unknown relationship: {key}") from None


@contextlib.contextmanager
def _indexed_relationships() -> Iterator[None]:
    """Look relationships up by id in constant time while a workbook loads.

    openpyxl finds each hyperlink's relationship by walking the sheet's whole
    list, so loading 10,000 WhatsApp links took 50 million comparisons.
    """
    original = RelationshipList.get
    RelationshipList.get = _indexed_get
    try:
        yield
    finally:
        RelationshipList.get = original


def _plain_warning(text: str) -> str:
    if "DrawingML" in text:
        return "shapes or drawings"
    if "Unable to read chart" in text:
        return "a chart sheetcrm cannot read"
    match = re.match(r"(.+) extension is not supported", text)
    if match:
        kind = match.group(1)
        return {
            "Data Validation": "drop-down lists in Excel's newer format",
            "Conditional Formatting": "conditional formats in Excel's newer format",
            "Sparkline Group": "sparklines",
            "Slicer List": "slicers",
            "Timeline Ref": "timelines",
            "Protected Range": "protected ranges",
            "Web Extension": "add-ins",
        }.get(kind, "parts in Excel's newer format")
    return f"parts that openpyxl cannot keep ({text.strip()})"


def _unkept_features(archive: zipfile.ZipFile, names: list[str]) -> list[str]:
    """What in the zip openpyxl would drop on save, in plain words."""
    found: list[str] = []
    for name in names:
        for prefix, what in _UNKEPT_PARTS:
            if name == prefix or (prefix.endswith("/") and name.startswith(prefix)):
                found.append(what)
    for name in names:
        if name.startswith("xl/drawings/") and name.endswith(".xml") and "/_rels/" not in name:
            found.extend(_unkept_in_drawing(archive.read(name)))
    return list(dict.fromkeys(found))


def _unkept_in_drawing(xml: bytes) -> list[str]:
    """Anchored objects in a drawing part that are neither a picture nor a chart."""
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return ["a damaged drawing"]
    found = []
    for anchor in root:
        if anchor.tag not in _ANCHORS:
            continue
        for obj in anchor:
            if obj.tag in _ANCHOR_PLACEMENT:
                continue
            if obj.tag == f"{_XDR}pic":
                if not _pillow_available():
                    found.append("pictures (install Pillow so sheetcrm can keep them)")
            elif obj.tag == f"{_XDR}graphicFrame":
                uris = {el.get("uri") for el in obj.iter() if el.tag.endswith("}graphicData")}
                if uris != {_CHART_URI}:
                    found.append("charts or diagrams of a newer kind")
            else:
                found.append("shapes, text boxes or drawings")
    return found


def _pillow_available() -> bool:
    try:
        import PIL  # noqa: F401
    except ImportError:
        return False
    return True


def _restore_overflowed_dates(wb: Any, archive: zipfile.ZipFile, coords: set[str]) -> None:
    """Put back numbers that openpyxl turned into #VALUE! because they are too big for a date.

    Without this, an owner's mistyped number in a date column would be saved as
    an error value and lost.
    """
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    for sheet in book.iter(f"{ns}sheet"):
        target = targets.get(sheet.get(f"{rel_ns}id"), "")
        part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        title = sheet.get("name")
        if part not in archive.namelist() or title not in wb.sheetnames:
            continue
        ws = wb[title]
        for cell in ElementTree.fromstring(archive.read(part)).iter(f"{ns}c"):
            ref = cell.get("r")
            if ref not in coords or cell.get("t", "n") != "n":
                continue
            target_cell = ws[ref]
            if target_cell.data_type != "e":
                continue
            raw_text = cell.findtext(f"{ns}v")
            if raw_text is None:
                continue
            number = float(raw_text)
            target_cell.value = int(number) if number.is_integer() else number


def find_sheet(wb: Any, name: str) -> Any:
    """The worksheet called ``name``, ignoring case and stray spaces as Excel does."""
    if name in wb.sheetnames:
        return wb[name]
    want = name.strip().casefold()
    for title in wb.sheetnames:
        if title.strip().casefold() == want:
            return wb[title]
    return None


def raw(value: Any) -> CellValue:
    """A cell's value as the Snapshot carries it."""
    if isinstance(value, ArrayFormula):
        return str(value.text)
    if isinstance(value, DataTableFormula):
        return "=TABLE()"
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400
    if value is None or isinstance(value, str | int | float | bool | dt.datetime | dt.date
                                   | dt.time):
        return value
    return str(value)


def grid(ws: Any) -> Grid:
    """Raw values of a worksheet, trailing empty cells and rows trimmed."""
    # ws._cells holds only cells that exist; iter_rows would create every cell
    # up to a stray formatted cell at row 1,048,576.
    by_row: dict[int, dict[int, CellValue]] = {}
    for (row, col), cell in ws._cells.items():
        value = raw(cell.value)
        if value is not None:
            by_row.setdefault(row, {})[col] = value
    if not by_row:
        return []
    out: Grid = []
    for row in range(1, max(by_row) + 1):
        cells = by_row.get(row, {})
        width = max(cells) if cells else 0
        out.append([cells.get(col) for col in range(1, width + 1)])
    return out
