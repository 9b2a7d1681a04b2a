"""The engine: init, refresh, report, add and import, over any backend.

``evaluate`` is pure: it turns a :class:`~sheetcrm.model.Snapshot` into the
results and the :class:`~sheetcrm.model.Changes` to write.  The other public
functions do the I/O through a :class:`~sheetcrm.backends.base.Backend`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from . import importers, tabs
from .backends.base import Backend
from .businesstime import BusinessCalendar
from .cells import (
    header_key,
    parse_count,
    parse_datetime,
    parse_money,
    parse_phone,
    parse_source,
    parse_status,
    text_of,
)
from .errors import ConcurrentEdit, InputError, NotATracker, SheetCRMError
from .model import Cell, CellValue, Changes, Grid, Settings, Snapshot
from .planner import checked_value
from .results import Evaluation, RowResult
from .settings import settings_from_grid, validate_settings
from .sla import assess_sla, next_follow_up
from .summary import EnquiryFacts, MonthFigures, monthly_figures
from .template import Template, column_letter, load_template

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
        if any(i < len(row) and text_of(row[i]) for i in owner):
            last = r
    return last


# --------------------------------------------------------------------------- evaluating


def localise(moment: dt.datetime, settings: Settings) -> dt.datetime:
    """A datetime in the tracker's time zone; naive input is taken as local."""
    tz = ZoneInfo(settings.timezone)
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def whatsapp_link(phone: str, greeting: str) -> str:
    """A wa.me link built from the normalised number only (never from cell text)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"https://wa.me/{digits}?text={quote(greeting)}"


def evaluate(
    snapshot: Snapshot,
    *,
    now: dt.datetime | None = None,
    template: Template | None = None,
    label: str = "tracker",
    build_tabs: bool = True,
) -> Evaluation:
    """Work out every computed value, the monthly figures and the changes to write.

    ``build_tabs=False`` skips laying out the Today and Summary tabs, for
    callers that only want the figures.
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
    for r in range(2, last + 1):
        raw = grid[r - 1] if r - 1 < len(grid) else []
        if not any(text_of(layout.get(raw, c.key)) for c in template.owner_columns()):
            continue
        rows.append(_evaluate_row(r, raw, layout, settings, cal, now, sources, template))

    id_fills, last_id = _assign_ids(rows, meta)
    _flag_duplicates(rows)

    facts = [
        EnquiryFacts(
            received=r.received,
            source=r.source,
            status=r.status,
            has_first_contact=r.first_contact is not None,
            sla=r.sla.state if r.sla else "unknown",
            response_minutes=r.sla.response_minutes if r.sla else None,
            value=r.value,
        )
        for r in rows
        if r.received is not None
    ]
    months = monthly_figures(facts)
    computed = _computed_cells(rows, last, template, now)
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
    )
    if build_tabs:
        letters = {key: _letter(i) for key, i in layout.columns.items()}
        evaluation.changes.tabs = tabs.refreshed_contents(tabs.TabContext(
            template=template, settings=settings, evaluation=evaluation, letters=letters,
            last_row=last))
    evaluation.changes.meta = {k: v for k, v in new_meta.items() if meta.get(k) != v}
    return evaluation


def _evaluate_row(
    r: int,
    raw: Sequence[CellValue],
    layout: Layout,
    settings: Settings,
    cal: BusinessCalendar,
    now: dt.datetime,
    sources: Sequence[str],
    template: Template,
) -> RowResult:
    problems: list[str] = []

    def take(parsed: Any) -> Any:
        for text in (parsed.problem, parsed.note):
            if text:
                problems.append(text)
        return parsed.value

    def header(key: str) -> str:
        return template.column(key).header

    raw_received = layout.get(raw, "received")
    received = take(parse_datetime(raw_received, header=header("received"), cal=cal))
    if not text_of(raw_received):
        problems.append(f"{header('received')} is blank: type when the enquiry arrived, "
                        "like 23/11/2026 09:40")
    first = take(
        parse_datetime(layout.get(raw, "first_contact"), header=header("first_contact"), cal=cal)
    )
    status = take(parse_status(layout.get(raw, "status"), header=header("status")))
    source = take(parse_source(layout.get(raw, "source"), sources, header=header("source")))
    done = take(
        parse_count(
            layout.get(raw, "follow_ups_done"),
            header=header("follow_ups_done"),
            maximum=len(settings.follow_up_days),
        )
    )
    value = take(parse_money(layout.get(raw, "value"), header=header("value")))
    phone = take(parse_phone(layout.get(raw, "contact"), region=settings.country))
    if received is not None and received > now + dt.timedelta(hours=1):
        problems.append(
            f"{header('received')} {received:%d/%m/%Y %H:%M} is in the future: check the date"
        )
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
    raw_id = text_of(layout.get(raw, "id"))
    return RowResult(
        row=r,
        id=raw_id or None,
        name=text_of(layout.get(raw, "name")),
        contact=text_of(layout.get(raw, "contact")),
        phone=phone,
        source=source or "Unknown",
        status=status,
        received=received,
        first_contact=first,
        follow_ups_done=done,
        value=value,
        sla=sla,
        next_follow_up=follow,
        whatsapp=whatsapp_link(phone, template.whatsapp_greeting) if phone else None,
        problems=problems,
    )


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
    for r in sorted(rows, key=lambda r: (r.received or far_future, r.row)):
        if not r.phone:
            continue
        earlier = first_with.setdefault(r.phone, r)
        if earlier is not r:
            r.problems.append(f"Possible duplicate of {earlier.id} (same phone number)")


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
        state_style = {"overdue": "overdue", "missed": "bad", "met": "good"}
        out[headers["sla"]].append(
            Cell(sla.text if sla else None, style=state_style.get(sla.state) if sla else None)
        )
        follow_style = "date_due" if r.next_follow_up and r.next_follow_up <= today else "date"
        out[headers["next_follow_up"]].append(Cell(r.next_follow_up, style=follow_style))
        if r.whatsapp and r.phone:
            out[headers["whatsapp"]].append(Cell(f"wa.me/{r.phone[1:]}", "link", r.whatsapp))
        else:
            out[headers["whatsapp"]].append(Cell(None))
        # Unwrapped: the last column can run on to the right without hiding the next row.
        out[headers["problems"]].append(Cell("; ".join(r.problems) if r.problems else None))
    return out


# --------------------------------------------------------------------------- I/O


def init_tracker(backend: Backend, settings: Settings | None = None) -> None:
    """Create a new, empty tracker with the template and these settings."""
    template = load_template()
    settings = settings or Settings()
    validate_settings(settings)
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
    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise InputError(f"--month {month!r} is not a month: use the form 2026-10")
    evaluation = evaluate(backend.read_saved(), now=now, label=backend.label, build_tabs=False)
    months = evaluation.months
    if month is not None:
        months = [m for m in months if m.month == month]
        if not months:
            raise InputError(f"{backend.label} has no enquiries received in {month}")
    return months


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
                ph = parse_phone(text, region=settings.country)
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
        cells.setdefault(template.column("status").header, "pending")
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
    """Append every enquiry in an import file, or none if any is bad; returns the rows written.

    ``kind`` names the importer (see :mod:`sheetcrm.importers`); by default
    it is chosen by the file's suffix.
    """
    records = importers.read(path, kind)
    return _append_records(
        backend, [r.fields for r in records],
        where=lambda i: f"{path.name} line {records[i].line}", now=now, received_default=False)


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
