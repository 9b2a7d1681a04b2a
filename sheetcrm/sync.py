"""An offline Excel copy of a Google tracker, and merging it back.

``export_to_excel`` writes a complete tracker (.xlsx) that sheetcrm can refresh
like any Excel tracker, plus a hidden tab holding the owner columns as they
were at export time: the *base*.  The workbook is made in one atomic save
(the Excel backend's ``create``, enquiries and base tab included) and then
refreshed like any Excel tracker.  ``sync_from_excel`` merges rows added or
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

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from . import tabs, tracker
from .backends.base import Backend
from .cells import from_serial, header_key, header_positions, text_of, to_serial
from .errors import ConcurrentEdit, InputError, NotATracker, SheetCRMError, TrackerNotFound
from .model import Cell, CellValue, Changes, Grid, LogLines, Settings, Snapshot, TabContent
from .opening import OpenOptions, open_tracker
from .template import Template, load_template

BASE_TAB = "sheetcrm_base"
CONFLICTS_TAB = "Conflicts"
CONFLICT_HEADER = ("When", "ID", "Column", "Kept in the sheet", "Offline copy", "From file")
MARKER = "sheetcrm export of"
ATTEMPTS = 3
ROW_DELETED = "(row deleted in the sheet)"
BLANK = "(blank)"


@dataclass(frozen=True)
class Conflict:
    """One cell changed differently in the sheet and in the offline copy.

    ``sheet_value`` and ``offline_value`` are raw cell values (a date in the
    sheet is a serial number); ``sheet_text`` and ``offline_text`` are the same
    values as the owner reads them, dates as dd/mm/yyyy hh:mm.
    """

    id: str
    column: str
    sheet_value: CellValue
    offline_value: CellValue
    #: The enquiry is no longer in the sheet (``sheet_value`` is then None).
    row_deleted: bool = False

    @property
    def sheet_text(self) -> str:
        """The value kept in the sheet, as text for people."""
        if self.row_deleted:
            return ROW_DELETED
        return value_text(self.sheet_value, self.column) or BLANK

    @property
    def offline_text(self) -> str:
        """The offline copy's value, as text for people."""
        return value_text(self.offline_value, self.column) or BLANK


@dataclass
class SyncResult:
    """What a sync did."""

    added: int = 0
    updated: int = 0  # rows with at least one cell taken from the offline copy
    cells_updated: int = 0
    renumbered: int = 0  # added rows whose offline ID was already taken in the sheet
    conflicts: list[Conflict] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for --json; conflicting values as text, dates as dd/mm/yyyy hh:mm."""
        return {
            "added": self.added,
            "updated": self.updated,
            "cells_updated": self.cells_updated,
            "renumbered": self.renumbered,
            "conflicts": [
                {"id": c.id, "column": c.column, "sheet_value": c.sheet_text,
                 "offline_value": c.offline_text, "row_deleted": c.row_deleted}
                for c in self.conflicts
            ],
        }


# --------------------------------------------------------------------------- export


def export_to_excel(
    google: Backend, path: Path, *, now: dt.datetime | None = None, force: bool = False
) -> Path:
    """Write the Google tracker to ``path`` as a complete, refreshed Excel tracker."""
    _require_google(google, "export copies a Google tracker to Excel")
    template = load_template()
    path = Path(path)
    everything = google.read(everything=True)
    enq_name = template.enquiries.name
    if enq_name not in everything.tabs:
        raise InputError(
            f"{google.label} is not a sheetcrm tracker: it has no {enq_name!r} tab, so there "
            "is nothing to export"
        )
    read_names = {template.tab(k).name for k in ("enquiries", "settings", "lists", "meta")}
    four = Snapshot(tabs={n: g for n, g in everything.tabs.items() if n in read_names},
                    tab_names=everything.tab_names)
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
    contents[enq_name] = _enquiries(grid, template, date_cols)
    base: list[list[CellValue]] = [
        [MARKER, google.key, _now(now, settings).isoformat(timespec="seconds")],
        [header[i] for i in owner_cols],
    ]
    for row in grid[1:]:
        if any(not _blank(_at(row, i)) for i in owner_cols):
            base.append([_for_excel(_at(row, i), i in date_cols) for i in owner_cols])
    contents[BASE_TAB] = TabContent(rows=[[Cell(v) for v in line] for line in base], hidden=True)

    # One atomic save makes the whole workbook; the refresh then fills the
    # computed columns, Today and Summary as for any Excel tracker.
    # The header notes give the sheet's own country's phone numbers as examples.
    open_tracker(str(path), OpenOptions(force=force)).create(
        load_template(settings.country), contents)
    tracker.refresh(open_tracker(str(path)), now=now)
    return path


def _require_google(backend: Backend, what: str) -> None:
    if backend.kind != "Google Sheets":
        raise InputError(f"{backend.label} is not a Google Sheets link: {what}")


def _contents(everything: Snapshot, template: Template, settings: Settings
              ) -> dict[str, TabContent]:
    """Every tab but Enquiries, as the Excel backend's create takes them."""
    by_name = {t.name: t for t in template.tabs}
    context = tabs.TabContext(template, settings)
    out: dict[str, TabContent] = {}
    for name in everything.tab_names:
        tab = by_name.get(name)
        kind = tab.kind if tab else None
        grid = everything.tabs.get(name, [])
        if kind == "enquiries" or name == BASE_TAB:
            continue
        if tab is not None and kind in ("settings", "about", "today", "summary"):
            # Settings as read, About as made; the refresh after export rewrites the others.
            out[name] = tabs.build(tab, context)
        elif kind == "lists":
            out[name] = TabContent(rows=[[Cell(v, style="header" if r == 0 else None)
                                          for v in line] for r, line in enumerate(grid)],
                                   widths={1: 18})
        else:
            out[name] = TabContent(rows=[[Cell(v) for v in line] for line in grid])
    return out


def _enquiries(grid: Grid, template: Template, date_cols: set[int]) -> TabContent:
    """The sheet's enquiry rows in the template's column order, for the Excel backend's create.

    Columns are matched by header; a column the owner added in the sheet
    comes along after the template's.
    """
    columns = template.enquiries.columns
    by_header = {c.header.casefold(): i for i, c in enumerate(columns)}
    header = grid[0] if grid else []
    places: dict[int, int] = {}
    first: list[Cell] = [Cell(None) for _ in columns]
    for i, value in enumerate(header):
        text = text_of(value)
        if not text:
            continue
        col = by_header.get(text.casefold())
        if col is None or col in places.values():
            col = len(first)
            first.append(Cell(text, style="header"))
        places[i] = col
    rows = [first]
    for row in grid[1:]:
        line = [Cell(None) for _ in first]
        for i, col in places.items():
            value = _at(row, i)
            if not _blank(value):
                line[col] = Cell(_for_excel(value, i in date_cols))
        rows.append(line)
    return TabContent(rows=rows)


# --------------------------------------------------------------------------- sync


def sync_from_excel(
    path: Path, google: Backend, *, now: dt.datetime | None = None
) -> SyncResult:
    """Merge rows added or edited in the offline copy at ``path`` back into the sheet."""
    _require_google(google, "sync merges an offline copy back into its Google tracker")
    template = load_template()
    path = Path(path)
    enq_name = template.enquiries.name
    offline_grid, base_key, base_header, base_rows = _read_offline(path, template)
    if base_key != google.key:
        raise InputError(
            f"{path} was exported from another Google sheet ({base_key}): sync it with that "
            "one, or export this sheet again"
        )
    #: What the first merge that went through did, if one went through and
    #: then had edits put back because rows moved under it (see merge).
    landed: SyncResult | None = None
    for attempt in range(1, ATTEMPTS + 1):
        snapshot = google.read()
        settings = tracker.read_settings(snapshot, template, google.label)
        plan = _plan_sync(template, snapshot.tabs[enq_name], offline_grid, base_header,
                          base_rows)
        stamp = _now(now, settings).replace(tzinfo=None, microsecond=0)
        log: list[list[CellValue]] = [
            [stamp, c.id, c.column, c.sheet_text, c.offline_text, path.name]
            for c in plan.result.conflicts
        ]
        if landed is not None:
            # The new rows and the log are in the sheet already; only edits remain.
            plan.new_rows, log = [], []
        try:
            google.apply(Changes(edits=plan.edits, new_rows=list(plan.new_rows),
                                 log=LogLines(CONFLICTS_TAB, CONFLICT_HEADER, log)))
        except ConcurrentEdit as exc:
            if exc.landed and landed is None:
                landed = plan.result
            if attempt == ATTEMPTS:
                done = ("the new enquiries were added, but some changed cells were not: "
                        if landed is not None else "nothing was written: ")
                raise ConcurrentEdit(
                    f"{google.label} kept changing while sheetcrm was syncing {path} into it: "
                    f"{done}run the sync again in a minute"
                ) from None
            continue
        return landed if landed is not None else plan.result
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
    sheet_id_col = sheet_cols.get(header_key(id_header))
    offline_id_col = offline_cols.get(header_key(id_header))
    if sheet_id_col is None or offline_id_col is None:
        raise InputError(f"Both trackers need an {id_header!r} column on row 1 to be synced")
    sheet_rows: dict[str, tuple[int, list[CellValue]]] = {}
    for r, row in enumerate(sheet_grid[1:], start=2):
        key = text_of(_at(row, sheet_id_col))
        if key and key not in sheet_rows:
            sheet_rows[key] = (r, row)
    compared = [(i, h) for i, h in enumerate(headers)
                if h and header_key(h) != header_key(id_header)
                and header_key(h) in sheet_cols and header_key(h) in offline_cols]
    plan = _SyncPlan()
    for row in offline_grid[1:]:
        key = text_of(_at(row, offline_id_col))
        values = {h: _at(row, offline_cols[header_key(h)]) for _, h in compared}
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
                plan.result.conflicts.append(Conflict(key, h, None, e, row_deleted=True))
                continue
            r, sheet_row = found
            g = _at(sheet_row, sheet_cols[header_key(h)])
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


def _read_offline(path: Path, template: Template
                  ) -> tuple[Grid, str, list[CellValue], list[list[CellValue]]]:
    """The offline copy's Enquiries values and its base tab, from one reading of the file.

    Returns (Enquiries grid, sheet key, base header, base rows).
    """
    damaged = f"{path} is not an Excel workbook (.xlsx) or is damaged: export the sheet again"
    try:
        snapshot = open_tracker(str(path)).read(everything=True)
    except TrackerNotFound:
        raise InputError(
            f"{path} does not exist: give the offline copy made by `sheetcrm export`"
        ) from None
    except NotATracker as exc:
        if template.enquiries.name in str(exc):
            raise InputError(
                f"{path} has no {template.enquiries.name!r} tab: put it back, or export the "
                "sheet again"
            ) from None
        raise InputError(damaged) from None
    rows = snapshot.tabs.get(BASE_TAB)
    if rows is None:
        raise InputError(
            f"{path} was not made by `sheetcrm export` (it has no {BASE_TAB!r} tab), so "
            "sheetcrm cannot tell what changed offline: export the sheet again and make "
            "the changes in that copy"
        )
    grid = snapshot.tabs.get(template.enquiries.name, [])
    if len(rows) < 2 or _at(rows[0], 0) != MARKER or not isinstance(_at(rows[0], 1), str):
        raise InputError(f"The {BASE_TAB!r} tab of {path} was changed: export the sheet again")
    return grid, str(rows[0][1]), rows[1], rows[2:]


# --------------------------------------------------------------------------- values


def _serial(value: dt.datetime | dt.date | dt.time) -> float:
    if isinstance(value, dt.time):
        return (value.hour * 3600 + value.minute * 60 + value.second
                + value.microsecond / 1e6) / 86400
    return to_serial(value)


def _canon(value: Any) -> Any:
    """A value in a form that compares equal across Excel and Google."""
    if value is None or (isinstance(value, str) and value == ""):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return round(_serial(value), 6)
    if isinstance(value, int | float):
        return round(float(value), 6)
    return value


def _same(a: Any, b: Any) -> bool:
    return bool(_canon(a) == _canon(b))


def _for_excel(value: CellValue, is_date: bool) -> CellValue:
    """A Google serial number in a date column as a date-time for Excel."""
    if is_date and isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return from_serial(float(value))
        except (ValueError, OverflowError):
            return value
    return value


def _date_style(column: str) -> str | None:
    """The template's date style ("datetime" or "date") of a column, by header."""
    header = column.strip().casefold()
    for c in load_template().enquiries.columns:
        if c.header.casefold() == header and c.style in ("datetime", "date"):
            return c.style
    return None


def value_text(value: CellValue, column: str) -> str:
    """A cell value as the owner reads it: dates as dd/mm/yyyy hh:mm, "" for a blank."""
    style = _date_style(column)
    if style is not None:
        moment = _for_excel(value, True)
        if isinstance(moment, dt.datetime):
            return f"{moment:%d/%m/%Y}" if style == "date" else f"{moment:%d/%m/%Y %H:%M}"
    return text_of(value)


def _date_columns(header: Sequence[CellValue], template: Template) -> set[int]:
    dated = {c.header.casefold() for c in template.enquiries.columns
             if c.style in ("datetime", "date")}
    return {i for i, h in enumerate(header) if text_of(h).casefold() in dated}


def _owner_columns(header: Sequence[CellValue], template: Template) -> list[int]:
    computed = {c.header.casefold() for c in template.computed_columns()}
    return [i for i, h in enumerate(header) if text_of(h) and text_of(h).casefold()
            not in computed]


def _header_map(grid: Grid) -> dict[str, int]:
    return header_positions(grid[0] if grid else [])


def _index_of(headers: Sequence[str], want: str) -> int | None:
    for i, h in enumerate(headers):
        if h.casefold() == want.casefold():
            return i
    return None


def _at(row: Sequence[CellValue], i: int) -> CellValue:
    return row[i] if i < len(row) else None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _now(now: dt.datetime | None, settings: Settings) -> dt.datetime:
    return tracker.localise(now or dt.datetime.now(ZoneInfo(settings.timezone)), settings)
