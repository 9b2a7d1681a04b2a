"""JSON for scripts: what ``refresh --json`` and ``report --json`` print."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from ..results import Evaluation
from ..summary import MonthFigures


def refresh(label: str, e: Evaluation, details: Mapping[str, str] | None = None) -> str:
    """Every enquiry's computed values and every month's figures (and how it was written)."""
    out = e.as_dict()
    if details:
        out.update(details)
    return json.dumps(out, indent=2)


def report(label: str, months: Sequence[MonthFigures]) -> str:
    """The monthly figures per channel, newest month first."""
    return json.dumps({"months": [m.as_dict() for m in months]}, indent=2)
