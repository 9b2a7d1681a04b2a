"""Helpers shared by the CLI tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

from click.testing import CliRunner, Result

from sheetcrm.cli import cli


def run(*args: str) -> Result:
    """Invoke the CLI as a user would, catching nothing extra."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def digest(path: Path) -> str:
    """A file's SHA-256, to prove it was not changed."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_one_line_error(result: Result, *fragments: str) -> None:
    """A failure ends with one plain line on stderr naming what is wrong, exit code 1.

    Progress lines ("Refreshing tracker.xlsx...") may come before it.
    """
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    assert errors[0].startswith("Error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
