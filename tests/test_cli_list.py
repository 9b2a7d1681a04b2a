"""`sheetcrm list`: the configured trackers, their kind and when each was last refreshed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sheetcrm.backends.base import Backend
from sheetcrm.backends.google import GoogleBackend
from sheetcrm.cli import App, cli
from sheetcrm.opening import OpenOptions, is_google, open_tracker
from tests.fake_sheets import FakeSheets
from tests.helpers.cli import digest, run
from tests.helpers.clock import three_quick_tries


@pytest.fixture(autouse=True)
def no_user_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHEETCRM_LOG_FILE", str(tmp_path / "default.log"))
    monkeypatch.delenv("SHEETCRM_CONFIG", raising=False)


def invoke(fake: FakeSheets, *args: str) -> Result:
    def opener(target: str, options: OpenOptions) -> Backend:
        if is_google(target):
            return GoogleBackend(target, client=fake.client(), retry=three_quick_tries(),
                                 account_email=fake.service_account_email)
        return open_tracker(target, options)

    return CliRunner().invoke(cli, list(args), obj=App(opener=opener), catch_exceptions=False)


def test_list_shows_kind_and_last_refresh_from_each_trackers_own_meta(tmp_path: Path) -> None:
    fake = FakeSheets()
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert run("init", str(a)).exit_code == 0
    assert run("init", str(b)).exit_code == 0
    assert run("refresh", str(a), "--now", "2026-11-02T10:00").exit_code == 0
    key = fake.create_spreadsheet("Wanjiru salon")
    assert invoke(fake, "init", fake.url(key)).exit_code == 0
    assert invoke(fake, "refresh", fake.url(key), "--now", "2026-11-03T09:15").exit_code == 0
    config = tmp_path / "sheetcrm.toml"
    config.write_text(f'[trackers.a]\ntarget = "a.xlsx"\n[trackers.b]\ntarget = "b.xlsx"\n'
                      f'[trackers.w]\ntarget = "{fake.url(key)}"\n'
                      '[trackers.gone]\ntarget = "gone.xlsx"\n', encoding="utf-8")
    before = digest(a)
    result = invoke(fake, "list", "--config", str(config))
    assert result.exit_code == 1  # one tracker cannot be read
    assert result.stderr == "Error: cannot read gone.\n"
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Tracker", "Kind", "Where", "Last", "refreshed"]
    assert lines[1].split() == ["a", "Excel", str(a), "02/11/2026", "10:00"]
    assert lines[2].split() == ["b", "Excel", str(b), "never"]
    assert lines[3].split() == ["w", "Google", "Sheets", fake.url(key), "03/11/2026", "09:15"]
    assert lines[4].startswith("gone") and "cannot tell:" in lines[4]
    assert "gone.xlsx does not exist" in lines[4]
    assert lines[5] == (
        f"Scheduled runs write one line per tracker to {tmp_path / 'default.log'}.")
    assert digest(a) == before
    assert fake.count("spreadsheets.batchUpdate") == 2  # init and refresh: list wrote nothing

    # The time is the tracker's own: change it in the hidden tab and list says so.
    rows = fake.get_values(key, "sheetcrm")
    row = next(i for i, r in enumerate(rows, start=1) if r and r[0] == "last_refresh")
    fake.set_values(key, "sheetcrm", f"B{row}", [["2026-11-04T16:45:00+03:00"]], input="RAW")
    config.write_text(config.read_text().replace('[trackers.gone]\ntarget = "gone.xlsx"\n', ""))
    listed = invoke(fake, "list", "--config", str(config), "--json")
    assert listed.exit_code == 0
    data = json.loads(listed.stdout)
    assert data["trackers"][2] == {"name": "w", "target": fake.url(key), "kind": "Google Sheets",
                                   "last_refresh": "2026-11-04T16:45:00+03:00", "ok": True,
                                   "error": None}
    assert data["trackers"][1]["last_refresh"] is None
    assert len(data["trackers"]) == 3


def test_list_without_a_config_says_where_it_looked(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "conf"))
    result = run("list")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: No sheetcrm.toml found")


def test_list_help_teaches_the_config_file() -> None:
    text = run("list", "--help").stdout
    assert '[trackers.nakato]' in text and 'target = "clients/nakato.xlsx"' in text
    assert "SHEETCRM_CONFIG" in text
