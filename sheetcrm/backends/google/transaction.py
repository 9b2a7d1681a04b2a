"""The guarded write: one atomic batchUpdate, never sent twice blindly.

Each batch also puts a new random marker in the note of cell A1 of the
hidden meta tab.  The batch is atomic, so when a write's reply is lost (or
Google answers 5xx) the marker says whether it landed: if the note holds it,
it did; if not, nothing of it did, and the write is planned again from what
the sheet now holds and sent.  The marker is a note rather than a value so
that it never shows in a read.

The Sheets API has no conditional write, so a row the owner inserts,
deletes or sorts in the instant between the check read and the write would
move the rows under it.  A write that addresses Enquiries cells by position
therefore starts and ends with a copyPaste of that tab's values into the
hidden tab :data:`JOURNAL_TAB`: being in the same atomic batch, the first
photograph is exactly what the write landed on.  One read of both
photographs then shows whether every row was the enquiry the write was
planned for (:mod:`..rowguard`).  If not, each cell written on the wrong row
is put back as it was, by a write checked the same way, and
:class:`~sheetcrm.errors.ConcurrentEdit` sends the caller back to a fresh read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gspread.utils import absolute_range_name

from ...errors import BackendError, ConcurrentEdit, SheetCRMError
from ...model import Cell, Grid
from ...template import Template, column_letter, load_template
from ..retry import WriteUnsure
from ..rowguard import IDENTITY_KEYS, Box, Restore, judge
from .client import SheetInfo, Sheets, SheetsClient, find_tab
from .requests import RequestBatch, clear_values, copy_values, update_cells, write_note

#: Hidden tab where each write that addresses Enquiries rows by position
#: photographs that tab just before and just after itself (see rowguard).
JOURNAL_TAB = "sheetcrm check"
#: Spare columns between the two photographs, and spare rows below them, so
#: that rows or columns the owner adds in the same instant still fit.
JOURNAL_GAP = 5
JOURNAL_MARGIN = 100
#: How many times cells written on the wrong rows are put back before giving up.
RESTORE_ROUNDS = 4


@dataclass
class State:
    """The sheet as a write is planned from it: its tabs and the values of some of them."""

    sheets: Sheets
    #: Requested tab name (a template name, or a title) -> values.
    grids: dict[str, Grid]


@dataclass
class Guard:
    """What a write that addresses Enquiries rows by position needs to check itself."""

    #: The Enquiries values the write was planned from.
    planned: Grid
    enq_id: int
    #: Columns given to each photograph: the "after" one starts at this offset.
    width: int
    #: The Enquiries cells the write addresses, positions as planned.
    touched: list[Box]
    #: (start, count) of rows the write inserts, if any.
    inserted: tuple[int, int] | None
    #: The tabs as the write left them, for planning a put-back.
    sheets: Sheets
    #: 0 for the write itself, 1 for the first put-back, and so on.
    depth: int = 0


@dataclass
class Batch:
    """One planned batchUpdate, its marker, and what the operation returns if it lands."""

    requests: list[dict[str, Any]]
    marker: str
    result: Any = None
    guard: Guard | None = None


#: Tab names to read for (re)planning, given the tabs there are.
Names = Callable[[Sheets], list[str]]
#: Plans the batch from the sheet as it is.
Planner = Callable[[State], Batch]


def photograph(batch: RequestBatch, enq: SheetInfo, planned: Grid,
               inserted: tuple[int, int] | None = None, depth: int = 0) -> Guard:
    """Make the batch photograph Enquiries first and last (values only), into JOURNAL_TAB.

    The batch is atomic, so the first photograph is exactly what its writes
    land on and the last exactly what they leave; :meth:`Transaction.settle`
    compares them with ``planned``.  Call this after every write is planned.
    """
    width = enq.cols + JOURNAL_GAP
    rows = enq.rows + JOURNAL_MARGIN
    info = batch.sheet(JOURNAL_TAB, rows=rows, cols=2 * width, hidden=True)
    batch.writes[:0] = [clear_values(info.sheet_id, 0, info.rows, 0, info.cols),
                        copy_values(enq.sheet_id, info.sheet_id, 0)]
    batch.writes.append(copy_values(enq.sheet_id, info.sheet_id, width))
    return Guard(planned=[list(r) for r in planned], enq_id=enq.sheet_id, width=width,
                 touched=list(batch.touched), inserted=inserted, sheets=batch.sheets,
                 depth=depth)


def seal(batch: RequestBatch, template: Template, result: Any = None,
         guard: Guard | None = None) -> Batch:
    """The batch with a new marker for it on the meta tab (created when missing)."""
    marker = uuid.uuid4().hex
    info = batch.sheet(template.tab("meta").name, rows=1, cols=1, hidden=True)
    batch.writes.append(write_note(info.sheet_id, marker))
    return Batch(batch.requests(), marker, result, guard)


class Transaction:
    """Sends planned batches to one spreadsheet, checks they landed, and where."""

    def __init__(self, api: SheetsClient) -> None:
        """Write through ``api``."""
        self.api = api

    def write(self, job: str, advice: str, state: State, names: Names, plan: Planner) -> Any:
        """Send the batch ``plan`` makes from ``state``; never twice blindly.

        After a failure that may have left the batch done, the sheet is read
        again: the batch's marker on the meta tab means it landed; otherwise
        it is planned again, after the usual wait, from the sheet as it now
        is, and sent.  ``job`` names the change for messages ("the
        refresh"); ``advice`` says what to do when that check cannot be made.
        Returns the batch's result.
        """
        meta = load_template().tab("meta").name
        what = f"writing {job} to {self.api.label}"
        attempt = 0
        while True:
            batch = plan(state)
            try:
                if batch.requests:
                    self.api.batch_update(batch.requests, what)
                self.settle(job, advice, batch)
                return batch.result
            except WriteUnsure as exc:
                failure = exc.failure
            check = f"checking whether {job} reached {self.api.label}"
            sheets = self.api.metadata(check, advice)
            if self._marker(sheets, meta, check, advice) == batch.marker:
                self.settle(job, advice, batch)
                return batch.result
            self.api.retry.pause(attempt, failure, what)
            attempt += 1
            state = State(sheets, self.api.batch_get(names(sheets), sheets, check, advice))

    def _marker(self, sheets: Sheets, meta: str, what: str, advice: str) -> str | None:
        """The marker of the last batch that landed, from the meta tab: one request."""
        info = find_tab(sheets, meta)
        if info is None:
            return None
        return self.api.note(info.title, what, advice)

    def settle(self, job: str, advice: str, batch: Batch) -> None:
        """Check a guarded batch landed on the rows it was planned for; put back what did not.

        Returns when every row was where the plan expected.  Otherwise puts
        back each cell the batch changed on a row (or under a header) that was
        not the one planned, itself a guarded write, then raises
        :class:`ConcurrentEdit` so the caller starts again from a fresh read.
        """
        guard = batch.guard
        if guard is None:
            return
        template = load_template()
        what = f"checking that {job} landed on the right rows of {self.api.label}"
        before, after = self._read_journal(guard, what, advice)
        verdict = judge(
            guard.planned, before, after, guard.touched,
            identity_headers=[template.column(k).header for k in IDENTITY_KEYS],
            inserted=guard.inserted,
        )
        if verdict.clean and not verdict.restores:
            return
        if verdict.restores:
            if guard.depth >= RESTORE_ROUNDS:
                raise BackendError(self._restore_failed(template, verdict.restores, guard))
            fixed = _plan_restore(template, guard, after, verdict.restores)
            self.write("the cells it put back", advice, State(guard.sheets, {}),
                       lambda sheets: [], lambda state: fixed)
        moved = verdict.moved_rows
        where = ("the header row" if not moved else f"row {moved[0]}" if len(moved) == 1
                 else "rows " + ", ".join(str(r) for r in moved[:5])
                 + (" and more" if len(moved) > 5 else ""))
        raise ConcurrentEdit(
            f"{self.api.label} changed while sheetcrm was writing {job} ({where} changed at "
            "that instant): anything written on the wrong row was put back; run it again",
            landed=True,
        )

    def _read_journal(self, guard: Guard, what: str, advice: str) -> tuple[Grid, Grid]:
        """The two photographs a guarded batch took: one request."""
        def columns(first: int, last: int) -> str:
            return absolute_range_name(
                JOURNAL_TAB, f"{column_letter(first)}:{column_letter(last)}")

        ranges = [columns(1, guard.width), columns(guard.width + 1, 2 * guard.width)]
        before, after = self.api.values(ranges, what, advice)
        return before, after

    def _restore_failed(self, template: Template, restores: Sequence[Restore],
                        guard: Guard) -> str:
        cells = ", ".join(f"{column_letter(r.col + 1)}{r.row + 1}" for r in restores[:5])
        more = f" and {len(restores) - 5} more" if len(restores) > 5 else ""
        return (
            f"{self.api.label} kept changing while sheetcrm was putting back cells it had "
            f"written on the wrong rows of the {template.enquiries.name} tab: check "
            f"{cells}{more}; the tab as it was is photographed in columns A to "
            f"{column_letter(guard.width)} of the hidden tab {JOURNAL_TAB!r}"
        )


def _plan_restore(template: Template, guard: Guard, after: Grid,
                  restores: Sequence[Restore]) -> Batch:
    """A guarded batch putting each cell in ``restores`` back, in runs down each column."""
    batch = RequestBatch(guard.sheets)
    enq = next((s for s in batch.sheets.values() if s.sheet_id == guard.enq_id), None)
    if enq is None:
        raise SheetCRMError("sheetcrm lost track of the Enquiries tab while putting cells back")
    by_col: dict[int, list[Restore]] = {}
    for r in restores:
        by_col.setdefault(r.col, []).append(r)
    for col, cells in sorted(by_col.items()):
        cells.sort(key=lambda r: r.row)
        run: list[Restore] = []
        for cell in [*cells, None]:
            if run and (cell is None or cell.row != run[-1].row + 1):
                batch.touch(run[0].row, run[-1].row + 1, col, col + 1)
                batch.writes.append(update_cells(
                    enq.sheet_id, run[0].row, col, [[Cell(r.value)] for r in run],
                    template.styles, fields="userEnteredValue"))
                run = []
            if cell is not None:
                run.append(cell)
    guard = photograph(batch, enq, after, depth=guard.depth + 1)
    return seal(batch, template, guard=guard)
