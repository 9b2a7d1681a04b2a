"""Growing the Enquiries tab's dropdowns and colours as the tracker grows.

A new tracker formats and validates rows 2 to the template's ``rows`` (5,000).
Without growing, the 5,001st enquiry would get no dropdowns and no colours.
A range is sheetcrm's when it starts on row 2 and ends on a whole number of
``rows`` steps; after every write such ranges reach at least a fifth of a step
below the last enquiry, grown a whole step at a time so that most refreshes
change nothing.
"""

from __future__ import annotations

from typing import Any

from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange


def wanted_end(last_row: int, step: int, current: int) -> int:
    """The last formatted row for ``last_row`` rows; ``current`` if that reaches far enough."""
    needed = last_row + max(1, step // 5)
    if current >= needed:
        return current
    return -(-needed // step) * step


def _ours(rng: CellRange, step: int) -> bool:
    low, high = int(rng.min_row), int(rng.max_row)
    return low == 2 and high >= step and high % step == 0


def current_end(ws: Any, step: int) -> int | None:
    """Where sheetcrm's ranges end now (the furthest), or None if there are none."""
    ends = [r.max_row for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges
            if _ours(r, step)]
    for cf in ws.conditional_formatting:
        ends.extend(r.max_row for r in cf.sqref.ranges if _ours(r, step))
    return max(ends) if ends else None


def _grown(ranges: MultiCellRange, step: int, end: int) -> MultiCellRange | None:
    out, changed = [], False
    for rng in ranges.ranges:
        if _ours(rng, step) and rng.max_row < end:
            rng = CellRange(min_col=rng.min_col, min_row=2, max_col=rng.max_col, max_row=end)
            changed = True
        out.append(rng.coord)
    return MultiCellRange(" ".join(out)) if changed else None


def grow_ranges(ws: Any, last_row: int, step: int) -> bool:
    """Stretch sheetcrm's dropdowns and conditional formats on ``ws`` to cover ``last_row``.

    Returns whether anything changed.
    """
    now = current_end(ws, step)
    if now is None:
        return False
    end = wanted_end(last_row, step, now)
    if end == now and all(r.max_row == end for r in _all_ours(ws, step)):
        return False
    changed = False
    for dv in ws.data_validations.dataValidation:
        grown = _grown(dv.sqref, step, end)
        if grown is not None:
            dv.sqref = grown
            changed = True
    rebuilt = ConditionalFormattingList()
    for cf in ws.conditional_formatting:
        grown = _grown(cf.sqref, step, end)
        changed = changed or grown is not None
        target = str(grown) if grown is not None else str(cf.sqref)
        for rule in cf.rules:
            rebuilt.add(target, rule)
    ws.conditional_formatting = rebuilt
    return changed


def _all_ours(ws: Any, step: int) -> list[CellRange]:
    found = [r for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges
             if _ours(r, step)]
    for cf in ws.conditional_formatting:
        found.extend(r for r in cf.sqref.ranges if _ours(r, step))
    return found
