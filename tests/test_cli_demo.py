"""`sheetcrm demo`: the main job on the built-in default."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from tests.helpers.cli import assert_one_line_error, run


def test_demo_builds_and_refreshes_a_tracker(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    result = run("demo", str(path), "--now", "2026-11-23T11:00", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert 55 <= len(data["enquiries"]) <= 65
    states = {e["sla"] for e in data["enquiries"]}
    assert {"met", "missed", "overdue"} <= states
    assert len(data["months"]) >= 3
    assert any(e["problems"] for e in data["enquiries"])
    wb = openpyxl.load_workbook(path)
    assert wb["Today"]["A1"].value.startswith("To do")
    assert wb["Summary"]["A1"].value.startswith("Enquiry summary")


def test_demo_is_repeatable_for_the_same_now(tmp_path: Path) -> None:
    one = run("demo", str(tmp_path / "a.xlsx"), "--now", "2026-11-23T11:00", "--json")
    two = run("demo", str(tmp_path / "b.xlsx"), "--now", "2026-11-23T11:00", "--json")
    assert json.loads(one.stdout) == json.loads(two.stdout)


def test_demo_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    assert run("demo", str(path)).exit_code == 0
    assert_one_line_error(run("demo", str(path)), "demo.xlsx")
    assert run("demo", str(path), "--force").exit_code == 0


def test_every_lost_demo_enquiry_says_why(tmp_path: Path) -> None:
    # Feedback on every lead: the demo shows the rule kept, not 15 "Lost reason" problems.
    path = tmp_path / "demo.xlsx"
    assert run("demo", str(path), "--now", "2026-11-02T10:00").exit_code == 0
    ws = openpyxl.load_workbook(path)["Enquiries"]
    headers = [c.value for c in ws[1]]
    status, reason = headers.index("Status"), headers.index("Lost reason")
    lost = [row for row in ws.iter_rows(min_row=2, values_only=True) if row[status] == "lost"]
    assert lost and all(row[reason] for row in lost)
