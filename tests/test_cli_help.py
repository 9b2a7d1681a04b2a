"""`--help`: enough on its own for someone who installed sheetcrm with pip (no docs/ folder)."""

from __future__ import annotations

import re
import textwrap
import tomllib
from pathlib import Path

import click
import pytest

from sheetcrm.cli import cli
from sheetcrm.settings import settings_from_toml
from tests.helpers.cli import run

COMMANDS = sorted(cli.commands)


def test_the_top_level_help_cuts_no_description_short() -> None:
    out = run("--help").output
    listed = out.split("Commands:", 1)[1]
    assert "..." not in listed and "\u2026" not in listed
    for name in COMMANDS:
        assert re.search(rf"^  {name} ", listed, re.MULTILINE), name


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_a_short_description_that_fits(name: str) -> None:
    command = cli.commands[name]
    # Click cuts a description made from the docstring at 45 characters with
    # "..."; a short_help is shown whole, and must then fit an 80-column line.
    short = command.get_short_help_str(limit=45)
    assert short and not short.endswith("...") and "\u2026" not in short, short
    assert len(short) <= 80 - 6 - max(len(n) for n in COMMANDS), short


@pytest.mark.parametrize("name", COMMANDS)
def test_no_help_sends_the_user_to_a_file_they_do_not_have(name: str) -> None:
    out = run(name, "--help").output
    assert out.startswith(f"Usage: cli {name}") or out.startswith(f"Usage: sheetcrm {name}")
    assert "docs/" not in out, out
    command = cli.commands[name]
    for param in command.params:  # every option says what it is for
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"{name} {param.opts}"


def toml_example(help_text: str) -> str:
    """The lines after 'Example business.toml:' up to the next blank line, dedented."""
    lines = help_text.split("Example business.toml:\n", 1)[1].split("\n\n", 1)[0]
    return textwrap.dedent(lines)


def test_init_help_lists_every_config_key_with_a_working_example(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = run("init", "--help").output
    for key in ("business_name", "timezone", "country", "currency", "sla_hours",
                "follow_up_days", "extra_closed_dates", "extra_open_dates", "opening_hours",
                "monday", "sunday"):
        assert key in out, key
    example = toml_example(out)
    data = tomllib.loads(example)
    assert set(data) == {"business_name", "timezone", "country", "currency", "sla_hours",
                         "follow_up_days", "extra_closed_dates", "extra_open_dates",
                         "opening_hours"}
    path = tmp_path / "business.toml"
    path.write_text(example, encoding="utf-8")
    settings = settings_from_toml(path)
    assert (settings.country, settings.timezone, settings.sla_hours) == (
        "KE", "Africa/Nairobi", 4)
    monkeypatch.chdir(tmp_path)
    made = run("init", "tracker.xlsx", "--config", "business.toml")
    assert made.exit_code == 0, made.output


def test_refresh_help_gives_a_cron_line_and_the_exit_codes() -> None:
    out = run("refresh", "--help").output
    flat = " ".join(out.split())
    # One line, so it can be copied into a crontab as it is.
    assert ("  0 * * * * $HOME/sheetcrm/.venv/bin/sheetcrm refresh $HOME/tracker.xlsx >> "
            "$HOME/sheetcrm.log 2>&1\n") in out
    assert "/var/log" not in out and "command -v sheetcrm" in flat
    for code in ("0 when done", "1 when", "2 when"):
        assert code in " ".join(out.split()), code


def test_import_help_shows_the_columns_and_an_example() -> None:
    out = run("import", "--help").output
    for word in ("Received", "Name", "Contact", "semicolons", "--allow-duplicates",
                 "--ignore-unknown", "23/11/2026 09:40,Sarah N."):
        assert word in out, word
