"""JSON for scripts: what ``refresh --json`` and ``report --json`` print."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..results import Evaluation
from ..summary import MonthFigures


def refresh(label: str, e: Evaluation) -> str:
    """Every enquiry's computed values and every month's figures."""
    return json.dumps(e.as_dict(), indent=2)


def report(label: str, months: Sequence[MonthFigures],
           win_back: Sequence[str] | None = None) -> str:
    """The monthly figures per channel, newest month first, and the IDs to win back."""
    data: dict[str, object] = {"months": [m.as_dict() for m in months]}
    if win_back is not None:
        data["win_back"] = list(win_back)
    return json.dumps(data, indent=2)
