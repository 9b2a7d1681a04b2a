"""The pure write planner: hand-built grids in, hand-worked positional operations out."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from sheetcrm.errors import ConcurrentEdit, InputError, NotATracker
from sheetcrm.model import Cell, Changes, LogLines, TabContent
from sheetcrm.planner import (
    AddHeader,
    AppendLines,
    InsertRows,
    Plan,
    ReplaceTab,
    SetMeta,
    WriteColumn,
    WriteValue,
    checked_value,
    last_typed_row,
    plan_write,
)
from sheetcrm.template import load_template

T = load_template()
LABEL = "shop.xlsx"
KAMPALA = zoneinfo.ZoneInfo("Africa/Kampala")


def plan(changes: Changes, enquiries: list[list[object]], **other: list[list[object]]) -> Plan:
    grids = {"Enquiries": enquiries, **other}
    return plan_write(changes, grids, T, LABEL)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- columns by header


def test_a_computed_column_is_found_by_header_in_any_case_and_spacing() -> None:
    grid = [
        ["Name", "  sla  ", "ID", "next   FOLLOW-UP"],
        ["Ann", "old", "E0001", None],
    ]
    changes = Changes(computed={"SLA": [Cell("Met in 5m")],
                                "Next follow-up": [Cell(dt.date(2026, 11, 4))]})
    p = plan(changes, grid)
    assert p.enquiry_ops == [
        WriteColumn(col=2, cells=(Cell("Met in 5m"),), style=None, clear_from=3, clear_to=2,
                    runs=((2, 2),)),
        WriteColumn(col=4, cells=(Cell(dt.date(2026, 11, 4)),), style="date", clear_from=3,
                    clear_to=2, runs=((2, 2),)),
    ]


def test_columns_follow_the_owner_when_columns_are_reordered() -> None:
    # The owner dragged SLA to the front and Name to the end.
    grid = [
        ["SLA", "ID", "Received", "Name"],
        [None, None, dt.datetime(2026, 11, 2, 9), "Ann"],
        [None, "E0007", dt.datetime(2026, 11, 2, 10), "Ben"],
    ]
    changes = Changes(computed={"SLA": [Cell("Due in 1h"), Cell("Due in 2h")]},
                      id_fills={2: "E0008"},
                      edits={(3, "Name"): "Benjamin"})
    p = plan(changes, grid)
    assert p.enquiry_ops == [
        WriteColumn(col=1, cells=(Cell("Due in 1h"), Cell("Due in 2h")), style=None,
                    clear_from=4, clear_to=3, runs=((2, 3),)),
        WriteValue(row=2, col=2, value="E0008"),
        WriteValue(row=3, col=4, value="Benjamin"),
    ]


def test_a_missing_computed_column_is_added_after_the_last_used_column() -> None:
    # Row 3 has a note typed in column E with no header: the last used column is E.
    grid = [
        ["Received", "Name", "ID"],
        [dt.datetime(2026, 11, 2, 9), "Ann", "E0001"],
        [None, "Ben", None, None, "scribble"],
    ]
    cells = [Cell(dt.datetime(2026, 11, 2, 13)), Cell(None)]
    p = plan(Changes(computed={"Respond by": cells}), grid)
    assert p.enquiry_ops == [
        AddHeader(col=6, header="Respond by", spec=T.column("respond_by")),
        # Row 3's Respond by is blank and reads blank: only row 2 is sent.
        WriteColumn(col=6, cells=tuple(cells), style="datetime", clear_from=4, clear_to=3,
                    runs=((2, 2),)),
    ]
    assert p.width == 6


def test_two_missing_computed_columns_are_added_in_order() -> None:
    grid = [["Name", "ID"], ["Ann", "E0001"]]
    changes = Changes(computed={"Respond by": [Cell(None)], "SLA": [Cell("Unknown")]})
    p = plan(changes, grid)
    assert p.enquiry_ops == [
        AddHeader(col=3, header="Respond by", spec=T.column("respond_by")),
        WriteColumn(col=3, cells=(Cell(None),), style="datetime", clear_from=3, clear_to=2,
                    runs=()),
        AddHeader(col=4, header="SLA", spec=T.column("sla")),
        WriteColumn(col=4, cells=(Cell("Unknown"),), style=None, clear_from=3, clear_to=2,
                    runs=((2, 2),)),
    ]
    assert p.width == 4


def test_a_missing_header_is_written_in_the_templates_spelling() -> None:
    grid = [["Name"], ["Ann"]]
    p = plan(Changes(computed={"  whatsapp ": [Cell(None)]}), grid)
    assert p.enquiry_ops[0] == AddHeader(col=2, header="WhatsApp", spec=T.column("whatsapp"))


def test_a_header_the_template_lacks_is_added_without_a_spec() -> None:
    grid = [["Name"], ["Ann"]]
    p = plan(Changes(computed={"Rating": [Cell(3)]}), grid)
    assert p.enquiry_ops == [
        AddHeader(col=2, header="Rating", spec=None),
        WriteColumn(col=2, cells=(Cell(3),), style=None, clear_from=3, clear_to=2,
                    runs=((2, 2),)),
    ]


def test_stale_rows_below_the_computed_cells_are_cleared() -> None:
    # Five data rows as read, but the engine now has computed cells for two.
    grid = [["Name", "SLA"]] + [[n, "old"] for n in ("A", "B", "C", "D", "E")]
    p = plan(Changes(computed={"SLA": [Cell("x"), Cell("y")]}), grid)
    (op,) = p.enquiry_ops
    assert isinstance(op, WriteColumn)
    assert (op.clear_from, op.clear_to) == (4, 6)


def test_no_computed_cells_clear_from_row_two() -> None:
    grid = [["Name", "SLA"], [None, "old"], [None, "old"]]
    (op,) = plan(Changes(computed={"SLA": []}), grid).enquiry_ops
    assert op == WriteColumn(col=2, cells=(), style=None, clear_from=2, clear_to=3, runs=())


# --------------------------------------------------------------------------- ID fills


def test_ids_are_filled_only_where_the_cell_is_blank_now() -> None:
    grid = [
        ["Name", "ID"],
        ["Ann"],                  # no ID cell at all
        ["Ben", ""],              # empty text
        ["Cat", "    "],          # spaces only
        ["Dan", "E0042"],         # typed since the read
        ["Eve", None],
    ]
    fills = {2: "E0001", 3: "E0002", 4: "E0003", 5: "E0004", 6: "E0005"}
    p = plan(Changes(id_fills=fills), grid)
    assert p.enquiry_ops == [
        WriteValue(2, 2, "E0001"),
        WriteValue(3, 2, "E0002"),
        WriteValue(4, 2, "E0003"),
        WriteValue(6, 2, "E0005"),
    ]


def test_id_fills_are_planned_in_row_order_and_never_on_the_header() -> None:
    grid = [["ID", "Name"], [None, "Ann"], [None, "Ben"]]
    p = plan(Changes(id_fills={3: "E0002", 1: "E0000", 2: "E0001"}), grid)
    assert p.enquiry_ops == [WriteValue(2, 1, "E0001"), WriteValue(3, 1, "E0002")]


def test_a_missing_id_column_is_added_before_it_is_filled() -> None:
    grid = [["Name", "Source"], ["Ann", "WhatsApp"]]
    p = plan(Changes(id_fills={2: "E0001"}), grid)
    assert p.enquiry_ops == [
        AddHeader(col=3, header="ID", spec=T.column("id")),
        WriteValue(2, 3, "E0001"),
    ]


# --------------------------------------------------------------------------- moved rows


GRID_IDS = [["Name", "ID"], ["Ann", "E0001"], ["Ben", None], ["Cat", "E0003"]]


def test_ids_that_still_match_pass_and_blank_equals_empty_text() -> None:
    changes = Changes(expected_ids=["E0001", "", "E0003"], id_fills={3: "E0002"})
    assert plan(changes, GRID_IDS).enquiry_ops == [WriteValue(3, 2, "E0002")]


def test_rows_added_below_do_not_count_as_a_move() -> None:
    grid = [*GRID_IDS, ["Dan", "E0004"], ["Eve"]]
    changes = Changes(expected_ids=["E0001", None, "E0003"], id_fills={3: "E0002"})
    assert plan(changes, grid).enquiry_ops == [WriteValue(3, 2, "E0002")]


@pytest.mark.parametrize("expected", [
    ["E0003", None, "E0001"],          # rows swapped
    [None, "E0001", None, "E0003"],    # a row inserted above
    ["E0001", None, "E0003", "E0004"],  # a row deleted from the bottom
    ["E0001", "E0002", "E0003"],       # an ID typed when read has been cleared since
])
def test_ids_that_no_longer_match_are_a_concurrent_edit(expected: list[object]) -> None:
    changes = Changes(expected_ids=expected, computed={"SLA": [Cell("x")]})  # type: ignore[arg-type]
    with pytest.raises(ConcurrentEdit, match="shop.xlsx changed since sheetcrm read it"):
        plan(changes, GRID_IDS)


def test_expected_ids_with_no_id_column_is_not_a_tracker() -> None:
    with pytest.raises(NotATracker, match="'ID'"):
        plan(Changes(expected_ids=["E0001"]), [["Name"], ["Ann"]])


def test_no_enquiries_tab_is_not_a_tracker() -> None:
    with pytest.raises(NotATracker, match="no 'Enquiries' tab"):
        plan_write(Changes(), {"Settings": [["Setting"]]}, T, LABEL)


# --------------------------------------------------------------------------- meta


def test_meta_keys_are_updated_in_place_or_appended_below_the_last_key() -> None:
    meta = [["template_version", "1"], ["last_id", "3"], ["note", "Kept by sheetcrm."]]
    changes = Changes(meta={"last_id": "5", "last_refresh": "2026-11-02T10:00:00+03:00",
                            "extra": "x"})
    p = plan(changes, [["Name"]], sheetcrm=meta)
    assert p.meta_tab == "sheetcrm"
    assert p.meta == [
        SetMeta(row=2, key="last_id", value="5", new=False),
        SetMeta(row=4, key="last_refresh", value="2026-11-02T10:00:00+03:00", new=True),
        SetMeta(row=5, key="extra", value="x", new=True),
    ]
    assert not p.positional and not p.empty


def test_meta_goes_below_a_gap_and_the_first_of_a_repeated_key_wins() -> None:
    meta = [["last_id", "3"], [], ["last_id", "9"]]
    p = plan(Changes(meta={"last_id": "4", "template_version": "1"}), [["Name"]], sheetcrm=meta)
    assert p.meta == [SetMeta(1, "last_id", "4", False), SetMeta(4, "template_version", "1", True)]


def test_meta_on_a_missing_meta_tab_starts_at_row_one() -> None:
    p = plan(Changes(meta={"last_id": "1"}), [["Name"]])
    assert p.meta == [SetMeta(1, "last_id", "1", True)]


# --------------------------------------------------------------------------- new rows

OWN = [
    ["Received", "Name", "SLA", "Stylist"],
    [dt.datetime(2026, 11, 2, 9), "Ann", "Met in 5m"],
    [None, None, None, "Joy"],          # only the owner's own column: a row in use
    [None, None, "Overdue by 1h"],      # only a computed value: not in use
    [None, "   ", None, ""],             # only blanks
]


def test_last_typed_row_counts_the_owners_own_columns_but_not_computed_ones() -> None:
    assert last_typed_row(OWN, T) == 3
    assert last_typed_row([["Name", "SLA"]], T) == 1
    assert last_typed_row([], T) == 1
    assert last_typed_row([["Name", "Problems"], [None, "x"], [None, "y"]], T) == 1


def test_new_rows_go_below_the_last_typed_row() -> None:
    changes = Changes(new_rows=[{"name": "Ben", "Received": dt.datetime(2026, 11, 3, 8)},
                                {" STYLIST ": "Amina"}])
    p = plan(changes, OWN)
    assert p.enquiry_ops == [InsertRows(
        row=4,
        rows=((dt.datetime(2026, 11, 3, 8), "Ben", None, None),
              (None, None, None, "Amina")),
        styles=("datetime", "text", None, None),
        given=(frozenset({1, 2}), frozenset({4})),
    )]
    assert p.appended == [4, 5]
    assert not p.positional
    assert p.width == 4


def test_new_rows_on_an_empty_tab_start_at_row_two() -> None:
    p = plan(Changes(new_rows=[{"Status": "pending"}]), [["Name", "Status", "Value"]])
    assert p.enquiry_ops == [InsertRows(row=2, rows=((None, "pending", None),),
                                        styles=("text", None, "money"),
                                        given=(frozenset({2}),))]


def test_a_none_named_in_a_new_row_counts_as_given() -> None:
    p = plan(Changes(new_rows=[{"Name": "Ann", "Value": None}]), [["Name", "Status", "Value"]])
    (op,) = p.enquiry_ops
    assert isinstance(op, InsertRows)
    assert op.rows == (("Ann", None, None),)
    assert op.given == (frozenset({1, 3}),)


def test_new_row_values_are_checked_on_the_way_in() -> None:
    aware = dt.datetime(2026, 11, 2, 9, 30, tzinfo=KAMPALA)
    p = plan(Changes(new_rows=[{"Received": aware}]), [["Received"]])
    (op,) = p.enquiry_ops
    assert isinstance(op, InsertRows)
    assert op.rows == ((dt.datetime(2026, 11, 2, 9, 30),),)


def test_an_unknown_header_in_a_new_row_names_the_header() -> None:
    changes = Changes(new_rows=[{"Name": "Ann"}, {"Name": "Ben", "Stylsit": "Joy"}])
    with pytest.raises(InputError) as err:
        plan(changes, OWN)
    assert "'Stylsit'" in str(err.value)
    assert "Received, Name, SLA, Stylist" in str(err.value)
    assert "nothing was written" in str(err.value)


def test_a_new_row_of_only_blanks_is_refused() -> None:
    changes = Changes(new_rows=[{"Name": "Ann"}, {"Name": "  ", "Stylist": None}])
    with pytest.raises(InputError, match="Enquiry 5 has no values"):
        plan(changes, OWN)


def test_a_bad_value_in_a_new_row_names_the_row_and_header() -> None:
    changes = Changes(new_rows=[{"Name": "Ann\x00"}])
    with pytest.raises(InputError, match="Enquiry 4, Name: the text has control characters"):
        plan(changes, OWN)


# --------------------------------------------------------------------------- edits


def test_an_edit_to_an_unknown_header_names_the_header() -> None:
    with pytest.raises(InputError, match="no 'Colour' column on the Enquiries tab"):
        plan(Changes(edits={(2, "Colour"): "red"}), OWN)


def test_an_edit_to_the_header_row_is_refused() -> None:
    with pytest.raises(InputError, match="'Name'"):
        plan(Changes(edits={(1, "Name"): "Customer"}), OWN)


def test_edits_are_planned_in_row_order() -> None:
    p = plan(Changes(edits={(3, "Stylist"): "Joy B", (2, "name"): "Anne"}), OWN)
    assert p.enquiry_ops == [WriteValue(2, 2, "Anne"), WriteValue(3, 4, "Joy B")]
    assert p.positional


# --------------------------------------------------------------------------- checked_value


@pytest.mark.parametrize("text", ["bell\x07", "nul\x00", "esc\x1b", "del\x7f", "vt\x0b"])
def test_checked_value_refuses_control_characters(text: str) -> None:
    with pytest.raises(InputError, match="^Row 9, Notes: the text has control characters"):
        checked_value(text, "Row 9, Notes")


def test_checked_value_keeps_tabs_and_line_breaks() -> None:
    assert checked_value("a\tb\nc\r\nd", "w") == "a\tb\nc\r\nd"


def test_checked_value_takes_text_up_to_a_cells_limit() -> None:
    assert checked_value("x" * 32767, "w") == "x" * 32767
    with pytest.raises(InputError, match="longer than the 32,767 characters"):
        checked_value("x" * 32768, "w")


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf"), 1e308, -1e308])
def test_checked_value_refuses_numbers_a_spreadsheet_cannot_hold(number: float) -> None:
    with pytest.raises(InputError, match="is not a number a spreadsheet can hold"):
        checked_value(number, "Row 2, Value")


def test_checked_value_refuses_an_int_too_big_for_a_float() -> None:
    with pytest.raises(InputError, match="is not a number a spreadsheet can hold"):
        checked_value(10**400, "Row 2, Value")


@pytest.mark.parametrize("value", [0, -5, 1.5, 9.99999999999999e307, True, False, None,
                                   dt.date(2026, 11, 2), dt.time(9, 30),
                                   dt.datetime(2026, 11, 2, 9, 30)])
def test_checked_value_passes_values_a_sheet_can_hold(value: object) -> None:
    assert checked_value(value, "w") == value  # type: ignore[arg-type]


def test_checked_value_turns_an_aware_datetime_into_its_wall_time() -> None:
    nairobi = dt.datetime(2026, 11, 2, 9, 30, tzinfo=zoneinfo.ZoneInfo("Africa/Nairobi"))
    utc = dt.datetime(2026, 11, 2, 6, 30, tzinfo=dt.UTC)
    assert checked_value(nairobi, "w") == dt.datetime(2026, 11, 2, 9, 30)
    assert checked_value(nairobi, "w").tzinfo is None  # type: ignore[union-attr]
    assert checked_value(utc, "w") == dt.datetime(2026, 11, 2, 6, 30)
    assert checked_value(dt.time(9, 30, tzinfo=dt.UTC), "w") == dt.time(9, 30)


def test_checked_value_refuses_other_objects() -> None:
    with pytest.raises(InputError, match=r"^w: \[1\] cannot be written"):
        checked_value([1], "w")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- log lines

LOG = LogLines(tab="Conflicts", header=["When", "Row"], rows=[["02/11 10:00", 4], ["later", 5]])
LINES = ((Cell("02/11 10:00"), Cell(4)), (Cell("later"), Cell(5)))
HEADER_LINE = (Cell("When", style="header"), Cell("Row", style="header"))


def test_log_lines_on_a_missing_tab_create_it_with_a_header() -> None:
    p = plan(Changes(log=LOG), [["Name"]])
    assert p.log == AppendLines(tab="Conflicts", row=1, rows=(HEADER_LINE, *LINES), create=True)
    assert not p.empty and not p.positional


def test_log_lines_on_an_empty_tab_get_a_header_but_no_create() -> None:
    p = plan(Changes(log=LOG), [["Name"]], Conflicts=[])
    assert p.log == AppendLines(tab="Conflicts", row=1, rows=(HEADER_LINE, *LINES),
                                create=False)


def test_log_lines_go_below_the_last_line_of_an_existing_log() -> None:
    existing = [["When", "Row"], ["01/11 09:00", 2]]
    p = plan(Changes(log=LOG), [["Name"]], Conflicts=existing)
    assert p.log == AppendLines(tab="Conflicts", row=3, rows=LINES, create=False)


def test_a_log_with_no_lines_plans_nothing() -> None:
    p = plan(Changes(log=LogLines(tab="Conflicts", header=["When"], rows=[])), [["Name"]])
    assert p.log is None
    assert p.empty


# --------------------------------------------------------------------------- the plan itself


def test_an_empty_change_is_an_empty_plan() -> None:
    grid = [["Name", "ID"], ["Ann", "E0001"]]
    p = plan(Changes(), grid)
    assert p.empty
    assert not p.positional
    assert p.appended == []
    assert p.width == 2
    assert p.enquiries == "Enquiries"
    assert p.planned == grid


def test_the_planned_grid_is_a_copy() -> None:
    grid = [["Name", "ID"], ["Ann", None]]
    p = plan(Changes(id_fills={2: "E0001"}), grid)
    grid[1][0] = "changed"
    assert p.planned == [["Name", "ID"], ["Ann", None]]


def test_owned_tabs_are_replaced_whole() -> None:
    today = TabContent(rows=[[Cell("To do")]])
    p = plan(Changes(tabs={"Today": today}), [["Name"]])
    assert p.tabs == [ReplaceTab("Today", today)]
    assert not p.empty and not p.positional and p.enquiry_ops == []


def test_width_counts_the_widest_of_the_grid_and_every_operation() -> None:
    grid = [["Name", "ID", "SLA"], ["Ann", None]]
    assert plan(Changes(id_fills={2: "E0001"}), grid).width == 3
    assert plan(Changes(computed={"Problems": [Cell(None)]}), grid).width == 4
    assert plan(Changes(), []).width == 0


def test_positional_is_true_for_header_column_and_value_operations() -> None:
    grid = [["Name", "ID", "SLA"], ["Ann", None]]
    assert plan(Changes(computed={"SLA": [Cell("x")]}), grid).positional
    assert plan(Changes(id_fills={2: "E0001"}), grid).positional
    assert not plan(Changes(new_rows=[{"Name": "Ben"}]), grid).positional


# --------------------------------------------------------------------------- upgrade


def test_upgrade_headers_go_after_the_last_used_column_with_their_spec() -> None:
    from sheetcrm.planner import AddHeader

    p = plan(Changes(headers=["Signals", "Name"]), [["Name", None, "Stylist"], ["Ann"]])
    assert p.enquiry_ops == [AddHeader(col=4, header="Signals", spec=T.column("signals"))]


def test_upgrade_fills_only_cells_blank_at_write_time() -> None:
    from sheetcrm.planner import FillCells

    cells = {(1, 5): Cell("Signal"), (2, 5): Cell("Viewed prices"), (2, 6): Cell(20)}
    p = plan(Changes(fills={"Lists": cells}), [["Name"]],
             Lists=[["Sources", None, None, None, None], [None, None, None, None, "mine"]])
    assert p.fills == [FillCells("Lists", ((1, 5, Cell("Signal")), (2, 6, Cell(20))))]
    assert not p.empty


def test_a_new_tab_is_made_only_when_missing() -> None:
    content = TabContent(rows=[[Cell("Month")]])
    assert [t.name for t in plan(Changes(new_tabs={"Spend": content}), [["Name"]]).tabs] == \
        ["Spend"]
    assert plan(Changes(new_tabs={"Spend": content}), [["Name"]], Spend=[["x"]]).tabs == []


# --------------------------------------------------------------------------- only what changed


def test_only_computed_cells_whose_value_changed_are_written() -> None:
    # Rows 2 and 3 read back as they would be written; row 4 changed; row 5 is new.
    grid = [["Name", "SLA"], ["A", "Met in 5m"], ["B", "Due in 1h"], ["C", "Due in 2h"],
            ["D", None]]
    cells = [Cell("Met in 5m", "good"), Cell("Due in 1h"), Cell("Due in 1h"), Cell("Missed")]
    (op,) = plan(Changes(computed={"SLA": cells}), grid).enquiry_ops
    assert isinstance(op, WriteColumn)
    assert op.runs == ((4, 5),)
    assert op.cells_of(4, 5) == (Cell("Due in 1h"), Cell("Missed"))


def test_a_backend_that_rewrites_columns_whole_gets_the_whole_column_as_its_run() -> None:
    grid = [["Name", "SLA"], ["A", "Met in 5m"], ["B", "Due in 1h"], ["C", "Due in 2h"],
            ["D", None]]
    cells = [Cell("Met in 5m", "good"), Cell("Due in 1h"), Cell("Due in 1h"), Cell("Missed")]
    changes = Changes(computed={"SLA": cells})
    (whole,) = plan_write(changes, {"Enquiries": grid}, T, "t.xlsx",
                          changed_only=False).enquiry_ops
    (changed,) = plan_write(changes, {"Enquiries": grid}, T, "t.xlsx").enquiry_ops
    assert isinstance(whole, WriteColumn) and isinstance(changed, WriteColumn)
    assert whole.runs == ((2, 5),)  # rows 2 to 5: the four cells
    assert changed.runs == ((4, 5),)
    assert whole.cells == changed.cells and whole.clear_from == changed.clear_from == 6


def test_dates_read_back_as_serial_numbers_or_midnight_date_times_are_unchanged() -> None:
    # 02/11/2026 13:00 is serial 46328 + 13/24 = 46328.541666...; Google reads that back.
    # Excel reads a date as a date-time at midnight.
    grid = [["Name", "Respond by", "Next follow-up"],
            ["A", 46328 + 13 / 24, dt.datetime(2026, 11, 4)],
            ["B", 46328.5, dt.datetime(2026, 11, 5)]]
    changes = Changes(computed={
        "Respond by": [Cell(dt.datetime(2026, 11, 2, 13), "datetime"),
                       Cell(dt.datetime(2026, 11, 2, 13), "datetime")],
        "Next follow-up": [Cell(dt.date(2026, 11, 4), "date"),
                           Cell(dt.date(2026, 11, 6), "date")]})
    respond, follow = plan(changes, grid).enquiry_ops
    assert isinstance(respond, WriteColumn) and isinstance(follow, WriteColumn)
    assert respond.runs == ((3, 3),)  # 46328.5 is 12:00, not 13:00
    assert follow.runs == ((3, 3),)


def test_a_flag_the_clock_alone_sets_is_always_written() -> None:
    # The follow-up day is unchanged, but it fell due: its cell is flagged now.
    grid = [["Name", "Next follow-up"], ["A", 46330.0], ["B", 46330.0]]
    cells = [Cell(dt.date(2026, 11, 4), "date_due"), Cell(dt.date(2026, 11, 4), "date")]
    (op,) = plan(Changes(computed={"Next follow-up": cells}), grid).enquiry_ops
    assert isinstance(op, WriteColumn)
    assert op.runs == ((2, 2),)


def test_a_formula_or_a_cell_the_owner_typed_over_is_written() -> None:
    from sheetcrm.model import Formula

    grid = [["Name", "Problems"], ["A", 3], ["B", "typed by the owner"], ["C", None]]
    cells = [Cell(Formula("=1+2")), Cell(None), Cell(None)]
    (op,) = plan(Changes(computed={"Problems": cells}), grid).enquiry_ops
    assert isinstance(op, WriteColumn)
    assert op.runs == ((2, 3),)


def test_an_owned_tab_is_replaced_only_when_its_content_changed() -> None:
    today = TabContent(rows=[[Cell("Due today", "header")], [Cell("Ann")]])
    changes = Changes(tabs={"Today": today})
    grids = {"Enquiries": [["Name"]], "sheetcrm": [["last_id", "4"]]}
    first = plan_write(changes, grids, T, LABEL, existing=["Enquiries", "Today", "sheetcrm"])
    assert first.tabs == [ReplaceTab("Today", today)]
    ((row, key, digest, new),) = [(m.row, m.key, m.value, m.new) for m in first.meta]
    assert (row, key, new) == (2, "digest Today", True)
    # The next write finds that digest on the meta tab: nothing to do.
    grids["sheetcrm"] = [["last_id", "4"], ["digest Today", digest]]
    again = plan_write(changes, grids, T, LABEL, existing=["enquiries", " today ", "sheetcrm"])
    assert again.tabs == [] and again.meta == []
    # Deleted by the owner: written again, whatever the digest says.
    gone = plan_write(changes, grids, T, LABEL, existing=["Enquiries", "sheetcrm"])
    assert gone.tabs == [ReplaceTab("Today", today)]
    # Another row on it: written again, and the new digest replaces the old in place.
    other = TabContent(rows=[[Cell("Due today", "header")], [Cell("Ben")]])
    changed = plan_write(Changes(tabs={"Today": other}), grids, T, LABEL,
                         existing=["Enquiries", "Today", "sheetcrm"])
    assert changed.tabs == [ReplaceTab("Today", other)]
    assert [(m.row, m.key, m.new) for m in changed.meta] == [(2, "digest Today", False)]
    assert changed.meta[0].value != digest


def test_without_the_tab_list_owned_tabs_are_always_replaced() -> None:
    today = TabContent(rows=[[Cell("Due today")]])
    p = plan(Changes(tabs={"Today": today}), [["Name"]], sheetcrm=[["last_id", "4"]])
    assert p.tabs == [ReplaceTab("Today", today)] and p.meta == []


# ------------------------------------------------------------------ links a read cannot see


def _wa(text: str, message: str) -> Cell:
    return Cell(text, "link", f"https://wa.me/{text}?text={message}")


def _meta_of(p: Plan) -> dict[str, str]:
    return {m.key: m.value for m in p.meta}


def test_a_link_that_moved_on_under_the_same_text_is_written_and_only_that_one() -> None:
    grid = [["Name", "WhatsApp"], ["A", "256700000001"], ["B", None], ["C", "256700000003"]]
    first = [_wa("256700000001", "hello"), Cell(None), _wa("256700000003", "hello")]
    # No fingerprints yet (a tracker from before them): the text decides, as before, and
    # the fingerprints are kept: two characters a row, "--" for a row without a link.
    p1 = plan(Changes(computed={"WhatsApp": first}), grid)
    (op1,) = p1.enquiry_ops
    assert isinstance(op1, WriteColumn) and op1.runs == () and op1.relinked == ()
    prints = _meta_of(p1)["links WhatsApp"]
    assert len(prints) == 6 and prints[2:4] == "--"
    meta = [["links WhatsApp", prints]]
    # Same links again: nothing to write, nothing to keep.
    p2 = plan(Changes(computed={"WhatsApp": first}), grid, sheetcrm=meta)
    assert p2.enquiry_ops[0] == op1 and p2.meta == []
    # C's message moved on to a follow-up; its text did not: row 4 only.
    later = [first[0], first[1], _wa("256700000003", "follow-up")]
    (op3,) = plan(Changes(computed={"WhatsApp": later}), grid, sheetcrm=meta).enquiry_ops
    assert isinstance(op3, WriteColumn)
    assert op3.runs == ((4, 4),) and op3.relinked == (4,)


def test_fingerprints_of_a_long_column_go_over_several_meta_keys(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sheetcrm.planner as planner

    monkeypatch.setattr(planner, "META_CELL_CHARS", 4)  # two rows a key
    grid = [["Name", "WhatsApp"]] + [[f"N{i}", f"2567{i}"] for i in range(5)]
    cells = [_wa(f"2567{i}", "hi") for i in range(5)]
    kept = _meta_of(plan(Changes(computed={"WhatsApp": cells}), grid))
    # 5 rows, 10 characters: 4 + 4 + 2 over three keys.
    assert [len(kept[k]) for k in ("links WhatsApp", "links WhatsApp 2", "links WhatsApp 3")] \
        == [4, 4, 2]
    # Two rows deleted: the third key is blanked, not left behind.
    meta = [[k, v] for k, v in kept.items()]
    fewer = _meta_of(plan(Changes(computed={"WhatsApp": cells[:3]}), grid[:4], sheetcrm=meta))
    assert fewer == {"links WhatsApp 2": kept["links WhatsApp 2"][:2], "links WhatsApp 3": ""}
