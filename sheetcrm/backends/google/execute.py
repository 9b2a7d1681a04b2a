"""Executing a planner :class:`~sheetcrm.planner.Plan` as Sheets requests.

Where each write lands was decided by :func:`sheetcrm.planner.plan_write`;
this module only says it in the Sheets API's words (0-based rows and
columns), and records every Enquiries cell it addresses by position so the
row guard can check them.
"""

from __future__ import annotations

from collections.abc import Mapping

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
    clear_values,
    column_format_requests,
    column_width,
    default_style,
    freeze,
    update_cells,
)

#: Fields written on an owner's cell (an ID fill, an edit, a new row): the value only.
VALUE_FIELDS = "userEnteredValue"


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
    for op in plan.enquiry_ops:
        if isinstance(op, WriteColumn):
            _write_column(batch, enq, op, styles)
        elif isinstance(op, WriteValue):
            batch.writes.append(update_cells(enq.sheet_id, op.row - 1, op.col - 1,
                                             [[Cell(op.value)]], styles, fields=VALUE_FIELDS))
            batch.touch(op.row - 1, op.row, op.col - 1, op.col)
        elif isinstance(op, InsertRows):
            _insert_rows(batch, enq, op, styles)
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


def inserted(plan: Plan) -> tuple[int, int] | None:
    """(0-based start, count) of the rows the plan inserts into Enquiries, if any."""
    rows = plan.appended
    return (rows[0] - 1, len(rows)) if rows else None


def _write_column(batch: RequestBatch, enq: SheetInfo, op: WriteColumn,
                  styles: Mapping[str, Style]) -> None:
    col0 = op.col - 1
    if op.cells:
        batch.writes.append(update_cells(enq.sheet_id, 1, col0, [[c] for c in op.cells], styles))
        batch.touch(1, 1 + len(op.cells), col0, col0 + 1)
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
    # A date-time needs a date format to show as one; set it on those cells only.
    for i, line in enumerate(cells):
        for col0, cell in enumerate(line):
            kind = default_style(cell.value)
            if kind is not None:
                batch.writes.append(update_cells(
                    enq.sheet_id, start + i, col0, [[Cell(cell.value, style=kind)]], styles,
                    fields="userEnteredFormat.numberFormat",
                ))


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
