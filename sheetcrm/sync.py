"""An offline Excel copy of a Google tracker, and merging it back.

``export_to_excel`` writes a complete tracker (.xlsx) that sheetcrm can refresh
like any Excel tracker, plus a hidden tab holding the owner columns as they
were at export time: the *base*.  ``sync_from_excel`` merges rows added or
edited offline back into the sheet by ID, three ways against that base:

* changed offline only: the sheet takes the offline value;
* changed in the sheet only, or the same change on both sides: nothing to do;
* changed differently on both sides: a conflict.  The sheet keeps its value,
  and both values are listed on a Conflicts tab in the sheet and in the result,
  so neither is lost.

Rows added offline are appended; an offline ID that the sheet has since given
to another enquiry is left blank so the next refresh issues a fresh one.
Nothing is ever deleted from the sheet.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from . import tracker, views
from .backends.excel import ExcelBackend, write_cell
from .backends.google import GoogleBackend, serial
from .cells import text_of
from .errors import ConcurrentEdit, InputError, SheetCRMError, WriteFailed
from .model import Cell, CellValue, Grid, Snapshot, TabContent
from .settings import settings_to_contents
from .template import Template, load_template

BASE_TAB = "sheetcrm_base"
CONFLICTS_TAB = "Conflicts"
CONFLICT_HEADER = ("When", "ID", "Column", "Kept in the sheet", "Offline copy", "From file")
MARKER = "sheetcrm export of"
ATTEMPTS = 3
EPOCH = dt.datetime(1899, 12, 30)


@dataclass(frozen=True)
class Conflict:
    """One cell changed differently in the sheet and in the offline copy."""

    id: str
    column: str
    sheet_value: CellValue
    offline_value: CellValue


@dataclass
class SyncResult:
    """What a sync did."""

    added: int = 0
    updated: int = 0  # rows with at least one cell taken from the offline copy
    cells_updated: int = 0
    renumbered: int = 0  # added rows whose offline ID was already taken in the sheet
    conflicts: list[Conflict] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for --json."""
        return {
            "added": self.added,
            "updated": self.updated,
            "cells_updated": self.cells_updated,
            "renumbered": self.renumbered,
            "conflicts": [
                {"id": c.id, "column": c.column, "sheet_value": _jsonable(c.sheet_value),
                 "offline_value": _jsonable(c.offline_value)}
                for c in self.conflicts
            ],
        }


# --------------------------------------------------------------------------- export


def export_to_excel(
    google: GoogleBackend, path: Path, *, now: dt.datetime | None = None, force: bool = False
) -> Path:
    """Write the Google tracker to ``path`` as a complete, refreshed Excel tracker."""
    template = load_template()
    path = Path(path)
    everything = google.read_all()
    enq_name = template.enquiries.name
    if enq_name not in everything.tabs:
        raise InputError(
            f"{google.label} is not a sheetcrm tracker: it has no {enq_name!r} tab, so there "
            "is nothing to export"
        )
    four = Snapshot(
        tabs={n: g for n, g in everything.tabs.items()
              if n in {template.tab(k).name for k in ("enquiries", "settings", "lists", "meta")}},
        tab_names=everything.tab_names,
    )
    settings = tracker.read_settings(four, template, google.label)
    grid = everything.tabs[enq_name]
    header = grid[0] if grid else []
    layout = tracker.find_layout(grid, template, google.label)
    id_col = layout.columns["id"]
    owner_cols = _owner_columns(header, template)
    missing = [
        r for r, row in enumerate(grid[1:], start=2)
        if any(not _blank(_at(row, i)) for i in owner_cols) and _blank(_at(row, id_col))
    ]
    if missing:
        raise InputError(
            f"{google.label}: {len(missing)} enquiries (first on row {missing[0]}) have no ID "
            f"yet: run `sheetcrm refresh` on the sheet first so every enquiry has an ID, then "
            "export again"
        )

    contents = _contents(everything, template, settings)
    date_cols = _date_columns(header, template)
    base: list[list[CellValue]] = [
        [MARKER, google.key, _now(now, settings).isoformat(timespec="seconds")],
        [header[i] for i in owner_cols],
    ]
    for row in grid[1:]:
        if any(not _blank(_at(row, i)) for i in owner_cols):
            base.append([_for_excel(_at(row, i), i in date_cols) for i in owner_cols])
    contents[BASE_TAB] = TabContent(rows=[[Cell(v) for v in line] for line in base])

    ExcelBackend(path, force=force).create(template, contents)
    _write_enquiries(path, template, grid, date_cols)
    tracker.refresh(ExcelBackend(path), now=now)
    return path


def _contents(everything: Snapshot, template: Template, settings: Any) -> dict[str, TabContent]:
    """Every tab but Enquiries, as the Excel backend's create takes them."""
    kinds = {t.name: t.kind for t in template.tabs}
    out: dict[str, TabContent] = {}
    for name in everything.tab_names:
        kind = kinds.get(name)
        grid = everything.tabs.get(name, [])
        if kind == "enquiries":
            continue
        if kind == "settings":
            out[name] = settings_to_contents(settings, template)
        elif kind == "about":
            out[name] = views.about_tab(template, settings)
        elif kind in ("today", "summary"):
            out[name] = views.placeholder_tab(name)  # the refresh after export rewrites them
        elif kind == "lists":
            out[name] = TabContent(rows=[[Cell(v, style="header" if r == 0 else None)
                                          for v in line] for r, line in enumerate(grid)],
                                   widths={1: 18})
        else:
            out[name] = TabContent(rows=[[Cell(v) for v in line] for line in grid])
    return out


def _write_enquiries(path: Path, template: Template, grid: Grid, date_cols: set[int]) -> None:
    """Put the sheet's enquiry rows into the new workbook, columns matched by header."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb[template.enquiries.name]
    header = grid[0] if grid else []
    places: dict[int, int] = {}
    styles: dict[int, str | None] = {}
    by_header = {c.header.casefold(): (i, c) for i, c in enumerate(template.enquiries.columns,
                                                                     start=1)}
    next_col = len(template.enquiries.columns) + 1
    for i, value in enumerate(header):
        text = text_of(value)
        if not text:
            continue
        if text.casefold() in by_header:
            col, spec = by_header[text.casefold()]
            places[i] = col
            styles[i] = spec.style
        else:
            # A column the owner added in the sheet comes along, after the template's.
            places[i] = next_col
            styles[i] = None
            write_cell(ws.cell(row=1, column=next_col), Cell(text, style="header"), template,
                       f"{path}, Enquiries row 1")
            next_col += 1
    for r, row in enumerate(grid[1:], start=2):
        for i, col in places.items():
            value = _at(row, i)
            if _blank(value):
                continue
            write_cell(ws.cell(row=r, column=col),
                       Cell(_for_excel(value, i in date_cols), style=styles[i]), template,
                       f"{path}, Enquiries row {r}")
    wb[BASE_TAB].sheet_state = "hidden"
    _save_atomically(wb, path)


def _save_atomically(wb: Any, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            wb.save(fh)
        os.replace(tmp, path)
    except OSError as exc:
        raise WriteFailed(f"Could not save {path} ({exc.strerror or exc})") from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


# --------------------------------------------------------------------------- sync


def sync_from_excel(
    path: Path, google: GoogleBackend, *, now: dt.datetime | None = None
) -> SyncResult:
    """Merge rows added or edited in the offline copy at ``path`` back into the sheet."""
    template = load_template()
    path = Path(path)
    offline = ExcelBackend(path).read()
    enq_name = template.enquiries.name
    offline_grid = offline.tabs.get(enq_name, [])
    base_key, base_header, base_rows = _read_base(path)
    if base_key != google.key:
        raise InputError(
            f"{path} was exported from another Google sheet ({base_key}): sync it with that "
            "one, or export this sheet again"
        )
    for attempt in range(1, ATTEMPTS + 1):
        snapshot = google.read()
        settings = tracker.read_settings(snapshot, template, google.label)
        plan = _plan_sync(template, snapshot.tabs[enq_name], offline_grid, base_header,
                          base_rows)
        stamp = _now(now, settings).replace(tzinfo=None, microsecond=0)
        log = [[stamp, c.id, c.column, _show(c.sheet_value, c.column, template),
                _show(c.offline_value, c.column, template), path.name]
               for c in plan.result.conflicts]
        try:
            google.merge(plan.edits, plan.new_rows, log_tab=CONFLICTS_TAB,
                         log_header=CONFLICT_HEADER, log_rows=log)
        except ConcurrentEdit:
            if attempt == ATTEMPTS:
                raise ConcurrentEdit(
                    f"{google.label} kept changing while sheetcrm was syncing {path} into it: "
                    "nothing was written; run the sync again in a minute"
                ) from None
            continue
        return plan.result
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class _SyncPlan:
    edits: dict[tuple[int, str], CellValue] = field(default_factory=dict)
    new_rows: list[dict[str, CellValue]] = field(default_factory=list)
    result: SyncResult = field(default_factory=SyncResult)


def _plan_sync(
    template: Template,
    sheet_grid: Grid,
    offline_grid: Grid,
    base_header: Sequence[CellValue],
    base_rows: Sequence[Sequence[CellValue]],
) -> _SyncPlan:
    id_header = template.column("id").header
    headers = [text_of(h) for h in base_header]
    id_i = _index_of(headers, id_header)
    if id_i is None:
        raise SheetCRMError(f"The export's base copy has no {id_header!r} column")
    base = {text_of(_at(r, id_i)): r for r in base_rows if text_of(_at(r, id_i))}
    sheet_cols = _header_map(sheet_grid)
    offline_cols = _header_map(offline_grid)
    sheet_id_col = sheet_cols.get(id_header.casefold())
    offline_id_col = offline_cols.get(id_header.casefold())
    if sheet_id_col is None or offline_id_col is None:
        raise InputError(f"Both trackers need an {id_header!r} column on row 1 to be synced")
    sheet_rows: dict[str, tuple[int, list[CellValue]]] = {}
    for r, row in enumerate(sheet_grid[1:], start=2):
        key = text_of(_at(row, sheet_id_col))
        if key and key not in sheet_rows:
            sheet_rows[key] = (r, row)
    compared = [(i, h) for i, h in enumerate(headers)
                if h and h.casefold() != id_header.casefold()
                and h.casefold() in sheet_cols and h.casefold() in offline_cols]
    plan = _SyncPlan()
    for row in offline_grid[1:]:
        key = text_of(_at(row, offline_id_col))
        values = {h: _at(row, offline_cols[h.casefold()]) for _, h in compared}
        if all(_blank(v) for v in values.values()):
            continue
        if key not in base:
            record = {h: v for h, v in values.items() if not _blank(v)}
            if key and key not in sheet_rows:
                record[id_header] = key
            elif key:
                plan.result.renumbered += 1
            plan.new_rows.append(record)
            plan.result.added += 1
            continue
        base_row = base[key]
        found = sheet_rows.get(key)
        changed_row = False
        for i, h in compared:
            b, e = _at(base_row, i), values[h]
            if _same(b, e):
                continue
            if found is None:
                # Deleted in the sheet, edited offline: keep the offline value on record.
                plan.result.conflicts.append(Conflict(key, h, None, e))
                continue
            r, sheet_row = found
            g = _at(sheet_row, sheet_cols[h.casefold()])
            if _same(g, e):
                continue
            if _same(g, b):
                plan.edits[(r, h)] = e
                plan.result.cells_updated += 1
                changed_row = True
            else:
                plan.result.conflicts.append(Conflict(key, h, g, e))
        if changed_row:
            plan.result.updated += 1
    return plan


def _read_base(path: Path) -> tuple[str, list[CellValue], list[list[CellValue]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # the Excel backend's read already vetted the file
        raise InputError(f"Cannot open {path} to sync it ({exc})") from None
    try:
        if BASE_TAB not in wb.sheetnames:
            raise InputError(
                f"{path} was not made by `sheetcrm export` (it has no {BASE_TAB!r} tab), so "
                "sheetcrm cannot tell what changed offline: export the sheet again and make "
                "the changes in that copy"
            )
        rows = [list(r) for r in wb[BASE_TAB].iter_rows(values_only=True)]
    finally:
        wb.close()
    if len(rows) < 2 or rows[0][0] != MARKER or not isinstance(rows[0][1], str):
        raise InputError(f"The {BASE_TAB!r} tab of {path} was changed: export the sheet again")
    return rows[0][1], rows[1], rows[2:]


# --------------------------------------------------------------------------- values


def _canon(value: Any) -> Any:
    """A value in a form that compares equal across Excel and Google."""
    if value is None or (isinstance(value, str) and value == ""):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return round(serial(value), 6)
    if isinstance(value, int | float):
        return round(float(value), 6)
    return value


def _same(a: Any, b: Any) -> bool:
    return bool(_canon(a) == _canon(b))


def _for_excel(value: CellValue, is_date: bool) -> CellValue:
    """A Google serial number in a date column as a date-time for Excel."""
    if is_date and isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return (EPOCH + dt.timedelta(days=float(value))).replace(microsecond=0)
        except OverflowError:
            return value
    return value


def _show(value: CellValue, column: str, template: Template) -> CellValue:
    """A value for the Conflicts tab, dates made readable."""
    if value is None:
        return "(row deleted in the sheet)"
    header = column.casefold()
    dated = any(c.header.casefold() == header and c.style in ("datetime", "date")
                for c in template.enquiries.columns)
    return _for_excel(value, dated)


def _date_columns(header: Sequence[CellValue], template: Template) -> set[int]:
    dated = {c.header.casefold() for c in template.enquiries.columns
             if c.style in ("datetime", "date")}
    return {i for i, h in enumerate(header) if text_of(h).casefold() in dated}


def _owner_columns(header: Sequence[CellValue], template: Template) -> list[int]:
    computed = {c.header.casefold() for c in template.computed_columns()}
    return [i for i, h in enumerate(header) if text_of(h) and text_of(h).casefold()
            not in computed]


def _header_map(grid: Grid) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, h in enumerate(grid[0] if grid else []):
        key = text_of(h).casefold()
        if key and key not in out:
            out[key] = i
    return out


def _index_of(headers: Sequence[str], want: str) -> int | None:
    for i, h in enumerate(headers):
        if h.casefold() == want.casefold():
            return i
    return None


def _at(row: Sequence[CellValue], i: int) -> CellValue:
    return row[i] if i < len(row) else None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _now(now: dt.datetime | None, settings: Any) -> dt.datetime:
    return tracker.localise(now or dt.datetime.now(ZoneInfo(settings.timezone)), settings)


def _jsonable(value: CellValue) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


