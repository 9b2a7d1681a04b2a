"""`sheetcrm import`."""

from __future__ import annotations

import datetime as dt
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
