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
  sheetcrm commands from interleaving; :meth:`ExcelBackend.session` lets the
  engine hold it from read to apply.  A changed size, inode or modification
  time since :meth:`ExcelBackend.read` raises
  :class:`~sheetcrm.errors.ConcurrentEdit`.

The modules: :mod:`.files` (locks, stable reads, atomic saves, backups),
:mod:`.workbook` (opening a workbook safely, reading tabs as grids),
:mod:`.render` (styles, cells, owned tabs, a new tracker) and :mod:`.execute`
(a :class:`~sheetcrm.planner.Plan` carried out on a workbook).  Where a
write lands is decided by :func:`sheetcrm.planner.plan_write`, not here.

A refresh, ``add`` or ``import`` normally takes the fast path: the read with
python-calamine (:mod:`.fastread`) and the write by :mod:`.fastwrite`, which
loads only a stub of the workbook and streams the Enquiries rows.  Whatever
that path does not handle falls back to the openpyxl path before anything is
saved; :meth:`ExcelBackend.details` says which path wrote.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from ...errors import ConcurrentEdit, InputError, NotATracker, SheetCRMError, WriteFailed
from ...model import Changes, Grid, Snapshot, TabContent
from ...planner import plan_write
from ...template import Template, load_template
from ..base import BackendBase
from .fastread import read_book, read_grids
from .files import BACKUP_DIR, KEEP_BACKUPS, Stamp, TrackerFile

# The modules that use openpyxl (execute, fastwrite, package, render, workbook) are
# imported where they are used: `report` reads with python-calamine alone, and
# importing openpyxl would cost it a tenth of its time.

__all__ = ["BACKUP_DIR", "KEEP_BACKUPS", "ExcelBackend"]


class ExcelBackend(BackendBase):
    """A tracker stored in a local .xlsx file."""

    def __init__(self, path: Path | str, *, force: bool = False,
                 template: Template | None = None, lock_timeout: float = 10.0,
                 keep_backups: int = KEEP_BACKUPS) -> None:
        self.path = Path(path)
        self.force = force
        self._template = template
        self._file = TrackerFile(self.path, lock_timeout=lock_timeout,
                                 keep_backups=keep_backups)
        # The workbook last read and the file version it came from: apply writes
        # onto it, so an unchanged file is not parsed twice.
        self._wb: Any = None
        self._stamp: Stamp | None = None
        #: The grids the last read made of that workbook, so apply need not make them again.
        self._read_grids: dict[str, Grid] = {}
        self._notice: str | None = None
        #: Whether :meth:`read_saved` may read with python-calamine (tests turn it off).
        self.fast_read = True
        #: Which reader the last :meth:`read_saved` used: "fast" or "openpyxl".
        self.last_read_path: str | None = None
        #: Whether refresh, add and import may use the fast read and write (:mod:`.fastwrite`).
        self.fast_write = True
        #: Which writer the last :meth:`apply` used: "fast" or "openpyxl".
        self.last_write_path: str | None = None
        #: Why the last write could not take the fast path, in a few words (None if it did).
        self.fallback_reason: str | None = None
        self._fast: tuple[bytes, Stamp, dict[str, Grid]] | None = None

    # ------------------------------------------------------------ identity

    @property
    def label(self) -> str:
        """The tracker's path as the user gave it."""
        return str(self.path)

    @property
    def kind(self) -> str:
        """Always "Excel"."""
        return "Excel"

    @property
    def key(self) -> str:
        """The tracker's absolute path, links resolved."""
        return str(self.path.resolve())

    @property
    def template(self) -> Template:
        """The template used to find tabs and columns (the shipped one by default)."""
        if self._template is None:
            self._template = load_template()
        return self._template

    # ------------------------------------------------------------ the Backend protocol

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Hold sheetcrm's own lock on this tracker (re-entrant) for a read-then-write."""
        with self._file.lock():
            yield

    lock = session  # the name tests and older callers use

    def create(self, template: Template, contents: Mapping[str, TabContent]) -> None:
        """Render a new tracker from the template; refuses to replace a file unless ``force``.

        ``contents`` may also hold the Enquiries tab, for a tracker made from
        existing rows (an export) in the same single save: its first row is
        row 1, where cells under the template's columns are left to the
        template and cells further right add columns; the rows below are
        written as values in their column's style.  A tab that is not the
        template's is hidden when its content says so.
        """
        from .render import Renderer

        self._template = template
        self._forget()
        self._file.check_suffix()
        if not self.path.parent.is_dir():
            raise WriteFailed(
                f"Could not create {self.label}: the folder {self.path.parent} does not exist"
            )
        with self.session():
            if self.path.exists():
                if not self.force:
                    raise InputError(
                        f"{self.label} already exists: choose another file name, or use "
                        "--force to replace it (the old file is kept in sheetcrm-backups)"
                    )
                self._file.check_owner_locks()
            wb = Renderer(template, self.label).workbook(contents)
            self._file.save(wb.save, self._stamp)
            self._forget()

    def read(self, *, everything: bool = False) -> Snapshot:
        """Read the Enquiries, Settings, Lists and meta tabs (or every tab) in one pass."""
        self.fallback_reason = None
        if not everything and self.fast_write:
            fast = self._fast_read()
            if fast is not None:
                return fast
            self.fallback_reason = ("the file holds values or extensions that only openpyxl "
                                    "reads exactly")
        elif not self.fast_write:
            self.fallback_reason = "the fast path is turned off"
        from .workbook import find_sheet, grid

        wb = self._load()
        tabs: dict[str, Grid] = {}
        if everything:
            names = {t.name.strip().casefold(): t.name for t in self.template.tabs}
            for ws in wb.worksheets:
                tabs.setdefault(names.get(ws.title.strip().casefold(), ws.title), grid(ws))
        else:
            for kind in ("enquiries", "settings", "lists", "meta", "spend"):
                if not self.template.has_tab(kind):
                    continue
                ws = find_sheet(wb, self.template.tab(kind).name)
                if ws is not None:
                    tabs[self.template.tab(kind).name] = grid(ws)
        self._read_grids = tabs
        # With everything, tabs are named as the template names them, as on Google.
        order = tuple(tabs) if everything else tuple(wb.sheetnames)
        return Snapshot(tabs=tabs, tab_names=order)

    def read_saved(self) -> Snapshot:
        """Read the tabs a report needs, fast, from the file as last saved.

        Unlike :meth:`read`, a tracker the owner has open is read too (reading
        cannot harm it); :attr:`notice` then says the figures are from the last
        saved copy.  python-calamine reads the values when it reads them exactly
        as openpyxl would (:mod:`.fastread`); otherwise openpyxl does.
        """
        self._notice = None
        self._file.check_suffix()
        open_by = self._file.owner_lock()
        data, _stamp = self._file.read()
        kinds = [k for k in ("enquiries", "settings", "lists", "meta", "spend")
                 if self.template.has_tab(k)]
        names = [self.template.tab(kind).name for kind in kinds]
        grids = read_grids(data, names) if self.fast_read else None
        if grids is not None:
            self.last_read_path = "fast"
        else:
            self.last_read_path = "openpyxl"
            from .workbook import find_sheet, grid, open_workbook

            wb = open_workbook(data, self.label)
            grids = {}
            for name in names:
                ws = find_sheet(wb, name)
                if ws is not None:
                    grids[name] = grid(ws)
        if self.template.enquiries.name not in grids:
            raise NotATracker(
                f"{self.label} is not a sheetcrm tracker: it has no "
                f"'{self.template.enquiries.name}' tab"
            )
        if open_by is not None:
            self._notice = (
                f"{self.label} is open in Excel or LibreOffice ({open_by}): these figures are "
                "from its last saved copy, without any changes not yet saved"
            )
        return Snapshot(tabs=grids, tab_names=tuple(grids))

    def details(self) -> dict[str, str]:
        """Which writer the last write used: ``{"excel_path": "fast" | "openpyxl"}``."""
        if not self.last_write_path:
            return {}
        out = {"excel_path": self.last_write_path}
        if self.last_write_path == "openpyxl" and self.fallback_reason:
            out["excel_fallback"] = self.fallback_reason
        return out

    @property
    def notice(self) -> str | None:
        """Set when the last :meth:`read_saved` read a tracker that is open elsewhere."""
        return self._notice

    def apply(self, changes: Changes) -> list[int]:
        """Plan ``changes`` against the file as it is now and save them in one atomic write."""
        from .execute import Executor

        self._file.check_owner_locks()
        with self.session():
            if self._fast is not None:
                appended = self._apply_fast(changes)
                if appended is not None:
                    return appended
            wb = self._current_workbook()
            self.last_write_path = "openpyxl"
            try:
                plan = plan_write(changes, self._grids(wb, changes), self.template, self.label,
                                  changed_only=False)
                Executor(self.template, wb, self.label).run(plan)
                if not plan.empty:
                    self._file.save(wb.save, self._stamp)
            except BaseException:
                self._forget()  # the in-memory workbook may be half-changed
                raise
            self._read_grids = {}  # the workbook now holds what the plan wrote
            self._stamp = self._file.stamp()
            return plan.appended

    # ------------------------------------------------------------ loading

    def _grids(self, wb: Any, changes: Changes) -> dict[str, Grid]:
        """The tabs the planner needs, as they are in ``wb``, by template name."""
        from .workbook import find_sheet, grid

        names = [self.template.enquiries.name, self.template.tab("meta").name]
        if changes.log is not None:
            names.append(changes.log.tab)
        names += [*changes.fills, *changes.new_tabs]
        out: dict[str, Grid] = {}
        for name in names:
            if name in self._read_grids:
                out[name] = self._read_grids[name]
            elif (ws := find_sheet(wb, name)) is not None:
                out[name] = grid(ws)
        return out

    def _fast_read(self) -> Snapshot | None:
        """The read for a refresh, add or import with python-calamine, if it reads exactly."""
        from .workbook import check_package

        self._file.check_suffix()
        self._file.check_owner_locks()
        data, stamp = self._file.read()
        check_package(data, self.label)
        kinds = [k for k in ("enquiries", "settings", "lists", "meta", "spend")
                 if self.template.has_tab(k)]
        book = read_book(data, [self.template.tab(kind).name for kind in kinds],
                         refuse_extensions=True)
        if book is None or self.template.enquiries.name not in book[1]:
            return None
        titles, tabs = book
        self._forget()
        self._fast = (data, stamp, tabs)
        self._stamp = stamp
        return Snapshot(tabs=tabs, tab_names=tuple(titles))

    def _apply_fast(self, changes: Changes) -> list[int] | None:
        """Write through :class:`.fastwrite.FastWriter`; None when the openpyxl path must."""
        from .fastwrite import FastWriter
        from .package import Unsupported

        assert self._fast is not None
        data, stamp, tabs = self._fast
        if self._file.stamp() != stamp:
            self._forget()
            raise ConcurrentEdit(
                f"{self.label} changed on disk since it was read: read it again and retry"
            )
        names = [self.template.enquiries.name, self.template.tab("meta").name]
        if changes.fills or changes.new_tabs:
            # upgrade: rare, and it writes into owner tabs
            self._fallback(data, stamp, "an upgrade writes into the owner's tabs")
            return None
        grids = {name: tabs[name] for name in names if name in tabs}
        if changes.log is not None:
            # The log tab (History) is not among the tabs read for the engine.
            logged = read_grids(data, [changes.log.tab])
            if logged is None:
                self._fallback(data, stamp,
                               f"only openpyxl reads the {changes.log.tab} tab exactly")
                return None
            grids.update(logged)
        plan = plan_write(changes, grids, self.template, self.label, changed_only=False)
        if plan.empty:
            return plan.appended
        try:
            new = FastWriter(self.template, data, self.label).write(plan)
        except SheetCRMError:
            self._forget()
            raise
        except Exception as exc:  # noqa: BLE001 - any shape the fast path did not expect
            reason = (str(exc) if isinstance(exc, Unsupported)
                      else f"something it did not expect: {type(exc).__name__}")
            self._fallback(data, stamp, reason or "a shape it was not built for")
            return None
        try:
            self._file.save(lambda fh: _write_all(fh, new), stamp)
        except BaseException:
            self._forget()
            raise
        self.last_write_path = "fast"
        self._forget()
        self._stamp = self._file.stamp()
        return plan.appended

    def _fallback(self, data: bytes, stamp: Stamp, reason: str) -> None:
        """Load the bytes already read with openpyxl, for the openpyxl path."""
        from .workbook import open_workbook

        self.fallback_reason = reason
        self._forget()
        wb = open_workbook(data, self.label)
        self._wb, self._stamp = wb, stamp

    def _forget(self) -> None:
        self._fast = None
        self._wb = None
        self._stamp = None
        self._read_grids = {}

    def _current_workbook(self) -> Any:
        """The workbook read earlier if the file has not changed since, else a fresh load."""
        if self._wb is None:
            return self._load()
        if self._file.stamp() != self._stamp:
            self._forget()
            raise ConcurrentEdit(
                f"{self.label} changed on disk since it was read: read it again and retry"
            )
        return self._wb

    def _load(self) -> Any:
        from .workbook import find_sheet, open_workbook

        self._file.check_suffix()
        self._file.check_owner_locks()
        data, stamp = self._file.read()
        wb = open_workbook(data, self.label)
        if find_sheet(wb, self.template.enquiries.name) is None:
            raise NotATracker(
                f"{self.label} is not a sheetcrm tracker: it has no "
                f"'{self.template.enquiries.name}' tab"
            )
        self._wb = wb
        self._stamp = stamp
        return wb


def _write_all(fh: BinaryIO, data: bytes) -> None:
    fh.write(data)
