"""The Lists tab: the channels offered in the Source dropdown (written by init only)."""

from __future__ import annotations

from ..model import Cell, TabContent
from .context import TabContext


def build(ctx: TabContext) -> TabContent:
    """The Lists tab: the channels for the Source dropdown, which the owner may extend."""
    lists = ctx.template.tab("lists")
    rows = [[Cell(lists.sources_header, style="header"), Cell(None),
             Cell("Add a channel at the bottom of the Sources list and it appears in the "
                  "Source dropdown.", style="muted")]]
    rows += [[Cell(s)] for s in lists.sources]
    return TabContent(rows=rows, widths={1: 18, 2: 4, 3: 60}, freeze_rows=1)
