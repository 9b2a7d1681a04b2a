"""Monthly figures per channel, as the Summary tab and ``--json`` show them.

Definitions (issue 2): enquiries are grouped by the month they were received
and by Source (matched case-insensitively; the first spelling met wins).
``contacted`` counts enquiries with a First contact or a status of contacted,
converted or lost; ``open`` is enquiries - converted - lost;
``sla_met_rate`` is met / (met + missed + overdue), None when nothing counts;
``median_response_minutes`` is over met and missed enquiries, rounded half up
to whole minutes; ``value_won`` sums Value over converted enquiries (a blank
Value counts 0).  ``sla_breaches`` is missed + overdue in the month.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .model import SlaState, Status

TOTAL = "Total"
_ANSWERED: frozenset[Status | None] = frozenset({"contacted", "converted", "lost"})


@dataclass(frozen=True)
class EnquiryFacts:
    """What the monthly figures need from one enquiry with a usable Received."""

    received: dt.datetime
    source: str
    status: Status | None
    has_first_contact: bool
    sla: SlaState
    response_minutes: int | None
    value: float | None


def month_label(month: str) -> str:
    """'2026-10' -> 'October 2026'."""
    year, mon = month.split("-")
    return dt.date(int(year), int(mon), 1).strftime("%B %Y")


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class ChannelFigures:
    """One row of a month's block: a channel, or the month's total."""

    source: str
    enquiries: int
    contacted: int
    converted: int
    lost: int
    open: int
    conversion_rate: float | None
    sla_met_rate: float | None
    median_response_minutes: int | None
    value_won: float

    def as_dict(self) -> dict[str, object]:
        """The figures with the issue's JSON keys; rates to 3 places, whole money as an int."""
        value: float | int = self.value_won
        if math.isfinite(self.value_won) and self.value_won.is_integer():
            value = int(self.value_won)
        return {
            "source": self.source,
            "enquiries": self.enquiries,
            "contacted": self.contacted,
            "converted": self.converted,
            "lost": self.lost,
            "open": self.open,
            "conversion_rate": _round_rate(self.conversion_rate),
            "sla_met_rate": _round_rate(self.sla_met_rate),
            "median_response_minutes": self.median_response_minutes,
            "value_won": value,
        }


def _round_rate(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 3)


@dataclass(frozen=True)
class MonthFigures:
    """One month's block of the Summary."""

    month: str
    channels: list[ChannelFigures]
    total: ChannelFigures
    sla_breaches: int
    escalate: bool

    def as_dict(self) -> dict[str, object]:
        """The month as the issue's JSON shape."""
        return {
            "month": self.month,
            "channels": [c.as_dict() for c in self.channels],
            "total": self.total.as_dict(),
            "sla_breaches": self.sla_breaches,
            "escalate": self.escalate,
        }


def _half_up(number: float) -> int:
    return math.floor(number + 0.5)


def channel_figures(source: str, facts: Sequence[EnquiryFacts]) -> ChannelFigures:
    """The figures for one group of enquiries (a channel in a month, or a month's total)."""
    enquiries = len(facts)
    converted = sum(1 for f in facts if f.status == "converted")
    lost = sum(1 for f in facts if f.status == "lost")
    contacted = sum(1 for f in facts if f.has_first_contact or f.status in _ANSWERED)
    met = sum(1 for f in facts if f.sla == "met")
    counted = sum(1 for f in facts if f.sla in ("met", "missed", "overdue"))
    responses = [
        f.response_minutes
        for f in facts
        if f.sla in ("met", "missed") and f.response_minutes is not None
    ]
    median = _half_up(statistics.median(responses)) if responses else None
    value_won = math.fsum(
        f.value for f in facts if f.status == "converted" and f.value is not None
    )
    return ChannelFigures(
        source=source,
        enquiries=enquiries,
        contacted=contacted,
        converted=converted,
        lost=lost,
        open=enquiries - converted - lost,
        conversion_rate=_rate(converted, enquiries),
        sla_met_rate=_rate(met, counted),
        median_response_minutes=median,
        value_won=value_won,
    )


def monthly_figures(facts: Iterable[EnquiryFacts], *, escalate_at: int = 3) -> list[MonthFigures]:
    """Figures per month received (newest first), per channel and in total."""
    spelling: dict[str, str] = {}
    months: dict[str, dict[str, list[EnquiryFacts]]] = {}
    for fact in facts:
        key = " ".join(fact.source.split()).casefold()
        name = spelling.setdefault(key, " ".join(fact.source.split()) or "Unknown")
        month = f"{fact.received.year:04d}-{fact.received.month:02d}"
        months.setdefault(month, {}).setdefault(name, []).append(fact)

    result = []
    for month in sorted(months, reverse=True):
        groups = months[month]
        channels = sorted(
            (channel_figures(name, group) for name, group in groups.items()),
            key=lambda c: (-c.enquiries, c.source.casefold(), c.source),
        )
        everything = [f for group in groups.values() for f in group]
        breaches = sum(1 for f in everything if f.sla in ("missed", "overdue"))
        result.append(
            MonthFigures(
                month=month,
                channels=channels,
                total=channel_figures(TOTAL, everything),
                sla_breaches=breaches,
                escalate=breaches >= escalate_at,
            )
        )
    return result


@dataclass(frozen=True)
class Headline:
    """The months an owner reads first: this month so far and the latest complete month."""

    #: The month of ``today``, when it has enquiries: its figures are partial.
    current: MonthFigures | None
    #: The newest month before ``today``'s month that has enquiries.
    complete: MonthFigures | None
    today: dt.date

    def so_far(self) -> str:
        """'November 2026 so far (1 to 23 November)'."""
        assert self.current is not None
        return (f"{month_label(self.current.month)} so far "
                f"(1 to {self.today.day} {self.today:%B})")

    def last_full(self) -> str:
        """'October 2026 (last full month)'."""
        assert self.complete is not None
        return f"{month_label(self.complete.month)} (last full month)"


def headline(months: Sequence[MonthFigures], today: dt.date) -> Headline:
    """This month so far and the latest complete month, from ``months`` (newest first).

    A month two days old says little on its own, so the Summary and the
    refresh output show the latest complete month beside it, each named.
    """
    this_month = f"{today:%Y-%m}"
    current = next((m for m in months if m.month == this_month), None)
    complete = next((m for m in months if m.month < this_month), None)
    return Headline(current=current, complete=complete, today=today)
