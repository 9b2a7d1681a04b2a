"""`sheetcrm refresh --all` and `report --all`: every tracker in sheetcrm.toml, one table.

The config holds a working Excel tracker and a working Google one (on the fake
Sheets API) beside one broken each way: a missing file, a damaged file, a
Google sheet not shared with the service account, and a key file that is no key.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from sheetcrm import cli as cli_module
from sheetcrm.backends.base import Backend
from sheetcrm.backends.google import GoogleBackend
from sheetcrm.cli import App, cli
from sheetcrm.opening import OpenOptions, is_google, open_tracker
from tests.fake_sheets import FakeSheets
from tests.helpers.cli import digest, run
from tests.helpers.clock import three_quick_tries
from tests.helpers.trackers import cli_tracker

NOW = "2026-11-02T10:00"  # Monday 2 November 2026, 10:00 in Kampala
SECRET = "SECRET-PRIVATE-KEY-TEXT"


@pytest.fixture(autouse=True)
def no_user_log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Runs never write to the real user's log folder."""
    monkeypatch.setenv("SHEETCRM_LOG_FILE", str(tmp_path / "default.log"))
    monkeypatch.delenv("SHEETCRM_CONFIG", raising=False)


def invoke(fake: FakeSheets, *args: str) -> Result:
    """The CLI with Google links on the fake, unless a key file is given (then the real way)."""
    def opener(target: str, options: OpenOptions) -> Backend:
        if is_google(target) and options.credentials is None:
            return GoogleBackend(target, client=fake.client(), retry=three_quick_tries(),
                                 account_email=fake.service_account_email)
        return open_tracker(target, options)

    return CliRunner().invoke(cli, list(args), obj=App(opener=opener), catch_exceptions=False)


def nakato(folder: Path) -> Path:
    """An Excel tracker: at NOW one enquiry is due, one overdue, one follow-up due, one problem."""
    path = cli_tracker(
        folder,
        # Fri 30/10 15:00 + 4 business hours = Sat 31/10 10:00: overdue on Monday.
        ("--name", "Sarah N.", "--received", "30/10/2026 15:00"),
        # Mon 02/11 09:30 + 4 business hours = 13:30: due at 10:00.
        ("--name", "Brian O.", "--received", "02/11/2026 09:30"),
        # Answered within the hour on Mon 26/10; the first follow-up was due on day 2 (28/10).
        ("--name", "Grace A.", "--received", "26/10/2026 09:00", "--status", "contacted",
         "--first-contact", "26/10/2026 10:00"),
        ("--name", "Peter K.", "--received", "02/11/2026 08:30"),
        name="nakato.xlsx",
    )
    wb = openpyxl.load_workbook(path)
    ws = wb["Enquiries"]
    header = [c.value for c in ws[1]]
    # The owner typed something that is no date over Peter's Received: a Problem.
    ws.cell(row=5, column=header.index("Received") + 1, value="sometime last week")
    wb.save(path)
    return path


@pytest.fixture
def fake() -> FakeSheets:
    return FakeSheets()


@pytest.fixture
def config(tmp_path: Path, fake: FakeSheets) -> Path:
    clients = tmp_path / "clients"
    clients.mkdir()
    nakato(clients)
    (clients / "damaged.xlsx").write_bytes(b"this is not a workbook")
    wanjiru = fake.url(fake.create_spreadsheet("Wanjiru salon"))
    assert invoke(fake, "init", wanjiru).exit_code == 0
    assert invoke(fake, "add", wanjiru, "--name", "Amina W.", "--received",
                  "30/10/2026 15:00").exit_code == 0
    private = fake.url(fake.create_spreadsheet("Okello hardware", shared=False))
    keys = tmp_path / "keys"
    keys.mkdir()
    bad_key = keys / "bad.json"
    bad_key.write_text(json.dumps({"type": "service_account", "private_key": SECRET}))
    bad_key.chmod(0o600)
    fake.reset_requests()
    path = tmp_path / "sheetcrm.toml"
    path.write_text(f'''\
[trackers.nakato]
target = "clients/nakato.xlsx"
[trackers.wanjiru]
target = "{wanjiru}"
[trackers.missing]
target = "clients/gone.xlsx"
[trackers.damaged]
target = "clients/damaged.xlsx"
[trackers.okello]
target = "{private}"
[trackers.badkey]
target = "{wanjiru}"
credentials = "keys/bad.json"
''', encoding="utf-8")
    return path


def table(result: Result) -> dict[str, list[str]]:
    """The closing table's rows by tracker: Due, Overdue, Follow-ups due, Problems,
    Requests, then the result."""
    lines = result.stdout.splitlines()
    header = lines[1].split()
    assert header[:2] == ["Tracker", "Due"], lines
    rows = {}
    for line in lines[2:]:
        cells = line.split(maxsplit=6)
        rows[cells[0]] = cells[1:]
    return rows


def test_one_broken_tracker_each_way_never_stops_the_others(
    fake: FakeSheets, config: Path, tmp_path: Path,
) -> None:
    log = tmp_path / "runs.log"
    result = invoke(fake, "refresh", "--all", "--config", str(config), "--now", NOW,
                    "--log-file", str(log))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == "Refreshed 2 of 6 trackers; 4 failed."
    rows = table(result)
    assert list(rows) == ["nakato", "wanjiru", "missing", "damaged", "okello", "badkey"]
    assert rows["nakato"] == ["1", "1", "1", "1", "-", "ok"]
    # A Google refresh: metadata, the read, the check read, one batchUpdate and the read
    # of the photographs it took (4 reads and 1 write).
    assert rows["wanjiru"] == ["0", "1", "0", "0", "5", "ok"]
    assert rows["missing"][:5] == ["-", "-", "-", "-", "-"]
    assert "gone.xlsx does not exist" in rows["missing"][5]
    assert "damaged.xlsx" in rows["damaged"][5] and "damaged" in rows["damaged"][5]
    # One request, refused, and 403 is not retried.
    assert rows["okello"][4] == "1"
    assert f"not shared with {fake.service_account_email}" in rows["okello"][5]
    assert rows["badkey"][4] == "0"
    assert "bad.json" in rows["badkey"][5]
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: 4 of 6 trackers failed: missing, damaged, okello, badkey.")
    assert "Traceback" not in result.output
    # The working trackers really were refreshed.
    ws = openpyxl.load_workbook(config.parent / "clients" / "nakato.xlsx")["Enquiries"]
    header = [c.value for c in ws[1]]
    assert str(ws.cell(row=2, column=header.index("SLA") + 1).value).startswith("Overdue")


def test_json_is_the_only_thing_on_stdout(fake: FakeSheets, config: Path) -> None:
    result = invoke(fake, "refresh", "--all", "--config", str(config), "--now", NOW, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [t["name"] for t in data["trackers"]] == [
        "nakato", "wanjiru", "missing", "damaged", "okello", "badkey"]
    first = data["trackers"][0]
    assert first == {"name": "nakato", "target": str(config.parent / "clients" / "nakato.xlsx"),
                     "ok": True, "error": None, "due": 1, "overdue": 1, "follow_ups_due": 1,
                     "problems": 1}
    missing = data["trackers"][2]
    assert (missing["ok"], missing["due"]) == (False, None)
    assert "gone.xlsx does not exist" in missing["error"]


def test_only_runs_the_named_trackers_and_exits_0_when_they_all_work(
    fake: FakeSheets, config: Path,
) -> None:
    result = invoke(fake, "refresh", "--only", "wanjiru,nakato", "--config", str(config),
                    "--now", NOW)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Refreshed 2 of 2 trackers."
    assert list(table(result)) == ["nakato", "wanjiru"]
    assert fake.count("spreadsheets.batchUpdate") == 1


def test_report_all_reads_and_writes_nothing(fake: FakeSheets, config: Path) -> None:
    before = digest(config.parent / "clients" / "nakato.xlsx")
    result = invoke(fake, "report", "--all", "--config", str(config), "--now", NOW)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == "Read 2 of 6 trackers; 4 failed."
    rows = table(result)
    assert rows["nakato"] == ["1", "1", "1", "1", "-", "ok"]
    # A report reads: the metadata and one values.batchGet.
    assert rows["wanjiru"] == ["0", "1", "0", "0", "2", "ok"]
    assert digest(config.parent / "clients" / "nakato.xlsx") == before
    assert fake.count("spreadsheets.batchUpdate") == 0


def test_the_log_has_one_line_per_tracker_and_no_credentials(
    fake: FakeSheets, config: Path, tmp_path: Path,
) -> None:
    log = tmp_path / "logs" / "runs.log"
    for _ in range(2):
        invoke(fake, "refresh", "--all", "--config", str(config), "--now", NOW,
               "--log-file", str(log))
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 12
    nakato_lines = [line for line in lines if " refresh nakato " in line]
    assert len(nakato_lines) == 2
    assert "ok due=1 overdue=1 follow_ups_due=1 problems=1" in nakato_lines[0]
    assert any(" refresh missing " in line and "FAILED" in line for line in lines)
    assert SECRET not in log.read_text(encoding="utf-8")


def test_the_log_defaults_to_the_environment_or_user_folder(
    fake: FakeSheets, config: Path, tmp_path: Path,
) -> None:
    invoke(fake, "refresh", "--only", "nakato", "--config", str(config), "--now", NOW)
    assert " refresh nakato " in (tmp_path / "default.log").read_text(encoding="utf-8")


def test_progress_lines_only_on_a_terminal_and_not_with_quiet(
    fake: FakeSheets, config: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ("refresh", "--only", "nakato,missing", "--config", str(config), "--now", NOW)
    assert "[1/2]" not in invoke(fake, *args).stderr  # CliRunner's stderr is no terminal
    monkeypatch.setattr(cli_module, "_stderr_is_terminal", lambda: True)
    shown = invoke(fake, *args).stderr
    assert "[1/2] nakato: ok" in shown and "[2/2] missing: failed" in shown
    assert "[1/2]" not in invoke(fake, *args, "--quiet").stderr


def test_the_config_is_found_from_the_environment(
    config: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHEETCRM_CONFIG", str(config))
    result = run("report", "--only", "nakato", "--now", NOW)
    assert result.exit_code == 0, result.output
    assert list(table(result)) == ["nakato"]


@pytest.mark.parametrize("args", [
    ("refresh",),
    ("refresh", "t.xlsx", "--all"),
    ("refresh", "--all", "--only", "a"),
    ("report", "--all", "--month", "2026-10"),
    ("report",),
])
def test_usage_mistakes_exit_2(args: tuple[str, ...]) -> None:
    assert run(*args).exit_code == 2


def test_a_mistake_in_the_config_is_one_line_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "sheetcrm.toml"
    path.write_text('[trackers.a]\ntaget = "a.xlsx"\n', encoding="utf-8")
    result = run("refresh", "--all", "--config", str(path))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: {path}, line 2: unknown key 'taget' in [trackers.a]: use target or credentials")
    assert run("refresh", "--only", "zz", "--config", str(path)).exit_code == 1


def test_a_tracker_refused_by_googles_quota_fails_alone(tmp_path: Path) -> None:
    """A sheet whose requests keep getting 429 gives up after its retries; the rest run."""
    busy, calm = FakeSheets(), FakeSheets()
    busy_url = busy.url(busy.create_spreadsheet("Busy"))
    calm.create_spreadsheet("Other")  # two fakes make the same keys in the same order
    calm_url = calm.url(calm.create_spreadsheet("Calm"))
    assert busy_url != calm_url
    assert invoke(calm, "init", calm_url).exit_code == 0
    busy.fail_always(status=429)

    def opener(target: str, options: OpenOptions) -> Backend:
        fake = busy if target == busy_url else calm
        return GoogleBackend(target, client=fake.client(), retry=three_quick_tries(),
                             account_email=fake.service_account_email)

    config = tmp_path / "sheetcrm.toml"
    config.write_text(f'[trackers.busy]\ntarget = "{busy_url}"\n'
                      f'[trackers.calm]\ntarget = "{calm_url}"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["refresh", "--all", "--config", str(config), "--now", NOW],
                                obj=App(opener=opener), catch_exceptions=False)
    assert result.exit_code == 1
    rows = table(result)
    # Three tries of the first request (the metadata), all refused.
    assert rows["busy"][4] == "3"
    assert rows["busy"][5].startswith("Google Sheets kept answering too many requests (HTTP 429)")
    assert rows["calm"][5] == "ok"


def test_a_log_that_cannot_be_written_is_a_warning_not_a_failure(
    fake: FakeSheets, config: Path, tmp_path: Path,
) -> None:
    blocker = tmp_path / "a file, not a folder"
    blocker.write_text("")
    log = blocker / "runs.log"
    result = invoke(fake, "refresh", "--only", "nakato", "--config", str(config), "--now", NOW,
                    "--log-file", str(log))
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"Warning: cannot write the log file {log}")
    assert list(table(result)) == ["nakato"]


def test_refresh_help_teaches_the_config_file_and_exit_codes() -> None:
    text = run("refresh", "--help").stdout
    for fragment in ("--all", "--only", "[trackers.nakato]", 'target = "clients/nakato.xlsx"',
                     'credentials = "keys/consultant-sa.json"', "SHEETCRM_CONFIG",
                     "1 when any failed", "2 for a mistake"):
        assert fragment in text, fragment
    init = run("init", "--help").stdout
    assert "Not the sheetcrm.toml list of trackers" in " ".join(init.split())
