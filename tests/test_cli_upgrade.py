"""`sheetcrm upgrade`: an older Excel tracker gains the new parts; a new one has nothing to add."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from tests.helpers.cli import assert_one_line_error, digest, run
from tests.helpers.trackers import cli_tracker, old_tracker


def test_upgrade_an_old_tracker(tmp_path: Path) -> None:
    old_tracker("excel", tmp_path)
    path = tmp_path / "tracker.xlsx"
    result = run("upgrade", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Upgraded {path}: added the Signals column, ")
    assert "Run `sheetcrm refresh`" in result.stdout
    assert "Spend" in openpyxl.load_workbook(path).sheetnames
    assert run("refresh", str(path)).exit_code == 0


def test_a_new_tracker_is_up_to_date(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    before = digest(path)
    result = run("upgrade", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path} is up to date: nothing to add.\n"
    assert digest(path) == before


def test_not_a_tracker_is_one_line(tmp_path: Path) -> None:
    assert_one_line_error(run("upgrade", str(tmp_path / "nothing.xlsx")))
