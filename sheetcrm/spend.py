"""Marketing spend: the owner's Spend tab read into lines of month, channel and amount.

Pure.  The tab has a header row with ``Month``, ``Channel`` and ``Amount``
(found by header, any order).  Month is any date in the month, or the month
typed as ``10/2026`` (also ``10-2026`` or ``2026-10``).  Several lines for one
month and channel add up.  A line that cannot be read is left out and
reported with its row, so no figure uses a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .cells import header_key, parse_date, parse_money, text_of
from .model import CellValue, Grid
from .summary import safe_sum

_MONTH_YEAR = re.compile(r"(\d{1,2})\s*[/\-.]\s*(\d{4})")
_YEAR_MONTH = re.compile(r"(\d{4})\s*[/\-.]\s*(\d{1,2})")


def channel_key(name: str) -> str:
    """How channels are matched between Spend and Source: spaces collapsed, any case."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class SpendLine:
    """One readable line of the Spend tab."""

    row: int
    month: str  # "2026-10"
    channel: str
    amount: float


@dataclass(frozen=True)
class SpendSheet:
    """The lines of the Spend tab and what could not be read, by row."""

    lines: tuple[SpendLine, ...]
    problems: tuple[str, ...] = ()

    def by_month_channel(self) -> dict[tuple[str, str], float]:
        """(month, channel key) -> the sum of the amounts."""
        return spend_totals(self.lines)


def spend_totals(lines: Iterable[SpendLine]) -> dict[tuple[str, str], float]:
    """(month, channel key) -> the sum of the amounts of those lines."""
    parts: dict[tuple[str, str], list[float]] = {}
    for line in lines:
        parts.setdefault((line.month, channel_key(line.channel)), []).append(line.amount)
    totals = {key: safe_sum(values) for key, values in parts.items()}
    # A sum too big for a number is left out rather than shown as infinity.
    return {key: total for key, total in totals.items() if total is not None}


def parse_month(raw: CellValue) -> str | None:
    """'2026-10' from a date in the month, '10/2026', '2026-10' or a serial; else None."""
    if isinstance(raw, str):
        text = raw.strip()
        for pattern, month_first in ((_MONTH_YEAR, True), (_YEAR_MONTH, False)):
            match = pattern.fullmatch(text)
            if match:
                a, b = int(match[1]), int(match[2])
                month, year = (a, b) if month_first else (b, a)
                return f"{year:04d}-{month:02d}" if 1 <= month <= 12 and year >= 1900 else None
    day = parse_date(raw)
    if day is None and isinstance(raw, dt.datetime):
        day = raw.date()
    return f"{day.year:04d}-{day.month:02d}" if day is not None else None


def read_spend(grid: Grid, sources: Sequence[str], *, tab: str = "Spend",
               headers: Mapping[str, str] | None = None) -> SpendSheet:
    """The Spend tab's lines; a row that cannot be read becomes a problem naming its row."""
    names = {"month": "Month", "channel": "Channel", "amount": "Amount", **(headers or {})}
    header = [header_key(v) for v in (grid[0] if grid else [])]
    cols = {key: header.index(header_key(name)) if header_key(name) in header else None
            for key, name in names.items()}
    if any(col is None for col in cols.values()):
        missing = ", ".join(names[k] for k, c in cols.items() if c is None)
        return SpendSheet((), (f"{tab} row 1 has no {missing} column: put the header back",)
                          if grid else ())
    spelt = {channel_key(s): s for s in sources}
    lines: list[SpendLine] = []
    problems: list[str] = []
    for r, row in enumerate(grid[1:], start=2):

        def at(key: str, row: Sequence[CellValue] = row) -> CellValue:
            col = cols[key]
            return row[col] if col is not None and col < len(row) else None

        if not any(text_of(at(k)) for k in cols):
            continue
        month = parse_month(at("month"))
        channel = " ".join(text_of(at("channel")).split())
        amount = parse_money(at("amount"), header=names["amount"])
        if month is None:
            problems.append(f"{tab} row {r}: {names['month']} {text_of(at('month'))!r} is not "
                            "a month: type a date in the month, or the month like 10/2026")
        elif not channel:
            problems.append(f"{tab} row {r}: {names['channel']} is blank: pick the channel")
        elif amount.problem or amount.value is None:
            problems.append(f"{tab} row {r}: {amount.problem or names['amount'] + ' is blank'}")
        else:
            lines.append(SpendLine(r, month, spelt.get(channel_key(channel), channel),
                                   amount.value))
    return SpendSheet(tuple(lines), tuple(problems))
