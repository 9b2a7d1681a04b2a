"""Check a Google write against the rows it actually landed on, and say what to put back.

The Sheets API has no conditional write: a batchUpdate addresses cells by
position, so a row the owner inserts, deletes or sorts in the instant
between sheetcrm's last check and its write moves the rows under it.  The
batch is atomic, though, so the Google backend makes it photograph the
Enquiries tab (values only) into a hidden tab just before its own writes and
again just after them.  This module compares those two photographs with the
grid the write was planned from:

* a written cell is *right* when its row is still the same enquiry (the same
  ID, Received, Name and Contact), its column still has the same header,
  and the cell itself still held what the plan expected;
* every cell the write changed that is not right is put back to the value it
  had just before the write.

Pure: no gspread, no I/O.  Rows and columns are 0-based, as in the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..cells import header_key, header_positions
from ..model import CellValue, Grid

#: Template keys of the columns that tell one enquiry's row from another's.
IDENTITY_KEYS = ("id", "received", "name", "contact")


@dataclass(frozen=True)
class Box:
    """Cells ``[row0, row1) x [col0, col1)`` of the Enquiries tab a write touches."""

    row0: int
    row1: int
    col0: int
    col1: int


@dataclass(frozen=True)
class Restore:
    """Put ``value`` back at (``row``, ``col``), positions as they are after the write."""

    row: int
    col: int
    value: CellValue


@dataclass
class Verdict:
    """What the photographs say about one write."""

    #: Every row and the header row were as planned: nothing landed on the wrong enquiry.
    clean: bool
    #: Cells the write changed that were not what it planned on.
    restores: list[Restore] = field(default_factory=list)
    #: Sheet row numbers (1-based) whose identity changed under the write.
    moved_rows: list[int] = field(default_factory=list)


def _at(grid: Grid, row: int, col: int) -> CellValue:
    if row < len(grid) and col < len(grid[row]):
        value = grid[row][col]
        return None if value == "" else value
    return None


def _same(a: CellValue, b: CellValue) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def identity_columns(header: Sequence[CellValue], identity_headers: Sequence[str]) -> list[int]:
    """0-based positions in ``header`` of the identity headers it has, found as the engine does."""
    positions = header_positions(header)
    return [positions[k] for k in map(header_key, identity_headers) if k in positions]


def judge(
    planned: Grid,
    before: Grid,
    after: Grid,
    touched: Sequence[Box],
    *,
    identity_headers: Sequence[str],
    inserted: tuple[int, int] | None = None,
) -> Verdict:
    """Compare a write's photographs with the grid it was planned from.

    ``planned`` is the Enquiries grid the write was planned from, ``before``
    and ``after`` the photographs taken in the same atomic batch, ``touched``
    the cells the write addressed (positions as planned).  ``inserted`` is
    ``(start, count)`` when the write inserted ``count`` new rows at
    ``start``: rows from there on sit ``count`` lower afterwards.
    """
    header_plan = planned[0] if planned else []
    header_before = before[0] if before else []
    width = max(len(header_plan), len(header_before))
    headers_same = all(
        header_key(_at(planned, 0, c)) == header_key(_at(before, 0, c)) for c in range(width)
    )
    ids = identity_columns(header_plan, identity_headers)
    height = max(len(planned), len(before))
    moved = [
        r + 1 for r in range(1, height)
        if any(not _same(_at(planned, r, c), _at(before, r, c)) for c in ids)
    ]
    moved_set = {r - 1 for r in moved}

    def post(row: int) -> int:
        if inserted is not None and row >= inserted[0]:
            return row + inserted[1]
        return row

    restores: list[Restore] = []
    seen: set[tuple[int, int]] = set()
    for box in touched:
        for r in range(box.row0, box.row1):
            for c in range(box.col0, box.col1):
                if (r, c) in seen:
                    continue
                seen.add((r, c))
                was = _at(before, r, c)
                if _same(was, _at(after, post(r), c)):
                    continue  # the write left this cell as it was
                right = (
                    headers_same
                    and r not in moved_set
                    and _same(was, _at(planned, r, c))
                )
                if not right:
                    restores.append(Restore(post(r), c, was))
    return Verdict(clean=headers_same and not moved, restores=restores, moved_rows=moved)
