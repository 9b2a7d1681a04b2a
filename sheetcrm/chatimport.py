"""``sheetcrm import-whatsapp``: exported WhatsApp chats into the tracker, all or nothing.

The chat reader is the ``whatsapp`` importer; this module decides what is
new against the tracker as read (same customer and Received: already
there), fills a First contact that is still blank, and writes everything in
one :meth:`~sheetcrm.backends.base.Backend.apply`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .backends.base import Backend
from .businesstime import BusinessCalendar
from .cells import parse_contact, parse_datetime, text_of
from .errors import ConcurrentEdit, InputError
from .importers import whatsapp
from .importers.record import Record
from .model import CellValue, Changes, Grid
from .template import load_template
from .tracker import Layout, data_rows, find_layout, layout_check, prepare_rows, read_settings


@dataclass
class ChatImport:
    """What an import of chats did, for the command to print."""

    #: (customer, Received as dd/mm/yyyy HH:MM, row) of each enquiry added.
    added: list[tuple[str, str, int]] = field(default_factory=list)
    #: (customer, Received) of each enquiry already in the tracker.
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: (customer, Received, row) of each First contact filled in on an existing row.
    filled: list[tuple[str, str, int]] = field(default_factory=list)
    #: One plain sentence per chat that was not imported (a group chat, an unknown business).
    refused: list[str] = field(default_factory=list)

    def describe(self, label: str) -> str:
        """What the command prints: one line per enquiry and chat, then the totals."""
        lines = [f"Added {n}, received {r}, on row {row}." for n, r, row in self.added]
        lines += [f"Filled in First contact for {n} ({r}) on row {row}."
                  for n, r, row in self.filled]
        lines += [f"Skipped {n} ({r}): already in the tracker." for n, r in self.skipped]
        lines += [f"Refused: {refusal}" for refusal in self.refused]
        total = "1 enquiry" if len(self.added) == 1 else f"{len(self.added)} enquiries"
        end = ". Run `sheetcrm refresh` next." if self.added or self.filled else "."
        refused = "1 chat" if len(self.refused) == 1 else f"{len(self.refused)} chats"
        lines.append(f"Imported {total} into {label}"
                     + (f"; {len(self.skipped)} already there" if self.skipped else "")
                     + (f"; {refused} refused" if self.refused else "")
                     + end)
        return "\n".join(lines)


@dataclass(frozen=True)
class _Existing:
    row: int
    name: str
    phone: str | None
    received: dt.datetime
    first_contact_blank: bool
    #: For an enquiry new in this run (row is 0): its place in the new records.
    new_index: int | None = None


def import_whatsapp(
    backend: Backend,
    paths: Sequence[Path],
    *,
    business: Sequence[str] = (),
    date_order: str = "auto",
    now: dt.datetime | None = None,
) -> ChatImport:
    """Add the enquiries in exported chats that the tracker does not have yet.

    The business is ``business`` (names as the chats show them), else the
    Settings tab's WhatsApp name.  A file that cannot be read stops the run
    with nothing written; a chat that is not one customer's is refused and
    reported, and the others are still imported.
    """
    chats = [whatsapp.read_chat(p, date_order) for p in paths]
    template = load_template()
    result = ChatImport()
    with backend.session():
        snapshot = backend.read()
        settings = read_settings(snapshot, template, backend.label)
        cal = BusinessCalendar(settings)
        layout_check(snapshot, backend.label)
        grid = list(snapshot.tabs[template.enquiries.name])
        layout = find_layout(grid, template, backend.label)
        last = data_rows(grid, layout, template)
        names = [b for b in business if b.strip()] or (
            [settings.whatsapp_name] if settings.whatsapp_name else [])
        existing = _existing_rows(grid, layout, last, settings.country, cal)

        new: list[Record] = []
        places: list[str] = []
        edits: dict[tuple[int, str], CellValue] = {}
        first_header = template.column("first_contact").header
        for chat in chats:
            try:
                customer = whatsapp.customer_of(chat, names)
            except InputError as refusal:
                result.refused.append(str(refusal))
                continue
            if customer is None:
                continue
            records = whatsapp.records(chat, customer, silence_days=settings.new_enquiry_days,
                                       region=settings.country)
            for record in records:
                received = _local(record.fields["received"], cal)
                name, phone = record.fields["name"], record.fields.get("contact") or None
                shown = f"{received:%d/%m/%Y %H:%M}"
                match = next((e for e in existing if e.received == received and (
                    whatsapp.same_name(e.name, name) or (phone and e.phone == phone))), None)
                if match is not None:
                    first = record.fields.get("first_contact")
                    if match.row == 0:
                        # New in this run from an earlier export: take the reply it lacked.
                        _merge_reply(new, match, record)
                        result.skipped.append((name, shown))
                    elif first and match.first_contact_blank:
                        edits[(match.row, first_header)] = _local(first, cal).replace(
                            tzinfo=None)
                        result.filled.append((name, shown, match.row))
                        # Filled once, even when a later export is given in the same run.
                        existing[existing.index(match)] = replace(match,
                                                                  first_contact_blank=False)
                    else:
                        result.skipped.append((name, shown))
                    continue
                new.append(record)
                places.append(f"{chat.source} line {record.line}")
                # A chat given twice in one run (or two exports of it) adds it once.
                existing.append(_Existing(0, name, phone, received, False, len(new) - 1))

        rows = prepare_rows(snapshot, [r.fields for r in new], where=lambda i: places[i],
                            now=now, label=backend.label, received_default=False)
        if not rows and not edits:
            return result
        id_col = layout.columns.get("id")
        expected = [grid[r - 1][id_col] if id_col is not None and r - 1 < len(grid)
                    and id_col < len(grid[r - 1]) else None for r in range(2, len(grid) + 1)]
        try:
            written = backend.apply(Changes(new_rows=list(rows), edits=edits,
                                            expected_ids=expected if edits else None))
        except ConcurrentEdit:
            raise ConcurrentEdit(
                f"{backend.label} changed while sheetcrm was importing the chats: nothing was "
                "written; run the import again") from None
    for record, row in zip(new, written, strict=False):
        received = _local(record.fields["received"], cal)
        result.added.append((record.fields["name"], f"{received:%d/%m/%Y %H:%M}", row))
    return result


def _merge_reply(new: list[Record], match: _Existing, record: Record) -> None:
    first = record.fields.get("first_contact")
    if match.new_index is None or not first:
        return
    earlier = new[match.new_index]
    if "first_contact" not in earlier.fields:
        new[match.new_index] = Record(line=earlier.line, fields={
            **earlier.fields, "first_contact": first, "status": "contacted"})


def _local(text: str, cal: BusinessCalendar) -> dt.datetime:
    parsed = parse_datetime(text, header="Received", cal=cal)
    if parsed.value is None:  # pragma: no cover - the reader writes only readable dates
        raise InputError(parsed.problem or f"{text!r} is not a date")
    return parsed.value.replace(second=0, microsecond=0)


def _existing_rows(grid: Grid, layout: Layout, last: int, region: str,
                   cal: BusinessCalendar) -> list[_Existing]:
    found = []
    for r in range(2, last + 1):
        raw = grid[r - 1] if r - 1 < len(grid) else []
        received = parse_datetime(layout.get(raw, "received"), header="Received", cal=cal).value
        if received is None:
            continue
        contact = parse_contact(layout.get(raw, "contact"), region=region).value
        phone = contact.value if contact is not None and contact.kind == "phone" else None
        found.append(_Existing(
            row=r, name=text_of(layout.get(raw, "name")), phone=phone,
            received=received.replace(second=0, microsecond=0),
            first_contact_blank=not text_of(layout.get(raw, "first_contact"))))
    return found
