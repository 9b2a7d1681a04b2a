"""`sheetcrm import`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl

from tests.helpers.cli import assert_one_line_error, digest, run
from tests.helpers.trackers import cli_tracker


def test_import_matches_headers_case_insensitively(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    csv_file = tmp_path / "enquiries.csv"
    csv_file.write_text(
        "name,RECEIVED,Contact,source,status\n"
        "Sarah N.,14/10/2026 09:00,0772 123456,WhatsApp,pending\n"
        "\n"
        "Brian O.,15 Oct 2026 10:30,brian@example.com,facebook,Contacted\n",
        encoding="utf-8",
    )
    result = run("import", str(path), str(csv_file))
    assert result.exit_code == 0, result.output
    assert "Imported 2 enquiries" in result.output
    ws = openpyxl.load_workbook(path)["Enquiries"]
    header = [c.value for c in ws[1]]
    rec = header.index("Received") + 1
    assert ws.cell(2, rec).value == dt.datetime(2026, 10, 14, 9, 0)
    assert ws.cell(3, rec).value == dt.datetime(2026, 10, 15, 10, 30)
    assert ws.cell(3, header.index("Source") + 1).value == "Facebook"
    assert ws.cell(3, header.index("Status") + 1).value == "contacted"


def test_import_bad_row_names_the_line_and_adds_nothing(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    csv_file = tmp_path / "enquiries.csv"
    csv_file.write_text(
        "Name,Received\nSarah N.,14/10/2026 09:00\nBrian O.,14/13/2026\n", encoding="utf-8")
    before = digest(path)
    result = run("import", str(path), str(csv_file))
    assert_one_line_error(result, "enquiries.csv line 3", "14/13/2026")
    assert digest(path) == before


def test_import_unknown_column(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    csv_file = tmp_path / "enquiries.csv"
    csv_file.write_text("Name,Phone\nSarah,0772 123456\n", encoding="utf-8")
    assert_one_line_error(run("import", str(path), str(csv_file)), "Phone")


def test_import_missing_csv(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    assert_one_line_error(run("import", str(path), str(tmp_path / "none.csv")), "none.csv")


def test_import_requires_received(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    csv_file = tmp_path / "enquiries.csv"
    csv_file.write_text("Name,Received\nSarah N.,14/10/2026 09:00\nBrian O.,\n", encoding="utf-8")
    before = digest(path)
    assert_one_line_error(run("import", str(path), str(csv_file)), "line 3", "Received")
    assert digest(path) == before


def test_import_repeated_header_is_refused(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    csv_file = tmp_path / "enquiries.csv"
    csv_file.write_text("Name,Received,name\nA,14/10/2026 09:00,B\n", encoding="utf-8")
    assert_one_line_error(run("import", str(path), str(csv_file)), "columns 1 and 3", "Name")


def test_import_stray_values_beyond_the_header_are_refused(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    csv_file = tmp_path / "enquiries.csv"
    csv_file.write_text("Name,Received\nA,14/10/2026 09:00,oops\n", encoding="utf-8")
    assert_one_line_error(run("import", str(path), str(csv_file)), "line 2", "stray comma")


def test_import_control_characters_name_the_line(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    csv_file = tmp_path / "enquiries.csv"
    csv_file.write_text("Name,Received\nA,14/10/2026 09:00\nB\x0cC,14/10/2026 10:00\n",
                        encoding="utf-8")
    before = digest(path)
    result = run("import", str(path), str(csv_file))
    assert_one_line_error(result, "enquiries.csv line 3", "Name", "control characters")
    assert digest(path) == before


def test_import_one_row_message(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    csv_file = tmp_path / "enquiries.csv"
    csv_file.write_text("Name,Received\nA,14/10/2026 09:00\n", encoding="utf-8")
    result = run("import", str(path), str(csv_file))
    assert "Imported 1 enquiry into" in result.output and "(row 2)" in result.output


# --------------------------------------------------------------------------- duplicates

SIX = (
    "Received,Name,Contact,Source\n"
    "02/11/2026 09:00,Ann,0772 123456,WhatsApp\n"
    "02/11/2026 09:30,Ben,ben@example.com,Facebook\n"
    "02/11/2026 10:00,Cate,,Walk-in\n"
    "02/11/2026 10:30,Dan,@dan_k,Instagram\n"
    "03/11/2026,Eve,0701 234567,WhatsApp\n"
    "03/11/2026 11:00,Fred,0772 765432,WhatsApp\n"
)


def names(path: Path) -> list[object]:
    ws = openpyxl.load_workbook(path)["Enquiries"]
    col = [c.value for c in ws[1]].index("Name") + 1
    return [ws.cell(r, col).value for r in range(2, ws.max_row + 1)
            if ws.cell(r, col).value is not None]


def test_importing_the_same_file_twice_adds_nothing_the_second_time(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    csv_file = tmp_path / "enquiries.csv"
    csv_file.write_text(SIX, encoding="utf-8")
    first = run("import", str(path), str(csv_file))
    assert first.exit_code == 0, first.output
    assert "Imported 6 enquiries" in first.output and "skipped" not in first.output
    second = run("import", str(path), str(csv_file))
    assert second.exit_code == 0, second.output
    assert "Imported nothing into" in second.output
    assert "6 already in the tracker, skipped" in second.output
    assert names(path) == ["Ann", "Ben", "Cate", "Dan", "Eve", "Fred"]
    forced = run("import", str(path), str(csv_file), "--allow-duplicates")
    assert "Imported 6 enquiries" in forced.output and "skipped" not in forced.output
    assert names(path) == ["Ann", "Ben", "Cate", "Dan", "Eve", "Fred"] * 2


def test_a_row_typed_differently_but_the_same_enquiry_is_skipped(tmp_path: Path) -> None:
    # The same moment, name and number, written another way: still the same enquiry.
    path = cli_tracker(tmp_path, ("--name", "Ann", "--contact", "+256 772 123456",
                                  "--received", "2 Nov 2026 09:00"))
    csv_file = tmp_path / "enquiries.csv"
    csv_file.write_text("Received,Name,Contact\n02/11/2026 09:00, ann ,0772123456\n"
                        "02/11/2026 09:01,Ann,0772 123456\n"
                        "02/11/2026 09:01,Ann,0772 123456\n", encoding="utf-8")
    result = run("import", str(path), str(csv_file))
    assert result.exit_code == 0, result.output
    assert "Imported 1 enquiry" in result.output
    assert "1 already in the tracker, skipped" in result.output
    assert "1 repeated earlier in the file, skipped" in result.output
    assert names(path) == ["Ann", "Ann"]


def test_rows_without_a_phone_imported_twice_are_flagged_on_refresh(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    csv_file = tmp_path / "enquiries.csv"
    csv_file.write_text("Received,Name,Contact\n02/11/2026 09:30,Ben,ben@example.com\n"
                        "02/11/2026 10:00,Cate,\n", encoding="utf-8")
    assert run("import", str(path), str(csv_file)).exit_code == 0
    assert run("import", str(path), str(csv_file), "--allow-duplicates").exit_code == 0
    result = run("refresh", str(path), "--now", "2026-11-02T12:00", "--json")
    problems = {(r["row"], tuple(r["problems"])) for r in json.loads(result.stdout)["enquiries"]}
    assert problems == {
        (2, ()), (3, ()),
        # An email is compared as a number is (issue 13); Cate has neither.
        (4, ("Possible duplicate of E0001 (same email)",)),
        (5, ("Possible duplicate of E0002 (same name, contact and Received)",)),
    }


# --------------------------------------------------------------------------- separators

def test_a_semicolon_csv_is_read_and_the_separator_named(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    csv_file = tmp_path / "enquiries.csv"
    csv_file.write_text("Received;Name;Notes\n02/11/2026 09:00;Ann;braids, short\n",
                        encoding="utf-8")
    result = run("import", str(path), str(csv_file))
    assert result.exit_code == 0, result.output
    assert "Read enquiries.csv as columns separated by semicolons." in result.output
    ws = openpyxl.load_workbook(path)["Enquiries"]
    header = [c.value for c in ws[1]]
    assert ws.cell(2, header.index("Notes") + 1).value == "braids, short"


def test_a_tab_separated_file_is_read(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    csv_file = tmp_path / "enquiries.csv"
    csv_file.write_text("Received\tName\n02/11/2026 09:00\tAnn\n", encoding="utf-8")
    result = run("import", str(path), str(csv_file))
    assert result.exit_code == 0, result.output
    assert "separated by tabs" in result.output and names(path) == ["Ann"]


# --------------------------------------------------------------------------- the owner's columns

def add_column(path: Path, header: str) -> int:
    wb = openpyxl.load_workbook(path)
    ws = wb["Enquiries"]
    col = ws.max_column + 1
    ws.cell(1, col).value = header
    wb.save(path)
    return col


def test_a_column_the_owner_added_is_imported_into(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    col = add_column(path, "Stylist")
    csv_file = tmp_path / "enquiries.csv"
    csv_file.write_text("Received,Name,STYLIST\n02/11/2026 09:00,Ann,Grace\n"
                        "02/11/2026 09:30,Ben,\n", encoding="utf-8")
    result = run("import", str(path), str(csv_file))
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(path)["Enquiries"]
    assert [ws.cell(r, col).value for r in (2, 3)] == ["Grace", None]


def test_a_column_matching_no_header_is_refused_or_left_out(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    csv_file = tmp_path / "enquiries.csv"
    csv_file.write_text("Received,Name,Colour,SLA\n02/11/2026 09:00,Ann,red,Met\n",
                        encoding="utf-8")
    before = digest(path)
    refused = run("import", str(path), str(csv_file))
    assert_one_line_error(refused, "column 3 'Colour' matches no column", "--ignore-unknown")
    assert digest(path) == before
    result = run("import", str(path), str(csv_file), "--ignore-unknown")
    assert result.exit_code == 0, result.output
    assert "Left out the columns Colour, SLA (sheetcrm works it out)." in result.output
    assert names(path) == ["Ann"]
