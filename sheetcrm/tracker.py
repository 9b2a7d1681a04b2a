"""The engine: init, refresh, report, add and import, over any backend.

``evaluate`` is pure: it turns a :class:`~sheetcrm.model.Snapshot` into the
results and the :class:`~sheetcrm.model.Changes` to write.  The other public
functions do the I/O through a :class:`~sheetcrm.backends.base.Backend`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from . import history, links, scoring, tabs
from .backends.base import Backend
from .businesstime import BusinessCalendar
from .cells import (
    example_number,
    header_key,
    header_positions,
    is_blank,
    parse_contact,
    parse_count,
    parse_datetime,
    parse_money,
    parse_phone,
    parse_source,
    parse_status,
    text_of,
)
from .errors import ConcurrentEdit, InputError, NotATracker, SheetCRMError
from .feedback import LOST_WITHOUT_REASON, is_win_back, read_reason
from .model import Cell, CellValue, Changes, Grid, LogLines, Settings, Snapshot
from .planner import checked_value
from .results import Evaluation, Report, RowResult
from .settings import settings_from_grid, validate_settings
from .sla import assess_sla, next_follow_up
from .spend import SpendSheet, channel_key, read_spend
from .summary import Alignment, EnquiryFacts, MonthFigures, monthly_figures
from .tabs import history as history_tab
from .template import Template, column_letter, load_template
from .upgrade import plan_upgrade

ID_PATTERN = re.compile(r"^E(\d+)$")
#: How many times a refresh re-reads when the sheet moved under it.
REFRESH_ATTEMPTS = 3


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Layout:
    """Where the template's columns are on this tracker's Enquiries tab (0-based)."""

    columns: Mapping[str, int]  # template column key -> index
    width: int

    def get(self, row: Sequence[CellValue], key: str) -> CellValue:
        """The raw value of column ``key`` in ``row``, None when absent."""
        i = self.columns.get(key)
        return row[i] if i is not None and i < len(row) else None


def find_layout(grid: Grid, template: Template, label: str) -> Layout:
    """Locate the template's columns by header on row 1, or stop with a clear message."""
    tab = template.enquiries.name
    header = grid[0] if grid else []
    seen: dict[str, list[int]] = {}
    for i, value in enumerate(header):
        seen.setdefault(header_key(value), []).append(i)
    columns: dict[str, int] = {}
    missing = []
    for col in template.enquiries.columns:
        places = seen.get(header_key(col.header), [])
        if len(places) > 1:
            letters = " and ".join(_letter(i) for i in places)
            raise NotATracker(
                f"{label}: the {tab} tab has two {col.header!r} columns ({letters}): "
                "rename or delete one so sheetcrm knows which to use"
            )
        if places:
            columns[col.key] = places[0]
        elif col.role != "computed" and col.required:
            missing.append(col.header)
    if missing:
        names = ", ".join(repr(m) for m in missing)
        if len(missing) == len(template.owner_columns()):
            raise NotATracker(
                f"{label} is not a sheetcrm tracker: row 1 of the {tab} tab has none of the "
                "expected headers (create one with `sheetcrm init`)"
            )
        raise NotATracker(
            f"{label}: row 1 of the {tab} tab has no {names} column: put the header back, "
            "spelt exactly like that"
        )
    return Layout(columns=columns, width=len(header))


def _letter(index0: int) -> str:
    return column_letter(index0 + 1)


def _tab(snapshot: Snapshot, name: str, label: str) -> Grid:
    if name not in snapshot.tabs:
        raise NotATracker(f"{label} is not a sheetcrm tracker: it has no {name!r} tab")
    return list(snapshot.tabs[name])


def read_settings(snapshot: Snapshot, template: Template, label: str) -> Settings:
    """The Settings tab as :class:`Settings`; a bad value names its cell."""
    name = template.tab("settings").name
    grid = _tab(snapshot, name, label)
    try:
        settings = settings_from_grid(grid, template, tab=name)
        validate_settings(settings)
    except SheetCRMError as exc:
        raise type(exc)(f"{label}: {exc}") from None
    return settings


def read_sources(snapshot: Snapshot, template: Template) -> list[str]:
    """The channel names on the Lists tab (the owner may extend them)."""
    lists = template.tab("lists")
    grid = snapshot.tabs.get(lists.name)
    if not grid:
        return list(lists.sources)
    header = [text_of(v).casefold() for v in grid[0]]
    want = lists.sources_header.casefold()
    if want not in header:
        return list(lists.sources)
    col = header.index(want)
    sources: list[str] = []
    for row in grid[1:]:
        text = text_of(row[col]) if col < len(row) else ""
        if text and text.casefold() not in (s.casefold() for s in sources):
            sources.append(text)
    return sources or list(lists.sources)


def read_meta(snapshot: Snapshot, template: Template) -> dict[str, str]:
    """Key/value pairs from the hidden meta tab."""
    grid = snapshot.tabs.get(template.tab("meta").name, [])
    meta = {}
    for row in grid:
        if row and text_of(row[0]):
            meta[text_of(row[0])] = text_of(row[1]) if len(row) > 1 else ""
    return meta


def data_rows(grid: Grid, layout: Layout, template: Template) -> int:
    """The row number of the last row with anything in an owner column (1 = none)."""
    owner = [layout.columns[c.key] for c in template.owner_columns() if c.key in layout.columns]
    last = 1
    for r, row in enumerate(grid[1:], start=2):
        if any(i < len(row) and not is_blank(row[i]) for i in owner):
            last = r
    return last


# --------------------------------------------------------------------------- evaluating


def localise(moment: dt.datetime, settings: Settings) -> dt.datetime:
    """A datetime in the tracker's time zone; naive input is taken as local."""
    tz = ZoneInfo(settings.timezone)
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def whatsapp_link(phone: str, greeting: str) -> str:
    """A wa.me link built from the normalised number only (never from cell text)."""
    return links.whatsapp_url(phone, greeting)


def evaluate(
    snapshot: Snapshot,
    *,
    now: dt.datetime | None = None,
    template: Template | None = None,
    label: str = "tracker",
    build_tabs: bool = True,
    writes: bool = True,
) -> Evaluation:
    """Work out every computed value, the monthly figures and the changes to write.

    ``build_tabs=False`` skips laying out the Today and Summary tabs, for
    callers that only want the figures.  ``writes=False`` also leaves out what
    only a write needs: the WhatsApp links (the rows' ``whatsapp`` is None), the
    Problems column's contact and duplicate checks (the Contact cells are not
    read as numbers, so ``phone`` and ``email`` are None and ``problems`` leaves
    those out), the computed cells and the History tab's lines and memory
    (``changes`` then holds only the IDs to fill and the meta tab's refresh keys).
    The monthly figures, win-back list and sales cycle are the same either way.
    """
    template = template or load_template()
    settings = read_settings(snapshot, template, label)
    cal = BusinessCalendar(settings)
    now = localise(now or dt.datetime.now(ZoneInfo(settings.timezone)), settings)
    grid = _tab(snapshot, template.enquiries.name, label)
    layout = find_layout(grid, template, label)
    sources = read_sources(snapshot, template)
    meta = read_meta(snapshot, template)
    last = data_rows(grid, layout, template)

    rows: list[RowResult] = []
    shared = _RowContext.of(layout, settings, cal, now, sources, template, writes=writes)
    owner = [i for c in template.owner_columns() if (i := layout.columns.get(c.key)) is not None]
    for r in range(2, last + 1):
        raw = grid[r - 1] if r - 1 < len(grid) else []
        if not any(i < len(raw) and not is_blank(raw[i]) for i in owner):
            continue
        rows.append(_evaluate_row(r, raw, shared))

    id_fills, last_id = _assign_ids(rows, meta)
    if writes:
        _flag_duplicates(rows)
    # What changed since the last refresh, by ID (sheetcrm/history.py).
    closed_on = _closed_on(grid, rows, template, cal)
    observed = [history.Observed(r.id or "", r.name, r.status, r.first_contact) for r in rows]
    seen = history.observe(observed, history.decode(meta), now.date())
    scored = _score_and_feedback(rows, grid, layout, snapshot, template, settings, now)
    spend = read_spend_tab(snapshot, template, sources)

    facts = [
        EnquiryFacts(
            received=r.received,
            source=r.source,
            status=r.status,
            has_first_contact=r.first_contact is not None,
            sla=r.sla.state if r.sla else "unknown",
            response_minutes=r.sla.response_minutes if r.sla else None,
            value=r.value,
            score=r.score,
            mql=r.mql,
            lost_reason=r.lost_reason,
        )
        for r in rows
        if r.received is not None
    ]
    months = monthly_figures(facts, alignment=Alignment(
        spend=spend.by_month_channel() if spend is not None else None,
        lifetime_value=settings.lifetime_value,
        quarterly_target=settings.quarterly_revenue_target, scoring=scored),
        spend_names={channel_key(line.channel): line.channel
                     for line in (spend.lines if spend is not None else ())})
    computed = _computed_cells(rows, last, template, now) if writes else {}
    expected_ids = [
        layout.get(grid[r - 1] if r - 1 < len(grid) else [], "id") for r in range(2, last + 1)
    ]
    new_meta = dict(meta)
    new_meta["template_version"] = str(template.version)
    new_meta["last_refresh"] = now.isoformat(timespec="seconds")
    new_meta["last_id"] = str(last_id)
    evaluation = Evaluation(
        now=now,
        settings=settings,
        rows=rows,
        months=months,
        changes=Changes(
            computed=computed, id_fills=id_fills, expected_ids=expected_ids, tabs={}, meta={}
        ),
        undated=sum(1 for r in rows if r.received is None),
        # A report writes nothing, so it measures from what the last refresh kept.
        sales_cycle=history.sales_cycle(
            observed, seen.memory if build_tabs else seen.previous, closed_on),
        spend_problems=list(spend.problems) if spend is not None else [],
    )
    if writes:
        new_meta.update(history.meta_keys(seen.memory, meta))
    if seen.events and writes:
        evaluation.changes.log = LogLines(template.tab("history").name, history_tab.HEADER,
                                          history_tab.lines(seen.events, now))
    if build_tabs:
        letters = {key: _letter(i) for key, i in layout.columns.items()}
        evaluation.changes.tabs = tabs.refreshed_contents(tabs.TabContext(
            template=template, settings=settings, evaluation=evaluation, letters=letters,
            last_row=last))
    evaluation.changes.meta = {k: v for k, v in new_meta.items() if meta.get(k) != v}
    return evaluation


@dataclass(frozen=True)
class _RowContext:
    """What every row of one evaluation shares, looked up once rather than once a row."""

    settings: Settings
    cal: BusinessCalendar
    now: dt.datetime
    sources: Sequence[str]
    #: (template key, 0-based column) for each column this tracker has.
    columns: tuple[tuple[str, int], ...]
    headers: Mapping[str, str]  # template key -> header
    greeting: str
    #: Whether the evaluation is for a write (links, Problems); a report does without.
    writes: bool

    @classmethod
    def of(cls, layout: Layout, settings: Settings, cal: BusinessCalendar, now: dt.datetime,
           sources: Sequence[str], template: Template, *, writes: bool) -> _RowContext:
        """The shared context of one evaluation."""
        keys = ("received", "first_contact", "status", "source", "follow_ups_done", "value",
                "contact")
        return cls(settings=settings, cal=cal, now=now, sources=sources,
                   columns=tuple(layout.columns.items()),
                   headers={key: template.column(key).header for key in keys},
                   greeting=template.whatsapp_greeting, writes=writes)


def _evaluate_row(r: int, raw: Sequence[CellValue], shared: _RowContext) -> RowResult:
    problems: list[str] = []
    settings, cal, now, headers = shared.settings, shared.cal, shared.now, shared.headers
    width = len(raw)
    get = {key: raw[i] for key, i in shared.columns if i < width}.get

    def take(parsed: Any) -> Any:
        for text in (parsed.problem, parsed.note):
            if text:
                problems.append(text)
        return parsed.value

    raw_received = get("received")
    received = take(parse_datetime(raw_received, header=headers["received"], cal=cal))
    if is_blank(raw_received):
        problems.append(f"{headers['received']} is blank: type when the enquiry arrived, "
                        "like 23/11/2026 09:40")
    first = take(
        parse_datetime(get("first_contact"), header=headers["first_contact"], cal=cal)
    )
    status = take(parse_status(get("status"), header=headers["status"]))
    source = take(parse_source(get("source"), shared.sources, header=headers["source"]))
    done = take(
        parse_count(
            get("follow_ups_done"),
            header=headers["follow_ups_done"],
            maximum=len(settings.follow_up_days),
        )
    )
    value = take(parse_money(get("value"), header=headers["value"]))
    contact_text = text_of(get("contact"))
    # A report shows no Problems and no links, the only uses of the number: reading it
    # (phonenumbers) was the largest part of a report's rules.
    contact = take(parse_contact(get("contact"), region=settings.country)) \
        if shared.writes else None
    phone = contact.value if contact is not None and contact.kind == "phone" else None
    email = contact.value if contact is not None and contact.kind == "email" else None
    name = text_of(get("name"))
    if contact is None and not contact_text and source == "WhatsApp":
        # A chat imported from a saved contact shows a name, not the number.
        problems.append(f"{headers['contact']} is blank: type the customer's WhatsApp number, "
                        f"like {example_number(settings.country)}")
    if received is not None and received > now + dt.timedelta(hours=1):
        problems.append(
            f"{headers['received']} {received:%d/%m/%Y %H:%M} is in the future: check the date"
        )
    problems.extend(_contact_problems(received, first, status, headers.__getitem__))
    sla = assess_sla(
        received=received,
        first_contact=first,
        status=status,
        now=now,
        cal=cal,
        sla_minutes=settings.sla_minutes,
    )
    follow = next_follow_up(
        status=status,
        first_contact=first,
        follow_ups_done=done,
        cal=cal,
        days=settings.follow_up_days,
    )
    raw_id = text_of(get("id"))
    whatsapp = None
    if phone and shared.writes:
        # Only a refresh writes the links; building them took a tenth of a report.
        message = links.message_for(settings, name=name, status=status, first_contact=first,
                                    follow_ups_done=done, next_follow_up=follow,
                                    today=now.date()) or shared.greeting
        whatsapp = links.whatsapp_url(phone, message)
    return RowResult(
        row=r,
        id=raw_id or None,
        name=name,
        contact=contact_text,
        phone=phone,
        source=source or "Unknown",
        status=status,
        received=received,
        first_contact=first,
        follow_ups_done=done,
        value=value,
        sla=sla,
        next_follow_up=follow,
        whatsapp=whatsapp,
        problems=problems,
        email=email,
    )


def _contact_problems(received: dt.datetime | None, first: dt.datetime | None,
                      status: str | None, header: Callable[[str], str]) -> list[str]:
    """Status and First contact that disagree, so no follow-up or SLA can be worked out.

    Each would otherwise show only as "Unknown" in the SLA column, or as
    nothing at all (a First contact on a pending row schedules no follow-up).
    """
    fc, st, rc = header("first_contact"), header("status"), header("received")
    if first is not None and received is not None and first < received:
        return [f"{fc} is before {rc}: check both dates"]
    if first is not None and status == "pending":
        return [f"A {fc.lower()} is recorded: set {st} to contacted"]
    if first is None and status == "contacted":
        # No follow-up can be scheduled without it (converted and lost need none).
        return [f"{st} is contacted but {fc} is blank: type when you first replied"]
    return []


def _closed_on(grid: Grid, rows: list[RowResult], template: Template,
               cal: BusinessCalendar) -> dict[str, dt.date]:
    """ID -> the day in the optional Closed on column; an unreadable one goes in Problems."""
    col = template.column("closed_on")
    i = header_positions(grid[0] if grid else []).get(header_key(col.header))
    out: dict[str, dt.date] = {}
    if i is None:
        return out
    for r in rows:
        raw = grid[r.row - 1][i] if i < len(grid[r.row - 1]) else None
        parsed = parse_datetime(raw, header=col.header, cal=cal)
        if parsed.problem:
            r.problems.append(parsed.problem)
        elif parsed.value is not None and r.id:
            out[r.id] = parsed.value.date()
    return out
def read_spend_tab(snapshot: Snapshot, template: Template,
                   sources: Sequence[str]) -> SpendSheet | None:
    """The Spend tab's lines, or None for a tracker made before it existed."""
    if not template.has_tab("spend"):
        return None
    tab = template.tab("spend")
    grid = next((g for name, g in snapshot.tabs.items()
                 if header_key(name) == header_key(tab.name)), None)
    if grid is None:
        return None
    headers = {c.key: c.header for c in tab.columns}
    return read_spend(grid, sources, tab=tab.name, headers=headers)


def read_scoring_table(snapshot: Snapshot, template: Template) -> scoring.ScoringTable:
    """The Scoring table on the Lists tab, or the template's when the tab has none."""
    lists = template.tab("lists")
    table = scoring.read_table(snapshot.tabs.get(lists.name, []), lists.scoring_header,
                               lists.points_header, lists.scoring)
    return table if table is not None else scoring.ScoringTable.of(lists.scoring)


def read_lost_reasons(snapshot: Snapshot, template: Template) -> list[str]:
    """The lost reasons on the Lists tab (the owner may extend them), else the template's."""
    lists = template.tab("lists")
    grid = snapshot.tabs.get(lists.name, [])
    header = [header_key(v) for v in (grid[0] if grid else [])]
    want = header_key(lists.lost_reasons_header)
    if want not in header:
        return list(lists.lost_reasons)
    col = header.index(want)
    found = [text_of(row[col]) for row in grid[1:] if col < len(row) and text_of(row[col])]
    return found or list(lists.lost_reasons)


def _score_and_feedback(rows: list[RowResult], grid: Grid, layout: Layout, snapshot: Snapshot,
                        template: Template, settings: Settings, now: dt.datetime) -> bool:
    """Score, MQL, lost reason and win-back on each row; whether the tracker scores leads.

    A tracker made before the Signals or Lost reason column existed leaves
    those figures None and adds no problem.
    """
    scores = "signals" in layout.columns
    reasons_column = "lost_reason" in layout.columns
    table = read_scoring_table(snapshot, template) if scores else None
    reasons = read_lost_reasons(snapshot, template)
    for r in rows:
        raw = grid[r.row - 1] if r.row - 1 < len(grid) else []
        if table is not None:
            result = scoring.score(layout.get(raw, "signals"), table)
            r.score = result.score
            r.mql = scoring.is_mql(result.score, settings.mql_threshold)
            if result.unknown:
                r.problems.append(scoring.unknown_problem(
                    result.unknown, template.column("signals").header))
        if reasons_column:
            r.lost_reason = read_reason(layout.get(raw, "lost_reason"), reasons)
            if r.status == "lost" and r.lost_reason is None:
                r.problems.append(LOST_WITHOUT_REASON)
        r.win_back = is_win_back(r, now, settings.follow_up_days)
    return scores


def _id_number(value: str) -> int | None:
    match = ID_PATTERN.match(value.strip().upper())
    return int(match.group(1)) if match else None


def _assign_ids(rows: list[RowResult], meta: Mapping[str, str]) -> tuple[dict[int, str], int]:
    """Fill blank IDs with numbers never issued before; returns the fills and the last number.

    The meta tab remembers the highest number ever seen, typed or issued, so an
    ID whose row was deleted is never given out again.
    """
    try:
        last = int(meta.get("last_id", "0") or 0)
    except ValueError:
        last = 0
    numbers = [n for r in rows if r.id and (n := _id_number(r.id)) is not None]
    last = max([last, *numbers])
    fills: dict[int, str] = {}
    for r in rows:
        if r.id is None:
            last += 1
            r.id = f"E{last:04d}"
            fills[r.row] = r.id
    return fills, last


def _flag_duplicates(rows: list[RowResult]) -> None:
    by_id: dict[str, list[RowResult]] = {}
    for r in rows:
        if r.id:
            by_id.setdefault(r.id.casefold(), []).append(r)
    for same in by_id.values():
        if len(same) > 1:
            for r in same:
                others = ", ".join(str(o.row) for o in same if o is not r)
                r.problems.append(f"ID {r.id} is also used on row {others}: give each a new ID")
    far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
    first_with: dict[str, RowResult] = {}
    first_same: dict[tuple[object, ...], RowResult] = {}
    for r in sorted(rows, key=lambda r: (r.received or far_future, r.row)):
        for found, what in ((r.phone, "phone number"), (r.email, "email")):
            if not found:
                continue
            earlier = first_with.setdefault(found, r)
            if earlier is not r:
                r.problems.append(f"Possible duplicate of {earlier.id} (same {what})")
        if r.phone or r.email:
            continue
        # No number or email to compare: the same name, contact (a handle or nothing)
        # and Received time is the same enquiry typed or imported twice.
        if r.received is None or not r.name.strip():
            continue
        key = (" ".join(r.name.casefold().split()),
               " ".join(r.contact.casefold().split()), r.received)
        earlier = first_same.setdefault(key, r)
        if earlier is not r:
            r.problems.append(f"Possible duplicate of {earlier.id} (same name, contact and "
                              "Received)")


#: The SLA column's cell style for each state (the others are plain).
_SLA_STYLES = {"overdue": "overdue", "missed": "bad", "met": "good"}


def _computed_cells(
    rows: list[RowResult], last: int, template: Template, now: dt.datetime
) -> dict[str, list[Cell]]:
    by_row = {r.row: r for r in rows}
    headers = {c.key: c.header for c in template.computed_columns()}
    out: dict[str, list[Cell]] = {h: [] for h in headers.values()}
    today = now.date()
    for row in range(2, last + 1):
        r = by_row.get(row)
        if r is None:
            for h in out:
                out[h].append(Cell(None))
            continue
        sla = r.sla
        respond_by = sla.respond_by.replace(tzinfo=None) if sla and sla.respond_by else None
        out[headers["respond_by"]].append(Cell(respond_by, style="datetime"))
        out[headers["sla"]].append(
            Cell(sla.text if sla else None, style=_SLA_STYLES.get(sla.state) if sla else None)
        )
        follow_style = "date_due" if r.next_follow_up and r.next_follow_up <= today else "date"
        out[headers["next_follow_up"]].append(Cell(r.next_follow_up, style=follow_style))
        out[headers["whatsapp"]].append(links.contact_link(r.phone, r.email, r.whatsapp))
        if "score" in headers:
            out[headers["score"]].append(Cell(r.score, style="integer"))
            out[headers["mql"]].append(Cell(None if r.mql is None else
                                            ("yes" if r.mql else "no")))
        # Unwrapped: the last column can run on to the right without hiding the next row.
        out[headers["problems"]].append(Cell("; ".join(r.problems) if r.problems else None))
    return out


# --------------------------------------------------------------------------- I/O


def init_tracker(backend: Backend, settings: Settings | None = None) -> None:
    """Create a new, empty tracker with the template and these settings."""
    settings = settings or Settings()
    validate_settings(settings)
    template = load_template(settings.country)
    backend.create(template, tabs.initial_contents(tabs.TabContext(template, settings)))


def refresh(backend: Backend, *, now: dt.datetime | None = None) -> Evaluation:
    """Read the tracker, work everything out and write the computed columns and tabs.

    If the owner moves rows between the read and the write, the backend says so
    and the refresh starts again from a fresh read, up to three times.
    """
    template = load_template()
    for attempt in range(1, REFRESH_ATTEMPTS + 1):
        with backend.session():
            snapshot = backend.read()
            evaluation = evaluate(snapshot, now=now, template=template, label=backend.label)
            try:
                backend.apply(evaluation.changes)
            except ConcurrentEdit:
                if attempt == REFRESH_ATTEMPTS:
                    raise ConcurrentEdit(
                        f"{backend.label} kept changing while sheetcrm was refreshing it: "
                        "nothing was left on the wrong rows, but the refresh is not complete; "
                        "run it again in a minute"
                    ) from None
                continue
            return evaluation
    raise AssertionError("unreachable")  # pragma: no cover


def report(
    backend: Backend, *, month: str | None = None, now: dt.datetime | None = None
) -> list[MonthFigures]:
    """The monthly figures, newest first, without writing anything."""
    return report_figures(backend, month=month, now=now).months


def report_figures(backend: Backend, *, month: str | None = None,
                   now: dt.datetime | None = None) -> Report:
    """The monthly figures, newest first, and the tracker-wide figures; writes nothing.

    Tracker-wide: the IDs to win back and ``average_sales_cycle_days`` (None when
    not known yet; a report writes nothing, so it uses what the last refresh kept).
    """
    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise InputError(f"--month {month!r} is not a month: use the form 2026-10")
    evaluation = evaluate(backend.read_saved(), now=now, label=backend.label, build_tabs=False,
                          writes=False)
    months = evaluation.months
    if month is not None:
        months = [m for m in months if m.month == month]
        if not months:
            raise InputError(f"{backend.label} has no enquiries received in {month}")
    cycle = evaluation.sales_cycle
    return Report(months=months, win_back=evaluation.win_back,
                  average_sales_cycle_days=cycle.days if cycle else None)


def upgrade(backend: Backend) -> list[str]:
    """Add what the current template has and this tracker lacks; returns what was added.

    Never writes a cell that holds anything: new columns go after the last
    used one, new settings below the last row of the Settings tab.
    """
    template = load_template()
    with backend.session():
        snapshot = backend.read()
        layout_check(snapshot, backend.label)
        planned = plan_upgrade(snapshot, template, backend.label)
        if planned.added:
            backend.apply(planned.changes)
    return planned.added


def monthly_review(backend: Backend, *, month: str | None = None,
                   now: dt.datetime | None = None) -> str:
    """The month's joint sales and marketing review in Markdown (the newest month by default)."""
    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise InputError(f"--month {month!r} is not a month: use the form 2026-10")
    from . import review  # imported here: every other command would load it for nothing

    evaluation = evaluate(backend.read(), now=now, label=backend.label, build_tabs=False)
    try:
        return review.render(evaluation, month)
    except InputError as exc:
        raise InputError(f"{backend.label}: {exc}") from None


#: Fields that ``add`` and ``import`` accept, by template column key.
INPUT_KEYS = ("received", "name", "contact", "source", "status", "first_contact",
              "follow_ups_done", "value", "notes", "id")


def prepare_rows(
    snapshot: Snapshot,
    records: Sequence[Mapping[str, str]],
    *,
    where: Callable[[int], str],
    now: dt.datetime | None = None,
    label: str = "tracker",
    received_default: bool = True,
) -> list[dict[str, CellValue]]:
    """Check and convert typed records (template key -> text) into cells to append.

    Every problem is an :class:`InputError` naming ``where(i)`` (a CLI option or
    a CSV line), so nothing is appended unless every record is good.
    """
    template = load_template()
    settings = read_settings(snapshot, template, label)
    cal = BusinessCalendar(settings)
    sources = read_sources(snapshot, template)
    now = localise(now or dt.datetime.now(ZoneInfo(settings.timezone)), settings)
    out = []
    for i, record in enumerate(records):
        place = where(i)
        cells: dict[str, CellValue] = {}

        def fail(message: str, place: str = place) -> InputError:
            return InputError(f"{place}: {message}")

        for key, text in record.items():
            # A cell's line break is "\n"; an .xlsx cannot keep a lone "\r" (XML
            # reads it back as "\n"), so every backend stores the same text.
            text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
            col = template.column(key)
            if not text:
                continue
            # The same check the planner makes before any write, here naming the line.
            checked_value(text, f"{place}, {col.header}")
            if key in ("received", "first_contact"):
                p = parse_datetime(text, header=col.header, cal=cal)
                if p.value is None:
                    raise fail(p.problem or f"{col.header} {text!r} is not a date")
                cells[col.header] = p.value.replace(tzinfo=None)
            elif key == "status":
                s = parse_status(text, header=col.header)
                if s.value is None:
                    raise fail(s.problem or f"{col.header} {text!r} is not a status")
                cells[col.header] = s.value
            elif key == "source":
                src = parse_source(text, sources, header=col.header)
                if src.note or src.problem:
                    raise fail(
                        f"Source {text!r} is not on the Lists tab ({', '.join(sources)}): "
                        "use one of those or add it to the Lists tab first"
                    )
                cells[col.header] = src.value
            elif key == "value":
                m = parse_money(text, header=col.header)
                if m.problem or m.value is None:
                    raise fail(m.problem or f"{col.header} {text!r} is not an amount")
                cells[col.header] = int(m.value) if m.value == int(m.value) else m.value
            elif key == "follow_ups_done":
                c = parse_count(text, header=col.header, maximum=len(settings.follow_up_days))
                if c.problem or c.value is None:
                    raise fail(c.problem or f"{col.header} {text!r} is not a whole number")
                cells[col.header] = c.value
            elif key == "contact":
                ph = parse_contact(text, region=settings.country)
                if ph.problem:
                    raise fail(ph.problem)
                cells[col.header] = text
            else:
                cells[col.header] = text
        name_header = template.column("name").header
        received_header = template.column("received").header
        if name_header not in cells:
            raise fail(f"{name_header} is blank: every enquiry needs a name")
        if received_header not in cells:
            if not received_default:
                raise fail(f"{received_header} is blank: give the date and time it arrived")
            cells[received_header] = now.replace(tzinfo=None, second=0, microsecond=0)
        status_header = template.column("status").header
        first_header = template.column("first_contact").header
        first = cells.get(first_header)
        if first is not None:
            # The same checks a refresh makes, before anything is written.
            received = cells[received_header]
            if (isinstance(first, dt.datetime) and isinstance(received, dt.datetime)
                    and first < received):
                raise fail(f"{first_header} is before {received_header}: check both dates")
            if cells.get(status_header) == "pending":
                raise fail(f"a {first_header.lower()} is given, so {status_header} cannot be "
                           "pending: give contacted, converted or lost, or leave it out")
        # A first contact means the customer was answered: contacted unless told otherwise.
        cells.setdefault(status_header, "pending" if first is None else "contacted")
        out.append(cells)
    return out


def add_enquiry(
    backend: Backend, fields: Mapping[str, str], *, now: dt.datetime | None = None
) -> int:
    """Append one enquiry typed on the command line; returns its row number."""
    return _append_records(backend, [fields], where=lambda i: "add", now=now,
                           received_default=True)[0]


def import_file(backend: Backend, path: Path, *, now: dt.datetime | None = None,
                kind: str | None = None) -> list[int]:
    """Append every new enquiry in an import file, or none if any is bad; returns the rows written.

    ``kind`` names the importer (see :mod:`sheetcrm.importers`); by default
    it is chosen by the file's suffix.  See :func:`import_enquiries` for what
    is skipped.
    """
    return import_enquiries(backend, path, now=now, kind=kind).rows


def _append_records(backend: Backend, records: Sequence[Mapping[str, str]], *,
                    where: Callable[[int], str], now: dt.datetime | None,
                    received_default: bool) -> list[int]:
    with backend.session():
        snapshot = backend.read()
        layout_check(snapshot, backend.label)
        rows = prepare_rows(snapshot, records, where=where, now=now, label=backend.label,
                            received_default=received_default)
        return backend.append(rows)


def layout_check(snapshot: Snapshot, label: str) -> None:
    """Stop early if the Enquiries tab is not a tracker's."""
    template = load_template()
    find_layout(_tab(snapshot, template.enquiries.name, label), template, label)


# --------------------------------------------------------------------------- import


@dataclass
class ImportOutcome:
    """What an import did, for the command to say."""

    rows: list[int]  # the rows written
    read: int  # enquiries in the file
    #: Enquiries identical to one already in the tracker (same Received, Name and Contact).
    already: int = 0
    #: Enquiries identical to an earlier line of the same file.
    repeated: int = 0
    #: File columns left out: the computed ones, and unknown ones with ``ignore_unknown``.
    ignored: list[str] = field(default_factory=list)
    #: How the file was read ("columns separated by semicolons").
    remarks: list[str] = field(default_factory=list)


def import_enquiries(backend: Backend, path: Path, *, now: dt.datetime | None = None,
                     kind: str | None = None, allow_duplicates: bool = False,
                     ignore_unknown: bool = False) -> ImportOutcome:
    """Append the enquiries of an import file that are not already in the tracker.

    A row with the same Received, Name and Contact as one in the tracker (or
    an earlier line of the file) is skipped and counted, unless
    ``allow_duplicates``.  A file column whose header is one of the tracker's
    own Enquiries columns is imported into it; one matching no header is an
    error, or left out with ``ignore_unknown``.  Every row is checked first:
    if any is bad, nothing is added.
    """
    from . import importers  # imported here: every other command would load it for nothing

    read = importers.read(path, kind)
    # An importer may return a plain list: it then has no remarks and no extra columns.
    records = read if isinstance(read, importers.ImportedFile) else importers.ImportedFile(read)
    extra_columns = records.extra_columns
    outcome = ImportOutcome(rows=[], read=len(records), remarks=list(records.remarks))
    template = load_template()
    with backend.session():
        snapshot = backend.read()
        layout_check(snapshot, backend.label)
        header = _tab(snapshot, template.enquiries.name, backend.label)[0]
        into = _match_extra_columns(header, extra_columns, template, path, backend.label,
                                    ignore_unknown, outcome.ignored)
        cells = prepare_rows(snapshot, [r.fields for r in records],
                             where=lambda i: f"{path.name} line {records[i].line}", now=now,
                             label=backend.label, received_default=False)
        for record, row in zip(records, cells, strict=True):
            for name, text in record.extra.items():
                text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
                if name in into and text:
                    row[into[name]] = checked_value(
                        text, f"{path.name} line {record.line}, {into[name]}")
        if not allow_duplicates:
            cells = _without_duplicates(snapshot, template, cells, backend.label, outcome)
        outcome.rows = backend.append(cells)
    return outcome


def _match_extra_columns(header: Sequence[CellValue], extra_columns: Mapping[str, int],
                         template: Template, path: Path, label: str, ignore_unknown: bool,
                         ignored: list[str]) -> dict[str, str]:
    """File header -> the tracker's header it is imported into; the rest are left out or refused."""
    tracker_headers = {header_key(h): text_of(h).strip() for h in header if text_of(h).strip()}
    computed = {header_key(c.header) for c in template.computed_columns()}
    into: dict[str, str] = {}
    for name, col in extra_columns.items():
        key = header_key(name)
        if key in computed:
            ignored.append(f"{name} (sheetcrm works it out)")
        elif key in tracker_headers:
            into[name] = tracker_headers[key]
        elif ignore_unknown:
            ignored.append(name)
        else:
            known = ", ".join(v for k, v in tracker_headers.items() if k not in computed)
            raise InputError(
                f"{path}: column {col} {name!r} matches no column on the "
                f"{template.enquiries.name} tab of {label} (it has {known}): rename it to one "
                "of those, add the column to the tracker first, or use --ignore-unknown to "
                "leave it out; nothing was added"
            )
    return into


def _same_enquiry_key(received: CellValue, name: CellValue, contact: CellValue,
                      cal: BusinessCalendar, region: str, received_header: str) -> tuple[Any, ...]:
    """What makes two rows the same enquiry: Received, Name and Contact, read as a refresh does."""
    when = parse_datetime(received, header=received_header, cal=cal).value
    phone = parse_phone(contact, region=region).value
    contact_key = phone or " ".join(text_of(contact).casefold().split())
    return (when, " ".join(text_of(name).casefold().split()), contact_key)


def _without_duplicates(snapshot: Snapshot, template: Template,
                        rows: list[dict[str, CellValue]], label: str,
                        outcome: ImportOutcome) -> list[dict[str, CellValue]]:
    """The rows not already in the tracker nor earlier in the file; counts the others."""
    settings = read_settings(snapshot, template, label)
    cal = BusinessCalendar(settings)
    grid = _tab(snapshot, template.enquiries.name, label)
    layout = find_layout(grid, template, label)
    rec, nam, con = (template.column(k).header for k in ("received", "name", "contact"))

    def key(received: CellValue, name: CellValue, contact: CellValue) -> tuple[Any, ...]:
        return _same_enquiry_key(received, name, contact, cal, settings.country, rec)

    existing = {
        key(layout.get(line, "received"), layout.get(line, "name"), layout.get(line, "contact"))
        for line in grid[1:]
        if text_of(layout.get(line, "received")) and text_of(layout.get(line, "name"))
    }
    kept: list[dict[str, CellValue]] = []
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        k = key(row.get(rec), row.get(nam), row.get(con))
        if k in existing:
            outcome.already += 1
        elif k in seen:
            outcome.repeated += 1
        else:
            seen.add(k)
            kept.append(row)
    return kept
