"""The row guard's verdicts, each worked out by hand on small grids.

Columns: A Name, B Contact, C ID (identity), D Notes (owner), E Respond by (computed).
"""

from __future__ import annotations

import pytest

from sheetcrm.backends.rowguard import Box, Restore, judge
from sheetcrm.model import Grid

IDENTITY = ["ID", "Received", "Name", "Contact"]
HEADER = ["Name", "Contact", "ID", "Notes", "Respond by"]


def grid(*rows: list[object]) -> Grid:
    return [list(HEADER), *[list(r) for r in rows]]


AMINA = ["Amina", "0772 100001", "E0001", None, 10.5]
BRIAN = ["Brian", "0772 100002", None, None, None]
CISSY = ["Cissy", "0772 100003", "E0003", "Wants blue", 11.0]


def test_a_write_on_unmoved_rows_is_clean_and_kept() -> None:
    planned = grid(AMINA, BRIAN)
    # The write filled Brian's ID (C3) and his Respond by (E3).
    after = grid(AMINA, ["Brian", "0772 100002", "E0002", None, 11.25])
    verdict = judge(planned, planned, after, [Box(2, 3, 2, 3), Box(1, 3, 4, 5)],
                    identity_headers=IDENTITY)
    assert verdict.clean and verdict.restores == [] and verdict.moved_rows == []


def test_a_note_typed_in_the_instant_is_not_a_move() -> None:
    planned = grid(AMINA, BRIAN)
    before = grid(AMINA, ["Brian", "0772 100002", None, "Call at 5", None])
    after = grid(AMINA, ["Brian", "0772 100002", "E0002", "Call at 5", 11.25])
    verdict = judge(planned, before, after, [Box(2, 3, 2, 3), Box(2, 3, 4, 5)],
                    identity_headers=IDENTITY)
    assert verdict.clean and verdict.restores == []


def test_an_id_typed_in_the_instant_is_put_back() -> None:
    planned = grid(AMINA, BRIAN)
    before = grid(AMINA, ["Brian", "0772 100002", "E0100", None, None])
    after = grid(AMINA, ["Brian", "0772 100002", "E0002", None, 11.25])
    verdict = judge(planned, before, after, [Box(2, 3, 2, 3), Box(2, 3, 4, 5)],
                    identity_headers=IDENTITY)
    # Row 3's ID is not what was planned on: both cells written there go back.
    assert not verdict.clean and verdict.moved_rows == [3]
    assert verdict.restores == [Restore(2, 2, "E0100"), Restore(2, 4, None)]


def test_a_row_inserted_above_puts_back_everything_written_below_it() -> None:
    planned = grid(AMINA, BRIAN)
    blank: list[object] = [None] * 5
    # The owner inserted a blank row at 2: Amina moved to row 3, Brian to row 4.
    before = grid(blank, AMINA, BRIAN)
    # The write meant Brian's ID for row 3 and Respond by for rows 2 and 3.
    after = grid([None, None, None, None, 10.5],
                 ["Amina", "0772 100001", "E0002", None, 11.25], BRIAN)
    verdict = judge(planned, before, after, [Box(2, 3, 2, 3), Box(1, 3, 4, 5)],
                    identity_headers=IDENTITY)
    assert not verdict.clean and verdict.moved_rows == [2, 3, 4]
    # Row 2 held nothing; Amina's ID and Respond by were hers; Brian's row untouched.
    assert sorted(verdict.restores, key=lambda r: (r.row, r.col)) == [
        Restore(1, 4, None), Restore(2, 2, "E0001"), Restore(2, 4, 10.5)]


def test_a_cell_the_write_left_as_it_was_needs_nothing() -> None:
    planned = grid(AMINA, CISSY)
    before = grid(CISSY, AMINA)  # the owner sorted Z to A in the instant
    # Both rows' Respond by were rewritten with the values that were already there.
    verdict = judge(planned, before, before, [Box(1, 3, 4, 5)], identity_headers=IDENTITY)
    assert not verdict.clean and verdict.moved_rows == [2, 3]
    assert verdict.restores == []


def test_a_column_inserted_in_the_instant_puts_back_the_shifted_cells() -> None:
    planned = grid(AMINA)
    # A blank column went in before Notes: Notes is now E, Respond by F.
    before = [["Name", "Contact", "ID", None, "Notes", "Respond by"],
              ["Amina", "0772 100001", "E0001", None, None, 10.5]]
    # The write meant Respond by (E2 as planned), so it landed in Notes.
    after = [["Name", "Contact", "ID", None, "Notes", "Respond by"],
             ["Amina", "0772 100001", "E0001", None, 11.0, 10.5]]
    verdict = judge(planned, before, after, [Box(1, 2, 4, 5)], identity_headers=IDENTITY)
    assert not verdict.clean
    assert verdict.restores == [Restore(1, 4, None)]


@pytest.mark.parametrize(("edit_row", "want_post_row"), [(1, 1), (2, 3)])
def test_rows_the_write_inserted_shift_the_cells_below(edit_row: int,
                                                       want_post_row: int) -> None:
    # Planned: Amina on row 2, Brian on row 3; the write inserted one row at
    # index 2 (between them) and edited Notes on edit_row. The owner had
    # swapped the two rows, so the edit is on the wrong enquiry.
    planned = grid(AMINA, BRIAN)
    before = grid(BRIAN, AMINA)
    new: list[object] = ["Juma", "0772 300001", None, None, None]
    moved_before = before[edit_row]
    edited = [*moved_before[:3], "Offline note", *moved_before[4:]]
    rows = [before[1], before[2]]
    rows[edit_row - 1] = edited
    after = grid(rows[0], new, rows[1])
    verdict = judge(planned, before, after, [Box(edit_row, edit_row + 1, 3, 4)],
                    identity_headers=IDENTITY, inserted=(2, 1))
    assert verdict.restores == [Restore(want_post_row, 3, None)]


def test_booleans_and_numbers_are_told_apart() -> None:
    planned = grid(["Amina", "0772 100001", 1, None, None])
    before = grid(["Amina", "0772 100001", True, None, None])
    verdict = judge(planned, before, before, [], identity_headers=IDENTITY)
    assert not verdict.clean and verdict.moved_rows == [2]
