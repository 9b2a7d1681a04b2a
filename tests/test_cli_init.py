"""`sheetcrm init`."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from tests.helpers.cli import assert_one_line_error, digest, run


def test_init_creates_a_tracker_with_every_tab(tmp_path: Path) -> None:
    path = tmp_path / "tracker.xlsx"
    result = run("init", str(path))
    assert result.exit_code == 0, result.output
    assert "Created the tracker" in result.output
    wb = openpyxl.load_workbook(path)
    assert {"Enquiries", "Today", "Summary", "Settings", "Lists", "About"} <= set(wb.sheetnames)
    headers = [c.value for c in wb["Enquiries"][1]]
    for header in ("ID", "Received", "Name", "Contact", "Source", "Status", "First contact",
                   "Follow-ups done", "Value", "Notes", "Respond by", "SLA", "Next follow-up",
                   "WhatsApp", "Problems"):
        assert header in headers


def test_init_with_config_seeds_settings(tmp_path: Path) -> None:
    config = tmp_path / "business.toml"
    config.write_text('country = "KE"\ntimezone = "Africa/Nairobi"\nsla_hours = 2\n')
    path = tmp_path / "tracker.xlsx"
    assert run("init", str(path), "--config", str(config)).exit_code == 0
    values = {row[0]: row[1] for row in openpyxl.load_workbook(path)["Settings"].iter_rows(
        values_only=True) if row[0]}
    assert values["Country for public holidays"] == "KE"
    assert values["Time zone"] == "Africa/Nairobi"
    assert values["SLA hours"] == 2


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "tracker.xlsx"
    assert run("init", str(path)).exit_code == 0
    before = digest(path)
    result = run("init", str(path))
    assert_one_line_error(result, "tracker.xlsx")
    assert digest(path) == before


def test_init_bad_config_is_one_line_and_creates_nothing(tmp_path: Path) -> None:
    config = tmp_path / "business.toml"
    config.write_text("sla_hours = \"four\"\n")
    path = tmp_path / "tracker.xlsx"
    result = run("init", str(path), "--config", str(config))
    assert_one_line_error(result, "business.toml", "sla_hours")
    assert not path.exists()


def test_init_rejects_other_file_types(tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "tracker.xls"))
    assert_one_line_error(result, ".xlsx")
