"""Lead scoring: the Signals an owner notes, the Scoring table's points, and the MQL flag.

Pure.  The Scoring table lives on the Lists tab (a ``Signal`` column and a
``Points`` column beside it), so the owner can change the points or add
signals.  Labels match trimmed and in any case; a label the table does not
have is a problem that names it, and adds no points.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .cells import header_key, text_of
from .model import CellValue, Grid


def label_key(text: str) -> str:
    """How a label is matched: trimmed, spaces collapsed, any case."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class ScoringTable:
    """Signal label (as matched) -> points, and each label as the table spells it."""

    points: Mapping[str, int]
    spelling: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, pairs: Sequence[tuple[str, int]]) -> ScoringTable:
        """A table from (label, points) pairs; the first of two equal labels wins."""
        points: dict[str, int] = {}
        spelling: dict[str, str] = {}
        for label, value in pairs:
            key = label_key(label)
            if key and key not in points:
                points[key] = value
                spelling[key] = " ".join(label.split())
        return cls(points=points, spelling=spelling)


@dataclass(frozen=True)
class Score:
    """One enquiry's score: None when Signals is blank; unknown labels as typed."""

    score: int | None
    unknown: tuple[str, ...] = ()


def _points(raw: CellValue) -> int | None:
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int | float):
        return int(raw) if math.isfinite(raw) and float(raw).is_integer() else None
    text = text_of(raw).strip()
    return int(text) if text.lstrip("-").isdigit() else None


def read_table(grid: Grid, label_header: str, points_header: str,
               default: Sequence[tuple[str, int]]) -> ScoringTable | None:
    """The Scoring table found by its headers on row 1; None when the tab has no such table.

    A row whose points are not a whole number is left out, so a signal on it
    reads as unknown and the Problems column says so.
    """
    header = grid[0] if grid else []
    keys = [header_key(v) for v in header]
    want = header_key(label_header)
    if want not in keys:
        return None
    col = keys.index(want)
    pts = keys.index(header_key(points_header)) if header_key(points_header) in keys else col + 1
    pairs: list[tuple[str, int]] = []
    for row in grid[1:]:
        label = text_of(row[col]) if col < len(row) else ""
        value = _points(row[pts] if pts < len(row) else None)
        if label.strip() and value is not None:
            pairs.append((label, value))
    return ScoringTable.of(pairs)


def split_signals(raw: CellValue) -> list[str]:
    """The labels in a Signals cell, comma-separated, blanks dropped."""
    return [part.strip() for part in text_of(raw).split(",") if part.strip()]


def score(raw: CellValue, table: ScoringTable) -> Score:
    """The sum of the points of each distinct label; blank Signals scores None."""
    labels = split_signals(raw)
    if not labels:
        return Score(None)
    total = 0
    seen: set[str] = set()
    unknown: list[str] = []
    for label in labels:
        key = label_key(label)
        if key in seen:
            continue
        seen.add(key)
        if key in table.points:
            total += table.points[key]
        else:
            unknown.append(" ".join(label.split()))
    return Score(total, tuple(unknown))


def is_mql(value: int | None, threshold: int) -> bool | None:
    """True when the score reaches the threshold; None when there is no score."""
    return None if value is None else value >= threshold


def unknown_problem(labels: Sequence[str], header: str = "Signals") -> str:
    """The Problems text for signals the Scoring table does not have."""
    # Each label shortened, and at most five named, so a long cell cannot swamp Problems
    # (an Excel cell holds 32,767 characters).
    names = ", ".join(repr(label if len(label) <= 40 else label[:39] + "\u2026")
                      for label in labels[:5])
    if len(labels) > 5:
        names += f" and {len(labels) - 5} more"
    what = "is not a signal" if len(labels) == 1 else "are not signals"
    return (f"{header}: {names} {what} in the Scoring table on the Lists tab: "
            "pick from the list or add it to the table with its points")
