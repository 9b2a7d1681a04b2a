"""docs/scheduling.md: every crontab line in it runs as written, and it says what exit codes mean.

The old cron line logged to /var/log/sheetcrm/..., which an ordinary user cannot
create, so the shell never ran the refresh; these keep that from coming back.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers.schedules import crontab_entries

DOC = Path(__file__).resolve().parent.parent / "docs" / "scheduling.md"


def blocks(text: str, language: str) -> list[str]:
    """The fenced code blocks of one language, their indentation removed."""
    found = re.findall(rf"^( *)```{language}\n(.*?)^\1```", text, re.MULTILINE | re.DOTALL)
    return ["\n".join(line[len(indent):] for line in body.splitlines())
            for indent, body in found]


def test_every_cron_line_parses_and_redirects_nowhere() -> None:
    text = DOC.read_text(encoding="utf-8")
    crontabs = blocks(text, "crontab")
    assert crontabs, "scheduling.md shows a crontab"
    entries = [e for block in crontabs for e in crontab_entries(block)]
    assert len(entries) == 2
    for _, command in entries:
        assert ">" not in command and "/var/log" not in command
        assert command.split()[0].startswith("/"), "cron needs the full path to sheetcrm"
        assert " refresh --all " in f" {command} "
    # Any line that looks like a cron entry is inside a crontab block, not loose in the text.
    loose = [line for line in text.splitlines()
             if re.match(r"^\s*[\d*][\d*,/-]* [\d*][\d*,/-]* \S+ \S+ \S+ /", line)]
    assert len(loose) == len(entries)


def test_no_redirection_into_a_system_folder_anywhere() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert not re.search(r">>?\s*/var/", text)


def test_exit_codes_are_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    rows = {m.group(1): m.group(2) for m in
            re.finditer(r"^\| (\d) \| (.+) \|$", text, re.MULTILINE)}
    assert set(rows) == {"0", "1", "2"}
    assert "failed" in rows["1"] and "mistyped" in rows["2"]


def test_it_says_how_to_see_that_the_last_run_worked() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "sheetcrm list" in text and "run log" in text
    for kind in ("cron", "systemd", "github-actions", "windows"):
        assert f"sheetcrm schedule {kind}" in text, kind
