"""`sheetcrm.migrate`: HubSpot and Zoho files checked column by column against the issue."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from sheetcrm import tracker
from sheetcrm.backends.base import Backend
from sheetcrm.errors import InputError
from sheetcrm.migrate import migrate
from sheetcrm.migrate.common import split_name

NOW = dt.datetime(2026, 10, 20, 12, 0)

ROWS = [
    {"Received": dt.datetime(2026, 10, 12, 9, 41), "Name": "Amina Nakato Kizza",
     "Contact": "0772 123456", "Source": "WhatsApp", "Status": "converted",
     "First contact": dt.datetime(2026, 10, 12, 10, 2), "Value": 85000,
     "Notes": '=HYPERLINK("http://evil.example")'},
    {"Received": dt.datetime(2026, 10, 13, 14, 0), "Name": "Brian", "Contact": "Brian@Example.com",
     "Source": "Walk-in", "Status": "lost", "First contact": dt.datetime(2026, 10, 13, 15, 0)},
    {"Received": dt.datetime(2026, 10, 14, 9, 0), "Name": "Carol N.", "Contact": "@carol",
     "Source": "Instagram", "Status": "pending"},
    {"Received": dt.datetime(2026, 10, 15, 10, 0), "Name": "-Dan O.", "Contact": "0701 234567",
     "Source": "Facebook", "Status": "contacted", "First contact": dt.datetime(2026, 10, 15, 11),
     "Value": 20000},
    {"Received": dt.datetime(2026, 10, 16, 11, 0), "Name": "Eve", "Contact": "0752 345678",
     "Source": "TikTok", "Status": "contacted", "First contact": dt.datetime(2026, 10, 16, 12),
     "Notes": "Wants 2 wigs\nin black"},
]


@pytest.fixture
def filled(new_backend: Backend) -> Backend:
    tracker.init_tracker(new_backend)
    new_backend.append(ROWS)
    return new_backend


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark, for Excel"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_hubspot_contacts_and_deals(filled: Backend, tmp_path: Path) -> None:
    written = migrate(filled, "hubspot", tmp_path / "out", now=NOW)
    assert written == {tmp_path / "out" / "contacts.csv": 5, tmp_path / "out" / "deals.csv": 2}
    assert read_csv(tmp_path / "out" / "contacts.csv") == [
        ["First Name", "Last Name", "Phone Number", "Email", "Lifecycle Stage", "Lead Status",
         "Create Date", "Enquiry channel"],
        ["Amina Nakato", "Kizza", "+256772123456", "", "customer", "Connected", "2026-10-12",
         "WhatsApp"],
        ["", "Brian", "", "brian@example.com", "other", "Unqualified", "2026-10-13", "Walk-in"],
        ["Carol", "N.", "", "", "lead", "New", "2026-10-14", "Instagram"],
        ["'-Dan", "O.", "+256701234567", "", "opportunity", "Open Deal", "2026-10-15",
         "Facebook"],
        ["", "Eve", "+256752345678", "", "lead", "Connected", "2026-10-16", "TikTok"],
    ]
    assert read_csv(tmp_path / "out" / "deals.csv") == [
        ["Deal Name", "Pipeline", "Deal Stage", "Amount", "Close Date", "Phone Number", "Email"],
        ["Amina Nakato Kizza (WhatsApp, 2026-10-12)", "default", "closedwon", "85000",
         "2026-10-12", "+256772123456", ""],
        ["Brian (Walk-in, 2026-10-13)", "default", "closedlost", "", "2026-10-13", "",
         "brian@example.com"],
    ]


def test_zoho_leads(filled: Backend, tmp_path: Path) -> None:
    written = migrate(filled, "zoho", tmp_path, now=NOW)
    assert written == {tmp_path / "leads.csv": 5}
    assert read_csv(tmp_path / "leads.csv") == [
        ["First Name", "Last Name", "Mobile", "Email", "Lead Source", "Lead Status",
         "Created Time", "Description"],
        ["Amina Nakato", "Kizza", "+256772123456", "", "WhatsApp", "Pre-Qualified",
         "2026-10-12 09:41:00", "'=HYPERLINK(\"http://evil.example\")"],
        ["", "Brian", "", "brian@example.com", "Walk-in", "Lost Lead", "2026-10-13 14:00:00", ""],
        ["Carol", "N.", "", "", "Instagram", "Not Contacted", "2026-10-14 09:00:00", ""],
        ["'-Dan", "O.", "+256701234567", "", "Facebook", "Contacted", "2026-10-15 10:00:00", ""],
        ["", "Eve", "+256752345678", "", "TikTok", "Contacted", "2026-10-16 11:00:00",
         "Wants 2 wigs\nin black"],
    ]


@pytest.mark.parametrize(("name", "split"), [
    ("Amina", ("", "Amina")), ("  Sarah   Nakato ", ("Sarah", "Nakato")),
    ("Mary Jane Achieng", ("Mary Jane", "Achieng")), ("", ("", ""))])
def test_names_split_on_the_last_word(name: str, split: tuple[str, str]) -> None:
    assert split_name(name) == split


def test_files_are_not_replaced_without_force(filled: Backend, tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="leads.csv already exists: .* --force"):
        migrate(filled, "zoho", tmp_path, now=NOW)
    assert (tmp_path / "leads.csv").read_text(encoding="utf-8") == "mine"
    migrate(filled, "zoho", tmp_path, force=True, now=NOW)
    assert read_csv(tmp_path / "leads.csv")[0][0] == "First Name"


def test_an_unknown_crm(filled: Backend, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--to 'salesforce' is not a CRM"):
        migrate(filled, "salesforce", tmp_path)
