"""The History tab: one line per change a refresh saw, appended, never rewritten.

``init`` writes the header; every refresh appends its lines below the last
line (the planner's ``AppendLines``), so lines the owner deletes stay
deleted and nothing above the last line is touched.  A tracker made before
History existed gets the tab, header and all, from its next refresh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ..history import Event
from ..model import Cell, TabContent
from .context import TabContext

#: The History tab's columns.
HEADER = ("Seen at", "ID", "Name", "What")


def build(ctx: TabContext) -> TabContent:
    """The History tab as ``init`` writes it: the header, ready for the first refresh's lines."""
    return TabContent(rows=[[Cell(h, style="header") for h in HEADER]],
                      widths={1: 16, 2: 8, 3: 20, 4: 60}, freeze_rows=1)


def lines(events: Sequence[Event], seen_at: dt.datetime) -> list[list[Cell]]:
    """One History line per event, dated ``seen_at`` (the refresh, in the tracker's time zone)."""
    when = seen_at.replace(tzinfo=None, microsecond=0)
    return [[Cell(when, style="datetime"), Cell(e.id or None), Cell(e.name or None),
             Cell(e.what)] for e in events]
