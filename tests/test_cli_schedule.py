"""`sheetcrm schedule KIND`: prints a schedule with absolute paths to sheetcrm and the config."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.helpers.cli import run
from tests.helpers.schedules import crontab_entries


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "sheetcrm.toml"
    path.write_text('[trackers.nakato]\ntarget = "nakato.xlsx"\n', encoding="utf-8")
    monkeypatch.delenv("SHEETCRM_CONFIG", raising=False)
    return path


def test_cron_from_the_cli_uses_absolute_paths(config: Path, monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("schedule", "cron", "--config", "sheetcrm.toml")  # a relative path given
    assert result.exit_code == 0, result.output
    entries = crontab_entries(result.stdout)
    assert len(entries) == 2
    for _, command in entries:
        words = shlex.split(command)
        assert Path(words[0]).is_absolute() and Path(words[0]).name.startswith("sheetcrm")
        assert words[1:] == ["refresh", "--all", "--quiet", "--config", str(config.resolve())]


def test_the_config_is_found_as_for_refresh_all(config: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEETCRM_CONFIG", str(config))
    result = run("schedule", "systemd", "--hours", "7-19")
    assert result.exit_code == 0, result.output
    assert "OnCalendar=Mon..Sat *-*-* 07..19:00:00 Africa/Kampala" in result.stdout
    assert f"--config {config.resolve()}" in result.stdout


def test_every_kind_prints_something_to_save_or_paste(config: Path) -> None:
    for kind, first in [("cron", "# sheetcrm"), ("systemd", "# Save as"),
                        ("github-actions", "# Save as .github/workflows/"),
                        ("windows", "REM sheetcrm")]:
        result = run("schedule", kind, "--config", str(config))
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(first), kind


def test_a_config_with_a_mistake_gets_no_schedule(tmp_path: Path) -> None:
    path = tmp_path / "sheetcrm.toml"
    path.write_text('[trackers.a]\ntraget = "a.xlsx"\n', encoding="utf-8")
    result = run("schedule", "cron", "--config", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {path}, line 2: unknown key 'traget'")


def test_usage_mistakes_exit_2(config: Path) -> None:
    assert run("schedule", "launchd", "--config", str(config)).exit_code == 2
    assert run("schedule").exit_code == 2
    assert run("schedule", "cron", "--config", str(config), "--hours", "6pm").exit_code == 2


def test_help_teaches_on_its_own() -> None:
    text = run("schedule", "--help").stdout
    for fragment in ("cron", "systemd", "github-actions", "windows", "[trackers.nakato]",
                     'target = "clients/nakato.xlsx"', "sheetcrm list", "2 for a mistake"):
        assert fragment in text, fragment
