"""What changed between two refreshes, and the average sales cycle.

Pure: no I/O.  Each refresh compares the enquiries it reads with what the
previous refresh remembered (kept on the hidden meta tab, see
:func:`encode`), and turns the differences into :class:`Event` lines for the
History tab.  The memory is keyed by ID, never by row, so an owner who sorts,
inserts or deletes rows between refreshes cannot make a change appear twice
or vanish.

The memory, per enquiry: the last status seen, whether a First contact was
seen, the day the refresh first saw it converted, and whether it has gone
from the Enquiries tab.  Encoded as ``ID=flags`` items joined by ``;``
(``E0004=vf20261102``: converted, first contact seen, first seen converted
on 2 November 2026) and split over meta keys ``history_1``,
``history_2``... of at most :data:`PART_CHARS` characters each, because one
cell holds at most 50,000 characters in Google Sheets (32,767 in Excel);
``history_parts`` says how many there are.  10,000 enquiries take about
200,000 characters: seven keys.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import quote, unquote

from .model import Status

#: The meta key that says how many memory parts there are (absent: no memory yet).
PARTS_KEY = "history_parts"
#: The most characters one meta cell of memory holds: under Excel's 32,767 per cell.
PART_CHARS = 30000

_CODES: dict[Status, str] = {"pending": "p", "contacted": "c", "converted": "v", "lost": "l"}
_STATUS_OF = {code: status for status, code in _CODES.items()}
_ITEM = re.compile(r"^([pcvl])(f?)(\d{8})?(x?)$")


@dataclass(frozen=True)
class Remembered:
    """What the last refresh saw of one enquiry."""

    status: Status
    first_contact: bool = False
    #: The day a refresh first saw the current conversion (None when not converted or unknown).
    converted_on: dt.date | None = None
    #: The enquiry was no longer on the Enquiries tab.
    gone: bool = False


@dataclass(frozen=True)
class Observed:
    """One enquiry as this refresh reads it."""

    id: str
    name: str
    #: None when the Status cell cannot be read (the Problems column says why).
    status: Status | None
    first_contact: dt.datetime | None


@dataclass(frozen=True)
class Event:
    """One line of the History tab: what a refresh saw change."""

    id: str
    name: str
    what: str


@dataclass(frozen=True)
class Seen:
    """What one refresh found: the History lines and the memory for the next refresh."""

    events: list[Event]
    memory: dict[str, Remembered]
    #: The memory as the previous refresh left it (None before the first refresh).
    previous: dict[str, Remembered] | None


# --------------------------------------------------------------------------- memory


def encode(memory: Mapping[str, Remembered]) -> dict[str, str]:
    """The memory as meta keys: ``history_parts`` and ``history_1``... in ID order."""
    items = []
    for key in sorted(memory, key=_order):
        m = memory[key]
        flags = _CODES[m.status] + ("f" if m.first_contact else "")
        if m.converted_on is not None:
            flags += f"{m.converted_on:%Y%m%d}"
        flags += "x" if m.gone else ""
        items.append(f"{quote(key, safe='')}={flags}")
    parts: list[str] = []
    current = ""
    for item in items:
        if current and len(current) + 1 + len(item) > PART_CHARS:
            parts.append(current)
            current = ""
        current = f"{current};{item}" if current else item
    if current:
        parts.append(current)
    out = {PARTS_KEY: str(len(parts))}
    out.update({f"history_{n}": part for n, part in enumerate(parts, start=1)})
    return out


def meta_keys(memory: Mapping[str, Remembered], meta: Mapping[str, str]) -> dict[str, str]:
    """The meta keys to write: the encoded memory, and blanks for parts it no longer needs."""
    out = encode(memory)
    keep = int(out[PARTS_KEY])
    for key, value in meta.items():
        match = re.fullmatch(r"history_(\d+)", key)
        if match and int(match.group(1)) > keep and value:
            out[key] = ""
    return out


def decode(meta: Mapping[str, str]) -> dict[str, Remembered] | None:
    """The memory from meta keys, or None when no refresh has kept one yet.

    An item that cannot be read (the tab was edited by hand) is skipped: that
    enquiry is then seen as new by the next refresh rather than stopping it.
    """
    try:
        count = int(meta.get(PARTS_KEY, ""))
    except ValueError:
        return None
    memory: dict[str, Remembered] = {}
    for n in range(1, count + 1):
        for item in meta.get(f"history_{n}", "").split(";"):
            key, _, flags = item.partition("=")
            match = _ITEM.match(flags)
            if not key or match is None:
                continue
            code, first, day, gone = match.groups()
            try:
                converted_on = dt.datetime.strptime(day, "%Y%m%d").date() if day else None
            except ValueError:
                converted_on = None
            memory[unquote(key)] = Remembered(_STATUS_OF[code], bool(first), converted_on,
                                              bool(gone))
    return memory


def _order(key: str) -> tuple[int, str, int, str]:
    """E0002 before E0010 whatever the padding; other IDs after, by text."""
    match = re.fullmatch(r"E(\d+)", key, re.IGNORECASE)
    return (0, "", int(match.group(1)), "") if match else (1, key.casefold(), 0, key)


# --------------------------------------------------------------------------- changes


def observe(rows: Iterable[Observed], previous: Mapping[str, Remembered] | None,
            today: dt.date) -> Seen:
    """The History lines since ``previous`` and the memory to keep for the next refresh.

    With no memory (a tracker made before History existed), every enquiry is
    remembered as it is and one "History starts" line is written instead of
    a "New enquiry" line for each old row.  An ID used on two rows is left as
    remembered until the owner gives one of them a new ID (the Problems
    column says so).  A Status that cannot be read keeps the status last seen.
    """
    by_id: dict[str, list[Observed]] = {}
    for row in rows:
        if row.id:
            by_id.setdefault(row.id, []).append(row)
    baseline = previous is None
    old = dict(previous or {})
    memory: dict[str, Remembered] = {}
    events: list[Event] = []
    for key in sorted(by_id, key=_order):
        same = by_id[key]
        before = old.get(key)
        if len(same) > 1:
            if before is not None:
                memory[key] = before
            continue
        row = same[0]
        now = _remember(row, before, today, baseline)
        memory[key] = now
        if not baseline:
            events += _events(row, before, now)
    for key in sorted(set(old) - set(by_id), key=_order):
        before = old[key]
        memory[key] = replace(before, gone=True)
        if not before.gone:
            events.append(Event(key, "", f"No longer on the Enquiries tab (was {before.status})"))
    if baseline:
        count = len(by_id)
        events = [Event("", "", f"History starts: {count} "
                        f"enquir{'y' if count == 1 else 'ies'} already on the Enquiries tab "
                        "(their earlier changes are not known)")]
    return Seen(events=events, memory=memory, previous=None if baseline else dict(old))


def _remember(row: Observed, before: Remembered | None, today: dt.date,
              baseline: bool) -> Remembered:
    status = row.status or (before.status if before else "pending")
    converted_on = None
    if status == "converted":
        if before is not None and before.status == "converted":
            converted_on = before.converted_on
        elif not baseline:
            # The conversion is measured at the refresh that first sees it.
            converted_on = today
    return Remembered(status, row.first_contact is not None, converted_on)


def _events(row: Observed, before: Remembered | None, now: Remembered) -> list[Event]:
    def event(what: str) -> Event:
        return Event(row.id, row.name, what)

    if before is None:
        what = f"New enquiry ({now.status}"
        what += ", first contact typed)" if now.first_contact else ")"
        return [event(what)]
    out = []
    if before.gone:
        out.append(event("Back on the Enquiries tab"))
    if not before.first_contact and now.first_contact and row.first_contact is not None:
        out.append(event(f"First contact typed: {row.first_contact:%d/%m/%Y %H:%M}"))
    elif before.first_contact and not now.first_contact:
        out.append(event("First contact cleared"))
    if before.status != now.status:
        out.append(event(f"Status {before.status} \u2192 {now.status}"))
    return out


# --------------------------------------------------------------------------- sales cycle


@dataclass(frozen=True)
class SalesCycle:
    """The average days from first contact to conversion, and what it is based on."""

    days: float | None
    #: Converted enquiries counted.
    count: int
    #: Of those, how many used a Closed on date typed by the owner.
    typed: int


def sales_cycle(rows: Iterable[Observed], memory: Mapping[str, Remembered] | None,
                closed_on: Mapping[str, dt.date]) -> SalesCycle:
    """Average whole days from First contact to conversion, over converted enquiries.

    The conversion day is the ``Closed on`` date when the owner typed one,
    else the day of the refresh that first saw the status converted (from
    ``memory``).  Enquiries with no First contact, no known conversion day,
    or a conversion day before their First contact are left out.
    """
    spans: list[int] = []
    typed = 0
    counted: set[str] = set()
    for row in rows:
        if row.status != "converted" or row.first_contact is None or row.id in counted:
            continue
        day = closed_on.get(row.id)
        remembered = (memory or {}).get(row.id)
        if day is None and remembered is not None:
            day = remembered.converted_on
        if day is None:
            continue
        span = (day - row.first_contact.date()).days
        if span < 0:
            continue
        counted.add(row.id)
        spans.append(span)
        typed += row.id in closed_on
    days = round(sum(spans) / len(spans), 1) if spans else None
    return SalesCycle(days=days, count=len(spans), typed=typed)

