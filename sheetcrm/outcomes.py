"""What running many trackers found: plain data for the exporters, the log and JSON.

Kept apart from :mod:`sheetcrm.fleet` so the exporters can read outcomes
without importing the machinery that runs trackers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .results import Evaluation


@dataclass
class TrackerOutcome:
    """One tracker's result in a ``refresh --all``, ``report --all`` or ``list``."""

    name: str
    target: str
    #: "Excel" or "Google Sheets".
    kind: str
    ok: bool = False
    #: The one-line error when not ok.
    error: str | None = None
    due: int | None = None
    overdue: int | None = None
    follow_ups_due: int | None = None
    problems: int | None = None
    #: Google requests sent (each retry counts); None for Excel.
    requests: int | None = None
    #: When the tracker was last refreshed, from its own meta tab (``list`` only).
    last_refresh: str | None = None

    def take(self, evaluation: Evaluation) -> None:
        """Keep the figures of a successful evaluation."""
        self.ok = True
        self.due = evaluation.count("due")
        self.overdue = evaluation.count("overdue")
        self.follow_ups_due = evaluation.follow_ups_due
        self.problems = evaluation.rows_with_problems

    @property
    def result(self) -> str:
        """"ok", or the one-line error."""
        return "ok" if self.ok else (self.error or "failed")

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of one tracker in ``refresh --all --json``."""
        return {
            "name": self.name,
            "target": self.target,
            "ok": self.ok,
            "error": self.error,
            "due": self.due,
            "overdue": self.overdue,
            "follow_ups_due": self.follow_ups_due,
            "problems": self.problems,
        }

    def listing(self) -> dict[str, Any]:
        """The JSON shape of one tracker in ``list --json``."""
        return {
            "name": self.name,
            "target": self.target,
            "kind": self.kind,
            "last_refresh": self.last_refresh,
            "ok": self.ok,
            "error": self.error,
        }
