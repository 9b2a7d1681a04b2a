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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

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
    #: Lead scoring (None when Signals is blank) and the lost reason, as typed.
    score: int | None = None
    mql: bool | None = None
    lost_reason: str | None = None


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
    # The alignment framework's figures (docs/rules.md); None where they cannot be computed.
    spend: float | None = None
    cost_per_enquiry: float | None = None
    cac: float | None = None
    ltv: float | None = None
    roi: float | None = None
    pipeline_value: float | None = 0.0
    average_sale: float | None = None
    mqls: int | None = None
    mql_conversion_rate: float | None = None
    lost_reasons: Mapping[str, int] = field(default_factory=dict)
    #: The funnel for the monthly review: contacted / enquiries, MQLs / enquiries,
    #: and spend / MQLs.
    contact_rate: float | None = None
    mql_rate: float | None = None
    cost_per_mql: float | None = None
    #: Only on a month's total: pipeline value over the quarterly revenue target.
    pipeline_coverage: float | None = None
    is_total: bool = False

    def as_dict(self) -> dict[str, object]:
        """The figures with the issue's JSON keys; rates to 3 places, whole money as an int."""
        value: float | int | None = self.value_won
        if not math.isfinite(self.value_won):
            value = None  # too big for a number: JSON has no infinity
        elif self.value_won.is_integer():
            value = int(self.value_won)
        return {**self._base_dict(value), **self._alignment_dict()}

    def _alignment_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "spend": round_money(self.spend),
            "cost_per_enquiry": round_money(self.cost_per_enquiry),
            "cac": round_money(self.cac),
            "ltv": round_money(self.ltv),
            "roi": _round_rate(self.roi),
            "pipeline_value": round_money(self.pipeline_value),
            "average_sale": round_money(self.average_sale),
            "mqls": self.mqls,
            "mql_conversion_rate": _round_rate(self.mql_conversion_rate),
            "lost_reasons": dict(self.lost_reasons),
            "contact_rate": _round_rate(self.contact_rate),
            "mql_rate": _round_rate(self.mql_rate),
            "cost_per_mql": round_money(self.cost_per_mql),
        }
        if self.is_total:
            out["pipeline_coverage"] = _round_rate(self.pipeline_coverage)
        return out

    def _base_dict(self, value: float | int | None) -> dict[str, object]:
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


def round_money(amount: float | None) -> float | int | None:
    """Money for JSON: to 2 places, and a whole amount as an int."""
    if amount is None:
        return None
    rounded = round(amount, 2)
    return int(rounded) if rounded.is_integer() else rounded


def safe_sum(values: Iterable[float]) -> float | None:
    """An exact sum, or None when it is too big for a number (never inf)."""
    try:
        total = math.fsum(values)
    except OverflowError:
        return None
    return total if math.isfinite(total) else None


def _div(part: float | None, whole: float | None) -> float | None:
    """part / whole, None when either is missing or the whole is zero: never divides by zero."""
    if part is None or whole is None or whole == 0:
        return None
    result = part / whole
    return result if math.isfinite(result) else None


@dataclass(frozen=True)
class Alignment:
    """What the framework's figures need beyond the enquiries themselves."""

    #: (month, channel key) -> spend; None when the tracker has no Spend tab.
    spend: Mapping[tuple[str, str], float] | None = None
    lifetime_value: float | None = None
    quarterly_target: float | None = None
    #: Whether the tracker scores leads (it has a Signals column).
    scoring: bool = False


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


def channel_figures(source: str, facts: Sequence[EnquiryFacts], *,
                    spend: float | None = None, alignment: Alignment | None = None,
                    is_total: bool = False) -> ChannelFigures:
    """The figures for one group of enquiries (a channel in a month, or a month's total)."""
    base = _base_figures(source, facts)
    return _with_alignment(base, facts, spend, alignment or Alignment(), is_total)


def _with_alignment(base: ChannelFigures, facts: Sequence[EnquiryFacts], spend: float | None,
                    alignment: Alignment, is_total: bool) -> ChannelFigures:
    """The framework's figures on top of the base ones (see docs/rules.md)."""
    from dataclasses import replace

    converted = base.converted
    average_sale = _div(base.value_won, converted)
    ltv = alignment.lifetime_value if alignment.lifetime_value is not None else average_sale
    cac = _div(spend, converted)
    pipeline = safe_sum(f.value for f in facts
                        if f.status in (None, "pending", "contacted") and f.value is not None)
    mqls: int | None = None
    mql_rate: float | None = None
    if alignment.scoring:
        mqls = sum(1 for f in facts if f.mql)
        mql_rate = _rate(sum(1 for f in facts if f.mql and f.status == "converted"), mqls)
    reasons: dict[str, int] = {}
    for f in facts:
        if f.status == "lost" and f.lost_reason:
            reasons[f.lost_reason] = reasons.get(f.lost_reason, 0) + 1
    return replace(
        base, spend=spend, cost_per_enquiry=_div(spend, base.enquiries), cac=cac, ltv=ltv,
        roi=_div(None if ltv is None or cac is None else ltv - cac, cac),
        pipeline_value=pipeline, average_sale=average_sale, mqls=mqls,
        mql_conversion_rate=mql_rate, lost_reasons=dict(sorted(reasons.items())),
        contact_rate=_rate(base.contacted, base.enquiries),
        mql_rate=None if mqls is None else _rate(mqls, base.enquiries),
        cost_per_mql=_div(spend, mqls),
        pipeline_coverage=_div(pipeline, alignment.quarterly_target) if is_total else None,
        is_total=is_total)


def _base_figures(source: str, facts: Sequence[EnquiryFacts]) -> ChannelFigures:
    """The figures of issue 2 for one group of enquiries."""
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
    value_won = safe_sum(
        f.value for f in facts if f.status == "converted" and f.value is not None
    )
    if value_won is None:  # too big for a number: as_dict already shows that as it is
        value_won = math.inf
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


def monthly_figures(facts: Iterable[EnquiryFacts], *, escalate_at: int = 3,
                    alignment: Alignment | None = None,
                    spend_names: Mapping[str, str] | None = None) -> list[MonthFigures]:
    """Figures per month received (newest first), per channel and in total.

    With ``alignment.spend``, a channel or month with spend but no enquiries
    gets a row too (``spend_names``: channel key -> the name to show).
    """
    alignment = alignment or Alignment()
    spelling: dict[str, str] = {}
    months: dict[str, dict[str, list[EnquiryFacts]]] = {}
    for fact in facts:
        key = " ".join(fact.source.split()).casefold()
        name = spelling.setdefault(key, " ".join(fact.source.split()) or "Unknown")
        month = f"{fact.received.year:04d}-{fact.received.month:02d}"
        months.setdefault(month, {}).setdefault(name, []).append(fact)
    spend = alignment.spend
    for month, key in spend or {}:
        name = spelling.setdefault(key, (spend_names or {}).get(key, key))
        months.setdefault(month, {}).setdefault(name, [])

    def spent(month: str, keys: Iterable[str]) -> float | None:
        if spend is None:
            return None
        amounts = [spend[(month, k)] for k in keys if (month, k) in spend]
        return safe_sum(amounts) if amounts else None

    result = []
    for month in sorted(months, reverse=True):
        groups = months[month]
        channels = sorted(
            (channel_figures(name, group, spend=spent(month, [" ".join(name.split()).casefold()]),
                             alignment=alignment)
             for name, group in groups.items()),
            key=lambda c: (-c.enquiries, c.source.casefold(), c.source),
        )
        everything = [f for group in groups.values() for f in group]
        breaches = sum(1 for f in everything if f.sla in ("missed", "overdue"))
        month_spend = spent(month, {k for (m, k) in spend or {} if m == month})
        result.append(
            MonthFigures(
                month=month,
                channels=channels,
                total=channel_figures(TOTAL, everything, spend=month_spend,
                                      alignment=alignment, is_total=True),
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
