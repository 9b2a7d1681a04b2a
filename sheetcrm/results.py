"""What evaluating a tracker found: plain data for the owned tabs, the CLI and JSON.

Kept apart from the engine so that the owned tabs (``sheetcrm.tabs``) can
read results without importing the engine that builds them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .history import SalesCycle
from .model import Changes, Settings, Status
from .sla import SlaResult
from .summary import MonthFigures


@dataclass
class RowResult:
    """What a refresh worked out for one enquiry row."""

    row: int
    id: str | None
    name: str
    contact: str
    phone: str | None
    source: str
    status: Status | None
    received: dt.datetime | None
    first_contact: dt.datetime | None
    follow_ups_done: int | None
    value: float | None
    sla: SlaResult | None
    next_follow_up: dt.date | None
    whatsapp: str | None
    problems: list[str] = field(default_factory=list)
    #: The Contact as an email address (lower case), when it is one.
    email: str | None = None
    #: Lead scoring: the points of the Signals (None when blank) and the MQL flag.
    score: int | None = None
    mql: bool | None = None
    lost_reason: str | None = None
    #: In the Today tab's "Win back" section (see sheetcrm.feedback).
    win_back: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``refresh --json``."""
        sla = self.sla
        return {
            "id": self.id,
            "row": self.row,
            "sla": sla.state if sla else "unknown",
            "respond_by": sla.respond_by.isoformat() if sla and sla.respond_by else None,
            "response_minutes": sla.response_minutes if sla else None,
            "next_follow_up": self.next_follow_up.isoformat() if self.next_follow_up else None,
            "problems": list(self.problems),
            "score": self.score,
            "mql": self.mql,
        }


@dataclass
class Report:
    """What ``report`` prints: the monthly figures and the tracker-wide figures."""

    months: list[MonthFigures]
    win_back: list[str]
    #: Days from first contact to converted (sheetcrm.history); None when not known yet.
    average_sales_cycle_days: float | None = None

    @property
    def figures(self) -> dict[str, Any]:
        """The tracker-wide figures, as ``report --json`` gives them after the months."""
        return {"average_sales_cycle_days": self.average_sales_cycle_days,
                "win_back": list(self.win_back)}


@dataclass
class Evaluation:
    """The result of evaluating a tracker at a moment: rows, months and what to write."""

    now: dt.datetime
    settings: Settings
    rows: list[RowResult]
    months: list[MonthFigures]
    changes: Changes
    undated: int = 0
    #: The average sales cycle (from the History memory and Closed on), once worked out.
    sales_cycle: SalesCycle | None = None
    #: Lines of the Spend tab that could not be read, each naming its row.
    spend_problems: list[str] = field(default_factory=list)

    @property
    def win_back(self) -> list[str]:
        """The IDs of the enquiries to win back, in row order."""
        return [r.id for r in self.rows if r.win_back and r.id]

    def as_dict(self) -> dict[str, Any]:
        """The JSON object printed by ``refresh --json``."""
        return {
            "now": self.now.isoformat(),
            "enquiries": [r.as_dict() for r in self.rows],
            "months": [m.as_dict() for m in self.months],
        }

    def count(self, state: str) -> int:
        """How many enquiries are in this SLA state."""
        return sum(1 for r in self.rows if r.sla is not None and r.sla.state == state)

    @property
    def follow_ups_due(self) -> int:
        """Follow-ups due today or earlier."""
        today = self.now.date()
        return sum(1 for r in self.rows if r.next_follow_up and r.next_follow_up <= today)

    @property
    def rows_with_problems(self) -> int:
        """Rows whose Problems cell is not empty."""
        return sum(1 for r in self.rows if r.problems)
