"""`sheetcrm add`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from tests.helpers.cli import assert_one_line_error, digest, run
from tests.helpers.trackers import cli_tracker


def row_values(path: Path, row: int) -> dict[str, object]:
    ws = openpyxl.load_workbook(path)["Enquiries"]
    header = [c.value for c in ws[1]]
    return {h: c.value for h, c in zip(header, ws[row], strict=False)}


def test_add_appends_typed_values(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    result = run("add", str(path), "--name", "Sarah N.", "--contact", "0772 123456",
                 "--source", " whatsapp", "--received", "23/11/2026 09:40", "--value",
                 "250,000")
    assert result.exit_code == 0, result.output
    assert "row 2" in result.output
    row = row_values(path, 2)
    assert row["Received"] == dt.datetime(2026, 11, 23, 9, 40)
    assert row["Source"] == "WhatsApp"
    assert row["Status"] == "pending"
    assert row["Value"] == 250000
    assert row["Contact"] == "0772 123456"


def test_add_defaults_received_to_now(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    assert run("add", str(path), "--name", "Brian O.", "--now", "2026-11-23T08:15").exit_code == 0
    assert row_values(path, 2)["Received"] == dt.datetime(2026, 11, 23, 8, 15)


def test_add_keeps_formula_like_text_as_text(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    assert run("add", str(path), "--name", "=HYPERLINK(\"http://x\")", "--notes", "+1 more",
               "--received", "23/11/2026 09:40").exit_code == 0
    ws = openpyxl.load_workbook(path)["Enquiries"]
    header = [c.value for c in ws[1]]
    name = ws.cell(2, header.index("Name") + 1)
    assert name.value == '=HYPERLINK("http://x")'
    assert name.data_type == "s"


def test_add_bad_date_is_one_line_and_adds_nothing(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    before = digest(path)
    result = run("add", str(path), "--name", "Sarah N.", "--received", "32/13/2026")
    assert_one_line_error(result, "Received", "32/13/2026")
    assert digest(path) == before


def test_add_unknown_source_lists_the_choices(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    result = run("add", str(path), "--name", "Sarah N.", "--source", "Carrier pigeon")
    assert_one_line_error(result, "Carrier pigeon", "Lists")


def test_add_to_missing_file(tmp_path: Path) -> None:
    result = run("add", str(tmp_path / "missing.xlsx"), "--name", "X")
    assert_one_line_error(result, "missing.xlsx")


def test_add_a_day_november_does_not_have_says_so(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    before = digest(path)
    result = run("add", str(path), "--name", "Sarah N.", "--received", "31/11/2026 09:40")
    assert_one_line_error(result, "'31/11/2026 09:40' is not a date: November 2026 has only "
                                  "30 days")
    assert "day first" not in result.stderr
    assert digest(path) == before


def test_add_with_a_first_contact_is_contacted_unless_told_otherwise(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    result = run("add", str(path), "--name", "Sarah N.", "--received", "23/11/2026 09:40",
                 "--first-contact", "23/11/2026 10:15")
    assert result.exit_code == 0, result.output
    assert row_values(path, 2)["Status"] == "contacted"
    refreshed = run("refresh", str(path), "--now", "2026-11-23T12:00")
    assert "Rows with problems" not in refreshed.output


def test_add_refuses_a_first_contact_the_tracker_would_flag(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    before = digest(path)
    pending = run("add", str(path), "--name", "Sarah N.", "--received", "23/11/2026 09:40",
                  "--first-contact", "23/11/2026 10:15", "--status", "pending")
    assert_one_line_error(pending, "a first contact is given, so Status cannot be pending")
    early = run("add", str(path), "--name", "Sarah N.", "--received", "23/11/2026 09:40",
                "--first-contact", "22/11/2026 10:15")
    assert_one_line_error(early, "First contact is before Received")
    assert digest(path) == before
