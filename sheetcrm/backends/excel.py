"""The Excel backend: a tracker in an .xlsx file, read and written with openpyxl.

How a save works, so that a crash or a full disk never costs the owner a cell:

* The workbook is written to a temporary file beside the tracker, flushed and
  fsynced, then moved over the tracker with :func:`os.replace`.  A failure at
  any step raises :class:`~sheetcrm.errors.WriteFailed`, removes the temporary
  file and leaves the tracker byte-identical.
* Before the replace, the current tracker is copied into a folder named
  ``sheetcrm-backups`` beside it, as ``<name>-YYYYMMDD-HHMMSS-ffffff.xlsx``
  (local time).  The folder is visible on purpose, so the owner can find it;
  only the last five backups of that tracker are kept.
* Excel's (``~$tracker.xlsx``) and LibreOffice's (``.~lock.tracker.xlsx#``)
  lock files mean the owner has the file open: nothing is read or written.
* Our own lock, ``.tracker.xlsx.sheetcrm.lock`` (``filelock``), stops two
  sheetcrm commands from interleaving; :meth:`ExcelBackend.lock` lets the
  engine hold it from read to apply.  A changed size, inode or modification
  time since :meth:`ExcelBackend.read` raises
  :class:`~sheetcrm.errors.ConcurrentEdit`.

openpyxl silently drops parts it does not understand when it saves (macros,
pivot tables, slicers, shapes, newer-format extensions...).  Before touching a
workbook, this backend looks inside the zip and refuses, naming what would be
lost.  Pictures and charts the owner added are kept by openpyxl (pictures need
Pillow; without it they are refused too).

A drop-down whose list lives on another tab (Source) is written through a
defined name (``sheetcrm_source_list``): Excel stores a direct reference to
another tab in an extension that openpyxl cannot keep, so the dropdown would
vanish after the owner's next save in Excel.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import io
import math
import os
import re
import shutil
import stat
import tempfile
import warnings
import zipfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

import filelock
import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.cell import range_boundaries
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from ..cells import header_key
from ..errors import (
    BackendError,
    ConcurrentEdit,
    InputError,
    NotATracker,
    SheetCRMError,
    TrackerBusy,
    TrackerNotFound,
    WriteFailed,
)
from ..model import (
    Cell,
    CellValue,
    Changes,
    Chart,
    Formula,
    Grid,
    Snapshot,
    TabContent,
    ids_match,
)
from ..template import Column, Style, Template, column_letter, load_template

BACKUP_DIR = "sheetcrm-backups"
KEEP_BACKUPS = 5
MAX_TEXT = 32767  # Excel's limit for one cell
EXCEL_MAX_NUMBER = 9.99999999999999e307

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


class ExcelBackend:
    """A tracker stored in a local .xlsx file."""

    def __init__(self, path: Path | str, *, force: bool = False,
                 template: Template | None = None, lock_timeout: float = 10.0,
                 keep_backups: int = KEEP_BACKUPS) -> None:
        self.path = Path(path)
        self.force = force
        self._template = template
        self._lock_timeout = lock_timeout
        self._keep_backups = keep_backups
        self._filelock = filelock.FileLock(
            str(self.path.parent / f".{self.path.name}.sheetcrm.lock"), timeout=lock_timeout
        )
        self._wb: Any = None
        self._stamp: tuple[int, int, int] | None = None

    # ------------------------------------------------------------ public API

    @property
    def label(self) -> str:
        """The tracker's path as the user gave it."""
        return str(self.path)

    @property
    def template(self) -> Template:
        """The template used to find tabs and columns (the shipped one by default)."""
        if self._template is None:
            self._template = load_template()
        return self._template

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold sheetcrm's own lock on this tracker (re-entrant) for a read-then-write."""
        try:
            self._filelock.acquire(timeout=self._lock_timeout)
        except filelock.Timeout:
            raise TrackerBusy(
                f"Another sheetcrm command is working on {self.label}: wait for it to finish "
                "and run the command again"
            ) from None
        except OSError as exc:
            raise WriteFailed(
                f"Could not create sheetcrm's lock file beside {self.label} "
                f"({_reason(exc)}): check that the folder is writable"
            ) from exc
        try:
            yield
        finally:
            self._filelock.release()

    def create(self, template: Template, contents: Mapping[str, TabContent], *,
               hidden: Collection[str] = ()) -> None:
        """Render a new tracker from the template; refuses to replace a file unless ``force``.

        ``contents`` may also hold the Enquiries tab, for a tracker made from
        existing rows (an export) in the same single save: its first row is
        row 1, where cells under the template's columns are left to the
        template and cells further right add columns; the rows below are
        written as values in their column's style.  Tabs named in ``hidden``
        that are not the template's are hidden.
        """
        self._template = template
        self._forget()
        self._check_suffix()
        if not self.path.parent.is_dir():
            raise WriteFailed(
                f"Could not create {self.label}: the folder {self.path.parent} does not exist"
            )
        with self.lock():
            if self.path.exists():
                if not self.force:
                    raise InputError(
                        f"{self.label} already exists: choose another file name, or use "
                        "--force to replace it (the old file is kept in sheetcrm-backups)"
                    )
                self._check_owner_locks()
            wb = _Renderer(template, self.label).workbook(contents, hidden)
            self._save(wb)
            self._forget()

    def read(self) -> Snapshot:
        """Read the Enquiries, Settings, Lists and meta tabs in one pass."""
        wb = self._load()
        tabs: dict[str, Grid] = {}
        for kind in ("enquiries", "settings", "lists", "meta"):
            ws = _find_sheet(wb, self.template.tab(kind).name)
            if ws is not None:
                tabs[self.template.tab(kind).name] = _grid(ws)
        return Snapshot(tabs=tabs, tab_names=tuple(wb.sheetnames))

    def apply(self, changes: Changes) -> None:
        """Write computed columns, ID fills, owned tabs and meta in one atomic save."""
        self._check_owner_locks()
        with self.lock():
            wb = self._current_workbook()
            try:
                _Writer(self.template, wb, self.label).apply(changes)
                self._save(wb)
            except BaseException:
                self._forget()  # the in-memory workbook may be half-changed
                raise
            self._stamp = self._file_stamp()

    def append(self, rows: Sequence[Mapping[str, CellValue]]) -> list[int]:
        """Append enquiries below the last row with an owner value; all or nothing."""
        self._check_owner_locks()
        with self.lock():
            wb = self._current_workbook()
            try:
                numbers = _Writer(self.template, wb, self.label).append(rows)
                if numbers:
                    self._save(wb)
            except BaseException:
                self._forget()
                raise
            self._stamp = self._file_stamp()
            return numbers

    # ------------------------------------------------------------ loading

    def _forget(self) -> None:
        self._wb = None
        self._stamp = None

    def _current_workbook(self) -> Any:
        """The workbook read earlier if the file has not changed since, else a fresh load."""
        if self._wb is None:
            return self._load()
        if self._file_stamp() != self._stamp:
            self._forget()
            raise ConcurrentEdit(
                f"{self.label} changed on disk since it was read: read it again and retry"
            )
        return self._wb

    def _file_stamp(self) -> tuple[int, int, int]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            raise self._not_found() from None
        except OSError as exc:
            raise BackendError(f"Could not read {self.label} ({_reason(exc)})") from exc
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _not_found(self) -> TrackerNotFound:
        return TrackerNotFound(
            f"{self.label} does not exist: create one with `sheetcrm init {self.label}`"
        )

    def _check_suffix(self) -> None:
        suffix = self.path.suffix.lower()
        if suffix == ".xlsx":
            return
        if suffix == ".xls":
            raise NotATracker(
                f"{self.label} is an old Excel 97-2003 file: open it in Excel or LibreOffice, "
                "save it as an Excel workbook (.xlsx) and use that file"
            )
        if suffix == ".csv":
            raise NotATracker(
                f"{self.label} is a CSV file, not a tracker: add its rows to a tracker with "
                f"`sheetcrm import tracker.xlsx {self.label}`"
            )
        if suffix in (".xlsm", ".xltm"):
            raise NotATracker(
                f"{self.label} is a macro-enabled workbook, whose macros sheetcrm would lose: "
                "use an .xlsx tracker"
            )
        raise NotATracker(f"{self.label} is not an Excel workbook: its name must end in .xlsx")

    def _check_owner_locks(self) -> None:
        for name in (f"~${self.path.name}", f".~lock.{self.path.name}#"):
            if (self.path.parent / name).exists():
                raise TrackerBusy(
                    f"{self.label} is open in Excel or LibreOffice (lock file {name}): close it "
                    "and run the command again; if it is not open, delete that lock file"
                )

    def _load(self) -> Any:
        self._check_suffix()
        self._check_owner_locks()
        if self.path.is_dir():
            raise NotATracker(f"{self.label} is a folder, not an Excel workbook (.xlsx)")
        for _ in range(3):
            before = self._file_stamp()
            try:
                data = self.path.read_bytes()
            except FileNotFoundError:
                raise self._not_found() from None
            except PermissionError as exc:
                raise BackendError(
                    f"sheetcrm is not allowed to read {self.label}: check the file's permissions"
                ) from exc
            except OSError as exc:
                raise BackendError(f"Could not read {self.label} ({_reason(exc)})") from exc
            if self._file_stamp() == before:
                break
        else:
            raise ConcurrentEdit(f"{self.label} kept changing while it was read: try again")
        wb = _open_workbook(data, self.label)
        if _find_sheet(wb, self.template.enquiries.name) is None:
            raise NotATracker(
                f"{self.label} is not a sheetcrm tracker: it has no "
                f"'{self.template.enquiries.name}' tab"
            )
        self._wb = wb
        self._stamp = before
        return wb

    # ------------------------------------------------------------ saving

    def _save(self, wb: Any) -> None:
        """Write ``wb`` over the tracker atomically, keeping a backup of the old file."""
        directory = self.path.parent
        tmp: str | None = None
        try:
            self._remove_stale_temp_files()
            old_mode = stat.S_IMODE(self.path.stat().st_mode) if self.path.exists() else None
            if old_mode is not None and not old_mode & 0o222:
                # A rename would replace a read-only file regardless; honour the owner's flag.
                raise WriteFailed(
                    f"{self.label} is read-only: clear its read-only setting and run the "
                    "command again"
                )
            fd, tmp = tempfile.mkstemp(prefix=self._temp_prefix(), suffix=".tmp", dir=directory)
            with os.fdopen(fd, "wb") as fh:
                # Build the whole file in memory first, so a failing disk write cannot leave
                # openpyxl's zip half-closed (it would print a traceback when collected).
                buffer = io.BytesIO()
                try:
                    wb.save(buffer)
                except Exception as exc:  # openpyxl can fail on content it cannot serialise
                    raise WriteFailed(
                        f"Could not save {self.label} ({exc}); the file was left as it was"
                    ) from exc
                fh.write(buffer.getvalue())
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, old_mode if old_mode is not None else _default_mode())
            if self._stamp is not None and self._file_stamp() != self._stamp:
                raise ConcurrentEdit(
                    f"{self.label} changed on disk while sheetcrm was saving it: nothing was "
                    "written; run the command again"
                )
            self._check_owner_locks()  # the owner may have opened it while we worked
            backup = self._backup() if old_mode is not None else None
            try:
                os.replace(tmp, self.path)
            except OSError:
                # The old file is still in place: this backup would only push out a real one.
                if backup is not None:
                    with contextlib.suppress(OSError):
                        backup.unlink()
                raise
            tmp = None
            _fsync_dir(directory)
        except OSError as exc:
            raise WriteFailed(
                f"Could not save {self.label} ({_reason(exc)}); the file was left as it was"
            ) from exc
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        with contextlib.suppress(OSError):
            self._rotate_backups()

    def _temp_prefix(self) -> str:
        return f".{self.path.name}."

    def _remove_stale_temp_files(self) -> None:
        """Delete temporary files left by a sheetcrm that was killed while saving.

        Only called under our own lock, so no other sheetcrm is writing one now.
        """
        prefix = self._temp_prefix()
        for leftover in self.path.parent.glob(f"{glob.escape(prefix)}*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()

    def _backup_pattern(self) -> re.Pattern[str]:
        return re.compile(
            re.escape(self.path.stem) + r"-\d{8}-\d{6}-\d{6}(?:-\d+)?" + re.escape(self.path.suffix)
        )

    def _backup(self) -> Path:
        folder = self.path.parent / BACKUP_DIR
        folder.mkdir(exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        target = folder / f"{self.path.stem}-{stamp}{self.path.suffix}"
        n = 1
        while target.exists():
            target = folder / f"{self.path.stem}-{stamp}-{n}{self.path.suffix}"
            n += 1
        try:
            shutil.copy2(self.path, target)
        except OSError:
            with contextlib.suppress(OSError):
                target.unlink()
            raise
        return target

    def _rotate_backups(self) -> None:
        folder = self.path.parent / BACKUP_DIR
        if not folder.is_dir():
            return
        pattern = self._backup_pattern()
        ours = sorted(p for p in folder.iterdir() if pattern.fullmatch(p.name))
        for old in ours[: max(0, len(ours) - self._keep_backups)]:
            old.unlink()


# ---------------------------------------------------------------- opening


def _open_workbook(data: bytes, label: str) -> Any:
    """Check the bytes of a tracker and load them with openpyxl (formulas kept)."""
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
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
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
        what = ", ".join(dict.fromkeys(lost))
        raise BackendError(
            f"{label} contains {what}, which sheetcrm would lose when saving: keep those in "
            "another workbook and remove them from the tracker, then run the command again"
        )
    if overflowed:
        try:
            _restore_overflowed_dates(wb, archive, set(overflowed))
        except (KeyError, ValueError, ElementTree.ParseError, zipfile.BadZipFile) as exc:
            raise NotATracker(damaged) from exc
    return wb


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
            raw = cell.findtext(f"{ns}v")
            if raw is None:
                continue
            number = float(raw)
            target_cell.value = int(number) if number.is_integer() else number


def _find_sheet(wb: Any, name: str) -> Any:
    """The worksheet called ``name``, ignoring case and stray spaces as Excel does."""
    if name in wb.sheetnames:
        return wb[name]
    want = name.strip().casefold()
    for title in wb.sheetnames:
        if title.strip().casefold() == want:
            return wb[title]
    return None


def _value_at(ws: Any, row: int, col: int) -> Any:
    """A cell's value without creating the cell (``ws.cell`` would)."""
    cell = ws._cells.get((row, col))
    return None if cell is None else cell.value


def _raw(value: Any) -> CellValue:
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


def _grid(ws: Any) -> Grid:
    """Raw values of a worksheet, trailing empty cells and rows trimmed."""
    # ws._cells holds only cells that exist; iter_rows would create every cell
    # up to a stray formatted cell at row 1,048,576.
    by_row: dict[int, dict[int, CellValue]] = {}
    for (row, col), cell in ws._cells.items():
        value = _raw(cell.value)
        if value is not None:
            by_row.setdefault(row, {})[col] = value
    if not by_row:
        return []
    grid: Grid = []
    for row in range(1, max(by_row) + 1):
        cells = by_row.get(row, {})
        width = max(cells) if cells else 0
        grid.append([cells.get(col) for col in range(1, width + 1)])
    return grid


# ---------------------------------------------------------------- writing cells


def _argb(colour: str) -> str:
    return "FF" + colour.lstrip("#").upper()


def _font(style: Style | None) -> Font:
    if style is None:
        return Font()
    return Font(bold=style.bold or None, italic=style.italic or None,
                underline="single" if style.underline else None, size=style.size,
                color=_argb(style.font_colour) if style.font_colour else None)


def _fill(style: Style | None) -> PatternFill:
    if style is None or not style.fill:
        return PatternFill()
    return PatternFill(fill_type="solid", fgColor=_argb(style.fill), bgColor=_argb(style.fill))


def _alignment(style: Style | None) -> Alignment:
    if style is None or not style.wrap:
        return Alignment()
    return Alignment(wrap_text=True, vertical="top")


def _style_target(target: Any, style: Style | None, keep_date_format: bool = False) -> None:
    """Give a cell or a whole column exactly this style (or the default for ``None``)."""
    target.font = _font(style)
    target.fill = _fill(style)
    target.alignment = _alignment(style)
    if style is not None and style.number_format:
        target.number_format = style.number_format
    elif not keep_date_format:
        target.number_format = "General"


def _fits_excel(number: float) -> bool:
    """Finite and within Excel's largest number (openpyxl writes 16 digits, so 1.8e308 = inf)."""
    return math.isfinite(number) and abs(number) <= EXCEL_MAX_NUMBER


def _clean_text(text: str) -> str:
    """Text Excel can hold: no control characters, at most 32,767 characters."""
    cleaned: str = ILLEGAL_CHARACTERS_RE.sub("", text)
    return cleaned[:MAX_TEXT]


def _plain_value(value: CellValue, where: str) -> CellValue:
    """A value openpyxl writes as it is: naive date-times, finite numbers."""
    if isinstance(value, dt.datetime | dt.time) and value.tzinfo is not None:
        # The engine's date-times are in the tracker's zone: keep that wall time.
        return value.replace(tzinfo=None)
    if isinstance(value, float) and not _fits_excel(value):
        raise SheetCRMError(f"{where}: {value} is not a number a spreadsheet can hold")
    return value


def _set_value(cell: Any, value: CellValue | Formula, where: str) -> None:
    """Write a value; a ``str`` always stays text, only a ``Formula`` becomes a formula."""
    if isinstance(value, Formula):
        text = value.text if value.text.startswith("=") else "=" + value.text
        cell.value = _clean_text(text)
        return
    if isinstance(value, str):
        cell.value = _clean_text(value)
        cell.data_type = "s"  # openpyxl turns "=..." into a formula and "#N/A" into an error
        return
    try:
        cell.value = _plain_value(value, where)
    except ValueError as exc:
        raise SheetCRMError(f"{where}: {value!r} cannot be written to a spreadsheet") from exc


# ---------------------------------------------------------------- rendering


class _Renderer:
    """Builds a new workbook from the template and the owned tabs' contents."""

    def __init__(self, template: Template, label: str) -> None:
        self.template = template
        self.label = label

    def workbook(self, contents: Mapping[str, TabContent], hidden: Collection[str] = ()) -> Any:
        """The whole new workbook, tabs in template order."""
        wb = openpyxl.Workbook()
        wb.properties.creator = "sheetcrm"
        first = wb.active
        written: set[str] = set()
        for index, tab in enumerate(self.template.tabs):
            ws = first if index == 0 else wb.create_sheet()
            ws.title = tab.name
            if tab.kind == "enquiries":
                self.enquiries(wb, ws, contents)
                self.enquiry_rows(ws, contents.get(tab.name))
            else:
                _write_tab(ws, contents.get(tab.name, TabContent(rows=[])), self.template,
                          f"{self.label}, tab '{tab.name}'")
            if tab.hidden:
                ws.sheet_state = "hidden"
            written.add(tab.name)
        for name, content in contents.items():
            if name not in written:
                extra = wb.create_sheet(name)
                _write_tab(extra, content, self.template, f"{self.label}, tab '{name}'")
                if name in hidden:
                    extra.sheet_state = "hidden"
        wb.active = next(i for i, ws in enumerate(wb.worksheets) if ws.sheet_state == "visible")
        return wb

    def enquiry_rows(self, ws: Any, content: TabContent | None) -> None:
        """Rows given for the Enquiries tab: extra headers on row 1, values below."""
        if content is None:
            return
        columns = self.template.enquiries.columns
        for r, row in enumerate(content.rows, start=1):
            for c, cell in enumerate(row, start=1):
                if cell.value is None or (r == 1 and c <= len(columns)):
                    continue
                spec = columns[c - 1] if c <= len(columns) and r > 1 else None
                _write_cell(ws.cell(row=r, column=c), cell, self.template,
                            f"{self.label}, Enquiries!{column_letter(c)}{r}",
                            spec.style if spec else None)

    def sla_hours_ref(self, contents: Mapping[str, TabContent]) -> str:
        """``INDIRECT("Settings!$B$6")`` for the cell right of the SLA hours label."""
        settings_tab = self.template.tab("settings")
        label = next(s.label for s in settings_tab.settings if s.key == "sla_hours")
        content = contents.get(settings_tab.name)
        for r, row in enumerate(content.rows if content else [], start=1):
            for c, cell in enumerate(row, start=1):
                text = cell.value
                if isinstance(text, str) and text.strip().casefold() == label.casefold():
                    ref = f"{_quote_sheet(settings_tab.name)}!${column_letter(c + 1)}${r}"
                    return f'INDIRECT("{ref}")'
        raise SheetCRMError(
            f"The {settings_tab.name} tab for {self.label} has no '{label}' row, which the "
            "conditional formats need"
        )

    def enquiries(self, wb: Any, ws: Any, contents: Mapping[str, TabContent]) -> None:
        """Headers, notes, widths, column formats, dropdowns and conditional formats."""
        tab = self.template.enquiries
        rows = self.template.rows
        header_style = self.template.styles.get("header")
        letters = {col.key: column_letter(i) for i, col in enumerate(tab.columns, start=1)}
        for i, col in enumerate(tab.columns, start=1):
            letter = letters[col.key]
            cell = ws.cell(row=1, column=i)
            _set_value(cell, col.header, f"{self.label}, Enquiries!{letter}1")
            _style_target(cell, header_style)
            if col.note:
                cell.comment = _note(col.note)
            dim = ws.column_dimensions[letter]
            # A column style reaches rows the owner types later, at no cost per row.
            _style_target(dim, self.template.styles.get(col.style) if col.style else None)
            dim.width = col.width
            if col.validation is not None:
                ws.add_data_validation(self.validation(wb, col, f"{letter}2:{letter}{rows}"))
        ws.row_dimensions[1].height = 32
        if tab.freeze_rows or tab.freeze_cols:
            ws.freeze_panes = f"{column_letter(tab.freeze_cols + 1)}{tab.freeze_rows + 1}"
        if tab.conditional_formats:
            sla_ref = self.sla_hours_ref(contents)
            last = column_letter(len(tab.columns))
            for rule in tab.conditional_formats:
                style = self.template.styles[rule.style]
                formula = self.template.cf_formula(rule, letters, row=2, sla_hours_ref=sla_ref)
                ws.conditional_formatting.add(
                    f"A2:{last}{rows}",
                    FormulaRule(formula=[formula], font=Font(
                        color=_argb(style.font_colour) if style.font_colour else None,
                        bold=style.bold or None), fill=_fill(style)),
                )

    def validation(self, wb: Any, col: Column, sqref: str) -> DataValidation:
        """The dropdown or number range of a column, warning rather than blocking."""
        v = col.validation
        assert v is not None
        if v.kind == "list":
            if v.source:
                formula = v.source
                if "!" in v.source:
                    name = f"sheetcrm_{col.key}_list"
                    wb.defined_names[name] = DefinedName(name, attr_text=v.source)
                    formula = name
            else:
                formula = '"' + ",".join(v.values) + '"'
            dv = DataValidation(type="list", formula1=formula, allow_blank=True)
            dv.error = (f"{col.header}: pick one from the list. sheetcrm still reads close "
                        "spellings, so you can keep this value if you mean it.")
        else:
            dv = DataValidation(type="whole", operator="between", allow_blank=True,
                                formula1=str(v.min if v.min is not None else -(10**9)),
                                formula2=str(v.max if v.max is not None else 10**9))
            dv.error = f"{col.header}: type a whole number from {v.min} to {v.max}."
        dv.errorStyle = "warning"  # a nudge, not a block: the owner knows best
        dv.errorTitle = "Check this value"
        dv.showErrorMessage = True
        dv.add(sqref)
        return dv


def _note(text: str) -> Comment:
    comment = Comment(text, "sheetcrm")
    comment.width = 300
    comment.height = 110
    return comment


def _quote_sheet(name: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
        return name
    return "'" + name.replace("'", "''") + "'"


def _style(template: Template, name: str | None, where: str) -> Style | None:
    if name is None:
        return None
    try:
        return template.styles[name]
    except KeyError:
        raise SheetCRMError(f"{where}: the template has no style called {name!r}") from None


def _write_cell(target: Any, cell: Cell, template: Template, where: str,
               fallback_style: str | None = None) -> None:
    """Write a ``Cell`` (value, named style, link) into an openpyxl cell, replacing its style."""
    style_name = cell.style or fallback_style or ("link" if cell.link else None)
    keep_date = isinstance(cell.value, dt.date | dt.time)
    # Style first: a date written into a cell without a date format makes openpyxl
    # register a default format, and the file would differ from the next refresh's.
    _style_target(target, _style(template, style_name, where), keep_date_format=keep_date)
    _set_value(target, cell.value, where)
    target.hyperlink = cell.link if cell.link else None  # a link with no text shows the URL


def _write_tab(ws: Any, content: TabContent, template: Template, where: str) -> None:
    """Replace everything on an owned tab with ``content`` (pictures the owner added stay)."""
    for merged in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(merged))
    ws._cells.clear()  # no public call empties a sheet without walking every cell
    ws._charts.clear()
    ws.conditional_formatting = ConditionalFormattingList()
    ws.data_validations.dataValidation = []
    for key in list(ws.column_dimensions):
        del ws.column_dimensions[key]
    for key in list(ws.row_dimensions):
        del ws.row_dimensions[key]
    for r, row in enumerate(content.rows, start=1):
        for c, cell in enumerate(row, start=1):
            if cell.value is None and cell.style is None and cell.link is None:
                continue
            _write_cell(ws.cell(row=r, column=c), cell, template,
                       f"{where}, cell {column_letter(c)}{r}")
    for col, width in content.widths.items():
        ws.column_dimensions[column_letter(col)].width = width
    ws.freeze_panes = f"A{content.freeze_rows + 1}" if content.freeze_rows else None
    for chart in content.charts:
        _add_chart(ws, chart)


def _add_chart(ws: Any, spec: Chart) -> None:
    """A native bar or line chart; a block with no data rows draws nothing."""
    if spec.last_row <= spec.first_row or spec.last_col <= spec.first_col:
        return
    chart: Any = BarChart() if spec.kind == "bar" else LineChart()
    if spec.kind == "bar":
        chart.type = "col"
    chart.title = spec.title
    data = Reference(ws, min_col=spec.first_col + 1, max_col=spec.last_col,
                     min_row=spec.first_row, max_row=spec.last_row)
    cats = Reference(ws, min_col=spec.first_col, max_col=spec.first_col,
                     min_row=spec.first_row + 1, max_row=spec.last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    if spec.y_axis_title:
        chart.y_axis.title = spec.y_axis_title
    if spec.percent:
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
    # openpyxl 3.1 leaves axes unset, which newer Excel reads as deleted (no labels).
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width = 18
    chart.height = 8
    ws.add_chart(chart, f"{column_letter(spec.anchor_col)}{spec.anchor_row}")


# ---------------------------------------------------------------- refresh writes


def _own_dimension(ws: Any, col: int) -> Any:
    """The width/style record of column ``col`` alone, or None if it shares one.

    Excel and LibreOffice store neighbouring columns of equal width as one
    ``<col min max>`` record; adding a record inside it would overlap, which
    Excel reports as a damaged file.  Such a column keeps the group's look.
    """
    for dim in ws.column_dimensions.values():
        low, high = dim.min or 0, dim.max or 0
        if low <= col <= high and (low, high) != (col, col):
            return None
    return ws.column_dimensions[column_letter(col)]


def _norm(header: Any) -> str:
    return header_key(header)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Writer:
    """Changes to a loaded tracker; nothing here saves."""

    def __init__(self, template: Template, wb: Any, label: str) -> None:
        self.template = template
        self.wb = wb
        self.label = label
        self.tab = template.enquiries
        ws = _find_sheet(wb, self.tab.name)
        if ws is None:
            raise NotATracker(
                f"{label} is not a sheetcrm tracker: it has no '{self.tab.name}' tab"
            )
        self.ws = ws
        self.by_header = {_norm(c.header): c for c in self.tab.columns}

    def headers(self) -> dict[str, int]:
        """Normalised header on row 1 -> column number (first one wins)."""
        found: dict[str, int] = {}
        first_row = sorted((col, cell.value) for (row, col), cell in self.ws._cells.items()
                           if row == 1 and not _blank(cell.value))
        for col, value in first_row:
            found.setdefault(_norm(value), col)
        return found

    def last_used_column(self) -> int:
        """The right-most column holding any value."""
        return max((c for (_, c), cell in self.ws._cells.items() if cell.value is not None),
                   default=0)

    def column_for(self, header: str, headers: dict[str, int]) -> int:
        """The column of ``header``, adding it after the last used column when missing."""
        key = _norm(header)
        if key in headers:
            return headers[key]
        col = self.last_used_column() + 1
        spec = self.by_header.get(key)
        cell = self.ws.cell(row=1, column=col)
        _set_value(cell, spec.header if spec else header, f"{self.label}, Enquiries row 1")
        _style_target(cell, self.template.styles.get("header"))
        if spec is not None:
            if spec.note:
                cell.comment = _note(spec.note)
            dim = _own_dimension(self.ws, col)
            if dim is not None:
                _style_target(dim, self.template.styles.get(spec.style) if spec.style else None)
                dim.width = spec.width
        headers[key] = col
        return col

    def check_ids(self, expected: Sequence[CellValue], headers: dict[str, int]) -> None:
        id_col = headers.get(_norm(self.template.column("id").header))
        now = [_raw(_value_at(self.ws, row, id_col)) if id_col else None
               for row in range(2, len(expected) + 2)]
        if not ids_match(expected, now):
            raise ConcurrentEdit(
                f"The {self.tab.name} tab of {self.label} changed since it was read "
                "(the ID column moved): read it again and retry"
            )

    def apply(self, changes: Changes) -> None:
        """Computed columns, blank-ID fills, owned tabs and meta, in memory."""
        headers = self.headers()
        self.check_ids(changes.expected_ids, headers)
        for header, cells in changes.computed.items():
            self.write_column(header, cells, headers)
        if changes.id_fills:
            id_col = self.column_for(self.template.column("id").header, headers)
            for row, new_id in sorted(changes.id_fills.items()):
                target = self.ws.cell(row=row, column=id_col)
                if _blank(target.value):
                    _set_value(target, new_id, f"{self.label}, Enquiries row {row}")
        for name, content in changes.tabs.items():
            ws = _find_sheet(self.wb, name)
            if ws is None:
                ws = self.new_tab(name)
            _write_tab(ws, content, self.template, f"{self.label}, tab '{ws.title}'")
        if changes.meta:
            self.write_meta(changes.meta)

    def write_column(self, header: str, cells: list[Cell], headers: dict[str, int]) -> None:
        """One computed column from row 2, clearing old values below the list."""
        col = self.column_for(header, headers)
        spec = self.by_header.get(_norm(header))
        fallback = spec.style if spec else None
        letter = column_letter(col)
        for i, cell in enumerate(cells):
            _write_cell(self.ws.cell(row=i + 2, column=col), cell, self.template,
                       f"{self.label}, Enquiries!{letter}{i + 2}", fallback)
        stale = [r for (r, c), x in self.ws._cells.items()
                 if c == col and r > len(cells) + 1 and (x.value is not None or x.hyperlink)]
        for row in stale:
            _write_cell(self.ws.cell(row=row, column=col), Cell(None), self.template,
                       f"{self.label}, Enquiries!{letter}{row}", fallback)

    def new_tab(self, name: str) -> Any:
        """A new tab placed after the existing tabs that precede it in the template."""
        order = [t.name.casefold() for t in self.template.tabs]
        index = 1
        if name.casefold() in order:
            before = set(order[: order.index(name.casefold())])
            for i, title in enumerate(self.wb.sheetnames):
                if title.casefold() in before:
                    index = i + 1
        else:
            index = len(self.wb.sheetnames)
        return self.wb.create_sheet(name, index)

    def write_meta(self, meta: Mapping[str, str]) -> None:
        """Update or add keys (column A) and values (column B) on the hidden meta tab."""
        name = self.template.tab("meta").name
        ws = _find_sheet(self.wb, name)
        if ws is None:
            ws = self.wb.create_sheet(name)
            ws.sheet_state = "hidden"
        key_rows: dict[str, int] = {}
        for (r, c), cell in ws._cells.items():
            if c == 1 and isinstance(cell.value, str):
                key_rows.setdefault(cell.value.strip(), r)
        next_row = max((r for (r, _) in ws._cells), default=0) + 1
        for key, value in meta.items():
            row = key_rows.get(key)
            if row is None:
                row = next_row
                next_row += 1
                _set_value(ws.cell(row=row, column=1), key, f"{self.label}, tab '{name}'")
            _set_value(ws.cell(row=row, column=2), value, f"{self.label}, tab '{name}'")

    def append(self, rows: Sequence[Mapping[str, CellValue]]) -> list[int]:
        """Check every row first, then write them below the last owner value."""
        headers = self.headers()
        computed = {_norm(c.header) for c in self.template.computed_columns()}
        prepared: list[dict[int, tuple[CellValue, str | None]]] = []
        for n, row in enumerate(rows, start=1):
            out: dict[int, tuple[CellValue, str | None]] = {}
            for header, value in row.items():
                key = _norm(header)
                if key not in headers:
                    known = ", ".join(
                        str(self.ws.cell(row=1, column=c).value) for c in sorted(headers.values())
                    )
                    raise InputError(
                        f"{self.label} has no '{str(header).strip()}' column on the "
                        f"{self.tab.name} tab: use one of {known}; nothing was added"
                    )
                spec = self.by_header.get(key)
                out[headers[key]] = (self.checked(value, n, str(header).strip()),
                                     spec.style if spec else None)
            if all(_blank(value) for value, _ in out.values()):
                raise InputError(f"Enquiry {n} has no values: fill it in or leave it out; "
                                 "nothing was added")
            prepared.append(out)
        owner_cols = {c for k, c in headers.items() if k not in computed}
        last = 1
        for (r, c), cell in self.ws._cells.items():
            if r > last and c in owner_cols and not _blank(cell.value):
                last = r
        numbers = []
        for i, values in enumerate(prepared):
            number = last + 1 + i
            numbers.append(number)
            for col, (value, style_name) in values.items():
                target = self.ws.cell(row=number, column=col)
                where = f"{self.label}, Enquiries!{column_letter(col)}{number}"
                if style_name is not None:
                    _style_target(target, self.template.styles[style_name],
                                  keep_date_format=isinstance(value, dt.date | dt.time))
                _set_value(target, value, where)
        if numbers:
            self.grow_tables(last, numbers[-1])
        return numbers

    def grow_tables(self, last: int, new_last: int) -> None:
        """Stretch an Excel table that ended on the last enquiry over the appended rows.

        Excel does this itself when the owner types below a table; without it
        the new rows would sit outside the table's formatting and filters.
        """
        for table in self.ws.tables.values():
            bounds = range_boundaries(table.ref)
            if bounds[3] != last or last < 2:
                continue
            table.ref = (f"{column_letter(bounds[0])}{bounds[1]}:"
                         f"{column_letter(bounds[2])}{new_last}")
            if table.autoFilter is not None:
                table.autoFilter.ref = table.ref

    def checked(self, value: Any, n: int, header: str) -> CellValue:
        """The value to append, or an InputError naming the enquiry and column."""
        where = f"Enquiry {n}, {header}"
        if isinstance(value, str):
            if ILLEGAL_CHARACTERS_RE.search(value):
                raise InputError(f"{where}: the text has control characters that Excel cannot "
                                 "store; remove them and try again (nothing was added)")
            if len(value) > MAX_TEXT:
                raise InputError(f"{where}: the text is longer than Excel's {MAX_TEXT} "
                                 "characters a cell; shorten it and try again (nothing was added)")
            return value
        if isinstance(value, int | float) and not isinstance(value, bool) \
                and not _fits_excel(value):
            raise InputError(f"{where}: {value} is not a number Excel can hold; "
                             "nothing was added")
        if value is None or isinstance(value, bool | int | float | dt.datetime | dt.date
                                       | dt.time):
            return _plain_value(value, where)
        raise InputError(f"{where}: {value!r} cannot be written to a spreadsheet; "
                         "nothing was added")


# ---------------------------------------------------------------- small helpers


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
