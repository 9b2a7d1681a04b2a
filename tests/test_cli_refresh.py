"""`sheetcrm refresh`, including bad input: each a one-line error and nothing changed."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from tests.helpers.cli import assert_one_line_error, digest, run
from tests.helpers.trackers import cli_tracker


def make_tracker(tmp_path: Path) -> Path:
    """One enquiry, received on Friday 30 October 2026 at 15:00."""
    return cli_tracker(tmp_path, ("--name", "Sarah N.", "--contact", "0772 123456",
                                  "--source", "WhatsApp", "--received", "30/10/2026 15:00"))


def test_refresh_json(tmp_path: Path) -> None:
    path = make_tracker(tmp_path)
    result = run("refresh", str(path), "--now", "2026-11-02T10:00", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["now"] == "2026-11-02T10:00:00+03:00"
    # Fri 30/10 15:00 + 4 business hours: 3 h on Friday (to 18:00), 1 h on Saturday from
    # 09:00 -> Sat 31/10 10:00; Monday 10:00 is past it.
    assert data["enquiries"] == [{
        "id": "E0001", "row": 2, "sla": "overdue", "respond_by": "2026-10-31T10:00:00+03:00",
        "response_minutes": None, "next_follow_up": None, "problems": [],
        "score": None, "mql": None}]
    assert data["months"][0]["month"] == "2026-10"


def test_refresh_human_summary(tmp_path: Path) -> None:
    path = make_tracker(tmp_path)
    result = run("refresh", str(path), "--now", "2026-11-02T10:00")
    assert result.exit_code == 0, result.output
    assert "1 enquiry: 0 due, 1 overdue" in result.stdout
    # 2/11: no November enquiries yet, so October is the last full month, and says so.
    assert "October 2026 (last full month): 1 enquiry" in result.stdout


def test_refresh_writes_computed_columns(tmp_path: Path) -> None:
    path = make_tracker(tmp_path)
    assert run("refresh", str(path), "--now", "2026-11-02T10:00").exit_code == 0
    ws = openpyxl.load_workbook(path)["Enquiries"]
    header = [c.value for c in ws[1]]
    row = {h: c.value for h, c in zip(header, ws[2], strict=False)}
    assert str(row["SLA"]).startswith("Overdue")
    assert row["ID"] == "E0001"
    assert row["WhatsApp"] == "wa.me/256772123456"


def test_missing_file(tmp_path: Path) -> None:
    result = run("refresh", str(tmp_path / "nope.xlsx"))
    assert_one_line_error(result, "nope.xlsx")


def test_not_a_tracker(tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Just a list"
    wb.save(path)
    before = digest(path)
    result = run("refresh", str(path))
    assert_one_line_error(result, "other.xlsx", "not a sheetcrm tracker")
    assert digest(path) == before


def test_bad_settings_value_names_the_cell(tmp_path: Path) -> None:
    path = make_tracker(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Settings"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "SLA hours")
    ws.cell(row, 2).value = "four"
    wb.save(path)
    before = digest(path)
    result = run("refresh", str(path))
    assert_one_line_error(result, f"Settings!B{row}", "four")
    assert digest(path) == before


def test_unparseable_now(tmp_path: Path) -> None:
    path = make_tracker(tmp_path)
    before = digest(path)
    result = run("refresh", str(path), "--now", "yesterday")
    assert result.exit_code != 0
    assert "yesterday" in result.stderr and "Traceback" not in result.output
    assert digest(path) == before


def test_unreadable_cell_goes_to_problems_and_the_rest_refreshes(tmp_path: Path) -> None:
    path = make_tracker(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Enquiries"]
    header = [c.value for c in ws[1]]
    ws.cell(3, header.index("Name") + 1).value = "Tom K."
    ws.cell(3, header.index("Received") + 1).value = "31/09/2026 10:00"  # no such day
    wb.save(path)
    result = run("refresh", str(path), "--now", "2026-11-02T10:00", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["enquiries"]
    assert rows[0]["sla"] == "overdue"
    assert rows[1]["sla"] == "unknown"
    assert any("Received" in p for p in rows[1]["problems"])


def test_deleted_computed_column_comes_back(tmp_path: Path) -> None:
    path = make_tracker(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Enquiries"]
    header = [c.value for c in ws[1]]
    ws.delete_cols(header.index("Respond by") + 1)
    wb.save(path)
    result = run("refresh", str(path), "--now", "2026-11-02T10:00")
    assert result.exit_code == 0, result.output
    header = [c.value for c in openpyxl.load_workbook(path)["Enquiries"][1]]
    assert "Respond by" in header


def test_now_with_a_day_the_month_does_not_have_says_so(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    result = run("refresh", str(path), "--now", "2026-11-31T10:00")
    assert result.exit_code == 2
    assert "'2026-11-31T10:00' is not a date: November 2026 has only 30 days" in result.stderr
    assert "use the form" not in result.stderr
    wrong_form = run("refresh", str(path), "--now", "next week")
    assert "is not an ISO date-time: use the form 2026-11-02T10:00" in wrong_form.stderr
