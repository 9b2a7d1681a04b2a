"""Export a Google tracker to Excel, edit it offline, and sync it back (fake Sheets API)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheetcrm import sync, tracker
from sheetcrm.backends.excel import ExcelBackend
from sheetcrm.backends.google import GoogleBackend
from sheetcrm.errors import InputError, SheetCRMError, TrackerBusy
from sheetcrm.template import load_template
from tests.fake_sheets import FakeSheets, Request
from tests.helpers.clock import serial, three_quick_tries
from tests.helpers.trackers import letter, typed_row

NOW = dt.datetime(2026, 11, 10, 12, 0)
ENQ = "Enquiries"
ROWS = [
    ["2026-11-02 09:00", "Amina", "0772 123456", "WhatsApp", "pending"],
    ["2026-11-02 16:00", "Brian", "0701 234567", "Facebook", "pending"],
    ["2026-11-07 13:00", "Chloe", "0752 345678", "Walk-in", "pending"],
]


@pytest.fixture
def sheet() -> tuple[FakeSheets, str, GoogleBackend]:
    """A refreshed Google tracker with three enquiries (IDs E0001-E0003)."""
    fake = FakeSheets()
    key = fake.create_spreadsheet("Tracker")
    backend = GoogleBackend(fake.url(key), client=fake.client(), retry=three_quick_tries())
    tracker.init_tracker(backend)
    fake.set_values(key, ENQ, "A2", [typed_row(r) for r in ROWS])
    tracker.refresh(backend, now=NOW)
    return fake, key, backend


def exported(sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path) -> Path:
    return sync.export_to_excel(sheet[2], tmp_path / "offline.xlsx", now=NOW)


def edit_offline(path: Path, edits: dict[tuple[str, str], Any]) -> None:
    """The owner edits cells in Excel: (ID, header) -> value; ID "new" appends a row."""
    wb = openpyxl.load_workbook(path)
    ws = wb[ENQ]
    header = [c.value for c in ws[1]]
    rows = {ws.cell(row=r, column=header.index("ID") + 1).value: r
            for r in range(2, ws.max_row + 1)}
    next_row = max(r for r in range(1, ws.max_row + 1)
                   if ws.cell(row=r, column=2).value is not None) + 1
    for (ident, column), value in edits.items():
        r = rows.get(ident)
        if r is None:
            rows[ident] = r = next_row
            next_row += 1
        cell = ws.cell(row=r, column=header.index(column) + 1)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"
    wb.save(path)


def sheet_value(fake: FakeSheets, key: str, ident: str, column: str) -> Any:
    grid = fake.get_values(key, ENQ)
    id_col, col = grid[0].index("ID"), grid[0].index(column)
    for row in grid[1:]:
        if len(row) > id_col and row[id_col] == ident:
            return row[col] if col < len(row) else None
    raise KeyError(ident)


# --------------------------------------------------------------------------- export


def test_export_is_a_complete_refreshable_excel_tracker(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    fake, key, backend = sheet
    fake.reset_requests()
    path = exported(sheet, tmp_path)
    assert fake.count() == 2  # metadata and one batch read of every tab
    copy = ExcelBackend(path)
    snap = copy.read()
    template = load_template()
    for tab in template.tabs:
        assert tab.name in snap.tab_names
    wb = openpyxl.load_workbook(path)
    assert wb[sync.BASE_TAB].sheet_state == "hidden"
    grid = snap.tabs[ENQ]
    # Name A, Respond by C, Received D, ID L.
    assert [r[0] for r in grid[1:4]] == ["Amina", "Brian", "Chloe"]
    assert grid[1][3] == dt.datetime(2026, 11, 2, 9, 0)
    assert [r[11] for r in grid[1:4]] == ["E0001", "E0002", "E0003"]
    # Computed by the refresh after export: Mon 09:00 + 4 business hours = Mon 13:00.
    respond_by = [c.key for c in template.enquiries.columns].index("respond_by")
    assert grid[1][respond_by] == dt.datetime(2026, 11, 2, 13, 0)
    google_settings = tracker.read_settings(backend.read(), template, "g")
    assert tracker.read_settings(snap, template, "x") == google_settings
    # And the copy refreshes like any Excel tracker.
    tracker.refresh(copy, now=NOW)


def test_export_refuses_rows_without_an_id(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    fake, key, backend = sheet
    fake.set_values(key, ENQ, "A5", [typed_row(["2026-11-08 10:00", "Dora", "0772 999999"])])
    with pytest.raises(InputError, match="row 5.*run `sheetcrm refresh`"):
        sync.export_to_excel(backend, tmp_path / "offline.xlsx", now=NOW)
    assert not (tmp_path / "offline.xlsx").exists()


def test_export_keeps_a_column_the_owner_added(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    fake, key, _ = sheet
    fake.set_values(key, ENQ, "P1", [["Delivery area"], ["Ntinda"]])
    path = exported(sheet, tmp_path)
    grid = ExcelBackend(path).read().tabs[ENQ]
    col = grid[0].index("Delivery area")
    assert grid[1][col] == "Ntinda"


# --------------------------------------------------------------------------- sync


def test_offline_edits_and_additions_reach_the_sheet(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    fake, key, backend = sheet
    path = exported(sheet, tmp_path)
    edit_offline(path, {
        ("E0001", "Status"): "contacted",
        ("E0001", "First contact"): dt.datetime(2026, 11, 2, 10, 0),
        ("new", "Received"): dt.datetime(2026, 11, 9, 9, 0),
        ("new", "Name"): "Dora",
        ("new", "Contact"): "0772 999999",
    })
    fake.reset_requests()
    result = sync.sync_from_excel(path, backend, now=NOW)
    assert (result.added, result.updated, result.cells_updated, result.conflicts) == (
        1, 1, 2, []
    )
    # metadata, read, check read, one write, the read of the write's photographs
    assert [r.kind for r in fake.requests] == [
        "spreadsheets.get", "values.batchGet", "values.batchGet", "spreadsheets.batchUpdate",
        "values.batchGet",
    ]
    assert sheet_value(fake, key, "E0001", "Status") == "contacted"
    assert sheet_value(fake, key, "E0001", "First contact") == pytest.approx(
        serial(dt.datetime(2026, 11, 2, 10, 0)))
    names = [r[0] for r in fake.get_values(key, ENQ)[1:]]
    assert names == ["Amina", "Brian", "Chloe", "Dora"]


def test_a_cell_changed_on_both_sides_is_a_conflict_and_nothing_is_lost(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    fake, key, backend = sheet
    path = exported(sheet, tmp_path)
    edit_offline(path, {("E0002", "Notes"): "offline: wants delivery",
                        ("E0003", "Notes"): "same on both"})
    fake.set_values(key, ENQ, f"{letter('Notes')}3", [["phone: asked for price"], ["same on both"]])
    result = sync.sync_from_excel(path, backend, now=NOW)
    assert [(c.id, c.column, c.sheet_value, c.offline_value) for c in result.conflicts] == [
        ("E0002", "Notes", "phone: asked for price", "offline: wants delivery")
    ]
    assert result.updated == 0
    assert sheet_value(fake, key, "E0002", "Notes") == "phone: asked for price"
    log = fake.get_values(key, sync.CONFLICTS_TAB)
    assert log[0] == list(sync.CONFLICT_HEADER)
    assert log[1][1:5] == ["E0002", "Notes", "phone: asked for price",
                           "offline: wants delivery"]


def test_sheet_only_changes_are_kept(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    fake, key, backend = sheet
    path = exported(sheet, tmp_path)
    fake.set_values(key, ENQ, f"{letter('Status')}2", [["converted"]])
    result = sync.sync_from_excel(path, backend, now=NOW)
    assert (result.added, result.updated, result.conflicts) == (0, 0, [])
    assert sheet_value(fake, key, "E0001", "Status") == "converted"


def test_an_offline_id_taken_in_the_sheet_meanwhile_is_left_for_refresh(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    fake, key, backend = sheet
    path = exported(sheet, tmp_path)
    # Offline, a refresh gave a new row E0004; in the sheet, E0004 went to someone else.
    edit_offline(path, {("E0004", "Name"): "Offline Olga", ("E0004", "ID"): "E0004"})
    fake.set_values(key, ENQ, "A5", [typed_row(["2026-11-08 10:00", "Phone Pat", "0772 111111"])])
    tracker.refresh(backend, now=NOW)
    assert sheet_value(fake, key, "E0004", "Name") == "Phone Pat"
    result = sync.sync_from_excel(path, backend, now=NOW)
    assert (result.added, result.renumbered) == (1, 1)
    grid = fake.get_values(key, ENQ)
    olga = next(r for r in grid if r[0] == "Offline Olga")
    assert len(olga) <= 11 or olga[11] in ("", None)  # no ID yet: the next refresh gives one
    tracker.refresh(backend, now=NOW)
    ids = [r[11] for r in fake.get_values(key, ENQ)[1:]]
    assert len(set(ids)) == len(ids) == 5


def test_edit_to_a_row_deleted_in_the_sheet_is_recorded(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    fake, key, backend = sheet
    path = exported(sheet, tmp_path)
    edit_offline(path, {("E0003", "Status"): "converted"})
    fake.delete_rows(key, ENQ, 4)
    result = sync.sync_from_excel(path, backend, now=NOW)
    assert [(c.id, c.column, c.offline_value) for c in result.conflicts] == [
        ("E0003", "Status", "converted")
    ]
    log = fake.get_values(key, sync.CONFLICTS_TAB)
    assert log[1][3] == "(row deleted in the sheet)" and log[1][4] == "converted"


def test_offline_text_that_looks_like_a_formula_stays_text(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    fake, key, backend = sheet
    path = exported(sheet, tmp_path)
    edit_offline(path, {("E0001", "Notes"): '=HYPERLINK("http://evil.example","x")'})
    sync.sync_from_excel(path, backend, now=NOW)
    assert sheet_value(fake, key, "E0001", "Notes") == '=HYPERLINK("http://evil.example","x")'
    assert "formulaValue" not in fake.cell(key, ENQ, f"{letter('Notes')}2")["userEnteredValue"]


def test_sync_redoes_its_read_when_the_owner_edits_meanwhile(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    fake, key, backend = sheet
    path = exported(sheet, tmp_path)
    edit_offline(path, {("E0002", "Status"): "lost"})
    seen = {"n": 0}

    def hook(request: Request) -> None:
        if request.kind == "values.batchGet":
            seen["n"] += 1
            if seen["n"] == 2:  # the check read before the first write
                fake.insert_rows(key, ENQ, 2)

    fake.before_request(hook)
    result = sync.sync_from_excel(path, backend, now=NOW)
    fake.before_request(None)
    assert result.updated == 1
    assert sheet_value(fake, key, "E0002", "Status") == "lost"
    assert sheet_value(fake, key, "E0001", "Status") == "pending"


def test_sync_refuses_a_copy_of_another_sheet(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    fake, _, _ = sheet
    path = exported(sheet, tmp_path)
    other_key = fake.create_spreadsheet("Other")
    other = GoogleBackend(other_key, client=fake.client(), retry=three_quick_tries())
    tracker.init_tracker(other)
    fake.reset_requests()
    with pytest.raises(InputError, match="exported from another Google sheet"):
        sync.sync_from_excel(path, other, now=NOW)
    assert fake.count("spreadsheets.batchUpdate") == 0


def test_sync_refuses_an_excel_tracker_that_was_not_exported(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    _, _, backend = sheet
    plain = ExcelBackend(tmp_path / "plain.xlsx")
    tracker.init_tracker(plain)
    with pytest.raises(InputError, match="was not made by `sheetcrm export`"):
        sync.sync_from_excel(tmp_path / "plain.xlsx", backend, now=NOW)


# --------------------------------------------------------------------------- review fixes


def test_a_failed_export_leaves_no_half_made_file(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    fake, key, backend = sheet
    # Google holds any finite number; Excel's largest is about 1e308, so this Respond by
    # cannot be written, and the error must come while the workbook is only in memory.
    fake.set_values(key, ENQ, f"{letter('Respond by')}2", [[1.7e308]], input="RAW")
    target = tmp_path / "offline.xlsx"
    with pytest.raises(SheetCRMError, match="not a number a spreadsheet can hold"):
        sync.export_to_excel(backend, target, now=NOW)
    # Neither the tracker nor a temporary file; only sheetcrm's (empty) lock file.
    assert [p.name for p in tmp_path.iterdir()] in ([], [".offline.xlsx.sheetcrm.lock"])


def test_export_works_when_the_owner_changed_the_case_of_tab_names(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    fake, key, backend = sheet
    ids = {s["properties"]["title"]: s["properties"]["sheetId"]
           for s in fake.sheet_properties(key, grid_data=False)["sheets"]}
    fake.client().http_client.batch_update(key, {"requests": [
        {"updateSheetProperties": {"properties": {"sheetId": ids[title], "title": new},
                                   "fields": "title"}}
        for title, new in (("Settings", "settings"), ("Enquiries", "ENQUIRIES"))
    ]})
    path = exported(sheet, tmp_path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["Enquiries", "Today"]  # the template's names again
    assert wb["Settings"]["B3"].value == "Africa/Kampala"


def test_a_date_conflict_is_shown_as_a_date(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    fake, key, backend = sheet
    path = exported(sheet, tmp_path)
    edit_offline(path, {("E0001", "First contact"): dt.datetime(2026, 11, 2, 11, 0)})
    fake.set_values(key, ENQ, f"{letter('First contact')}2", [["2026-11-02 10:00"]])
    result = sync.sync_from_excel(path, backend, now=NOW)
    (conflict,) = result.conflicts
    assert conflict.sheet_value == pytest.approx(serial(dt.datetime(2026, 11, 2, 10, 0)))
    assert (conflict.sheet_text, conflict.offline_text) == ("02/11/2026 10:00",
                                                            "02/11/2026 11:00")
    assert result.as_dict()["conflicts"] == [{
        "id": "E0001", "column": "First contact", "sheet_value": "02/11/2026 10:00",
        "offline_value": "02/11/2026 11:00", "row_deleted": False,
    }]
    log = fake.get_values(key, sync.CONFLICTS_TAB, render="FORMATTED_VALUE")
    assert log[1][3:5] == ["02/11/2026 10:00", "02/11/2026 11:00"]


def test_a_cell_emptied_in_the_sheet_is_not_called_a_deleted_row(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    fake, key, backend = sheet
    path = exported(sheet, tmp_path)
    edit_offline(path, {("E0002", "Source"): "Referral"})
    # The owner emptied Brian's Source on the phone.
    fake.set_values(key, ENQ, f"{letter('Source')}3", [[""]])
    edit_offline(path, {("E0003", "Status"): "converted"})
    fake.delete_rows(key, ENQ, 4)  # and deleted Chloe's row
    result = sync.sync_from_excel(path, backend, now=NOW)
    assert [(c.id, c.sheet_text, c.offline_text, c.row_deleted) for c in result.conflicts] == [
        ("E0002", "(blank)", "Referral", False),
        ("E0003", "(row deleted in the sheet)", "converted", True),
    ]


def test_sync_opens_the_offline_copy_once(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, backend = sheet
    path = exported(sheet, tmp_path)
    edit_offline(path, {("E0001", "Status"): "contacted"})
    opened: list[Any] = []
    load = openpyxl.load_workbook

    def counting_load(*args: Any, **kwargs: Any) -> Any:
        opened.append(args[0] if args else kwargs.get("filename"))
        return load(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", counting_load)
    result = sync.sync_from_excel(path, backend, now=NOW)
    assert result.cells_updated == 1
    assert len(opened) == 1


def test_sync_waits_for_the_offline_copy_to_be_closed(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    fake, _, backend = sheet
    path = exported(sheet, tmp_path)
    (tmp_path / f"~${path.name}").write_bytes(b"owner")  # Excel has it open
    fake.reset_requests()
    with pytest.raises(TrackerBusy, match="open in Excel or LibreOffice"):
        sync.sync_from_excel(path, backend, now=NOW)
    assert fake.count() == 0


def test_a_sync_whose_reply_is_lost_adds_the_new_row_once(
    sheet: tuple[FakeSheets, str, GoogleBackend], tmp_path: Path
) -> None:
    fake, key, backend = sheet
    path = exported(sheet, tmp_path)
    edit_offline(path, {("new", "Name"): "Dora", ("new", "Received"): dt.datetime(2026, 11, 9, 9)})
    fake.fail_next(1, status="drop", kind="spreadsheets.batchUpdate", applied=True)
    result = sync.sync_from_excel(path, backend, now=NOW)
    assert result.added == 1
    names = [r[0] for r in fake.get_values(key, ENQ)[1:]]
    assert names == ["Amina", "Brian", "Chloe", "Dora"]
