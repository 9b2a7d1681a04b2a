"""Small cell-making helpers shared by the owned tabs."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence

from ..model import Cell, TabContent

#: Characters per line of running text: text is split into rows rather than
#: wrapped, because spreadsheet apps do not grow a row to fit wrapped text
#: they did not type.
LINE = 95


def short_month(month: str) -> str:
    """'2026-10' -> 'Oct 2026'."""
    year, mon = month.split("-")
    return dt.date(int(year), int(mon), 1).strftime("%b %Y")


def blank() -> list[Cell]:
    """An empty row."""
    return []


def header(*titles: str) -> list[Cell]:
    """A row of column headers."""
    return [Cell(t, style="header") for t in titles]


def pct(value: float | None, style: str = "percent") -> Cell:
    """A share shown as a percentage (blank when there is nothing to divide)."""
    return Cell(value, style=style)


def money(value: float) -> int | float:
    """A whole amount as an int, so UGX shows no decimals."""
    return int(value) if value == int(value) else value


def days(minutes: int | None) -> float | None:
    """Minutes as a spreadsheet duration (a fraction of a day), shown as 7h 21m."""
    return minutes / 1440 if minutes is not None else None


def hours(value: float) -> str:
    """4.0 -> '4', 2.5 -> '2.5'."""
    return f"{value:g}"


def para(text: str, style: str | None = None, col: int = 1,
         width: int = LINE) -> list[list[Cell]]:
    """A paragraph as rows of one cell each, in column ``col``."""
    lines = textwrap.wrap(text, width) or [""]
    return [[Cell(None)] * (col - 1) + [Cell(line, style=style)] for line in lines]


def join(numbers: Sequence[int]) -> str:
    """(2, 4, 7) -> '2, 4 and 7'."""
    parts = [str(d) for d in numbers]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def placeholder(title: str) -> TabContent:
    """An owned tab before the first refresh."""
    return TabContent(rows=[[Cell(title, style="title")],
                            [Cell("Run `sheetcrm refresh` to fill this tab.", style="muted")]])
