"""`import_whatsapp` on every backend: new enquiries, idempotent re-import, all or nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sheetcrm import tracker
from sheetcrm.backends.base import Backend
from sheetcrm.cells import text_of
from sheetcrm.chatimport import import_whatsapp
from sheetcrm.errors import InputError
from sheetcrm.model import CellValue, Settings

NOW = dt.datetime(2026, 10, 20, 12, 0)
EAT = dt.timezone(dt.timedelta(hours=3))

# Amina (a saved contact, shown by name): an enquiry on Mon 12/10 09:41, answered 10:02.
# Her "Thank you" three days later is the same conversation (not 30 days of silence).
AMINA = ("12/10/2026, 09:41 - Messages and calls are end-to-end encrypted. No one outside of "
         "this chat, not even WhatsApp, can read or listen to them. Tap to learn more.\n"
         "12/10/2026, 09:41 - Amina: Hello, is the red dress in stock?\n"
         "12/10/2026, 10:02 - Kato Boutique: Yes, size 12 and 14\n"
         "15/10/2026, 08:00 - Amina: Thank you\n")
# An unsaved number; the business has not replied yet in the first export.
NUMBER_FIRST = "[14/10/2026, 16:20:11] +256 701 234567: Do you deliver to Entebbe?\n"
NUMBER_LATER = NUMBER_FIRST + "[15/10/2026, 09:05:00] Kato Boutique: Yes, for 10,000\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def rows_of(backend: Backend) -> list[tuple[str, str, dt.datetime | None, dt.datetime | None,
                                           str | None]]:
    """(name, contact, received, first contact, status) of every enquiry, in Kampala time."""
    evaluation = tracker.evaluate(backend.read(), now=NOW, build_tabs=False)
    return [(r.name, r.contact, r.received, r.first_contact, r.status) for r in evaluation.rows]


def owner_grid(backend: Backend) -> list[list[CellValue]]:
    grid = backend.read().tabs["Enquiries"]
    return [[text_of(v) for v in row[:10]] for row in grid]


@pytest.fixture
def kato(new_backend: Backend) -> Backend:
    tracker.init_tracker(new_backend, Settings(whatsapp_name="Kato Boutique"))
    return new_backend


def test_a_chat_becomes_one_enquiry_per_conversation(kato: Backend, tmp_path: Path) -> None:
    amina = write(tmp_path, "WhatsApp Chat with Amina.txt", AMINA)
    number = write(tmp_path, "_chat.txt", NUMBER_FIRST)
    done = import_whatsapp(kato, [amina, number], now=NOW)
    assert done.added == [("Amina", "12/10/2026 09:41", 2),
                          ("+256 701 234567", "14/10/2026 16:20", 3)]
    assert (done.skipped, done.refused) == ([], [])
    assert rows_of(kato) == [
        ("Amina", "", dt.datetime(2026, 10, 12, 9, 41, tzinfo=EAT),
         dt.datetime(2026, 10, 12, 10, 2, tzinfo=EAT), "contacted"),
        ("+256 701 234567", "+256701234567", dt.datetime(2026, 10, 14, 16, 20, tzinfo=EAT),
         None, "pending"),
    ]
    grid = kato.read().tabs["Enquiries"]
    header = [text_of(v) for v in grid[0]]
    assert text_of(grid[1][header.index("Source")]) == "WhatsApp"
    assert text_of(grid[1][header.index("Notes")]) == "Hello, is the red dress in stock?"
    # Amina's number is not in the chat: the refresh asks for it.
    evaluation = tracker.refresh(kato, now=NOW)
    assert evaluation.rows[0].problems == [
        "Contact is blank: type the customer's WhatsApp number, like +256 712 345678"]


def test_importing_again_adds_nothing_and_changes_nothing(kato: Backend, tmp_path: Path) -> None:
    amina = write(tmp_path, "WhatsApp Chat with Amina.txt", AMINA)
    import_whatsapp(kato, [amina], now=NOW)
    before = owner_grid(kato)
    done = import_whatsapp(kato, [amina], now=NOW)
    assert (done.added, done.filled, done.skipped) == ([], [], [("Amina", "12/10/2026 09:41")])
    assert owner_grid(kato) == before


def test_a_later_export_only_fills_a_blank_first_contact(kato: Backend, tmp_path: Path) -> None:
    import_whatsapp(kato, [write(tmp_path, "_chat.txt", NUMBER_FIRST)], now=NOW)
    done = import_whatsapp(kato, [write(tmp_path, "later.txt", NUMBER_LATER)], now=NOW)
    assert done.added == []
    assert done.filled == [("+256 701 234567", "14/10/2026 16:20", 2)]
    # First contact filled in; the typed Status is left as it was.
    assert rows_of(kato) == [("+256 701 234567", "+256701234567",
                              dt.datetime(2026, 10, 14, 16, 20, tzinfo=EAT),
                              dt.datetime(2026, 10, 15, 9, 5, tzinfo=EAT), "pending")]


def test_a_typed_first_contact_is_never_changed(kato: Backend, tmp_path: Path) -> None:
    kato.append([{"Received": dt.datetime(2026, 10, 14, 16, 20), "Name": "Sarah",
                  "Contact": "0701 234567", "Source": "WhatsApp", "Status": "contacted",
                  "First contact": dt.datetime(2026, 10, 14, 17, 0)}])
    before = owner_grid(kato)
    # The same number and Received: already there (the name differs, the number does not).
    done = import_whatsapp(kato, [write(tmp_path, "later.txt", NUMBER_LATER)], now=NOW)
    assert (done.added, done.filled) == ([], [])
    assert done.skipped == [("+256 701 234567", "14/10/2026 16:20")]
    assert owner_grid(kato) == before


def test_a_group_chat_is_refused_and_the_others_imported(kato: Backend, tmp_path: Path) -> None:
    group = write(tmp_path, "group.txt", "12/10/2026, 09:41 - A: x\n12/10/2026, 09:42 - B: y\n"
                                         "12/10/2026, 09:43 - Kato Boutique: z\n")
    done = import_whatsapp(kato, [group, write(tmp_path, "_chat.txt", NUMBER_FIRST)], now=NOW)
    assert [name for name, _, _ in done.added] == ["+256 701 234567"]
    assert done.refused == ["group.txt has 3 people writing (A, B, Kato Boutique): "
                            "a group chat is not an enquiry"]


def test_one_unreadable_file_and_nothing_is_written(kato: Backend, tmp_path: Path) -> None:
    before = owner_grid(kato)
    bad = write(tmp_path, "notes.txt", "Amina wants the red dress\n")
    with pytest.raises(InputError, match="notes.txt line 1 does not start like a WhatsApp"):
        import_whatsapp(kato, [write(tmp_path, "_chat.txt", NUMBER_FIRST), bad], now=NOW)
    assert owner_grid(kato) == before


def test_business_option_wins_over_settings(kato: Backend, tmp_path: Path) -> None:
    chat = write(tmp_path, "c.txt", "12/10/2026, 09:41 - Amina: Hi\n"
                                    "12/10/2026, 09:50 - Kato Shop: Hello\n")
    done = import_whatsapp(kato, [chat], business=["Kato Shop"], now=NOW)
    assert done.added == [("Amina", "12/10/2026 09:41", 2)]


def test_two_exports_of_one_chat_in_one_run_add_and_fill_once(kato: Backend,
                                                              tmp_path: Path) -> None:
    first = write(tmp_path, "first.txt", NUMBER_FIRST)
    later = write(tmp_path, "later.txt", NUMBER_LATER)
    done = import_whatsapp(kato, [first, later, later], now=NOW)
    # The first export adds the enquiry; the later copies find it already there, and the
    # reply they hold (15/10 09:05) goes into the new row: contacted.
    assert done.added == [("+256 701 234567", "14/10/2026 16:20", 2)]
    assert done.skipped == [("+256 701 234567", "14/10/2026 16:20")] * 2
    assert rows_of(kato) == [("+256 701 234567", "+256701234567",
                              dt.datetime(2026, 10, 14, 16, 20, tzinfo=EAT),
                              dt.datetime(2026, 10, 15, 9, 5, tzinfo=EAT), "contacted")]


def test_a_blank_first_contact_is_filled_once_per_run(kato: Backend, tmp_path: Path) -> None:
    import_whatsapp(kato, [write(tmp_path, "first.txt", NUMBER_FIRST)], now=NOW)
    later = write(tmp_path, "later.txt", NUMBER_LATER)
    done = import_whatsapp(kato, [later, later], now=NOW)
    assert done.filled == [("+256 701 234567", "14/10/2026 16:20", 2)]
    assert done.skipped == [("+256 701 234567", "14/10/2026 16:20")]
