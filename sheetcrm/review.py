"""The monthly joint review of sales and marketing, as a Markdown record.

Pure, apart from :func:`save`.  The review follows the alignment framework's
agenda exactly: 1. lead volume and quality, 2. funnel conversion, 3. revenue
by channel, 4. attribution questions, 5. scoring model review, 6.
response-time compliance, 7. next month's targets, then the KPI ownership
table.  Every figure is taken from the month's figures as ``report --json``
gives them (``MonthFigures.as_dict``), so the two always agree; a figure
that cannot be computed says why instead of showing a number.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import InputError, SheetCRMError
from .results import Evaluation, RowResult
from .sla import format_minutes
from .summary import month_label

#: Under this MQL conversion the framework says to look again at the scoring.
MQL_FLOOR = 0.2
#: Breaches in a month from which the framework says to escalate.
ESCALATE_AT = 3
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")

Figures = Mapping[str, Any]


def text(value: object) -> str:
    """User text made safe inside Markdown and a table cell: specials escaped, one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def money(value: float | int, currency: str) -> str:
    """A JSON amount as the review shows it: 'UGX 1,250,000' or 'UGX 33,333.33'."""
    shown = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
    return f"{text(currency)} {shown}"


def percent(rate: float) -> str:
    """A JSON rate (3 places) as a percentage to one place: 0.667 -> '66.7%'."""
    return f"{rate * 100:.1f}%"


def unavailable(why: str) -> str:
    """What stands in for a figure that cannot be computed."""
    return f"not available: {why}"


def _month_of(evaluation: Evaluation, month: str | None) -> tuple[str, Figures]:
    months = {m.month: m.as_dict() for m in evaluation.months}
    if month is None:
        if not months:
            raise InputError("The tracker has no dated enquiries yet, so there is no month "
                             "to review: add enquiries and try again")
        month = max(months)
    if month not in months:
        raise InputError(f"The tracker has no enquiries received in {month}: "
                         "give a month that has some, like --month 2026-10")
    return month, months[month]


def _next_month(month: str) -> str:
    year, mon = (int(p) for p in month.split("-"))
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


class _Review:
    """Builds the Markdown of one month's review, section by section."""

    def __init__(self, evaluation: Evaluation, month: str, figures: Figures) -> None:
        self.e = evaluation
        self.month = month
        self.f = figures
        self.total: Figures = figures["total"]
        self.channels: list[Figures] = list(figures["channels"])
        self.currency = evaluation.settings.currency
        self.scoring = self.total.get("mqls") is not None
        self.lines: list[str] = []

    # -- helpers -----------------------------------------------------------
    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.add("| " + " | ".join(header) + " |",
                 "| " + " | ".join("---" for _ in header) + " |")
        for row in rows:
            self.add("| " + " | ".join(row) + " |")
        self.add("")

    def name(self, ch: Figures) -> str:
        return "Total" if ch is self.total else text(ch["source"])

    def who(self, ch: Figures) -> str:
        return "this month" if ch is self.total else f"for {text(ch['source'])}"

    def amount(self, ch: Figures, key: str) -> str:
        value = ch.get(key)
        if value is not None:
            return money(value, self.currency)
        return unavailable(self.why_not(ch, key))

    def rate(self, ch: Figures, key: str) -> str:
        value = ch.get(key)
        return percent(value) if value is not None else unavailable(self.why_not(ch, key))

    def why_not(self, ch: Figures, key: str) -> str:
        """Why a figure is null, in a few words."""
        who = self.who(ch)
        no_spend = ch.get("spend") is None
        if key == "spend" or (no_spend and key in ("cost_per_enquiry", "cost_per_mql", "cac")):
            return f"no spend recorded {who}"
        if key in ("mqls", "mql_rate", "mql_conversion_rate") and not self.scoring:
            return "the tracker has no Signals column (run `sheetcrm upgrade`)"
        if key in ("cost_per_enquiry", "contact_rate", "mql_rate", "conversion_rate"):
            return f"no enquiries {who}"
        if key in ("cost_per_mql", "mql_conversion_rate"):
            return f"no MQLs {who}"
        if key in ("cac", "average_sale"):
            return f"nothing converted {who}"
        if key == "ltv":
            return f"no Lifetime value on the Settings tab and nothing converted {who}"
        if key == "roi":
            if ch.get("cac") is None:
                return f"no customer acquisition cost {who}"
            return f"the customer acquisition cost {who} is zero"
        if key == "pipeline_coverage":
            return "no Quarterly revenue target on the Settings tab"
        if key == "sla_met_rate":
            return f"no enquiry {who} has reached its reply deadline yet"
        return f"no data {who}"

    # -- sections ------------------------------------------------------------
    def render(self) -> str:
        title = f"Monthly sales and marketing review: {month_label(self.month)}"
        if self.e.settings.business_name:
            title += f", {text(self.e.settings.business_name)}"
        self.add(f"# {title}", "",
                 f"Prepared by sheetcrm on {self.e.now:%d/%m/%Y %H:%M} from the tracker. "
                 "Go through each point together, settle it, and write down what you decide.",
                 "")
        self.volume()
        self.funnel()
        self.revenue()
        self.attribution()
        self.scoring_review()
        self.response_time()
        self.targets()
        self.ownership()
        return "\n".join(self.lines).rstrip("\n") + "\n"

    def volume(self) -> None:
        self.add("## 1. Lead volume and quality", "",
                 "Compare how many enquiries each channel brought, how many were qualified, "
                 "and what each cost.", "")
        rows = []
        for ch in [*self.channels, self.total]:
            rows.append([self.name(ch), str(ch["enquiries"]),
                         str(ch["mqls"]) if ch.get("mqls") is not None
                         else unavailable(self.why_not(ch, "mqls")),
                         self.amount(ch, "spend"), self.amount(ch, "cost_per_enquiry"),
                         self.amount(ch, "cost_per_mql")])
        self.table(["Channel", "Enquiries", "MQLs", "Spend", "Cost per enquiry",
                    "Cost per MQL"], rows)
        top = [ch for ch in self.channels if ch["enquiries"]][:3]
        if top:
            listed = ", ".join(f"{text(ch['source'])} ({ch['enquiries']})" for ch in top)
            self.add(f"Top channels by enquiries: {listed}.", "")

    def funnel(self) -> None:
        t = self.total
        self.add("## 2. Funnel conversion", "",
                 "Find the stage where most enquiries stop, and agree one change there.", "")
        mqls = str(t["mqls"]) if t.get("mqls") is not None else \
            unavailable(self.why_not(t, "mqls"))
        self.table(["Stage", "Enquiries", "Share of all enquiries"], [
            ["Enquiries", str(t["enquiries"]), "100.0%" if t["enquiries"] else
             unavailable(self.why_not(t, "contact_rate"))],
            ["Contacted", str(t["contacted"]), self.rate(t, "contact_rate")],
            ["MQL", mqls, self.rate(t, "mql_rate")],
            ["Converted", str(t["converted"]), self.rate(t, "conversion_rate")],
        ])

    def revenue(self) -> None:
        self.add("## 3. Revenue by channel", "",
                 "See which channels bring customers who buy, not only enquiries.", "")
        rows = [[self.name(ch), str(ch["converted"]), money(ch["value_won"], self.currency),
                 self.amount(ch, "average_sale"), self.amount(ch, "pipeline_value"),
                 self.amount(ch, "cac"), self.amount(ch, "ltv"), self.rate(ch, "roi")]
                for ch in [*self.channels, self.total]]
        self.table(["Channel", "Converted", "Value won", "Average sale", "Pipeline value",
                    "CAC", "LTV", "ROI"], rows)
        coverage = self.total.get("pipeline_coverage")
        shown = f"{coverage:g}×" if coverage is not None else \
            unavailable(self.why_not(self.total, "pipeline_coverage"))
        self.add(f"Pipeline coverage: {shown} (the framework's healthy range is 3-4× the "
                 "quarterly target).", "")
        lost = [f"{text(ch['source'])}: " + ", ".join(
            f"{text(reason)} {count}" for reason, count in ch["lost_reasons"].items())
            for ch in self.channels if ch.get("lost_reasons")]
        if lost:
            self.add("Lost reasons: " + "; ".join(lost) + ".", "")
        else:
            self.add("Lost reasons: none recorded this month.", "")

    def _month_rows(self) -> list[RowResult]:
        """The enquiries received this month, and those with no readable date."""
        return [r for r in self.e.rows
                if r.received is None or f"{r.received:%Y-%m}" == self.month]

    def attribution(self) -> None:
        rows = self._month_rows()

        def ids(chosen: list[RowResult]) -> str:
            return ", ".join(text(r.id or f"row {r.row}") for r in chosen) or "none"

        unknown = [r for r in rows if r.source == "Unknown"
                   or any(p.startswith("Source") for p in r.problems)]
        duplicates = [r for r in rows if any("Possible duplicate" in p for p in r.problems)]
        problems = [r for r in rows if r.problems]
        self.add("## 4. Attribution questions to settle with data", "",
                 "Settle each of these from the tracker before the next review.", "",
                 f"- Unknown or unlisted sources: {ids(unknown)}.",
                 f"- Possible duplicates: {ids(duplicates)}.",
                 f"- Rows with problems: {ids(problems)}.")
        for problem in self.e.spend_problems:
            self.add(f"- Spend not counted: {text(problem)}.")
        self.add("")

    def scoring_review(self) -> None:
        t = self.total
        threshold = self.e.settings.mql_threshold
        self.add("## 5. Scoring model review", "",
                 f"MQL threshold: {threshold} points.", "",
                 f"- MQLs: {t['mqls'] if t.get('mqls') is not None else unavailable(self.why_not(t, 'mqls'))}.",  # noqa: E501
                 f"- MQL conversion (converted MQLs ÷ MQLs): "
                 f"{self.rate(t, 'mql_conversion_rate')}.", "")
        rate = t.get("mql_conversion_rate")
        if rate is not None and rate < MQL_FLOOR:
            self.add("MQL conversion is under 20%: lower the threshold or revise the points "
                     "in the Scoring table on the Lists tab.", "")
        elif rate is not None:
            self.add("MQL conversion is 20% or more: keep the threshold and the points.", "")
        else:
            self.add("Check the Signals on this month's enquiries before judging the model.",
                     "")

    def response_time(self) -> None:
        t = self.total
        median = t.get("median_response_minutes")
        breaches = self.f["sla_breaches"]
        shown = (f"{format_minutes(median)} ({median} business minutes)" if median is not None
                 else unavailable("no first replies recorded this month"))
        hours = f"{self.e.settings.sla_hours:g}"
        self.add("## 6. Response-time compliance", "",
                 f"- Share answered within the SLA ({hours} business hours): "
                 f"{self.rate(t, 'sla_met_rate')}.",
                 f"- Median first reply: {shown}.",
                 f"- SLA breaches: {breaches}.")
        if self.f["escalate"]:
            self.add(f"- Escalation is due: {breaches} breaches this month ({ESCALATE_AT} or "
                     "more). Agree who answers enquiries and when.", "")
        else:
            self.add(f"- Escalation is not due (fewer than {ESCALATE_AT} breaches).", "")

    def targets(self) -> None:
        t = self.total
        nxt = month_label(_next_month(self.month))
        self.add("## 7. Next month's targets", "",
                 f"Fill in a target for {nxt} beside each figure, and who owns it.", "")
        rows = [["Enquiries", str(t["enquiries"])],
                ["MQLs", str(t["mqls"]) if t.get("mqls") is not None else
                 unavailable(self.why_not(t, "mqls"))],
                ["Conversion rate", self.rate(t, "conversion_rate")],
                ["Share answered within the SLA", self.rate(t, "sla_met_rate")],
                ["Cost per enquiry", self.amount(t, "cost_per_enquiry")],
                ["Value won", money(t["value_won"], self.currency)]]
        self.table(["Figure", month_label(self.month), f"Target for {nxt}", "Owner"],
                   [[*row, " ", " "] for row in rows])

    def ownership(self) -> None:
        t = self.total
        mqls = str(t["mqls"]) if t.get("mqls") is not None else \
            unavailable(self.why_not(t, "mqls"))
        rows = [
            ["Marketing", "Enquiries", str(t["enquiries"])],
            ["Marketing", "Cost per enquiry", self.amount(t, "cost_per_enquiry")],
            ["Marketing", "Customer acquisition cost", self.amount(t, "cac")],
            ["Marketing", "Marketing ROI", self.rate(t, "roi")],
            ["Marketing", "MQLs", mqls],
            ["Sales", "Converted", str(t["converted"])],
            ["Sales", "Value won", money(t["value_won"], self.currency)],
            ["Sales", "Average sale", self.amount(t, "average_sale")],
            ["Sales", "Pipeline value", self.amount(t, "pipeline_value")],
            ["Sales", "Share answered within the SLA", self.rate(t, "sla_met_rate")],
            ["Joint", "Conversion rate", self.rate(t, "conversion_rate")],
            ["Joint", "MQL conversion", self.rate(t, "mql_conversion_rate")],
            ["Joint", "Lifetime value", self.amount(t, "ltv")],
        ]
        self.add("## KPI ownership", "",
                 "Marketing owns the first figures, sales the next, and both own the last.", "")
        self.table(["Owned by", "KPI", month_label(self.month)], rows)


def render(evaluation: Evaluation, month: str | None = None) -> str:
    """The month's joint review as GitHub-flavoured Markdown (the newest month by default)."""
    month, figures = _month_of(evaluation, month)
    return _Review(evaluation, month, figures).render()


def default_name(evaluation: Evaluation, month: str | None = None) -> str:
    """review-2026-10.md for the month reviewed."""
    return f"review-{_month_of(evaluation, month)[0]}.md"


def save(markdown: str, path: Path) -> None:
    """Write the review to ``path`` atomically (a half-written file is never left)."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, delete=False,
                                         prefix=".review-", suffix=".md") as out:
            out.write(markdown)
        os.replace(out.name, path)
    except OSError as exc:
        raise SheetCRMError(f"{path}: cannot be written ({exc.strerror}): check the folder "
                            "exists and you may write to it") from None

