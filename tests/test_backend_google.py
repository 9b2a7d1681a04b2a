"""The Google Sheets backend against the fake Sheets API (tests/fake_sheets).

Business-hours cases use the default Settings: Africa/Kampala, Mon-Fri
08:00-18:00, Sat 09:00-14:00, Sun closed, SLA 4 business hours, and dates in
November 2026 with no Ugandan public holiday.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sheetcrm import tracker
from sheetcrm.backends.base import Backend
from sheetcrm.backends.google import GoogleBackend, extended_value, spreadsheet_key
from sheetcrm.backends.google_auth import (
    build_client,
    find_credentials_file,
    load_credentials,
    login,
    save_token,
)
from sheetcrm.errors import (
    AuthError,
    BackendError,
    ConcurrentEdit,
    InputError,
    NotATracker,
    QuotaExceeded,
    TrackerNotFound,
)
from sheetcrm.model import Formula, Settings
from sheetcrm.template import column_letter, load_template
from tests.fake_sheets import FakeSheets, Request
from tests.helpers.clock import FakeTime, instant, serial
from tests.helpers.google import oauth_credentials, private_key_pem
from tests.helpers.trackers import letter, typed_row

EMAIL = "sheetcrm@project.iam.gserviceaccount.com"
NOW = dt.datetime(2026, 11, 10, 12, 0)  # Tuesday, after every respond-by below
ENQ = "Enquiries"


@pytest.fixture
def fake() -> FakeSheets:
    return FakeSheets(service_account_email=EMAIL)


def new_backend(fake: FakeSheets, title: str = "Tracker", **kw: Any) -> tuple[GoogleBackend, str]:
    key = fake.create_spreadsheet(title)
    kw.setdefault("retry", instant())
    kw.setdefault("account_email", EMAIL)
    kw.setdefault("client", fake.client())
    return GoogleBackend(fake.url(key), **kw), key


def new_tracker(fake: FakeSheets, **kw: Any) -> tuple[GoogleBackend, str]:
    backend, key = new_backend(fake, **kw)
    tracker.init_tracker(backend)
    return backend, key


def type_rows(fake: FakeSheets, key: str, rows: list[list[Any]], first_row: int = 2) -> None:
    """The owner types rows (Received, Name, Contact, Source, Status) on a phone."""
    fake.set_values(key, ENQ, f"A{first_row}", [typed_row(r) for r in rows],
                    input="USER_ENTERED")


def column(fake: FakeSheets, key: str, header: str) -> list[Any]:
    grid = fake.get_values(key, ENQ)
    col = grid[0].index(header)
    return [row[col] if col < len(row) else None for row in grid[1:]]


def by_name(fake: FakeSheets, key: str, header: str) -> dict[str, Any]:
    return dict(zip(column(fake, key, "Name"), column(fake, key, header), strict=False))


THREE = [
    # Mon 09:00 + 4 business hours = Mon 13:00.
    ["2026-11-02 09:00", "Amina", "0772 123456", "WhatsApp", "pending"],
    # Mon 16:00: 2 h to the 18:00 close, then 2 h from Tue 08:00 = Tue 03/11 10:00.
    ["2026-11-02 16:00", "Brian", "0701 234567", "Facebook", "pending"],
    # Sat 13:00: 1 h to the 14:00 close, Sunday closed, 3 h from Mon 08:00 = Mon 09/11 11:00.
    ["2026-11-07 13:00", "Chloe", "0752 345678", "Walk-in", "pending"],
]
RESPOND_BY = {
    "Amina": dt.datetime(2026, 11, 2, 13, 0),
    "Brian": dt.datetime(2026, 11, 3, 10, 0),
    "Chloe": dt.datetime(2026, 11, 9, 11, 0),
}


def assert_respond_by_is_each_rows_own(fake: FakeSheets, key: str) -> None:
    got = by_name(fake, key, "Respond by")
    for name, expected in RESPOND_BY.items():
        assert got[name] == pytest.approx(serial(expected), abs=1e-6), name


# --------------------------------------------------------------------------- create


def test_create_renders_the_template(fake: FakeSheets) -> None:
    backend, key = new_backend(fake)
    tracker.init_tracker(backend)
    # metadata, one read of the existing tabs, one batchUpdate
    assert fake.count() == 3
    assert fake.count("spreadsheets.batchUpdate") == 1

    props = fake.sheet_properties(key, grid_data=False)
    assert props["properties"]["locale"] == "en_GB"
    assert props["properties"]["timeZone"] == "Africa/Kampala"
    assert props["properties"]["autoRecalc"] == "HOUR"
    sheets = {s["properties"]["title"]: s for s in props["sheets"]}
    template = load_template()
    assert [s["properties"]["title"] for s in props["sheets"]] == [t.name for t in template.tabs]
    assert "Sheet1" not in sheets  # the new spreadsheet's blank tab is gone
    assert sheets["sheetcrm"]["properties"].get("hidden") is True
    grid = sheets[ENQ]["properties"]["gridProperties"]
    # Only Name stays in place sideways: two frozen columns filled a phone's screen.
    assert (grid["frozenRowCount"], grid["frozenColumnCount"]) == (1, 1)
    assert grid["rowCount"] == template.rows + 1

    header = fake.get_values(key, ENQ)[0]
    assert header == [c.header for c in template.enquiries.columns]
    contact = fake.cell(key, ENQ, "E1")
    assert contact["note"].startswith("Phone number")
    assert contact["userEnteredFormat"]["textFormat"]["bold"] is True

    # Contact is plain text on every data row, so a typed 0772... keeps its zero.
    for a1 in ("E2", f"E{template.rows + 1}"):
        assert fake.cell(key, ENQ, a1)["userEnteredFormat"]["numberFormat"]["type"] == "TEXT"
    type_rows(fake, key, [[None, None, "0772123456"]])
    assert fake.get_values(key, ENQ)[1][4] == "0772123456"

    received = fake.cell(key, ENQ, "D2")["userEnteredFormat"]["numberFormat"]
    assert received == {"type": "DATE_TIME", "pattern": "dd/mm/yyyy hh:mm"}


def test_create_sets_validations_not_strict(fake: FakeSheets) -> None:
    _, key = new_tracker(fake)
    source = fake.cell(key, ENQ, "F2")["dataValidation"]
    assert source["condition"] == {
        "type": "ONE_OF_RANGE", "values": [{"userEnteredValue": "=Lists!$A$2:$A$100"}]
    }
    status = fake.cell(key, ENQ, "G2")["dataValidation"]
    assert status["condition"]["type"] == "ONE_OF_LIST"
    assert [v["userEnteredValue"] for v in status["condition"]["values"]] == [
        "pending", "contacted", "converted", "lost"
    ]
    follow_ups = fake.cell(key, ENQ, "I2")["dataValidation"]
    assert follow_ups["condition"]["type"] == "CUSTOM_FORMULA"
    assert "I2<=3" in follow_ups["condition"]["values"][0]["userEnteredValue"]
    assert all(v.get("strict") is False for v in (source, status, follow_ups))


def test_create_conditional_formats_read_sla_hours_through_indirect(fake: FakeSheets) -> None:
    _, key = new_tracker(fake)
    settings = fake.get_values(key, "Settings")
    sla_row = next(i for i, r in enumerate(settings, start=1) if r and r[0] == "SLA hours")
    assert settings[sla_row - 1][1] == 4

    enquiries = fake.sheet_properties(key, grid_data=False)["sheets"][0]
    rules = enquiries["conditionalFormats"]
    assert len(rules) == 2
    formulas = [r["booleanRule"]["condition"]["values"][0]["userEnteredValue"] for r in rules]
    # Status and Respond by where the template puts them.
    assert f"${_letter('respond_by')}2<NOW()" in formulas[0]
    assert f"${_letter('status')}2" in formulas[0]
    assert f"INDIRECT(\"'Settings'!$B${sla_row}\")" in formulas[1]
    assert "Settings!" not in formulas[1].replace("'Settings'!", "")
    for rule in rules:
        (rng,) = rule["ranges"]
        assert (rng["startRowIndex"], rng["endRowIndex"]) == (1, load_template().rows + 1)
    red = rules[0]["booleanRule"]["format"]["backgroundColor"]
    assert red["red"] > red["green"]


def test_create_protects_computed_columns_with_a_warning_only(fake: FakeSheets) -> None:
    _, key = new_tracker(fake)
    enquiries = fake.sheet_properties(key, grid_data=False)["sheets"][0]
    protected = enquiries["protectedRanges"]
    assert all(p["warningOnly"] for p in protected)
    columns = sorted(p["range"]["startColumnIndex"] for p in protected
                     if "startColumnIndex" in p["range"])
    computed = [i for i, c in enumerate(load_template().enquiries.columns)
                if c.role == "computed"]
    assert columns == computed


def test_create_takes_the_time_zone_from_settings(fake: FakeSheets) -> None:
    backend, key = new_backend(fake)
    tracker.init_tracker(backend, Settings(timezone="Africa/Nairobi", country="KE",
                                           currency="KES"))
    assert fake.sheet_properties(key, grid_data=False)["properties"]["timeZone"] == (
        "Africa/Nairobi"
    )


def test_create_refuses_a_sheet_that_is_already_a_tracker(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    before = fake.get_values(key, ENQ)
    fake.reset_requests()
    with pytest.raises(InputError, match="already has a tab called 'Enquiries' with data"):
        tracker.init_tracker(backend)
    assert fake.count("spreadsheets.batchUpdate") == 0
    assert fake.get_values(key, ENQ) == before


def test_create_keeps_an_unrelated_tab_with_data(fake: FakeSheets) -> None:
    backend, key = new_backend(fake)
    fake.set_values(key, "Sheet1", "A1", [["My old list"]])
    tracker.init_tracker(backend)
    titles = [s["properties"]["title"]
              for s in fake.sheet_properties(key, grid_data=False)["sheets"]]
    assert "Sheet1" in titles and ENQ in titles
    assert fake.get_values(key, "Sheet1") == [["My old list"]]


def test_create_reuses_empty_tabs_that_already_have_a_template_name(fake: FakeSheets) -> None:
    backend, key = new_backend(fake)
    client = fake.client()
    client.http_client.batch_update(key, {"requests": [
        {"updateSheetProperties": {"properties": {"sheetId": 0, "title": "Enquiries"},
                                   "fields": "title"}},
        {"addSheet": {"properties": {"title": "Settings"}}},
    ]})
    tracker.init_tracker(backend)
    titles = [s["properties"]["title"]
              for s in fake.sheet_properties(key, grid_data=False)["sheets"]]
    assert titles == [t.name for t in load_template().tabs]
    assert fake.get_values(key, ENQ)[0][0] == "Name"
    assert fake.get_values(key, "Settings")[0][0] == "Setting"


def test_create_spreadsheet_then_init(fake: FakeSheets) -> None:
    backend = GoogleBackend.create_spreadsheet("Enquiries 2026", client=fake.client(),
                                               retry=instant())
    assert backend.key in fake.keys()
    assert backend.label == "Google sheet 'Enquiries 2026'"
    tracker.init_tracker(backend)
    assert fake.get_values(backend.key, ENQ)[0][0] == "Name"


# --------------------------------------------------------------------------- read


def test_read_is_two_requests_and_returns_raw_values(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    fake.reset_requests()
    snapshot = backend.read()
    assert [r.kind for r in fake.requests] == ["spreadsheets.get", "values.batchGet"]
    (get,) = [r for r in fake.requests if r.kind == "values.batchGet"]
    assert get.params["valueRenderOption"] == "UNFORMATTED_VALUE"
    assert get.params["dateTimeRenderOption"] == "SERIAL_NUMBER"
    assert set(snapshot.tabs) == {"Enquiries", "Settings", "Lists", "sheetcrm", "Spend"}
    assert snapshot.tab_names[0] == ENQ and "Summary" in snapshot.tab_names
    row = snapshot.tabs[ENQ][1]
    # 02/11/2026 09:00 is 46328 days after 30/12/1899, plus 9/24 of a day (Received, D).
    assert row[3] == pytest.approx(46328 + 9 / 24)
    assert [row[0], *row[4:7]] == ["Amina", "0772 123456", "WhatsApp", "pending"]
    assert backend.label == "Google sheet 'Tracker'"


def test_read_of_a_sheet_without_enquiries_is_not_a_tracker(fake: FakeSheets) -> None:
    backend, _ = new_backend(fake, title="Shopping list")
    with pytest.raises(NotATracker, match="'Shopping list' is not a sheetcrm tracker"):
        backend.read()


# --------------------------------------------------------------------------- refresh


def test_refresh_writes_each_rows_own_values(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    tracker.refresh(backend, now=NOW)
    assert_respond_by_is_each_rows_own(fake, key)
    ids = column(fake, key, "ID")
    assert len(set(ids)) == 3 and all(ids)
    assert by_name(fake, key, "SLA")["Amina"].lower().startswith("overdue")
    link = fake.cell(key, ENQ,
                     f"{_letter('whatsapp')}{column(fake, key, 'Name').index('Amina') + 2}")
    assert link["userEnteredValue"] == {"stringValue": "wa.me/256772123456"}
    assert link["userEnteredFormat"]["textFormat"]["link"]["uri"].startswith(
        "https://wa.me/256772123456"
    )


@pytest.mark.parametrize("rows", [5, 500])
def test_refresh_costs_the_same_whatever_the_number_of_rows(fake: FakeSheets, rows: int) -> None:
    backend, key = new_tracker(fake)
    typed = [[f"2026-11-0{2 + i % 5} 09:00", f"Customer {i}", f"07721{i:05d}", "WhatsApp",
              "pending"] for i in range(rows)]
    type_rows(fake, key, typed)
    fake.reset_requests()
    tracker.refresh(backend, now=NOW)
    kinds = [r.kind for r in fake.requests]
    # metadata, the read, the check read, one write and the read of the write's
    # photographs: the same for 5 rows and 500.
    assert kinds == ["spreadsheets.get", "values.batchGet", "values.batchGet",
                     "spreadsheets.batchUpdate", "values.batchGet"]
    assert len([i for i in column(fake, key, "ID") if i]) == rows


def test_refresh_twice_replaces_owned_tabs_without_piling_up_charts(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    tracker.refresh(backend, now=NOW)
    first = fake.get_values(key, "Summary")
    charts_once = _charts(fake, key, "Summary")
    tracker.refresh(backend, now=NOW)
    assert fake.get_values(key, "Summary") == first
    assert _charts(fake, key, "Summary") == charts_once
    assert charts_once >= 1


def _charts(fake: FakeSheets, key: str, tab: str) -> int:
    for s in fake.sheet_properties(key, grid_data=False)["sheets"]:
        if s["properties"]["title"] == tab:
            return len(s.get("charts", []))
    raise AssertionError(tab)


def test_refresh_finds_columns_by_header_and_adds_a_missing_one(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    # The owner renamed Problems to "Issues" and typed in it: refresh must not touch it.
    last = _at("problems")
    fake.set_values(key, ENQ, f"{_letter('problems')}1", [["Issues"], ["call back"]])
    tracker.refresh(backend, now=NOW)
    header = fake.get_values(key, ENQ)[0]
    assert header[last] == "Issues" and header[last + 1] == "Problems"
    assert fake.get_values(key, ENQ)[1][last] == "call back"


def test_refresh_fills_only_blank_ids_and_keeps_other_meta_keys(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    fake.set_values(key, ENQ, f"{letter('ID')}3", [["E0042"]])
    fake.set_values(key, "sheetcrm", "A10", [["owner_note", "keep me"]])
    tracker.refresh(backend, now=NOW)
    ids = column(fake, key, "ID")
    assert ids[1] == "E0042"
    assert ids[0] and ids[2] and ids[0] != ids[2]
    meta = {r[0]: r[1] for r in fake.get_values(key, "sheetcrm") if len(r) > 1}
    assert meta["owner_note"] == "keep me"
    assert "last_refresh" in meta


def test_rows_emptied_since_last_refresh_lose_their_computed_values(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    tracker.refresh(backend, now=NOW)
    assert len(fake.get_values(key, ENQ)[3]) > 10  # Chloe's row has computed values
    # The owner empties Chloe's row (the columns they type).
    fake.set_values(key, ENQ, "A4", [typed_row([""] * 10)])
    tracker.refresh(backend, now=NOW)
    grid = fake.get_values(key, ENQ)
    assert len(grid) == 3  # header, Amina, Brian: no orphaned Respond by or SLA on row 4


# --------------------------------------------------------------------------- concurrent edits


def _on_nth(kind: str, n: int, action: Callable[[], None]) -> Callable[[Request], None]:
    seen = {"n": 0}

    def hook(request: Request) -> None:
        if request.kind == kind:
            seen["n"] += 1
            if seen["n"] == n:
                action()

    return hook


def test_apply_raises_concurrent_edit_when_a_row_is_inserted(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    tracker.refresh(backend, now=NOW)  # IDs filled
    snapshot = backend.read()
    changes = tracker.evaluate(snapshot, now=NOW, template=load_template(),
                               label=backend.label).changes
    fake.insert_rows(key, ENQ, 3)
    fake.reset_requests()
    with pytest.raises(ConcurrentEdit):
        backend.apply(changes)
    assert fake.count("spreadsheets.batchUpdate") == 0


@pytest.mark.parametrize("edit", ["insert", "delete", "sort", "type"])
def test_refresh_redoes_the_read_when_the_owner_edits_mid_refresh(
    fake: FakeSheets, edit: str
) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)  # IDs still blank: the ID check alone cannot see a sort
    actions: dict[str, Callable[[], None]] = {
        "insert": lambda: fake.insert_rows(key, ENQ, 2),
        "delete": lambda: fake.delete_rows(key, ENQ, 2),
        "sort": lambda: fake.sort_rows(key, ENQ, column=2, reverse=True),
        "type": lambda: type_rows(fake, key, [["2026-11-02 10:00"]]),  # Amina's time changed
    }
    # The 2nd batchGet is the check read just before the first write.
    fake.before_request(_on_nth("values.batchGet", 2, actions[edit]))
    tracker.refresh(backend, now=NOW)
    fake.before_request(None)
    assert fake.count("spreadsheets.batchUpdate") == 2  # init, then only the second attempt
    expected = dict(RESPOND_BY)
    if edit == "delete":
        del expected["Amina"]
    if edit == "type":
        expected["Amina"] = dt.datetime(2026, 11, 2, 14, 0)  # 10:00 + 4 h
    got = by_name(fake, key, "Respond by")
    for name, when in expected.items():
        assert got[name] == pytest.approx(serial(when), abs=1e-6), name


# --------------------------------------------------------------------------- append


def test_append_stores_text_as_text(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    backend.read()
    fake.reset_requests()
    rows = backend.append([{
        "Received": dt.datetime(2026, 11, 2, 9, 40),
        "Name": "=1+1",
        "Contact": "+256772123456",
        "Notes": "-5",
        "Source": "@x",
        "Status": "pending",
    }])
    assert rows == [2]
    assert fake.count("spreadsheets.batchUpdate") == 1 and fake.count() == 1
    row = fake.get_values(key, ENQ)[1]
    # Name A, Contact E, Source F, Notes K.
    assert [row[0], row[4], row[5]] == ["=1+1", "+256772123456", "@x"]
    assert row[10] == "-5"
    assert fake.cell(key, ENQ, "A2")["userEnteredValue"] == {"stringValue": "=1+1"}
    shown = fake.get_values(key, ENQ, render="FORMATTED_VALUE")[1][3]
    assert shown == "02/11/2026 09:40"
    # And a refresh leaves them alone.
    tracker.refresh(backend, now=NOW)
    after = fake.get_values(key, ENQ)[1]
    assert [after[0], after[4], after[5]] == ["=1+1", "+256772123456", "@x"]


def test_append_goes_below_the_last_used_row_and_pushes_nothing_over(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    backend.read()
    # The owner types a fourth enquiry after sheetcrm read the sheet.
    type_rows(fake, key, [["2026-11-08 10:00", "Dora", "0772 999999", "Referral", "pending"]],
              first_row=5)
    written = backend.append([{"Name": "Eve", "Status": "pending"},
                              {"Name": "Femi", "Status": "pending"}])
    assert written == [5, 6]
    names = column(fake, key, "Name")
    assert names == ["Amina", "Brian", "Chloe", "Eve", "Femi", "Dora"]


def test_append_with_an_unknown_header_writes_nothing(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    backend.read()
    fake.reset_requests()
    with pytest.raises(InputError, match="no 'Colour' column"):
        backend.append([{"Name": "Eve"}, {"Name": "Femi", "Colour": "red"}])
    assert fake.count() == 0


def test_add_enquiry_through_the_engine(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    fake.reset_requests()
    row = tracker.add_enquiry(backend, {"name": "Sarah N.", "contact": "0772 123456",
                                        "source": "WhatsApp", "received": "23/11/2026 09:40"})
    assert row == 2
    assert fake.count() == 3  # metadata, read, one write
    assert fake.get_values(key, ENQ)[1][0] == "Sarah N."


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize("status", [429, 500, 503, "drop", "timeout"])
@pytest.mark.parametrize("position", [1, 2, 3, 4])
def test_a_fault_at_any_request_of_a_refresh_is_retried(
    fake: FakeSheets, status: int | str, position: int
) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    seen = {"n": 0}

    def hook(request: Request) -> None:
        seen["n"] += 1
        if seen["n"] == position:
            fake.fail_next(1, status=status)

    fake.before_request(hook)
    tracker.refresh(backend, now=NOW)
    fake.before_request(None)
    assert_respond_by_is_each_rows_own(fake, key)


def test_quota_exhausted_after_bounded_retries(fake: FakeSheets) -> None:
    t = FakeTime()
    backend, key = new_tracker(fake, retry=instant(t))
    before = fake.get_values(key, ENQ)
    fake.reset_requests()
    fake.fail_always(status=429)
    with pytest.raises(QuotaExceeded, match="too many requests"):
        tracker.refresh(backend, now=NOW)
    # Waits of 1, 2, 4, 8, 16, 32, 32 s (95 s); another 32 s would pass 120 s: 8 tries.
    assert fake.count() == 8
    assert sum(t.sleeps) == 95
    fake.clear_faults()
    assert fake.get_values(key, ENQ) == before


def test_a_failed_write_leaves_the_sheet_as_it_was(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake, retry=instant(total=10))
    type_rows(fake, key, THREE)
    before = {tab: fake.get_values(key, tab) for tab in (ENQ, "Summary", "sheetcrm")}
    fake.fail_always(status=503, kind="spreadsheets.batchUpdate")
    with pytest.raises(BackendError, match="HTTP 503"):
        tracker.refresh(backend, now=NOW)
    fake.clear_faults()
    assert {tab: fake.get_values(key, tab) for tab in before} == before
    tracker.refresh(backend, now=NOW)
    assert_respond_by_is_each_rows_own(fake, key)


def test_network_down(fake: FakeSheets) -> None:
    backend, _ = new_tracker(fake)
    fake.fail_always(status="drop")
    with pytest.raises(BackendError, match="Cannot reach Google Sheets") as info:
        backend.read()
    assert "check the internet connection" in str(info.value)
    assert not isinstance(info.value, QuotaExceeded)


def test_not_shared_names_the_service_account(fake: FakeSheets) -> None:
    key = fake.create_spreadsheet("Private", shared=False)
    backend = GoogleBackend(key, client=fake.client(), account_email=EMAIL, retry=instant())
    with pytest.raises(AuthError) as info:
        backend.read()
    assert str(info.value) == (
        f"The sheet is not shared with {EMAIL}: open it in Google Sheets, click Share and "
        "add that address as an editor"
    )
    assert fake.count() == 1  # a refusal is not retried


def test_not_shared_without_a_known_address_still_says_what_to_do(fake: FakeSheets) -> None:
    key = fake.create_spreadsheet("Private", shared=False)
    backend = GoogleBackend(key, client=fake.client(), retry=instant())
    with pytest.raises(AuthError, match="click Share"):
        backend.read()


def test_not_found(fake: FakeSheets) -> None:
    backend = GoogleBackend("1" * 44, client=fake.client(), retry=instant())
    with pytest.raises(TrackerNotFound, match="No Google sheet with the key 1111"):
        backend.read()


# --------------------------------------------------------------------------- credentials


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_no_credentials_names_every_place_looked(no_credentials: Path) -> None:
    backend = GoogleBackend("1" * 44, retry=instant())
    with pytest.raises(AuthError) as info:
        backend.read()
    message = str(info.value)
    assert message.startswith("No Google credentials found")
    assert "--credentials" in message
    assert "GOOGLE_APPLICATION_CREDENTIALS" in message
    assert str(no_credentials / ".config" / "gspread" / "service_account.json") in message


def test_missing_explicit_file_is_named(no_credentials: Path) -> None:
    with pytest.raises(AuthError, match="nowhere.json does not exist"):
        find_credentials_file(no_credentials / "nowhere.json")


def test_credentials_are_looked_for_in_order(no_credentials: Path) -> None:
    home = no_credentials
    default = home / ".config" / "gspread" / "service_account.json"
    token = home / ".config" / "sheetcrm" / "token.json"
    env_file = home / "env.json"
    explicit = home / "explicit.json"
    for p in (default, token, env_file, explicit):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("{}")
    env = {"GOOGLE_APPLICATION_CREDENTIALS": str(env_file)}
    assert find_credentials_file(explicit, environ=env, home=home) == explicit
    assert find_credentials_file(None, environ=env, home=home) == env_file
    assert find_credentials_file(None, environ={}, home=home) == default
    default.unlink()
    assert find_credentials_file(None, environ={}, home=home) == token


def _service_account(path: Path, private_key: str) -> Path:
    path.write_text(json.dumps({
        "type": "service_account",
        "project_id": "project",
        "private_key_id": "abc123",
        "private_key": private_key,
        "client_email": EMAIL,
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token",
    }))
    return path


def test_a_service_account_key_gives_a_client_and_its_email(tmp_path: Path) -> None:
    path = _service_account(tmp_path / "sa.json", private_key_pem())
    os.chmod(path, 0o600)
    warnings: list[str] = []
    client, loaded = build_client(path, environ={}, home=tmp_path, warn=warnings.append)
    assert loaded.kind == "service_account" and loaded.email == EMAIL
    assert client.http_client is not None
    assert warnings == []


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_a_key_readable_by_others_gets_a_warning_without_its_contents(tmp_path: Path) -> None:
    pem = private_key_pem()
    path = _service_account(tmp_path / "sa.json", pem)
    os.chmod(path, 0o644)
    warnings: list[str] = []
    load_credentials(path, warn=warnings.append)
    assert len(warnings) == 1
    assert str(path) in warnings[0] and "chmod 600" in warnings[0]
    assert "PRIVATE KEY" not in warnings[0]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("SECRET-not-json{", "is not a Google key file"),
        (json.dumps({"type": "service_account", "private_key": "SECRET-garbage",
                     "client_email": EMAIL, "token_uri": "https://oauth2.googleapis.com/token"}),
         "incomplete or damaged"),
        (json.dumps({"installed": {"client_id": "SECRET-id", "client_secret": "SECRET-x"}}),
         "is an OAuth client file, not a key"),
        (json.dumps({"SECRET": 1}), "neither a service-account key nor a saved sign-in"),
    ],
)
def test_unusable_key_files_are_named_never_quoted(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "key.json"
    path.write_text(content)
    os.chmod(path, 0o600)
    with pytest.raises(AuthError) as info:
        load_credentials(path)
    assert expected in str(info.value)
    assert str(path) in str(info.value)
    assert "SECRET" not in str(info.value)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_saved_sign_in_is_owner_only_and_loads_back(tmp_path: Path) -> None:
    path = save_token(oauth_credentials(), tmp_path / "cfg" / "token.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_credentials(path, warn=lambda m: pytest.fail(m))
    assert loaded.kind == "oauth" and loaded.email is None


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_login_runs_the_flow_and_saves_the_token(tmp_path: Path) -> None:
    secrets = tmp_path / "client_secret.json"
    secrets.write_text(json.dumps({"installed": {
        "client_id": "id.apps.googleusercontent.com", "client_secret": "s",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "redirect_uris": ["http://localhost"],
    }}))
    flows: list[Any] = []

    def run(flow: Any) -> Any:
        flows.append(flow)
        return oauth_credentials()

    path = login(secrets, token=tmp_path / "token.json", run=run)
    assert len(flows) == 1
    assert "https://www.googleapis.com/auth/spreadsheets" in flows[0].oauth2session.scope
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["refresh_token"] == "SECRET-refresh"


def test_login_that_does_not_finish_is_a_plain_error(tmp_path: Path) -> None:
    secrets = tmp_path / "client_secret.json"
    secrets.write_text(json.dumps({"installed": {
        "client_id": "id", "client_secret": "s",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
    }}))

    def run(flow: Any) -> Any:
        raise RuntimeError("user closed the browser")

    with pytest.raises(AuthError, match="sign-in did not finish"):
        login(secrets, token=tmp_path / "token.json", run=run)
    assert not (tmp_path / "token.json").exists()


# --------------------------------------------------------------------------- small parts


@pytest.mark.parametrize(
    ("target", "google"),
    [
        ("https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit#gid=0",
         True),
        ("1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", True),
        ("tracker.xlsx", False),
        ("/home/amina/trackers/1AbCdEfGhIjKlMnOpQrStUvWxYz0123", False),
        ("1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789.xlsx", False),
        ("short_key", False),
    ],
)
def test_looks_like_google(target: str, google: bool) -> None:
    assert GoogleBackend.looks_like_google(target) is google


def test_key_from_url() -> None:
    url = "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit#gid=0"
    assert spreadsheet_key(url) == "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    with pytest.raises(InputError):
        spreadsheet_key("tracker.xlsx")


def test_no_request_until_used(fake: FakeSheets) -> None:
    GoogleBackend(fake.url(fake.create_spreadsheet("T")), client=fake.client())
    assert fake.count() == 0


def test_values_are_written_as_typed_values_never_parsed() -> None:
    assert extended_value("=SUM(A1:A9)") == {"stringValue": "=SUM(A1:A9)"}
    assert extended_value(Formula("=SUM(A1:A9)")) == {"formulaValue": "=SUM(A1:A9)"}
    assert extended_value(True) == {"boolValue": True}
    assert extended_value(None) is None
    # 01/01/2020 is 43831 days after 30/12/1899 (the recordings show the same serial).
    assert extended_value(dt.date(2020, 1, 1)) == {"numberValue": 43831}
    assert extended_value(dt.datetime(2020, 1, 1, 18, 0)) == {"numberValue": 43831.75}
    # 09:40 is 580 minutes of the day's 1440.
    assert extended_value(dt.time(9, 40)) == {"numberValue": pytest.approx(580 / 1440)}
    assert extended_value(float("nan")) == {"stringValue": "nan"}


def test_google_backend_satisfies_the_protocol(fake: FakeSheets) -> None:
    backend, _ = new_backend(fake)
    assert isinstance(backend, Backend)


# --------------------------------------------------------------------------- lost replies


@pytest.mark.parametrize("status", ["drop", "timeout", 500])
def test_an_append_whose_reply_is_lost_is_not_made_twice(fake: FakeSheets,
                                                         status: int | str) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    backend.read()
    fake.fail_next(1, status=status, kind="spreadsheets.batchUpdate", applied=True)
    fake.reset_requests()
    written = backend.append([{"Name": "Dora", "Status": "pending"}])
    assert written == [5]
    assert column(fake, key, "Name") == ["Amina", "Brian", "Chloe", "Dora"]
    # The write, then metadata and the marker to see that it landed; nothing re-sent.
    assert [r.kind for r in fake.requests] == [
        "spreadsheets.batchUpdate", "spreadsheets.get", "spreadsheets.get"]


def test_a_write_that_did_not_land_is_planned_again_and_sent(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    backend.read()
    state = {"typed": False}

    def owner_types(request: Request) -> None:
        # The owner types a row just after the first, failed write.
        if request.kind == "spreadsheets.get" and not state["typed"]:
            state["typed"] = True
            type_rows(fake, key, [["2026-11-08 10:00", "Eve", "0772 999999"]], first_row=5)

    fake.fail_next(1, status="drop", kind="spreadsheets.batchUpdate")
    fake.before_request(owner_types)
    fake.reset_requests()
    written = backend.append([{"Name": "Dora", "Status": "pending"}])
    fake.before_request(None)
    # Planned again from the sheet as it is now: Dora goes below Eve, not over her.
    assert written == [6]
    assert column(fake, key, "Name") == ["Amina", "Brian", "Chloe", "Eve", "Dora"]
    assert [r.kind for r in fake.requests] == [
        "spreadsheets.batchUpdate", "spreadsheets.get", "spreadsheets.get", "values.batchGet",
        "spreadsheets.batchUpdate"]


def test_a_refresh_whose_reply_is_lost_does_not_fail_on_its_own_charts(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    tracker.refresh(backend, now=NOW)  # Summary has charts now
    charts = _charts(fake, key, "Summary")
    fake.fail_next(1, status="timeout", kind="spreadsheets.batchUpdate", applied=True)
    tracker.refresh(backend, now=NOW)
    assert _charts(fake, key, "Summary") == charts
    assert fake.count("spreadsheets.batchUpdate") == 3  # init, first refresh, second once
    assert_respond_by_is_each_rows_own(fake, key)


def test_an_init_whose_reply_is_lost_is_not_refused_as_already_done(fake: FakeSheets) -> None:
    backend, key = new_backend(fake)
    fake.fail_next(1, status="drop", kind="spreadsheets.batchUpdate", applied=True)
    tracker.init_tracker(backend)
    titles = [s["properties"]["title"]
              for s in fake.sheet_properties(key, grid_data=False)["sheets"]]
    assert titles == [t.name for t in load_template().tabs]
    assert fake.count("spreadsheets.batchUpdate") == 1


def test_a_write_whose_outcome_cannot_be_checked_says_so(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake, retry=instant(total=10))
    type_rows(fake, key, THREE)
    backend.read()

    def network_goes(request: Request) -> None:
        if request.kind == "spreadsheets.batchUpdate":
            fake.fail_always(status="drop")

    fake.before_request(network_goes)
    fake.reset_requests()
    with pytest.raises(BackendError) as info:
        backend.append([{"Name": "Dora", "Status": "pending"}])
    fake.before_request(None)
    fake.clear_faults()
    message = str(info.value)
    assert message.startswith("Cannot reach Google Sheets while checking whether the new "
                              "enquiries reached Google sheet 'Tracker'")
    assert "may or may not have been added" in message and "before adding them again" in message
    assert fake.count("spreadsheets.batchUpdate") == 1


def test_a_drive_create_whose_reply_is_lost_is_not_sent_again(fake: FakeSheets) -> None:
    fake.fail_next(1, status="timeout", kind="drive.files.create", applied=True)
    with pytest.raises(BackendError) as info:
        GoogleBackend.create_spreadsheet("Enquiries 2026", client=fake.client(), retry=instant())
    assert fake.count("drive.files.create") == 1
    assert len(fake.keys()) == 1  # made once, by the request whose answer was lost
    assert "look in your Google Drive for 'Enquiries 2026'" in str(info.value)
    assert "\n" not in str(info.value)


def test_a_drive_create_refused_for_quota_is_retried(fake: FakeSheets) -> None:
    fake.fail_next(2, status=429, kind="drive.files.create")
    backend = GoogleBackend.create_spreadsheet("Enquiries 2026", client=fake.client(),
                                               retry=instant())
    assert fake.keys() == [backend.key]
    assert fake.count("drive.files.create") == 3


def test_create_spreadsheet_passes_warn_on(fake: FakeSheets) -> None:
    warnings: list[str] = []
    backend = GoogleBackend.create_spreadsheet("T", client=fake.client(), retry=instant(),
                                               warn=warnings.append)
    assert backend._warn == warnings.append


# --------------------------------------------------------------------------- time limit


def test_every_request_timeout_fits_in_what_is_left_of_the_budget(fake: FakeSheets) -> None:
    t = FakeTime()
    client = fake.client()
    session = client.http_client.session
    timeouts: list[Any] = []
    send = session.send

    def recording_send(request: Any, **kwargs: Any) -> Any:
        timeouts.append(kwargs.get("timeout"))
        return send(request, **kwargs)

    session.send = recording_send  # type: ignore[method-assign]
    backend, key = new_backend(fake, client=client, retry=instant(t, total=30))
    tracker.init_tracker(backend)
    assert timeouts and all(timeout == (10, 30) for timeout in timeouts)
    timeouts.clear()
    fake.fail_next(3, status=503, kind="spreadsheets.get")
    backend.read()
    # Waits of 1, 2 and 4 s (rng = 1.0) inside read's 30 s: the tries start at 0, 1, 3 and
    # 7 s, then the values read at 7 s.
    assert timeouts == [(10, 30), (10, 29), (10, 27), (10, 23), (10, 23)]


def test_the_budget_is_shared_by_the_requests_of_one_operation(fake: FakeSheets) -> None:
    t = FakeTime()
    backend, key = new_tracker(fake, retry=instant(t, total=10))
    fake.fail_next(3, status=503, kind="spreadsheets.get")  # 1 + 2 + 4 = 7 s of waiting
    fake.fail_next(3, status=503, kind="values.batchGet")
    with pytest.raises(BackendError, match="HTTP 503"):
        backend.read()
    # The values read had 3 s left: waits of 1 and 2 s, then the 4 s wait would pass 10 s.
    assert t.sleeps == [1, 2, 4, 1, 2]


# --------------------------------------------------------------------------- matching


def test_tab_names_are_matched_ignoring_case_and_spaces(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    ids = {s["properties"]["title"]: s["properties"]["sheetId"]
           for s in fake.sheet_properties(key, grid_data=False)["sheets"]}
    client = fake.client()
    client.http_client.batch_update(key, {"requests": [
        {"updateSheetProperties": {"properties": {"sheetId": ids[title], "title": new},
                                   "fields": "title"}}
        for title, new in (("Enquiries", "enquiries "), ("Summary", "SUMMARY"),
                           ("Settings", "settings"))
    ]})
    tracker.refresh(backend, now=NOW)
    titles = [s["properties"]["title"]
              for s in fake.sheet_properties(key, grid_data=False)["sheets"]]
    assert "Enquiries" not in titles and "Summary" not in titles  # no second copy made
    assert "enquiries " in titles and "SUMMARY" in titles
    grid = fake.get_values(key, "enquiries ")
    respond_by = grid[0].index("Respond by")
    assert {r[0]: r[respond_by] for r in grid[1:]} == {
        name: pytest.approx(serial(when), abs=1e-6) for name, when in RESPOND_BY.items()}
    assert fake.get_values(key, "SUMMARY")[0]  # the refresh rewrote the renamed Summary


def test_a_refresh_photographs_enquiries_into_a_hidden_tab_left_out_of_exports(
        fake: FakeSheets, tmp_path: Path) -> None:
    import openpyxl

    from sheetcrm.sync import export_to_excel

    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    tracker.refresh(backend, now=NOW)
    tabs = {s["properties"]["title"]: s["properties"]
            for s in fake.sheet_properties(key, grid_data=False)["sheets"]}
    assert tabs["sheetcrm check"].get("hidden") is True
    # Before and after the write, side by side: the same names in both photographs.
    photo = fake.get_values(key, "sheetcrm check")
    enquiries = fake.get_values(key, "Enquiries")
    names = [r[0] for r in enquiries[1:]]
    assert [r[0] for r in photo[1:len(names) + 1]] == names
    assert photo[0][0] == "Name" and photo[0].count("Received") == 2
    out = tmp_path / "offline.xlsx"
    export_to_excel(backend, out, now=NOW)
    assert "sheetcrm check" not in openpyxl.load_workbook(out).sheetnames


def _at(key: str) -> int:
    """The 0-based place ``init`` gives a template column."""
    from sheetcrm.template import load_template

    return [c.key for c in load_template().enquiries.columns].index(key)


def _letter(key: str) -> str:
    from sheetcrm.template import column_letter

    return column_letter(_at(key) + 1)


# --------------------------------------------------------------------------- bytes in proportion


def _batch(fake: FakeSheets) -> Request:
    (write,) = [r for r in fake.requests if r.kind == "spreadsheets.batchUpdate"]
    return write


def test_an_unchanged_refresh_sends_no_computed_cell_and_no_owned_tab(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    tracker.refresh(backend, now=NOW)
    fake.reset_requests()
    tracker.refresh(backend, now=NOW)
    # Same clock, same rows: only the photographs, the marker and the meta keys go.
    kinds = _batch(fake).batch_kinds
    assert "addChart" not in kinds and "deleteEmbeddedObject" not in kinds
    cells = [q["updateCells"] for q in _batch(fake).json["requests"] if "updateCells" in q]
    enq_id = fake.sheet_properties(key, grid_data=False)["sheets"][0]["properties"]["sheetId"]
    assert [c for c in cells if c.get("start", c.get("range", {})).get("sheetId") == enq_id
            and "rows" in c] == []
    assert_respond_by_is_each_rows_own(fake, key)


def test_a_later_refresh_sends_only_the_cell_that_changed(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    tracker.refresh(backend, now=NOW)
    # Brian was answered on Tue 3 Nov at 09:00: 2 h on Monday + 1 h on Tuesday = 3 h.
    headers = fake.get_values(key, ENQ)[0]
    fake.set_values(key, ENQ, f"{column_letter(headers.index('Status') + 1)}3", [["contacted"]],
                    input="USER_ENTERED")
    fc = headers.index("First contact") + 1
    fake.set_values(key, ENQ, f"{chr(64 + fc)}3", [["2026-11-03 09:00"]], input="USER_ENTERED")
    fake.reset_requests()
    tracker.refresh(backend, now=NOW)
    written = [q["updateCells"] for q in _batch(fake).json["requests"]
               if "updateCells" in q and "rows" in q["updateCells"]
               and q["updateCells"].get("start", {}).get("rowIndex") == 2]
    # Row 3 (index 2): the SLA wording and the follow-up day changed, and the WhatsApp
    # link no longer carries the first-reply message (its text, the number, is the same).
    sla, follow = headers.index("SLA"), headers.index("Next follow-up")
    link = headers.index("WhatsApp")
    assert sorted(w["start"]["columnIndex"] for w in written) == sorted([sla, follow, link])
    assert by_name(fake, key, "SLA")["Brian"] == "Met in 3h"


def test_id_fills_go_as_one_ranged_write(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    fake.reset_requests()
    tracker.refresh(backend, now=NOW)
    id_col = fake.get_values(key, ENQ)[0].index("ID")
    fills = [q["updateCells"] for q in _batch(fake).json["requests"]
             if "updateCells" in q and q["updateCells"].get("fields") == "userEnteredValue"
             and q["updateCells"].get("start", {}).get("columnIndex") == id_col]
    assert len(fills) == 1
    assert fills[0]["start"]["rowIndex"] == 1
    assert len(fills[0]["rows"]) == 3
    assert column(fake, key, "ID") == ["E0001", "E0002", "E0003"]


def test_an_add_sets_date_formats_per_column_not_per_cell(fake: FakeSheets) -> None:
    backend, key = new_tracker(fake)
    backend.read()
    fake.reset_requests()
    rows = [{"Received": dt.datetime(2026, 11, 2, 9 + i), "Name": f"C{i}"} for i in range(4)]
    backend.append(rows)
    formats = [q["repeatCell"] for q in _batch(fake).json["requests"] if "repeatCell" in q]
    # The four Received cells: one repeatCell over rows 2-5 of the Received column.
    assert [(f["range"]["startRowIndex"], f["range"]["endRowIndex"],
             f["range"]["startColumnIndex"]) for f in formats] == [(1, 5, _at("received"))]
    assert fake.cell(key, ENQ, f"{_letter('received')}5")["userEnteredFormat"]["numberFormat"][
        "type"] == "DATE_TIME"


def test_a_refresh_too_big_for_one_request_goes_in_parts(
    fake: FakeSheets, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    google = importlib.import_module("sheetcrm.backends.google")
    execute = importlib.import_module("sheetcrm.backends.google.execute")
    # Shrink the limit so that three rows need parts: every write is then ~1.5 KB.
    monkeypatch.setattr(google, "MAX_REQUEST_BYTES", 1500)
    monkeypatch.setattr(execute, "MAX_REQUEST_BYTES", 1500)
    monkeypatch.setattr(execute, "PART_MARGIN", 1000)
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    fake.reset_requests()
    tracker.refresh(backend, now=NOW)
    writes = [r for r in fake.requests if r.kind == "spreadsheets.batchUpdate"]
    assert len(writes) > 1
    # The parts carry computed cells only; the IDs and the owned tabs go with the last.
    assert all("addChart" not in w.batch_kinds for w in writes[:-1])
    assert "addChart" in writes[-1].batch_kinds
    assert column(fake, key, "ID") == ["E0001", "E0002", "E0003"]
    assert_respond_by_is_each_rows_own(fake, key)
    assert by_name(fake, key, "SLA")["Amina"].startswith("Overdue")


def test_a_refresh_keeps_the_time_zone_in_step_with_settings(fake: FakeSheets) -> None:
    from sheetcrm.settings import setting_cell

    backend, key = new_tracker(fake)
    cell = setting_cell(load_template(), "timezone", tab="").lstrip("!").replace("$", "")
    fake.set_values(key, "Settings", cell, [["Africa/Nairobi"]], input="RAW")
    fake.reset_requests()
    tracker.refresh(backend, now=NOW)
    props = fake.sheet_properties(key, grid_data=False)["properties"]
    assert props["timeZone"] == "Africa/Nairobi"
    assert "updateSpreadsheetProperties" in _batch(fake).batch_kinds
    # In step now: the next refresh leaves it alone.
    fake.reset_requests()
    tracker.refresh(backend, now=NOW)
    assert "updateSpreadsheetProperties" not in _batch(fake).batch_kinds


def test_formats_and_dropdowns_grow_with_the_tracker(
    fake: FakeSheets, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    render = importlib.import_module("sheetcrm.backends.google.render")
    # init formats rows 2-5001; with a margin of 4998 rows, 3 enquiries (last row 4)
    # already come near the end: 4 + 4998 = 5002 > 5001, so rows 5002-5004 are formatted.
    monkeypatch.setattr(render, "GROW_MARGIN", 4998)
    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE)
    rules_before = len(fake.sheet_properties(key, grid_data=False)["sheets"][0]
                       .get("conditionalFormats", []))
    assert "dataValidation" not in fake.cell(key, ENQ, f"{_letter('status')}5003")
    tracker.refresh(backend, now=NOW)
    status = fake.cell(key, ENQ, f"{_letter('status')}5003")
    assert status["dataValidation"]["condition"]["type"] == "ONE_OF_LIST"
    respond = load_template().enquiries.columns
    col = next(i for i, c in enumerate(respond) if c.key == "respond_by")
    assert fake.cell(key, ENQ, f"{chr(65 + col)}5004")["userEnteredFormat"]["numberFormat"][
        "type"] == "DATE_TIME"
    rules = fake.sheet_properties(key, grid_data=False)["sheets"][0]["conditionalFormats"]
    added = len(load_template().enquiries.conditional_formats)
    assert len(rules) == rules_before + added
    # The new rules start at row 5002: their formulas name row 5002's cells.
    assert all("5002" in r["booleanRule"]["condition"]["values"][0]["userEnteredValue"]
               for r in rules[:added])
    meta = dict((r + [None])[:2] for r in fake.get_values(key, "sheetcrm") if r)
    assert meta["formatted_rows"] == "5004"
    # Far enough from the end now: the next refresh adds nothing.
    tracker.refresh(backend, now=NOW)
    rules_again = fake.sheet_properties(key, grid_data=False)["sheets"][0]["conditionalFormats"]
    assert len(rules_again) == len(rules)


def _link_of(fake: FakeSheets, key: str, name: str) -> str:
    grid = fake.get_values(key, ENQ)
    col = grid[0].index("WhatsApp")
    row = next(i for i, line in enumerate(grid) if len(line) > 1 and "Amina" in line)
    cell = fake.cell(key, ENQ, f"{column_letter(col + 1)}{row + 1}")
    return str(cell["userEnteredFormat"]["textFormat"]["link"]["uri"])


def test_a_link_whose_text_stays_the_same_is_still_rewritten_when_its_message_moves_on(
        fake: FakeSheets) -> None:
    from urllib.parse import unquote

    backend, key = new_tracker(fake)
    type_rows(fake, key, THREE[:1])
    tracker.refresh(backend, now=NOW)
    first = unquote(_link_of(fake, key, "Amina"))
    assert first.startswith("https://wa.me/256772123456?text=") and "thank you for" in first
    # Amina was answered on Tue 3 Nov: on Tue 10 Nov her follow-up is due, and the
    # link's text (the number) is as it was, but its message is the follow-up's.
    headers = fake.get_values(key, ENQ)[0]
    fake.set_values(key, ENQ, f"{column_letter(headers.index('Status') + 1)}2",
                    [["contacted"]], input="USER_ENTERED")
    fake.set_values(key, ENQ, f"{column_letter(headers.index('First contact') + 1)}2",
                    [["2026-11-03 09:00"]], input="USER_ENTERED")
    tracker.refresh(backend, now=NOW)
    later = unquote(_link_of(fake, key, "Amina"))
    assert later != first and "just checking in" in later
    # Nothing moved on since: the next refresh sends no WhatsApp cell.
    fake.reset_requests()
    tracker.refresh(backend, now=NOW)
    col = headers.index("WhatsApp")
    cells = [q["updateCells"] for q in _batch(fake).json["requests"] if "updateCells" in q
             and q["updateCells"].get("start", {}).get("columnIndex") == col]
    assert cells == []
