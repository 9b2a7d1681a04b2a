"""The Lists tab: the channels offered in the Source dropdown, the Scoring table and the
lost reasons (written by init only; the owner extends them)."""

from __future__ import annotations

from ..model import Cell, TabContent
from ..template import Tab
from .context import TabContext

#: 1-based columns of the Scoring table (signal, points) and of the lost reasons.
SIGNAL_COL, POINTS_COL, REASON_COL = 5, 6, 8


def build(ctx: TabContext) -> TabContent:
    """The Lists tab: the channels for the Source dropdown, which the owner may extend."""
    lists = ctx.template.tab("lists")
    rows = [[Cell(lists.sources_header, style="header"), Cell(None),
             Cell("Add a channel at the bottom of the Sources list and it appears in the "
                  "Source dropdown.", style="muted")]]
    rows += [[Cell(s)] for s in lists.sources]
    for (row, col), cell in alignment_cells(lists).items():
        while len(rows) < row:
            rows.append([])
        line = rows[row - 1]
        line.extend(Cell(None) for _ in range(col - len(line)))
        line[col - 1] = cell
    return TabContent(rows=rows, widths={1: 18, 2: 4, 3: 60, 4: 4, 5: 22, 6: 8, 7: 4, 8: 22},
                      freeze_rows=1)


def alignment_cells(lists: Tab) -> dict[tuple[int, int], Cell]:
    """The Scoring table and the lost reasons, by (row, column): what init writes and
    what ``upgrade`` adds to an older tracker's Lists tab."""
    cells: dict[tuple[int, int], Cell] = {
        (1, SIGNAL_COL): Cell(lists.scoring_header, style="header"),
        (1, POINTS_COL): Cell(lists.points_header, style="header"),
        (1, REASON_COL): Cell(lists.lost_reasons_header, style="header"),
    }
    for row, (label, points) in enumerate(lists.scoring, start=2):
        cells[(row, SIGNAL_COL)] = Cell(label)
        cells[(row, POINTS_COL)] = Cell(points, style="integer")
    for row, reason in enumerate(lists.lost_reasons, start=2):
        cells[(row, REASON_COL)] = Cell(reason)
    return cells
