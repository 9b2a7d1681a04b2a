"""The ready schedules, each checked by the tool that runs it (or, for cron, by its grammar).

systemd units are checked with ``systemd-analyze verify`` and the GitHub
workflow with ``check-jsonschema --builtin-schema vendor.github-workflows``
(the schema ships inside the package, so this works offline).  CI installs
both (.ci/run); locally a missing ``systemd-analyze`` skips its test.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sheetcrm import schedules
from sheetcrm.errors import InputError
from sheetcrm.schedules.spec import ScheduleSpec, parse_hours
from tests.helpers.schedules import crontab_entries


def program(tmp_path: Path, name: str = "sheetcrm") -> Path:
    """A stand-in for the installed program: an executable file at an absolute path."""
    path = tmp_path / "venv bin" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def spec(tmp_path: Path, config_name: str = "sheetcrm.toml") -> ScheduleSpec:
    config = tmp_path / "clients" / config_name
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[trackers.a]\ntarget = "a.xlsx"\n')
    return schedules.spec_for(config, program=str(program(tmp_path)))


# --------------------------------------------------------------------------- cron


def test_cron_is_two_entries_hourly_in_opening_hours_and_monday_morning(tmp_path: Path) -> None:
    s = spec(tmp_path)
    [crontab] = schedules.render("cron", s)
    entries = crontab_entries(crontab.text)
    assert [fields for fields, _ in entries] == [
        ["0", "8-18", "*", "*", "1-6"],  # cron counts Sunday as 0: 1-6 is Monday to Saturday
        ["30", "7", "*", "*", "1"],
    ]
    for _, command in entries:
        # No redirection into a folder that may not exist: the run log needs none.
        assert ">" not in command
        words = shlex.split(command.replace("\\%", "%"))
        assert words == [s.program, "refresh", "--all", "--quiet", "--config", s.config]
        assert Path(words[0]).is_absolute() and os.access(words[0], os.X_OK)
        assert Path(words[-1]).is_file()


def test_cron_escapes_percent_and_quotes_spaces(tmp_path: Path) -> None:
    s = spec(tmp_path, "100% clients.toml")
    [crontab] = schedules.render("cron", s)
    (_, command), _ = crontab_entries(crontab.text)
    assert "100\\%" in command and "100%" not in command.replace("\\%", "")
    assert shlex.split(command.replace("\\%", "%"))[-1] == s.config


def test_the_hours_are_a_range(tmp_path: Path) -> None:
    assert parse_hours("7-19") == (7, 19)
    assert parse_hours("08:00-17:00") == (8, 17)
    for bad in ("19-7", "8", "8-24", "eight-six"):
        with pytest.raises(InputError, match="--hours"):
            parse_hours(bad)


# --------------------------------------------------------------------------- systemd


def systemd_analyze() -> str:
    path = shutil.which("systemd-analyze")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing: .ci/run should have installed systemd")
        pytest.skip("systemd-analyze is needed: apt-get install systemd")
    return path


def test_systemd_service_and_timer_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = systemd_analyze()
    s = spec(tmp_path)
    files = schedules.render("systemd", s)
    assert [f.where for f in files] == ["~/.config/systemd/user/sheetcrm-refresh.service",
                                        "~/.config/systemd/user/sheetcrm-refresh.timer"]
    units = tmp_path / "units"
    units.mkdir()
    for f in files:
        (units / Path(f.where).name).write_text(f.text)
    done = subprocess.run([analyze, "verify", "sheetcrm-refresh.service", "sheetcrm-refresh.timer"],
                          cwd=units, capture_output=True, text=True, timeout=60)
    # verify only warns about a bad OnCalendar, so a clean run says nothing at all.
    assert (done.returncode, done.stderr, done.stdout) == (0, "", "")
    timer = files[1].text
    calendars = [line.split("=", 1)[1] for line in timer.splitlines()
                 if line.startswith("OnCalendar=")]
    assert calendars == ["Mon..Sat *-*-* 08..18:00:00 Africa/Kampala",
                         "Mon *-*-* 07:30:00 Africa/Kampala"]
    for calendar in calendars:
        assert subprocess.run([analyze, "calendar", calendar], capture_output=True,
                              timeout=60).returncode == 0
    exec_start = next(line for line in files[0].text.splitlines() if line.startswith("ExecStart="))
    # The program's folder has a space: the path is quoted as systemd reads it.
    assert exec_start == (f'ExecStart="{s.program}" refresh --all --quiet --config {s.config}')


def test_systemd_analyze_verify_catches_a_broken_unit(tmp_path: Path) -> None:
    """The check above can fail: a unit whose program does not exist is refused."""
    analyze = systemd_analyze()
    s = spec(tmp_path)
    service = schedules.render("systemd", s)[0].text.replace(s.program, "/nowhere/sheetcrm")
    (tmp_path / "sheetcrm-refresh.service").write_text(service)
    done = subprocess.run([analyze, "verify", "sheetcrm-refresh.service"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0


# --------------------------------------------------------------------------- GitHub Actions


def check_jsonschema() -> str:
    found = Path(sys.executable).parent / "check-jsonschema"
    assert found.exists(), "check-jsonschema is in the test extra: pip install -e '.[test]'"
    return str(found)


def validate_workflow(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([check_jsonschema(), "--builtin-schema", "vendor.github-workflows",
                           str(path)], capture_output=True, text=True, timeout=120)


def test_the_workflow_is_valid_and_runs_refresh_all_with_the_key_from_a_secret(
    tmp_path: Path,
) -> None:
    s = spec(tmp_path)
    [workflow] = schedules.render("github-actions", s)
    assert workflow.where == ".github/workflows/sheetcrm-refresh.yml"
    path = tmp_path / "sheetcrm-refresh.yml"
    path.write_text(workflow.text)
    done = validate_workflow(path)
    assert done.returncode == 0, done.stdout + done.stderr
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(workflow.text)
    # GitHub runs schedules in UTC; Kampala is UTC+3: 08-18 there is 05-15 UTC.
    assert [c["cron"] for c in data["on"]["schedule"]] == ["0 5-15 * * 1-6", "30 4 * * 1"]
    steps = data["jobs"]["refresh"]["steps"]
    runs = [step.get("run", "") for step in steps]
    assert "python -m pip install 'sheetcrm'" in runs
    key_step = next(step for step in steps if "GOOGLE_KEY" in step.get("env", {}))
    assert key_step["env"]["GOOGLE_KEY"] == "${{ secrets.SHEETCRM_GOOGLE_KEY }}"
    assert "umask 077" in key_step["run"]
    last = steps[-1]
    assert last["run"] == "sheetcrm refresh --all --config 'sheetcrm.toml'"
    assert last["env"]["GOOGLE_APPLICATION_CREDENTIALS"] == "${{ runner.temp }}/google-key.json"


def test_the_schema_check_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The check above can fail: a job without runs-on is refused."""
    [workflow] = schedules.render("github-actions", spec(tmp_path))
    path = tmp_path / "broken.yml"
    path.write_text(workflow.text.replace("    runs-on: ubuntu-latest\n", ""))
    assert validate_workflow(path).returncode != 0


def test_the_workflow_names_the_config_from_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    s = spec(tmp_path)
    assert s.config_in_repository == "clients/sheetcrm.toml"


def test_the_workflow_converts_a_zone_west_of_utc_across_midnight(tmp_path: Path) -> None:
    s = ScheduleSpec(program="/x/sheetcrm", config="/x/sheetcrm.toml", first_hour=18,
                     last_hour=20, days=(0,), weekly=dt.time(7, 30), timezone="Etc/GMT+5")
    [workflow] = schedules.render("github-actions", s)
    crons = re.findall(r'cron: "([^"]+)"', workflow.text)
    # Etc/GMT+5 is UTC-5: Monday 18:00 is 23:00 UTC Monday; 19:00 and 20:00 are 00:00 and
    # 01:00 UTC on Tuesday (cron day 2); Monday 07:30 is 12:30 UTC.
    assert crons == ["0 23 * * 1", "0 0-1 * * 2", "30 12 * * 1"]


# --------------------------------------------------------------------------- Windows


def test_windows_is_two_schtasks_commands(tmp_path: Path) -> None:
    s = spec(tmp_path)
    [commands] = schedules.render("windows", s)
    lines = [line for line in commands.text.splitlines() if line.startswith("schtasks")]
    tr = f'/TR "\\"{s.program}\\" refresh --all --quiet --config \\"{s.config}\\""'
    assert lines == [
        'schtasks /Create /F /TN "sheetcrm\\Hourly refresh" /SC WEEKLY '
        f"/D MON,TUE,WED,THU,FRI,SAT /ST 08:00 /RI 60 /DU 10:30 {tr}",
        'schtasks /Create /F /TN "sheetcrm\\Weekly refresh" /SC WEEKLY /D MON /ST 07:30 ' + tr,
    ]
    assert all(line.startswith(("REM", "schtasks")) for line in commands.text.splitlines()
               if line)


def test_windows_warns_when_the_command_is_too_long_for_schtasks(tmp_path: Path) -> None:
    s = ScheduleSpec(program="C:\\sheetcrm.exe", config="C:\\" + "x" * 260 + "\\sheetcrm.toml")
    [commands] = schedules.render("windows", s)
    assert commands.text.startswith("REM Warning: the command is longer than 261 characters")


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(InputError, match="no 'launchd' schedule"):
        schedules.render("launchd", ScheduleSpec(program="/p", config="/c"))


def test_the_installed_program_is_found_from_argv0(tmp_path: Path) -> None:
    exe = program(tmp_path)
    assert schedules.installed_program(str(exe)) == str(exe.resolve())
