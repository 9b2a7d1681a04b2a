"""JSON for scripts: what ``refresh --json`` and ``report --json`` print."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..outcomes import TrackerOutcome
from ..results import Evaluation
from ..summary import MonthFigures


def refresh(label: str, e: Evaluation, details: Mapping[str, str] | None = None) -> str:
    """Every enquiry's computed values and every month's figures (and how it was written)."""
    out = e.as_dict()
    if details:
        out.update(details)
    return json.dumps(out, indent=2)


def report(label: str, months: Sequence[MonthFigures],
           figures: Mapping[str, Any] | None = None) -> str:
    """The monthly figures per channel, newest month first, then tracker-wide figures."""
    return json.dumps({"months": [m.as_dict() for m in months], **(figures or {})}, indent=2)


def fleet(action: str, outcomes: Sequence[TrackerOutcome]) -> str:
    """Every tracker's result: name, target, ok, error and its counts."""
    return json.dumps({"trackers": [o.as_dict() for o in outcomes]}, indent=2)


def trackers(outcomes: Sequence[TrackerOutcome]) -> str:
    """The configured trackers, their kind and when each was last refreshed."""
    return json.dumps({"trackers": [o.listing() for o in outcomes]}, indent=2)
