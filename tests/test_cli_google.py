"""The CLI on a Google tracker (fake Sheets API): init, add, refresh, report, export, sync, auth."""

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
from tests.helpers.cli import assert_one_line_error
from tests.helpers.clock import three_quick_tries


@pytest.fixture
def fake() -> FakeSheets:
    return FakeSheets()


def invoke(fake: FakeSheets, *args: str) -> Result:
    """Run the CLI with Google links opened on the fake (Excel paths as usual)."""
    def opener(target: str, options: OpenOptions) -> Backend:
        if is_google(target):
            return GoogleBackend(target, client=fake.client(), retry=three_quick_tries(),
                                 account_email=fake.service_account_email)
        return open_tracker(target, options)

    return CliRunner().invoke(cli, list(args), obj=App(opener=opener), catch_exceptions=False)


def tracker(fake: FakeSheets) -> str:
    url = fake.url(fake.create_spreadsheet("Nakato enquiries"))
    result = invoke(fake, "init", url)
    assert result.exit_code == 0, result.output
    assert "Created the tracker Google sheet 'Nakato enquiries'" in result.output
    return url


def test_init_add_refresh_report(fake: FakeSheets) -> None:
    url = tracker(fake)
    assert invoke(fake, "add", url, "--name", "Sarah N.", "--contact", "0772 123456",
                  "--source", "WhatsApp", "--received", "30/10/2026 15:00").exit_code == 0
    result = invoke(fake, "refresh", url, "--now", "2026-11-02T10:00", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # Fri 30/10 15:00 + 3 h to closing + 1 h from Saturday's 09:00 opening = Sat 10:00.
    assert data["enquiries"][0]["respond_by"] == "2026-10-31T10:00:00+03:00"
    assert data["enquiries"][0]["sla"] == "overdue"
    report = invoke(fake, "report", url, "--month", "2026-10", "--json")
    assert json.loads(report.stdout)["months"][0]["total"]["enquiries"] == 1


def test_export_then_sync_back(fake: FakeSheets, tmp_path: Path) -> None:
    url = tracker(fake)
    assert invoke(fake, "add", url, "--name", "Sarah N.", "--received",
                  "30/10/2026 15:00").exit_code == 0
    assert invoke(fake, "refresh", url, "--now", "2026-11-02T10:00").exit_code == 0
    offline = tmp_path / "offline.xlsx"
    result = invoke(fake, "export", url, str(offline), "--now", "2026-11-02T10:00")
    assert result.exit_code == 0, result.output
    # The offline copy is a tracker like any other: add to it and refresh it.
    assert invoke(fake, "add", str(offline), "--name", "Brian O.", "--received",
                  "02/11/2026 11:00").exit_code == 0
    assert invoke(fake, "refresh", str(offline), "--now", "2026-11-02T12:00").exit_code == 0
    result = invoke(fake, "sync", str(offline), url, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["added"], summary["conflicts"]) == (1, [])
    names = [row[0] for row in fake.get_values(fake.keys()[0], "Enquiries")[1:]]
    assert names == ["Sarah N.", "Brian O."]


def test_export_of_an_excel_file_is_refused(fake: FakeSheets, tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    assert invoke(fake, "init", str(path)).exit_code == 0
    assert_one_line_error(invoke(fake, "export", str(path), str(tmp_path / "o.xlsx")),
                          "not a Google Sheets link")


def test_not_shared_names_the_service_account(fake: FakeSheets) -> None:
    url = fake.url(fake.create_spreadsheet("Private", shared=False))
    result = invoke(fake, "refresh", url)
    assert_one_line_error(result, fake.service_account_email, "Share")


def test_not_a_tracker(fake: FakeSheets) -> None:
    url = fake.url(fake.create_spreadsheet("Budget"))
    assert_one_line_error(invoke(fake, "refresh", url), "not a sheetcrm tracker")


def test_quota_exhausted_is_one_line(fake: FakeSheets) -> None:
    url = tracker(fake)
    fake.fail_always(status=429)
    result = invoke(fake, "refresh", url)
    assert_one_line_error(result)
    assert "quota" in result.stderr.lower() or "too many" in result.stderr.lower()


def test_network_down_is_one_line(fake: FakeSheets) -> None:
    url = tracker(fake)
    fake.fail_always(status="drop")
    assert_one_line_error(invoke(fake, "refresh", url), "internet")


def test_no_credentials_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    result = CliRunner().invoke(
        cli, ["refresh", "https://docs.google.com/spreadsheets/d/" + "k" * 44 + "/edit"])
    assert_one_line_error(result, "GOOGLE_APPLICATION_CREDENTIALS")


def test_auth_with_a_missing_client_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["auth", "--client-secrets", str(tmp_path / "no.json")])
    assert_one_line_error(result, "no.json")


def test_init_needs_a_target_or_create(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 2
    assert "TRACKER" in result.stderr
