"""Plain data shared by the core, the engine and the backends.

Nothing here does I/O or imports a spreadsheet library, so the rules can be
tested on their own and every backend speaks the same language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .template import Column

#: A raw value as a spreadsheet cell holds it.  Backends return these from
#: ``read`` without interpretation; the core (``sheetcrm.cells``) reads them.
CellValue = str | int | float | bool | dt.datetime | dt.date | dt.time | None

#: A grid of raw values: ``grid[0]`` is row 1 of the tab.  Trailing empty
#: cells and rows may be trimmed (Google does), so rows can be ragged.
Grid = list[list[CellValue]]

Status = Literal["pending", "contacted", "converted", "lost"]
STATUSES: tuple[Status, ...] = ("pending", "contacted", "converted", "lost")

SlaState = Literal["due", "overdue", "met", "missed", "unknown"]

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Settings:
    """The business calendar and rules, as held on the tracker's Settings tab."""

    timezone: str = "Africa/Kampala"
    country: str = "UG"
    currency: str = "UGX"
    sla_hours: float = 4.0
    follow_up_days: tuple[int, ...] = (2, 4, 7)
    #: Opening hours per weekday, Monday = 0; ``None`` means closed all day.
    opening_hours: Mapping[int, tuple[dt.time, dt.time] | None] = field(
        default_factory=lambda: {
            0: (dt.time(8), dt.time(18)),
            1: (dt.time(8), dt.time(18)),
            2: (dt.time(8), dt.time(18)),
            3: (dt.time(8), dt.time(18)),
            4: (dt.time(8), dt.time(18)),
            5: (dt.time(9), dt.time(14)),
            6: None,
        }
    )
    extra_closed_dates: frozenset[dt.date] = frozenset()
    extra_open_dates: frozenset[dt.date] = frozenset()
    business_name: str = ""
    #: The business's name as WhatsApp shows it in exported chats.
    whatsapp_name: str = ""
    #: A customer message after this many days of silence starts a new enquiry.
    new_enquiry_days: int = 30
    #: Prefilled WhatsApp messages, with {name} and {business} placeholders.
    first_reply_message: str = (
        "Hello {name}, thank you for contacting {business}. How can we help you today?")
    follow_up_message_1: str = (
        "Hello {name}, just checking in from {business}. Do you have any questions "
        "we can help with?")
    follow_up_message_2: str = (
        "Hello {name}, {business} here again. Are you still interested? We would be "
        "happy to help.")
    follow_up_message_3: str = (
        "Hello {name}, a last note from {business}: get in touch whenever you are ready. "
        "Thank you!")
    #: What one customer is worth over time; None: the average sale is used.
    lifetime_value: float | None = None
    #: The sales aimed for in a quarter, for pipeline coverage; None when not set.
    quarterly_revenue_target: float | None = None
    #: A Score at or above this makes an enquiry a marketing-qualified lead.
    mql_threshold: int = 50

    @property
    def sla_minutes(self) -> int:
        """The first-response target in business minutes."""
        return round(self.sla_hours * 60)


@dataclass(frozen=True)
class Formula:
    """A formula from sheetcrm's own template code, such as ``=COUNTIF(...)``.

    Only code creates these.  Text from users is always a plain ``str`` and
    every backend stores a ``str`` as text, even when it begins with ``=``,
    ``+``, ``-`` or ``@``: that is the defence against formula injection.
    """

    text: str  # including the leading "="


@dataclass(frozen=True)
class Cell:
    """A value to write, with an optional named style from the template and a link."""

    value: CellValue | Formula
    style: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class Chart:
    """A native chart on an owned tab, drawn from a block of that tab's cells.

    Rows and columns are 1-based and inclusive.  The first row of the block
    holds the series names; the first column holds the categories.
    """

    kind: Literal["bar", "line"]
    title: str
    first_row: int
    last_row: int
    first_col: int
    last_col: int
    anchor_row: int
    anchor_col: int
    y_axis_title: str = ""
    percent: bool = False
    #: The values are counts: the value axis starts at 0 and steps in whole numbers.
    counts: bool = False


@dataclass(frozen=True)
class ColumnFormat:
    """A column of a tab, from ``first_row`` to ``last_row``: the template column's
    number format and dropdown, for the rows the owner types later (Spend, Lists)."""

    col: int  # 1-based
    first_row: int
    last_row: int
    spec: Column


@dataclass
class TabContent:
    """A whole tab that sheetcrm owns and rewrites on every refresh (Summary, Today)."""

    rows: list[list[Cell]]
    widths: Mapping[int, float] = field(default_factory=dict)  # 1-based column -> width
    charts: list[Chart] = field(default_factory=list)
    freeze_rows: int = 0
    #: Hide the tab (the template's own tabs take this from the template instead).
    hidden: bool = False
    #: Formats and dropdowns over whole columns, for rows still to be typed.
    columns: list[ColumnFormat] = field(default_factory=list)


@dataclass(frozen=True)
class Snapshot:
    """Everything a refresh needs, read in one pass."""

    #: Tab name -> raw grid, for every tab that exists in the tracker.
    tabs: Mapping[str, Grid]
    #: Names of every tab, in order, including ones we did not read.
    tab_names: Sequence[str] = ()


@dataclass
class LogLines:
    """Lines appended below the last line of a tab (created with ``header`` when missing)."""

    tab: str
    header: Sequence[str]
    #: Raw values, or styled ``Cell``s (History dates its lines with the datetime style).
    rows: Sequence[Sequence[CellValue | Cell]]


@dataclass
class Changes:
    """What the engine wants written: only the cells and tabs sheetcrm may write.

    This is intent, not position: columns are named by header and rows by
    what they held when read.  :func:`sheetcrm.planner.plan_write` turns it,
    against a fresh read taken at write time, into positional operations,
    so an owner who reorders columns between read and write cannot make a
    value land in the wrong column.
    """

    #: Header -> one Cell per data row, starting at row 2.  Rows beyond the
    #: list that hold old computed values are cleared.
    computed: dict[str, list[Cell]] = field(default_factory=dict)
    #: Row number -> new ID, only for rows whose ID cell was blank when read.
    id_fills: dict[int, str] = field(default_factory=dict)
    #: The ID column as it was read (one entry per data row from row 2), or
    #: None when the write does not address rows by position.
    expected_ids: list[CellValue] | None = None
    #: Owned tabs replaced whole.
    tabs: dict[str, TabContent] = field(default_factory=dict)
    #: Key/value pairs on the hidden meta tab (last ID, last refresh, template version).
    meta: dict[str, str] = field(default_factory=dict)
    #: Owner cells by (row number, Enquiries header), as of the last read (sync only).
    edits: dict[tuple[int, str], CellValue] = field(default_factory=dict)
    #: New enquiries (Enquiries header -> value), appended below the last typed row.
    new_rows: list[Mapping[str, CellValue]] = field(default_factory=list)
    #: Lines for a log tab such as Conflicts.
    log: LogLines | None = None
    #: Enquiries headers to add when row 1 lacks them (``upgrade``: new owner columns).
    headers: list[str] = field(default_factory=list)
    #: Tab name -> {(row, column): Cell}, written only where the cell is blank now.
    fills: dict[str, dict[tuple[int, int], Cell]] = field(default_factory=dict)
    #: Tabs created only when missing, never replaced (``upgrade``: the Spend tab).
    new_tabs: dict[str, TabContent] = field(default_factory=dict)


def ids_match(expected: Sequence[CellValue], now: Sequence[CellValue]) -> bool:
    """Whether the ID column still reads as it did (blank and "" count alike).

    Rows added below the ones read do not count as a move.
    """

    def norm(v: CellValue) -> CellValue:
        if isinstance(v, float) and v != v:
            return "NaN"  # NaN never equals itself, which would look like a moved row
        return None if v is None or (isinstance(v, str) and not v.strip()) else v

    padded = list(now) + [None] * max(0, len(expected) - len(now))
    return all(norm(a) == norm(b) for a, b in zip(expected, padded, strict=False))


def trimmed(grid: Sequence[Sequence[CellValue]]) -> Grid:
    """A copy of ``grid`` without trailing empty cells and rows, as Google returns values."""
    rows = [list(r) for r in grid]
    for r in rows:
        while r and (r[-1] is None or r[-1] == ""):
            r.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows
