"""Carrying out a :class:`~sheetcrm.planner.Plan` on a loaded workbook; nothing here saves.

The planner has decided every row and column; this only puts values and
looks where it says, the way Excel would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from openpyxl.utils.cell import range_boundaries

from ...errors import NotATracker
from ...model import Cell
from ...planner import (
    AddHeader,
    AppendLines,
    EnquiriesOp,
    FillCells,
    InsertRows,
    Plan,
    ReplaceTab,
    SetMeta,
    WriteColumn,
    WriteValue,
)
from ...template import Template, column_letter
from .ranges import grow_ranges
from .render import (
    column_format,
    fit_wrapped_rows,
    note,
    set_value,
    style_target,
    write_cell,
    write_tab,
)
from .workbook import find_sheet


class Executor:
    """Executes a plan's operations on one openpyxl workbook, in the plan's order."""

    def __init__(self, template: Template, wb: Any, label: str) -> None:
        self.template = template
        self.wb = wb
        self.label = label
        self._filled: dict[int, list[int]] | None = None

    def run(self, plan: Plan) -> None:
        """Every operation of ``plan``: Enquiries first, then owned tabs, meta and the log."""
        if plan.enquiry_ops:
            ws = find_sheet(self.wb, plan.enquiries)
            if ws is None:
                raise NotATracker(
                    f"{self.label} is not a sheetcrm tracker: it has no '{plan.enquiries}' tab"
                )
            for op in plan.enquiry_ops:
                self.enquiries(ws, op)
            grow_ranges(ws, last_row(plan), self.template.rows)
        self.other_tabs(plan)

    def other_tabs(self, plan: Plan) -> None:
        """The operations on tabs other than Enquiries: owned tabs, meta, the log, fills."""
        for tab in plan.tabs:
            self.replace_tab(tab)
        if plan.meta:
            self.set_meta(plan.meta_tab, plan.meta)
        if plan.log is not None:
            self.append_lines(plan.log)
        for fill in plan.fills:
            self.fill_cells(fill)

    def fill_cells(self, op: FillCells) -> None:
        """Cells that were blank when planned (``upgrade``), on a tab made when missing."""
        ws = find_sheet(self.wb, op.tab) or self.new_tab(op.tab)
        for row, col, cell in op.cells:
            write_cell(ws.cell(row=row, column=col), cell, self.template,
                       f"{self.label}, {ws.title}!{column_letter(col)}{row}")

    # ------------------------------------------------------------ Enquiries

    def enquiries(self, ws: Any, op: EnquiriesOp) -> None:
        """One operation on the Enquiries tab."""
        if not isinstance(op, WriteColumn):
            self._filled = None  # other operations may fill cells anywhere: walk again
        if isinstance(op, AddHeader):
            self.add_header(ws, op)
        elif isinstance(op, WriteColumn):
            self.write_column(ws, op)
        elif isinstance(op, WriteValue):
            set_value(ws.cell(row=op.row, column=op.col), op.value,
                      f"{self.label}, Enquiries row {op.row}")
        else:
            self.insert_rows(ws, op)

    def add_header(self, ws: Any, op: AddHeader) -> None:
        """A header in the header style, with its note, width and column style when known."""
        cell = ws.cell(row=1, column=op.col)
        set_value(cell, op.header, f"{self.label}, Enquiries row 1")
        style_target(cell, self.template.styles.get("header"))
        spec = op.spec
        if spec is None:
            return
        if spec.note:
            cell.comment = note(spec.note)
        dim = _own_dimension(ws, op.col)
        if dim is not None:
            style_target(dim, self.template.styles.get(spec.style) if spec.style else None)
            dim.width = spec.width
        if spec.validation is not None:
            # An owner column added by `upgrade` gets its dropdown, as `init` gives it.
            letter = column_letter(op.col)
            column_format(ws, op.col, 2, self.template.rows, replace(spec, style=None),
                          self.template, f"{self.label}, Enquiries!{letter}1")

    def write_column(self, ws: Any, op: WriteColumn) -> None:
        """Computed cells from row 2, then clear old values and links below them."""
        letter = column_letter(op.col)
        for row, cell in enumerate(op.cells, start=2):
            write_cell(ws.cell(row=row, column=op.col), cell, self.template,
                       f"{self.label}, Enquiries!{letter}{row}", op.style)
        # Excel keeps links on cells without a value, and owners' files can hold values
        # below the last row read; every such cell of the column is cleared, not just
        # those up to ``clear_to``.
        stale = [r for r in self._filled_rows(ws).get(op.col, ()) if r >= op.clear_from
                 and ((x := ws._cells[(r, op.col)]).value is not None or x.hyperlink)]
        for row in stale:
            write_cell(ws.cell(row=row, column=op.col), Cell(None), self.template,
                       f"{self.label}, Enquiries!{letter}{row}", op.style)

    def _filled_rows(self, ws: Any) -> dict[int, list[int]]:
        """Rows of each column holding a cell, from one walk over the sheet per plan.

        Only cells are added after the walk (never removed), and the computed
        columns write above the rows they clear, so the walk stays a superset.
        """
        if self._filled is None:
            filled: dict[int, list[int]] = {}
            for (r, c), x in ws._cells.items():
                if x.value is not None or x.hyperlink:
                    filled.setdefault(c, []).append(r)
            self._filled = filled
        return self._filled

    def insert_rows(self, ws: Any, op: InsertRows) -> None:
        """New enquiries' values in their column's template style; tables grow to hold them."""
        for number, col, value, style_name in op.cells():
            target = ws.cell(row=number, column=col)
            if style_name is not None:
                style_target(target, self.template.styles[style_name],
                             keep_date_format=isinstance(value, dt.date | dt.time))
            set_value(target, value, f"{self.label}, Enquiries!{column_letter(col)}{number}")
        if op.rows:
            _grow_tables(ws, op.row - 1, op.numbers[-1])
            fit_wrapped_rows(ws, op.numbers)

    # ------------------------------------------------------------ other tabs

    def replace_tab(self, op: ReplaceTab) -> None:
        """An owned tab rewritten whole, created in its template place when missing."""
        ws = find_sheet(self.wb, op.name)
        if ws is None:
            ws = self.new_tab(op.name)
            if op.content.hidden and not self._in_template(op.name):
                ws.sheet_state = "hidden"
        write_tab(ws, op.content, self.template, f"{self.label}, tab '{ws.title}'")

    def set_meta(self, name: str, keys: list[SetMeta]) -> None:
        """Keys (column A) and values (column B) on the meta tab, made hidden when missing."""
        ws = find_sheet(self.wb, name)
        if ws is None:
            ws = self.wb.create_sheet(name)
            ws.sheet_state = "hidden"
        where = f"{self.label}, tab '{name}'"
        for op in keys:
            if op.new:
                set_value(ws.cell(row=op.row, column=1), op.key, where)
            set_value(ws.cell(row=op.row, column=2), op.value, where)

    def append_lines(self, op: AppendLines) -> None:
        """Lines below a log tab's last line, the tab made (visible) first when missing."""
        ws = None if op.create else find_sheet(self.wb, op.tab)
        if ws is None:
            ws = self.new_tab(op.tab)
        where = f"{self.label}, tab '{ws.title}'"
        for r, line in enumerate(op.rows, start=op.row):
            for c, cell in enumerate(line, start=1):
                if cell.value is None and cell.style is None and cell.link is None:
                    continue
                write_cell(ws.cell(row=r, column=c), cell, self.template,
                           f"{where}, cell {column_letter(c)}{r}")

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

    def _in_template(self, name: str) -> bool:
        return name.casefold() in (t.name.casefold() for t in self.template.tabs)


def last_row(plan: Plan) -> int:
    """The last Enquiries row once ``plan`` is carried out (the header is row 1)."""
    return max([len(plan.planned), 1, *plan.appended])


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


def _grow_tables(ws: Any, last: int, new_last: int) -> None:
    """Stretch an Excel table that ended on the last enquiry over the appended rows.

    Excel does this itself when the owner types below a table; without it
    the new rows would sit outside the table's formatting and filters.
    """
    for table in ws.tables.values():
        bounds = range_boundaries(table.ref)
        if bounds[3] != last or last < 2:
            continue
        table.ref = (f"{column_letter(bounds[0])}{bounds[1]}:"
                     f"{column_letter(bounds[2])}{new_last}")
        if table.autoFilter is not None:
            table.autoFilter.ref = table.ref
