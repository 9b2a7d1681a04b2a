"""Behaviour of the fake Sheets API that the recordings do not cover.

Fault injection, request counting, the before_request hook, the owner's
direct-access helpers, atomic batchUpdate, and value input/rendering cases
that matter to sheetcrm (day-first dates, text-formatted phone numbers).
Expected values are worked out by hand in the comments.
"""

from __future__ import annotations

from typing import Any

import gspread
import pytest
import requests
from gspread.utils import DateTimeOption, InsertDataOption, ValueInputOption, ValueRenderOption
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fake_sheets import FakeSheets, FakeSheetsError, Request
from tests.fake_sheets._a1 import col_index, col_letters, parse_cells

# 2026-11-23 as a Sheets serial: 2020-01-01 is 43831 (Google, in the recordings);
# 2020..2025 add 366+365+365+365+366+365 = 2192 -> 2026-01-01 is 46023;
# Jan..Oct 2026 add 31+28+31+30+31+30+31+31+30+31 = 304 -> 1 Nov is 46327, 23 Nov is 46349.
SERIAL_2026_11_23 = 46349
# 09:40 is 580 minutes of 1440.
NINE_FORTY = 580 / 1440


@pytest.fixture
def fake() -> FakeSheets:
    return FakeSheets()


@pytest.fixture
def key(fake: FakeSheets) -> str:
    return fake.create_spreadsheet("Tracker")


@pytest.fixture
def ws(fake: FakeSheets, key: str) -> gspread.Worksheet:
    return fake.client().open_by_key(key).sheet1


def _api_code(excinfo: pytest.ExceptionInfo[gspread.exceptions.APIError]) -> int:
    return excinfo.value.code


# ------------------------------------------------------------------ faults


def test_quota_burst_then_success_changes_nothing_until_it_succeeds(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    fake.fail_next(2, status=429, kind="values.update")
    for _ in range(2):
        with pytest.raises(gspread.exceptions.APIError) as excinfo:
            ws.update([["hello"]], "A1")
        assert _api_code(excinfo) == 429
        assert excinfo.value.error["status"] == "RESOURCE_EXHAUSTED"
        assert "Quota exceeded" in excinfo.value.error["message"]
        assert fake.get_values(key, "Sheet1") == []
    ws.update([["hello"]], "A1")
    assert fake.get_values(key, "Sheet1") == [["hello"]]
    assert fake.count("values.update") == 3


@pytest.mark.parametrize(
    ("status", "name", "message"),
    [
        (500, "INTERNAL", "Internal error encountered."),
        (503, "UNAVAILABLE", "The service is currently unavailable."),
    ],
)
def test_server_errors_are_shaped_like_google(
    fake: FakeSheets, key: str, ws: gspread.Worksheet, status: int, name: str, message: str
) -> None:
    fake.fail_next(status=status)
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        ws.update([["x"]], "B2")
    assert excinfo.value.error == {"code": status, "message": message, "status": name}
    assert fake.get_values(key, "Sheet1") == []


def test_a_failed_batch_update_changes_no_state(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    fake.fail_next(status=500, kind="spreadsheets.batchUpdate")
    with pytest.raises(gspread.exceptions.APIError):
        ws.spreadsheet.add_worksheet("Summary", 10, 5)
    assert [s["properties"]["title"] for s in fake.sheet_properties(key)["sheets"]] == ["Sheet1"]


@pytest.mark.parametrize(
    ("status", "error"),
    [("drop", requests.exceptions.ConnectionError), ("timeout", requests.exceptions.ReadTimeout)],
)
def test_dropped_and_timed_out_requests_raise_and_change_nothing(
    fake: FakeSheets, key: str, ws: gspread.Worksheet, status: str, error: type[Exception]
) -> None:
    fake.fail_next(status=status, kind="values.batchUpdate")
    with pytest.raises(error):
        ws.batch_update([{"range": "A1", "values": [["x"]]}])
    assert fake.get_values(key, "Sheet1") == []
    ws.batch_update([{"range": "A1", "values": [["x"]]}])
    assert fake.get_values(key, "Sheet1") == [["x"]]


def test_a_lost_reply_means_the_request_was_carried_out(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    fake.fail_next(status="timeout", kind="values.append", applied=True)
    with pytest.raises(requests.exceptions.ReadTimeout):
        ws.append_row(["E1"], value_input_option=ValueInputOption.raw)
    # Google did append; a blind retry appends the row a second time.
    ws.append_row(["E1"], value_input_option=ValueInputOption.raw)
    assert fake.get_values(key, "Sheet1") == [["E1"], ["E1"]]


def test_fault_kind_filter_lets_other_requests_through(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    fake.fail_always(status=503, kind="values.get")
    ws.update([["a"]], "A1")
    with pytest.raises(gspread.exceptions.APIError):
        ws.acell("A1")
    with pytest.raises(gspread.exceptions.APIError):
        ws.acell("A1")
    fake.clear_faults()
    assert ws.acell("A1").value == "a"


def test_prefix_kind_filter(fake: FakeSheets, key: str, ws: gspread.Worksheet) -> None:
    fake.fail_next(status=429, kind="values.*")
    with pytest.raises(gspread.exceptions.APIError):
        ws.acell("A1")
    assert ws.acell("A1").value is None


def test_drive_faults_use_drive_error_shape(fake: FakeSheets) -> None:
    fake.fail_next(status=403, kind="drive.files.create")
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        fake.client().create("New")
    assert excinfo.value.error["errors"][0]["reason"] == "rateLimitExceeded"


def test_bad_fault_status_is_rejected(fake: FakeSheets) -> None:
    with pytest.raises(FakeSheetsError):
        fake.fail_next(status="explode")
    with pytest.raises(FakeSheetsError):
        fake.fail_always(status=200)


# ------------------------------------------------------------------ observation


def test_requests_are_recorded_and_counted(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    fake.reset_requests()
    ws.update([["a", "b"]], "A1", value_input_option=ValueInputOption.raw)
    ws.get_values("A1:B1")
    assert [r.kind for r in fake.requests] == ["values.update", "values.get"]
    update = fake.requests[0]
    assert update.method == "PUT"
    assert update.params["valueInputOption"] == "RAW"
    assert update.range == "'Sheet1'!A1"
    assert update.key == key
    assert update.json["values"] == [["a", "b"]]
    assert fake.count() == 2
    assert fake.count("values.get") == 1
    fake.reset_requests()
    assert fake.count() == 0


def test_batch_update_kinds_are_listed(fake: FakeSheets, key: str, ws: gspread.Worksheet) -> None:
    fake.reset_requests()
    ws.freeze(rows=1)
    assert fake.requests[0].batch_kinds == ["updateSheetProperties"]


def test_hook_sees_each_request_before_it_is_applied(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    fake.set_values(key, "Sheet1", "A1", [["ID"], ["E1"], ["E2"]])
    seen: list[str] = []

    def owner_edits(request: Request) -> None:
        seen.append(request.kind)
        # The owner deletes row 2 between our read and our write.
        if request.kind == "values.update":
            fake.delete_rows(key, "Sheet1", 2)

    fake.before_request(owner_edits)
    assert ws.get_values("A1:A3") == [["ID"], ["E1"], ["E2"]]
    ws.update([["done"]], "B3")
    fake.before_request(None)
    ws.get_values("A1")
    assert seen == ["values.get", "values.update"]
    # Row 3 ("E2") moved up to row 2 before our write landed on B3.
    assert fake.get_values(key, "Sheet1") == [["ID"], ["E2"], ["", "done"]]


def test_hook_runs_even_when_the_request_then_fails(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    calls: list[str] = []
    fake.before_request(lambda r: calls.append(r.kind))
    fake.fail_next(status=429)
    with pytest.raises(gspread.exceptions.APIError):
        ws.acell("A1")
    assert calls == ["values.get"]


# ------------------------------------------------------------------ owner helpers


def test_insert_rows_shifts_values_formats_and_merges(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    fake.set_values(key, "Sheet1", "A1", [["h"], ["r2"], ["r3"]])
    ws.format("A3", {"textFormat": {"bold": True}})
    ws.merge_cells("B3:C3")
    fake.insert_rows(key, "Sheet1", 3, count=2)
    assert fake.get_values(key, "Sheet1") == [["h"], ["r2"], [], [], ["r3"]]
    props = fake.sheet_properties(key, grid_data=False)["sheets"][0]
    assert props["properties"]["gridProperties"]["rowCount"] == 1002
    assert props["merges"] == [
        {"startRowIndex": 4, "endRowIndex": 5, "startColumnIndex": 1, "endColumnIndex": 3}
    ]
    assert fake.cell(key, "Sheet1", "A5")["userEnteredFormat"]["textFormat"] == {"bold": True}
    # New rows take the format of the row pushed down (inheritFromBefore=false).
    assert fake.cell(key, "Sheet1", "A3")["userEnteredFormat"]["textFormat"] == {"bold": True}


def test_delete_rows(fake: FakeSheets, key: str) -> None:
    fake.set_values(key, "Sheet1", "A1", [["1"], ["2"], ["3"], ["4"]])
    fake.delete_rows(key, "Sheet1", 2, count=2)
    assert fake.get_values(key, "Sheet1") == [[1], [4]]
    with pytest.raises(FakeSheetsError):
        fake.delete_rows(key, "Sheet1", 999, count=5)


def test_sort_rows_keeps_header_and_puts_blanks_last(fake: FakeSheets, key: str) -> None:
    fake.set_values(key, "Sheet1", "A1", [["Name", "Value"], ["b", "2"], ["", "9"], ["a", "1"]])
    fake.sort_rows(key, "Sheet1", column=1)
    assert fake.get_values(key, "Sheet1") == [["Name", "Value"], ["a", 1], ["b", 2], ["", 9]]
    fake.sort_rows(key, "Sheet1", column=2, reverse=True)
    assert fake.get_values(key, "Sheet1") == [["Name", "Value"], ["", 9], ["b", 2], ["a", 1]]


def test_helpers_reject_unknown_tabs_and_keys(fake: FakeSheets, key: str) -> None:
    with pytest.raises(FakeSheetsError, match="No tab 'Nope'"):
        fake.get_values(key, "Nope")
    with pytest.raises(FakeSheetsError):
        fake.set_values("missing", "Sheet1", "A1", [["x"]])
    with pytest.raises(FakeSheetsError, match="exceeds grid limits"):
        fake.set_values(key, "Sheet1", "A1001", [["x"]])


# ------------------------------------------------------------------ values


def test_raw_keeps_strings_and_user_entered_parses_them(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    ws.update([["=1+1", "0042", "TRUE"]], "A1", value_input_option=ValueInputOption.raw)
    ws.update([["=1+1", "0042", "TRUE"]], "A2", value_input_option=ValueInputOption.user_entered)
    assert fake.get_values(key, "Sheet1") == [["=1+1", "0042", "TRUE"], [2, 42, True]]
    assert fake.get_values(key, "Sheet1", render="FORMULA")[1][0] == "=1+1"


def test_day_first_dates_follow_the_spreadsheet_locale(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    fake.set_values(key, "Sheet1", "A1", [["23/11/2026 09:40"]])
    # en_US reads day/month/year with a month of 23 as text.
    assert fake.get_values(key, "Sheet1") == [["23/11/2026 09:40"]]
    ws.spreadsheet.update_locale("en_GB")
    fake.set_values(key, "Sheet1", "A1", [["23/11/2026 09:40"]])
    (value,) = fake.get_values(key, "Sheet1")[0]
    assert value == pytest.approx(SERIAL_2026_11_23 + NINE_FORTY)
    # Month names are read the same way in every locale.
    fake.set_values(key, "Sheet1", "A1", [["23 Nov 2026"]])
    assert fake.get_values(key, "Sheet1") == [[SERIAL_2026_11_23]]


def test_text_formatted_cells_keep_leading_zeros(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    ws.format("C:C", {"numberFormat": {"type": "TEXT"}})
    fake.set_values(key, "Sheet1", "B1", [["0772123456", "0772123456"]])
    assert fake.get_values(key, "Sheet1") == [["", 772123456, "0772123456"]]


def test_formatted_values_use_number_formats(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    ws.spreadsheet.update_locale("en_GB")
    ws.format("A1", {"numberFormat": {"type": "DATE_TIME", "pattern": "dd/mm/yyyy hh:mm"}})
    ws.format("B1", {"numberFormat": {"type": "NUMBER", "pattern": "#,##0"}})
    ws.format("C1", {"numberFormat": {"type": "PERCENT", "pattern": "0%"}})
    ws.update(
        [[SERIAL_2026_11_23 + NINE_FORTY, 1234567.4, 0.25]], "A1",
        value_input_option=ValueInputOption.raw,
    )
    assert ws.get_values("A1:C1") == [["23/11/2026 09:40", "1,234,567", "25%"]]
    assert ws.get_values(
        "A1:C1", value_render_option=ValueRenderOption.unformatted,
        date_time_render_option=DateTimeOption.formatted_string,
    ) == [["23/11/2026 09:40", 1234567.4, 0.25]]


def test_null_skips_a_cell_and_empty_string_clears_it(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    fake.set_values(key, "Sheet1", "A1", [["a", "b", "c"]])
    ws.update([[None, "", "z"]], "A1", value_input_option=ValueInputOption.raw)
    assert fake.get_values(key, "Sheet1") == [["a", "", "z"]]


def test_empty_range_has_no_values_key(ws: gspread.Worksheet) -> None:
    reply = ws.spreadsheet.values_get("'Sheet1'!A1:C3")
    assert reply == {"range": "Sheet1!A1:C3", "majorDimension": "ROWS"}


def test_range_errors(fake: FakeSheets, key: str, ws: gspread.Worksheet) -> None:
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        ws.spreadsheet.values_get("'Nope'!A1")
    assert excinfo.value.error["message"] == "Unable to parse range: 'Nope'!A1"
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        ws.spreadsheet.values_get("Sheet1!A1:AB2")
    assert excinfo.value.error["message"] == (
        "Range (Sheet1!A1:AB2) exceeds grid limits. Max rows: 1000, max columns: 26"
    )


def test_writing_past_the_requested_range_is_refused(ws: gspread.Worksheet) -> None:
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        ws.update([["a", "b", "c"]], "A1:B1")
    assert "but tried writing to column [C]" in excinfo.value.error["message"]


def test_append_insert_rows_pushes_later_rows_down(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    fake.set_values(key, "Sheet1", "A1", [["h"], ["1"], ["2"], [None], ["note"]])
    ws.append_rows(
        [["3"]], value_input_option=ValueInputOption.raw,
        insert_data_option=InsertDataOption.insert_rows, table_range="A1",
    )
    # The table A1:A3 ends at row 3; a row is inserted at 4, so "note" moves from 5 to 6.
    assert fake.get_values(key, "Sheet1") == [["h"], [1], [2], ["3"], [], ["note"]]
    assert ws.row_count == 1001


def test_values_batch_update_is_atomic(fake: FakeSheets, key: str, ws: gspread.Worksheet) -> None:
    with pytest.raises(gspread.exceptions.APIError):
        ws.spreadsheet.values_batch_update({
            "valueInputOption": "RAW",
            "data": [{"range": "A1", "values": [["ok"]]}, {"range": "Nope!A1", "values": [["x"]]}],
        })
    assert fake.get_values(key, "Sheet1") == []


# ------------------------------------------------------------------ batchUpdate


def test_batch_update_is_all_or_nothing(fake: FakeSheets, key: str, ws: gspread.Worksheet) -> None:
    body: dict[str, Any] = {"requests": [
        {"addSheet": {"properties": {"title": "Summary"}}},
        {"deleteSheet": {"sheetId": 12345}},
    ]}
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        ws.spreadsheet.batch_update(body)
    assert excinfo.value.error["message"] == (
        "Invalid requests[1].deleteSheet: No grid with id: 12345"
    )
    assert [s["properties"]["title"] for s in fake.sheet_properties(key)["sheets"]] == ["Sheet1"]


def test_unknown_request_type_is_a_json_payload_error(ws: gspread.Worksheet) -> None:
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        ws.spreadsheet.batch_update({"requests": [{"frobnicate": {}}]})
    assert excinfo.value.error["message"] == (
        'Invalid JSON payload received. Unknown name "frobnicate" at \'requests[0]\': '
        "Cannot find field."
    )
    assert excinfo.value.error["status"] == "INVALID_ARGUMENT"


def test_misspelt_field_or_enum_fails_the_whole_batch(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    good = {"addSheet": {"properties": {"title": "Summary"}}}
    typo = {"repeatCell": {"range": {"sheetId": 0}, "cell": {"userEnteredFromat": {}},
                           "fields": "userEnteredFormat"}}
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        ws.spreadsheet.batch_update({"requests": [good, typo]})
    assert excinfo.value.error["message"] == (
        'Invalid JSON payload received. Unknown name "userEnteredFromat" at '
        "'requests[1].repeat_cell.cell': Cannot find field."
    )
    bad_enum = {"repeatCell": {"range": {"sheetId": 0}, "cell": {"userEnteredFormat": {
        "numberFormat": {"type": "DATETIME"}}}, "fields": "userEnteredFormat.numberFormat"}}
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        ws.spreadsheet.batch_update({"requests": [bad_enum]})
    assert excinfo.value.error["message"].startswith(
        "Invalid value at 'requests[0].repeat_cell.cell.user_entered_format.number_format.type'"
    )
    assert [s["properties"]["title"] for s in fake.sheet_properties(key)["sheets"]] == ["Sheet1"]


def test_typed_error_literals_and_division_by_zero(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    fake.set_values(key, "Sheet1", "A1", [["#REF!", "=1/0", "#n/a"]])
    assert fake.get_values(key, "Sheet1") == [["#REF!", "#DIV/0!", "#N/A"]]
    assert fake.cell(key, "Sheet1", "A1")["effectiveValue"] == {"errorValue": {"type": "REF"}}
    fake.set_values(key, "Sheet1", "A2", [["#REF!"]], input="RAW")
    assert fake.cell(key, "Sheet1", "A2")["userEnteredValue"] == {"stringValue": "#REF!"}


def test_formulas_the_fake_cannot_evaluate_read_as_na(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    ws.update(
        [["=COUNTIF(B:B,\"x\")", '=HYPERLINK("https://wa.me/256772123456","Chat")', "=2*3+1"]],
        "A1", value_input_option=ValueInputOption.user_entered,
    )
    assert fake.get_values(key, "Sheet1") == [["#N/A", "Chat", 7]]
    assert fake.get_values(key, "Sheet1", render="FORMULA")[0][0] == '=COUNTIF(B:B,"x")'


def test_spreadsheet_properties_and_frozen_rows(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    ws.spreadsheet.batch_update({"requests": [
        {"updateSpreadsheetProperties": {
            "properties": {"locale": "en_GB", "timeZone": "Africa/Kampala"},
            "fields": "locale,timeZone"}},
        {"updateSheetProperties": {
            "properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1,
                                                            "frozenColumnCount": 2}},
            "fields": "gridProperties.frozenRowCount,gridProperties.frozenColumnCount"}},
    ]})
    props = fake.sheet_properties(key, grid_data=False)
    assert props["properties"]["locale"] == "en_GB"
    assert props["properties"]["timeZone"] == "Africa/Kampala"
    grid = props["sheets"][0]["properties"]["gridProperties"]
    assert (grid["frozenRowCount"], grid["frozenColumnCount"]) == (1, 2)


def test_a_whole_grid_properties_mask_resets_what_it_leaves_out(ws: gspread.Worksheet) -> None:
    # fields=gridProperties names rowCount and columnCount too; leaving them out asks for 0 rows.
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        ws.spreadsheet.batch_update({"requests": [{"updateSheetProperties": {
            "properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
            "fields": "gridProperties"}}]})
    assert excinfo.value.error["message"] == (
        "Invalid requests[0].updateSheetProperties: You can't delete all the rows on the sheet."
    )


def test_bad_time_zone_is_refused(ws: gspread.Worksheet) -> None:
    with pytest.raises(gspread.exceptions.APIError):
        ws.spreadsheet.update_timezone("Mars/Olympus")


def test_conditional_formats_charts_and_protection_are_stored(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    rule = {
        "ranges": [{"sheetId": 0, "startRowIndex": 1, "endRowIndex": 100,
                    "startColumnIndex": 0, "endColumnIndex": 5}],
        "booleanRule": {
            "condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": "=$E2<NOW()"}]},
            "format": {"backgroundColor": {"red": 1, "green": 0.8, "blue": 0.8}},
        },
    }
    chart = {"spec": {"title": "Enquiries", "basicChart": {"chartType": "COLUMN", "domains": [
        {"domain": {"sourceRange": {"sources": [{"sheetId": 0, "startRowIndex": 0,
                                                 "endRowIndex": 5, "startColumnIndex": 0,
                                                 "endColumnIndex": 1}]}}}]}},
             "position": {"overlayPosition": {"anchorCell": {"sheetId": 0, "rowIndex": 2,
                                                             "columnIndex": 3}}}}
    reply = ws.spreadsheet.batch_update({"requests": [
        {"addConditionalFormatRule": {"rule": rule, "index": 0}},
        {"addChart": {"chart": chart}},
        {"addProtectedRange": {"protectedRange": {
            "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
            "warningOnly": True, "description": "Written by sheetcrm"}}},
    ]})
    chart_id = reply["replies"][1]["addChart"]["chart"]["chartId"]
    sheet = fake.sheet_properties(key, grid_data=False)["sheets"][0]
    stored_rule = sheet["conditionalFormats"][0]
    assert stored_rule["booleanRule"]["condition"]["values"] == [{"userEnteredValue": "=$E2<NOW()"}]
    # Google keeps 8 bits a channel: 0.8 * 255 = 204 -> 204/255 = 0.8 exactly in float32 terms.
    assert stored_rule["booleanRule"]["format"]["backgroundColor"] == {
        "red": 1, "green": 0.8, "blue": 0.8}
    assert sheet["charts"][0]["chartId"] == chart_id
    assert sheet["protectedRanges"][0]["warningOnly"] is True
    assert sheet["protectedRanges"][0]["description"] == "Written by sheetcrm"
    ws.spreadsheet.batch_update({"requests": [
        {"deleteEmbeddedObject": {"objectId": chart_id}},
        {"deleteConditionalFormatRule": {"sheetId": 0, "index": 0}},
    ]})
    sheet = fake.sheet_properties(key, grid_data=False)["sheets"][0]
    assert "charts" not in sheet and "conditionalFormats" not in sheet


def test_grid_range_outside_the_grid_is_refused(ws: gspread.Worksheet) -> None:
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        ws.spreadsheet.batch_update({"requests": [{"repeatCell": {
            "range": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 5001},
            "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
            "fields": "userEnteredFormat.textFormat.bold"}}]})
    assert "exceeds grid limits" in excinfo.value.error["message"]


def test_validation_and_notes_are_per_cell(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    ws.spreadsheet.batch_update({"requests": [
        {"setDataValidation": {
            "range": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 3,
                      "startColumnIndex": 4, "endColumnIndex": 5},
            "rule": {"condition": {"type": "ONE_OF_LIST", "values": [
                {"userEnteredValue": "pending"}, {"userEnteredValue": "lost"}]},
                "strict": True, "showCustomUi": True}}},
        {"updateCells": {"rows": [{"values": [{"note": "When the enquiry arrived"}]}],
                         "fields": "note", "start": {"sheetId": 0, "rowIndex": 0,
                                                     "columnIndex": 0}}},
    ]})
    assert fake.cell(key, "Sheet1", "E2")["dataValidation"]["strict"] is True
    assert fake.cell(key, "Sheet1", "E4") == {}
    assert fake.cell(key, "Sheet1", "A1") == {"note": "When the enquiry arrived"}


def test_unshared_spreadsheet_is_permission_denied(fake: FakeSheets) -> None:
    key = fake.create_spreadsheet("Private", shared=False)
    with pytest.raises(PermissionError):
        fake.client().open_by_key(key)
    fake.share(key)
    assert fake.client().open_by_key(key).title == "Private"


def test_open_by_url_and_title(fake: FakeSheets, key: str) -> None:
    gc = fake.client()
    assert gc.open_by_url(fake.url(key)).id == key
    assert gc.open("Tracker").id == key
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        gc.open("Not there")


def test_new_spreadsheet_defaults(fake: FakeSheets) -> None:
    sh = fake.client().create("Fresh")
    props = fake.sheet_properties(sh.id, grid_data=False)
    assert props["properties"]["locale"] == "en_US"
    assert props["properties"]["timeZone"] == "Etc/GMT"
    assert props["sheets"][0]["properties"]["gridProperties"] == {
        "rowCount": 1000, "columnCount": 26}


def test_export_other_than_csv_is_refused(fake: FakeSheets, key: str) -> None:
    with pytest.raises(gspread.exceptions.APIError):
        fake.client().export(key, gspread.utils.ExportFormat.EXCEL)


# ------------------------------------------------------------------ properties


_cell_values = st.one_of(
    st.text(max_size=8),
    st.integers(min_value=-10**9, max_value=10**9),
    st.booleans(),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(_cell_values, max_size=5), max_size=6))
def test_raw_values_read_back_as_written(rows: list[list[Any]]) -> None:
    fake = FakeSheets()
    key = fake.create_spreadsheet()
    fake.set_values(key, "Sheet1", "A1", rows, input="RAW")
    # Reading back is the input with trailing empty cells and rows trimmed.
    expected = [list(r) for r in rows]
    for r in expected:
        while r and r[-1] == "":
            r.pop()
    while expected and not expected[-1]:
        expected.pop()
    assert fake.get_values(key, "Sheet1") == expected


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=18277))
def test_column_letters_round_trip(index: int) -> None:
    assert col_index(col_letters(index)) == index


def test_column_letters_by_hand() -> None:
    # Z is the 26th column (index 25); AA follows; ZZ is 26 + 26*26 = 702nd (index 701).
    assert [col_letters(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("A1", (0, 1, 0, 1)),
        ("B2:A1", (0, 2, 0, 2)),
        ("A:C", (None, None, 0, 3)),
        ("2:3", (1, 3, None, None)),
        ("A2:Z", (1, None, 0, 26)),
        ("A1:1", (0, 1, 0, None)),
    ],
)
def test_a1_parsing(text: str, bounds: tuple[int | None, ...]) -> None:
    span = parse_cells(text)
    assert (span.row0, span.row1, span.col0, span.col1) == bounds


def test_copy_paste_values_takes_what_a_formula_shows_and_all_of_a_bigger_source(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    ws.update([[2, 3, "=2*3"], ["x", None, "=6+1"]], "A1", raw=False)
    # A one-cell destination: Google still pastes the whole source ("If the
    # range is smaller than the source range, the entire source data will
    # still be copied"); PASTE_VALUES pastes values only, without formulas.
    ws.spreadsheet.batch_update({"requests": [{"copyPaste": {
        "source": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 2,
                   "startColumnIndex": 0, "endColumnIndex": 3},
        "destination": {"sheetId": 0, "startRowIndex": 4, "endRowIndex": 5,
                        "startColumnIndex": 0, "endColumnIndex": 1},
        "pasteType": "PASTE_VALUES",
    }}]})
    assert fake.get_values(key, "Sheet1")[4:] == [[2, 3, 6], ["x", "", 7]]
    assert "formulaValue" not in fake.cell(key, "Sheet1", "C5").get("userEnteredValue", {})


# --------------------------------------------------------------------------- the discovery document


def test_a_misspelt_fields_mask_in_a_request_is_a_400(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    typo = {"repeatCell": {"range": {"sheetId": 0}, "cell": {"userEnteredFormat": {}},
                           "fields": "userEnteredFromat.numberFormat"}}
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        ws.spreadsheet.batch_update({"requests": [typo]})
    assert excinfo.value.error["code"] == 400
    assert excinfo.value.error["message"] == (
        "Invalid requests[0].repeatCell: Invalid field mask: userEnteredFromat")
    # A nested name is checked against the message it belongs to.
    deep = {"updateSheetProperties": {"properties": {"sheetId": 0},
                                      "fields": "gridProperties.frozenRows"}}
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        ws.spreadsheet.batch_update({"requests": [deep]})
    assert excinfo.value.error["message"].endswith(
        "Invalid field mask: gridProperties.frozenRows")
    # Spelt right, both go through.
    good = {"updateSheetProperties": {"properties": {"sheetId": 0, "gridProperties": {
        "frozenRowCount": 1}}, "fields": "gridProperties.frozenRowCount"}}
    ws.spreadsheet.batch_update({"requests": [good]})
    assert fake.sheet_properties(key, grid_data=False)["sheets"][0]["properties"][
        "gridProperties"]["frozenRowCount"] == 1


def test_a_misspelt_fields_query_is_a_400(ws: gspread.Worksheet) -> None:
    http = ws.client
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        http.fetch_sheet_metadata(ws.spreadsheet_id, {"fields": "sheets(propertes,charts)"})
    assert excinfo.value.error["message"] == "Invalid field selection sheets.propertes"
    reply = http.fetch_sheet_metadata(ws.spreadsheet_id, {"fields": "sheets(properties,charts)"})
    assert reply["sheets"][0]["properties"]["title"] == "Sheet1"


def test_an_unknown_query_parameter_or_enum_is_a_400(ws: gspread.Worksheet) -> None:
    http = ws.client
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        http.values_batch_get(ws.spreadsheet_id, ["Sheet1"], {"valueRenderOptions": "FORMULA"})
    assert excinfo.value.error["message"].startswith(
        'Invalid JSON payload received. Unknown name "valueRenderOptions"')
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        http.values_batch_get(ws.spreadsheet_id, ["Sheet1"], {"valueRenderOption": "RAW"})
    assert excinfo.value.error["code"] == 400
    assert "value_render_option" in excinfo.value.error["message"]


def test_a_chart_spec_is_checked_field_by_field(ws: gspread.Worksheet) -> None:
    def chart(basic: dict[str, Any]) -> dict[str, Any]:
        return {"addChart": {"chart": {"spec": {"title": "T", "basicChart": basic},
                                       "position": {"newSheet": True}}}}

    source = {"sourceRange": {"sources": [{"sheetId": 0, "startRowIndex": 0, "endRowIndex": 3,
                                           "startColumnIndex": 0, "endColumnIndex": 1}]}}
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        ws.spreadsheet.batch_update({"requests": [chart(
            {"chartType": "BAR", "legendPostion": "BOTTOM_LEGEND",
             "domains": [{"domain": source}]})]})
    assert 'Unknown name "legendPostion"' in excinfo.value.error["message"]
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        ws.spreadsheet.batch_update({"requests": [chart(
            {"chartType": "BARS", "domains": [{"domain": source}]})]})
    assert excinfo.value.error["message"].startswith(
        "Invalid value at 'requests[0].add_chart.chart.spec.basic_chart.chart_type'")
