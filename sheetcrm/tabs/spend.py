"""The Spend tab: the owner's marketing spend by month and channel.

Written once, by ``init`` (or ``upgrade`` on an older tracker); sheetcrm only
reads it after that.  Its columns are the template's (Month, Channel,
Amount), each with its format and the Channel dropdown, for the rows the
owner will type.
"""

from __future__ import annotations

from ..model import Cell, ColumnFormat, TabContent
from .context import TabContext


def build(ctx: TabContext) -> TabContent:
    """A header row with notes beside it, and formats and dropdowns for the rows below."""
    tab = ctx.template.tab("spend")
    rows = [[Cell(c.header, style="header") for c in tab.columns]]
    notes = [f"{c.header}: {c.note}" for c in tab.columns if c.note]
    rows[0] += [Cell(None), Cell("What to type", style="label")]
    note_col = len(tab.columns) + 2
    for text in notes:
        rows.append([Cell(None)] * (note_col - 1) + [Cell(text, style="muted")])
    widths: dict[int, float] = {i: c.width for i, c in enumerate(tab.columns, start=1)}
    widths[note_col - 1] = 4
    widths[note_col] = 90
    formats = [ColumnFormat(col=i, first_row=2, last_row=ctx.template.rows, spec=c)
               for i, c in enumerate(tab.columns, start=1) if c.style or c.validation]
    return TabContent(rows=rows, widths=widths, freeze_rows=tab.freeze_rows, columns=formats)
