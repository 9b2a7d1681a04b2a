"""Every command has help text and a section in docs/cli.md; every doc link resolves."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from sheetcrm.cli import cli

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help(name: str) -> None:
    command = cli.commands[name]
    assert command.help and len(command.help.split()) >= 8, f"{name} needs real help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"sheetcrm {name} {param.opts[0]} has no help text"


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_documented(name: str) -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert re.search(rf"^## `sheetcrm {name}\b", text, re.MULTILINE), (
        f"docs/cli.md has no '## `sheetcrm {name}`' section")


def test_docs_links_resolve() -> None:
    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#]+)\)", doc.read_text(encoding="utf-8")):
            if target.startswith("http"):
                continue
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"


def test_readme_has_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    # Each makes its own virtual environment, so Debian's and Ubuntu's own Python take it.
    demo = "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/sheetcrm demo"
    tests = 'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/pytest'
    assert demo in readme
    assert tests in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # CI runs the same steps as the README's test command.
    for step in ("python3 -m venv .venv", '.venv/bin/pip install --quiet -e ".[test]"',
                 ".venv/bin/pytest"):
        assert step in ci
