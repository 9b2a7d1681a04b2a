"""Contact cells that are phones, emails or handles; anything else says what to type."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetcrm import tracker
from sheetcrm.backends.memory import MemoryBackend
from sheetcrm.cells import Contact, parse_contact
from sheetcrm.errors import InputError

WHAT_TO_TYPE = ("type a number like +256 712 345678, an email like name@example.com or a "
                "handle like @shop_amina")


@pytest.mark.parametrize(("raw", "want"), [
    ("0772 123456", Contact("phone", "+256772123456")),
    (256772123456, Contact("phone", "+256772123456")),
    ("Amina@Example.CO.UG", Contact("email", "amina@example.co.ug")),
    (" sarah.n+shop@gmail.com ", Contact("email", "sarah.n+shop@gmail.com")),
    ("@shop_amina", Contact("handle", "@shop_amina")),
    ("@kato.boutique", Contact("handle", "@kato.boutique")),
])
def test_readable_contacts(raw: str | int, want: Contact) -> None:
    parsed = parse_contact(raw, region="UG")
    assert (parsed.value, parsed.problem) == (want, None)


@pytest.mark.parametrize("raw", ["Amina's sister", "walk in", "amina@", "@", "@a b",
                                 "shop amina on tiktok"])
def test_anything_else_says_what_to_type(raw: str) -> None:
    parsed = parse_contact(raw, region="UG")
    assert parsed.value is None
    assert parsed.problem == (f"Contact '{raw}' is not a phone number, an email or a handle: "
                              f"{WHAT_TO_TYPE}")


@pytest.mark.parametrize("raw", ["0772", "0772 12345 6789 1"])
def test_a_number_that_is_not_valid_keeps_its_phone_message(raw: str) -> None:
    parsed = parse_contact(raw, region="UG")
    assert parsed.value is None
    assert parsed.problem == (f"Contact '{raw}' is not a valid phone number for UG: type it "
                              "with the country code, like +256 712 345678")


def test_blank_is_no_contact_and_no_problem() -> None:
    assert parse_contact("  ", region="UG") == parse_contact(None, region="UG")
    assert parse_contact(None, region="UG").problem is None


def test_duplicates_by_number_and_by_email() -> None:
    backend = MemoryBackend()
    tracker.init_tracker(backend)
    day = dt.datetime(2026, 11, 2, 9, 0)
    backend.append([
        {"Received": day, "Name": "Ann", "Contact": "ann@example.com", "Source": "Website"},
        {"Received": day.replace(minute=5), "Name": "Ann K", "Contact": "ANN@example.com ",
         "Source": "Facebook"},
        {"Received": day.replace(minute=6), "Name": "Bo", "Contact": "0772 123456",
         "Source": "Walk-in"},
        {"Received": day.replace(minute=7), "Name": "Bo", "Contact": "+256772123456",
         "Source": "Walk-in"},
        {"Received": day.replace(minute=8), "Name": "Cy", "Contact": "@cy", "Source": "TikTok"},
        {"Received": day.replace(minute=9), "Name": "Di", "Contact": "at the market",
         "Source": "Walk-in"},
    ])
    rows = tracker.refresh(backend, now=dt.datetime(2026, 11, 2, 10)).rows
    assert [r.problems for r in rows] == [
        [], ["Possible duplicate of E0001 (same email)"],
        [], ["Possible duplicate of E0003 (same phone number)"],
        [], [f"Contact 'at the market' is not a phone number, an email or a handle: "
             f"{WHAT_TO_TYPE}"]]


def test_add_refuses_a_contact_that_is_neither() -> None:
    backend = MemoryBackend()
    tracker.init_tracker(backend)
    with pytest.raises(InputError, match="add: Contact 'her sister' is not a phone number"):
        tracker.add_enquiry(backend, {"name": "Ann", "contact": "her sister"})
