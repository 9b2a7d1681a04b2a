"""The CLI on a Google tracker (fake Sheets API): init, add, refresh, report, export, sync, auth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sheetcrm.backends.base import Backend
from sheetcrm.backends.google import GoogleBackend
from sheetcrm.cli import App, cli
from sheetcrm.errors import AuthError
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


# ----------------------------------------------------------- credentials, every command

SHEET = "https://docs.google.com/spreadsheets/d/" + "k" * 44 + "/edit"


def _credential_case(case: str, tmp_path: Path) -> tuple[list[str], str]:
    """The --credentials arguments for one kind of unusable credentials, and its message."""
    if case == "none":
        return [], "No Google credentials found"
    if case == "missing":
        return ["--credentials", str(tmp_path / "nowhere.json")], "does not exist"
    path = tmp_path / "key.json"
    if case == "not a key":
        path.write_text("hello, not a key\n")
        expected = "is not a Google key file"
    elif case == "a spreadsheet":  # a binary file that exists: not "check that it exists"
        path = tmp_path / "other.xlsx"
        path.write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xa7\xff\xfe\x90")
        expected = "is not a Google key file"
    else:  # a damaged key: the right shape, an unusable private key
        path.write_text(json.dumps({
            "type": "service_account", "private_key": "SECRET-garbage",
            "client_email": "bot@p.iam.gserviceaccount.com",
            "token_uri": "https://oauth2.googleapis.com/token"}))
        expected = "incomplete or damaged"
    path.chmod(0o600)
    return ["--credentials", str(path)], expected


CREDENTIAL_CASES = ["none", "missing", "not a key", "a spreadsheet", "damaged"]


@pytest.fixture
def no_saved_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))


@pytest.mark.usefixtures("no_saved_credentials")
@pytest.mark.parametrize("case", CREDENTIAL_CASES)
def test_init_create_gives_the_credentials_message_refresh_gives(
        tmp_path: Path, case: str) -> None:
    creds, expected = _credential_case(case, tmp_path)
    refreshed = CliRunner().invoke(cli, ["refresh", SHEET, *creds])
    created = CliRunner().invoke(cli, ["init", "--create", "Salon", *creds])
    assert_one_line_error(refreshed, expected)
    assert_one_line_error(created, expected)
    assert created.stderr.splitlines()[-1] == refreshed.stderr.splitlines()[-1]
    assert "Drive API" not in created.stderr and "SECRET" not in created.stderr
    assert "check that it exists" not in created.stderr


@pytest.mark.usefixtures("no_saved_credentials")
@pytest.mark.parametrize("case", CREDENTIAL_CASES)
def test_every_command_that_loads_credentials_names_the_real_fault(
        tmp_path: Path, case: str) -> None:
    creds, expected = _credential_case(case, tmp_path)
    for name, args in credential_commands(tmp_path).items():
        result = CliRunner().invoke(cli, [*args, *creds])
        assert result.exit_code == 1, (name, result.output)
        assert_one_line_error(result, expected)


def credential_commands(tmp_path: Path) -> dict[str, list[str]]:
    """A run of every command that loads Google credentials, on a Google link."""
    csv_file = tmp_path / "in.csv"
    csv_file.write_text("Received,Name\n23/11/2026 09:40,Sarah N.\n")
    xlsx = tmp_path / "offline.xlsx"
    chat = tmp_path / "chat.txt"
    chat.write_text("12/10/2026, 09:41 - Amina: Hello\n", encoding="utf-8")
    return {
        "init": ["init", SHEET],
        "init --create": ["init", "--create", "Salon"],
        "add": ["add", SHEET, "--name", "Sarah N."],
        "import": ["import", SHEET, str(csv_file)],
        "refresh": ["refresh", SHEET],
        "report": ["report", SHEET],
        "export": ["export", SHEET, str(xlsx)],
        "import-whatsapp": ["import-whatsapp", SHEET, str(chat)],
        "migrate": ["migrate", SHEET, "--to", "zoho", "--out", str(tmp_path / "zoho")],
        "review": ["review", SHEET],
        "upgrade": ["upgrade", SHEET],
    }


def test_every_command_with_credentials_is_in_that_test(tmp_path: Path) -> None:
    # sync reads its offline copy first, so it cannot get as far as the credentials here;
    # list puts each tracker's error in its table (tests/test_cli_list.py).
    takes_credentials = {c.name for c in cli.commands.values()
                         if any(p.name == "credentials" for p in c.params)}
    assert takes_credentials - {"sync", "list"} <= set(credential_commands(tmp_path)), (
        "add the new command to credential_commands")


def test_a_drive_refusal_on_create_still_says_what_to_do(fake: FakeSheets) -> None:
    fake.fail_next(1, status=403, kind="drive.files.create")
    with pytest.raises(AuthError, match="Drive API"):
        GoogleBackend.create_spreadsheet("Salon", client=fake.client(), retry=three_quick_tries())
