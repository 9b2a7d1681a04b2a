"""`sheetcrm report`: prints figures, writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import assert_one_line_error, digest, run
from tests.helpers.trackers import cli_tracker


def tracker(tmp_path: Path) -> Path:
    """Two enquiries in October 2026 and one in November."""
    return cli_tracker(tmp_path, *(("--name", name, "--received", received, "--source", source)
                                   for name, received, source in (
                                       ("Ann", "05/10/2026 09:00", "WhatsApp"),
                                       ("Ben", "06/10/2026 09:00", "Facebook"),
                                       ("Cat", "03/11/2026 09:00", "WhatsApp"))))


def test_report_json_for_one_month_writes_nothing(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    before = digest(path)
    result = run("report", str(path), "--month", "2026-10", "--json",
                 "--now", "2026-11-04T10:00")
    assert result.exit_code == 0, result.output
    months = json.loads(result.stdout)["months"]
    assert [m["month"] for m in months] == ["2026-10"]
    assert months[0]["total"]["enquiries"] == 2
    # Both still pending long past their deadline: 2 overdue, so 2 breaches, no escalation.
    assert months[0]["sla_breaches"] == 2
    assert months[0]["escalate"] is False
    assert digest(path) == before


def test_report_text(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    result = run("report", str(path), "--now", "2026-11-04T10:00")
    assert result.exit_code == 0, result.output
    assert "November 2026" in result.stdout and "October 2026" in result.stdout
    assert result.stdout.index("November 2026") < result.stdout.index("October 2026")


def test_report_bad_month(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    assert_one_line_error(run("report", str(path), "--month", "October"), "2026-10")


def test_report_month_without_enquiries(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    assert_one_line_error(run("report", str(path), "--month", "2025-01"), "2025-01")


def test_report_json_gives_the_average_sales_cycle_as_of_the_last_refresh(
        tmp_path: Path) -> None:
    path = cli_tracker(tmp_path, ("--name", "Dee", "--received", "01/11/2026 09:00",
                                  "--source", "WhatsApp", "--status", "converted",
                                  "--first-contact", "01/11/2026 10:00"))
    before = json.loads(run("report", str(path), "--json", "--now", "2026-11-04T10:00").stdout)
    # No refresh has seen Dee converted yet, and there is no Closed on: not known.
    assert before["average_sales_cycle_days"] is None
    assert run("refresh", str(path), "--now", "2026-11-04T10:00").exit_code == 0
    result = run("report", str(path), "--json", "--now", "2026-11-05T10:00")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["months", "average_sales_cycle_days", "win_back"]
    # First contact 1/11, first seen converted by the refresh of 4/11: 3 days.
    assert data["average_sales_cycle_days"] == 3.0
    text = run("report", str(path), "--now", "2026-11-05T10:00").stdout
    assert "Average sales cycle: 3 days from first contact to converted" in text


def test_report_json_lists_the_enquiries_to_win_back(tmp_path: Path) -> None:
    result = run("report", str(tracker(tmp_path)), "--json", "--now", "2026-11-04T10:00")
    assert result.exit_code == 0, result.output
    # Ann (due 05/10 13:00) and Ben (06/10 13:00) are still pending, overdue by far more
    # than the last follow-up day (7); Cat's reply has been due since 03/11 13:00 only.
    assert json.loads(result.stdout)["win_back"] == ["E0001", "E0002"]


@pytest.mark.parametrize("lock_name", ["~$tracker.xlsx", ".~lock.tracker.xlsx#"])
def test_report_reads_a_tracker_open_in_excel_and_says_the_figures_are_from_the_saved_copy(
        tmp_path: Path, lock_name: str) -> None:
    path = tracker(tmp_path)
    (tmp_path / lock_name).write_text("owner")
    before = digest(path)
    result = run("report", str(path), "--month", "2026-10", "--json",
                 "--now", "2026-11-04T10:00")
    assert result.exit_code == 0, result.output
    # Ann and Ben were received in October 2026.
    assert json.loads(result.stdout)["months"][0]["total"]["enquiries"] == 2
    assert "open in Excel or LibreOffice" in result.stderr
    assert "last saved copy" in result.stderr
    assert digest(path) == before
    assert (tmp_path / lock_name).read_text() == "owner"  # the owner's lock is theirs


def test_report_of_a_closed_tracker_says_nothing_about_saved_copies(tmp_path: Path) -> None:
    result = run("report", str(tracker(tmp_path)), "--now", "2026-11-04T10:00")
    assert result.exit_code == 0, result.output
    assert "saved copy" not in result.output
