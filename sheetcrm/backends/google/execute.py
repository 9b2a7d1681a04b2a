"""Executing a planner :class:`~sheetcrm.planner.Plan` as Sheets requests.

Where each write lands was decided by :func:`sheetcrm.planner.plan_write`;
this module only says it in the Sheets API's words (0-based rows and
columns), and records every Enquiries cell it addresses by position so the
row guard can check them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ...model import Cell, TabContent
from ...planner import (
    AddHeader,
    AppendLines,
    FillCells,
    InsertRows,
    Plan,
    ReplaceTab,
    WriteColumn,
    WriteValue,
)
from ...template import Style
from .client import SheetInfo
from .requests import (
    CELL_FIELDS,
    RequestBatch,
    add_chart,
    cell_data,
    clear_values,
    column_format_requests,
    column_width,
    default_style,
    freeze,
    number_format_range,
    update_cells,
)

#: Fields written on an owner's cell (an ID fill, an edit, a new row): the value only.
VALUE_FIELDS = "userEnteredValue"
#: Google's recommended largest request; a write that would be bigger goes in parts.
MAX_REQUEST_BYTES = 2_000_000
#: Room left in a part for the photographs, the marker and the JSON around the cells.
PART_MARGIN = 100_000


def execute(plan: Plan, batch: RequestBatch, styles: Mapping[str, Style]) -> SheetInfo:
    """Add the requests that carry out ``plan`` to ``batch``; returns the Enquiries tab.

    New headers go first, then the grid grows to hold what is written, then
    the other Enquiries operations in the plan's order, the owned tabs, the
    meta keys and the log lines.
    """
    enq = batch.find(plan.enquiries)
    for op in plan.enquiry_ops:
        if isinstance(op, AddHeader):
            batch.writes.append(update_cells(enq.sheet_id, 0, op.col - 1,
                                             [[Cell(op.header, "header")]], styles))
            batch.touch(0, 1, op.col - 1, op.col)
            if op.spec is not None and op.spec.validation is not None:
                # An owner column added by `upgrade` gets its dropdown, as `init` gives it.
                batch.writes += column_format_requests(enq.sheet_id, op.col - 1, 1,
                                                       max(enq.rows, 2), op.spec, styles,
                                                       style=False)
    longest = max((len(op.cells) for op in plan.enquiry_ops if isinstance(op, WriteColumn)),
                  default=0)
    batch.grow(enq, rows=1 + longest, cols=plan.width)
    values: list[WriteValue] = []
    for op in plan.enquiry_ops:
        if isinstance(op, WriteValue):
            # Kept in order, but consecutive cells of one column go as one ranged write.
            values.append(op)
            continue
        _write_values(batch, enq, values, styles)
        values = []
        if isinstance(op, WriteColumn):
            _write_column(batch, enq, op, styles)
        elif isinstance(op, InsertRows):
            _insert_rows(batch, enq, op, styles)
    _write_values(batch, enq, values, styles)
    for tab in plan.tabs:
        _replace_tab(batch, tab, styles)
    if plan.meta:
        info = batch.sheet(plan.meta_tab, rows=max(m.row for m in plan.meta), cols=2,
                           hidden=True)
        for m in plan.meta:
            cells = [[Cell(m.key), Cell(m.value)]] if m.new else [[Cell(m.value)]]
            batch.writes.append(update_cells(info.sheet_id, m.row - 1, 0 if m.new else 1,
                                             cells, styles, fields=VALUE_FIELDS))
    if plan.log is not None:
        _append_lines(batch, plan.log, styles)
    for fill in plan.fills:
        _fill_cells(batch, fill, styles)
    return enq


def _fill_cells(batch: RequestBatch, op: FillCells, styles: Mapping[str, Style]) -> None:
    """Cells that were blank when planned (``upgrade``), one small write each."""
    info = batch.sheet(op.tab, rows=max(r for r, _c, _cell in op.cells),
                       cols=max(c for _r, c, _cell in op.cells), hidden=False)
    for row, col, cell in op.cells:
        batch.writes.append(update_cells(info.sheet_id, row - 1, col - 1, [[cell]], styles))


def request_bytes(requests: list[dict[str, Any]]) -> int:
    """The size of a batchUpdate body carrying ``requests``, as gspread sends it."""
    return len(json.dumps({"requests": requests}).encode("utf-8"))


def first_part(plan: Plan, styles: Mapping[str, Style], budget: int | None = None
               ) -> Plan | None:
    """The leading computed cells of ``plan`` that fit in ``budget`` bytes, as a plan of their own.

    Computed cells may be written in any number of parts (each part is
    guarded, and the next is planned from a fresh read, so what landed is
    not sent again); the part carries no ID fills, new rows, tabs or meta
    keys, which go with the last part.  None when nothing can be split off.
    """
    if budget is None:
        budget = MAX_REQUEST_BYTES - PART_MARGIN
    part = Plan(enquiries=plan.enquiries, planned=plan.planned, meta_tab=plan.meta_tab)
    used = 0
    for op in plan.enquiry_ops:
        if isinstance(op, AddHeader):
            part.enquiry_ops.append(op)
            continue
        if not isinstance(op, WriteColumn) or used >= budget:
            continue
        runs = op.runs if op.runs is not None else ((2, len(op.cells) + 1),) if op.cells else ()
        # Rows sent only for a changed link go with the last part, which records
        # their fingerprints; sent in a part, the next plan would ask for them again.
        runs = _without(runs, set(op.relinked))
        taken: list[tuple[int, int]] = []
        for first, last in runs:
            row = first
            while row <= last and used < budget:
                used += len(json.dumps(cell_data(op.cells[row - 2], styles))) + 16
                row += 1
            if row > first:
                taken.append((first, row - 1))
            if used >= budget:
                break
        if taken:
            part.enquiry_ops.append(replace(op, runs=tuple(taken),
                                            clear_from=len(op.cells) + 2,
                                            clear_to=len(op.cells) + 1, relinked=()))
    if not any(isinstance(op, WriteColumn) for op in part.enquiry_ops):
        return None
    return part


def inserted(plan: Plan) -> tuple[int, int] | None:
    """(0-based start, count) of the rows the plan inserts into Enquiries, if any."""
    rows = plan.appended
    return (rows[0] - 1, len(rows)) if rows else None


def _write_values(batch: RequestBatch, enq: SheetInfo, ops: list[WriteValue],
                  styles: Mapping[str, Style]) -> None:
    """Values (ID fills, edits): one updateCells per run of rows in one column."""
    i = 0
    while i < len(ops):
        j = i + 1
        while (j < len(ops) and ops[j].col == ops[i].col
               and ops[j].row == ops[j - 1].row + 1):
            j += 1
        first = ops[i]
        batch.writes.append(update_cells(enq.sheet_id, first.row - 1, first.col - 1,
                                         [[Cell(op.value)] for op in ops[i:j]], styles,
                                         fields=VALUE_FIELDS))
        batch.touch(first.row - 1, first.row - 1 + (j - i), first.col - 1, first.col)
        i = j


def _write_column(batch: RequestBatch, enq: SheetInfo, op: WriteColumn,
                  styles: Mapping[str, Style]) -> None:
    col0 = op.col - 1
    runs = op.runs if op.runs is not None else ((2, len(op.cells) + 1),) if op.cells else ()
    # Only the rows whose cells changed: an unchanged refresh sends next to nothing.
    for first, last in runs:
        batch.writes.append(update_cells(enq.sheet_id, first - 1, col0,
                                         [[c] for c in op.cells_of(first, last)], styles))
        batch.touch(first - 1, last, col0, col0 + 1)
    # Rows below the computed ones may still show an old value (a row was
    # deleted since the last refresh): their values only are cleared.
    if op.clear_to >= op.clear_from:
        batch.writes.append(clear_values(enq.sheet_id, op.clear_from - 1, op.clear_to,
                                         col0, col0 + 1))
        batch.touch(op.clear_from - 1, op.clear_to, col0, col0 + 1)


def _insert_rows(batch: RequestBatch, enq: SheetInfo, op: InsertRows,
                 styles: Mapping[str, Style]) -> None:
    start = op.row - 1
    cells = [[Cell(v) for v in line] for line in op.rows]
    # Inserting fresh rows (rather than writing into the empty ones) means
    # a row the owner typed since the read is pushed down, never overwritten.
    batch.writes.append({
        "insertDimension": {
            "range": {"sheetId": enq.sheet_id, "dimension": "ROWS",
                      "startIndex": start, "endIndex": start + len(cells)},
            "inheritFromBefore": start > 1,
        }
    })
    enq.rows += len(cells)
    batch.writes.append(update_cells(enq.sheet_id, start, 0, cells, styles, fields=VALUE_FIELDS))
    # A date-time needs a date format to show as one; set it on those cells
    # only, one repeatCell per run of rows in a column that hold the same kind.
    width = max((len(line) for line in cells), default=0)
    for col0 in range(width):
        kinds = [default_style(line[col0].value) if col0 < len(line) else None
                 for line in cells]
        i = 0
        while i < len(kinds):
            j = i + 1
            while j < len(kinds) and kinds[j] == kinds[i]:
                j += 1
            kind = kinds[i]
            if kind is not None:
                batch.writes.append(number_format_range(
                    enq.sheet_id, start + i, start + j, col0, styles, kind))
            i = j


def _replace_tab(batch: RequestBatch, tab: ReplaceTab, styles: Mapping[str, Style]) -> None:
    content: TabContent = tab.content
    height = len(content.rows)
    width = max((len(r) for r in content.rows), default=0)
    info = batch.sheet(tab.name, rows=height, cols=width, hidden=content.hidden,
                       freeze_rows=content.freeze_rows)
    for chart_id in info.chart_ids:
        batch.writes.append({"deleteEmbeddedObject": {"objectId": chart_id}})
    # The whole grid, so that whatever the last version had below or beside is cleared.
    batch.writes.append(update_cells(
        info.sheet_id, 0, 0, content.rows, styles, fields=CELL_FIELDS + ",note",
        end_row=max(info.rows, height), end_col=max(info.cols, width),
    ))
    if not batch.is_new(tab.name):
        batch.writes.append(freeze(info.sheet_id, content.freeze_rows, 0))
    for col, width_chars in sorted(content.widths.items()):
        batch.writes.append(column_width(info.sheet_id, col - 1, width_chars))
    for chart in content.charts:
        batch.writes.append(add_chart(info.sheet_id, chart))
    for fmt in content.columns:
        batch.writes += column_format_requests(info.sheet_id, fmt.col - 1, fmt.first_row - 1,
                                               info.rows, fmt.spec, styles)


def _append_lines(batch: RequestBatch, op: AppendLines, styles: Mapping[str, Style]) -> None:
    start = op.row - 1
    width = max(len(r) for r in op.rows)
    # A new log tab is visible: the owner is meant to read it.
    info = batch.sheet(op.tab, rows=start + len(op.rows), cols=width, hidden=False)
    batch.writes.append(update_cells(info.sheet_id, start, 0, [list(r) for r in op.rows],
                                     styles))


def _without(runs: tuple[tuple[int, int], ...], rows: set[int]) -> tuple[tuple[int, int], ...]:
    """``runs`` less the single ``rows``."""
    if not rows:
        return runs
    out: list[tuple[int, int]] = []
    for first, last in runs:
        start = None
        for row in range(first, last + 1):
            if row in rows:
                if start is not None:
                    out.append((start, row - 1))
                    start = None
            elif start is None:
                start = row
        if start is not None:
            out.append((start, last))
    return tuple(out)
