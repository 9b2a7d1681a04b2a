"""Reading a crontab as cron does, for the schedule tests."""

from __future__ import annotations

import re

CRON_FIELD_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def cron_field_ok(field: str, low: int, high: int) -> bool:
    for part in field.split(","):
        m = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
        if not m:
            return False
        for number in (m.group(2), m.group(3)):
            if number is not None and not low <= int(number) <= high:
                return False
        if m.group(2) and m.group(3) and int(m.group(2)) > int(m.group(3)):
            return False
    return True


def crontab_entries(text: str) -> list[tuple[list[str], str]]:
    """(five time fields, command) per entry; fails on a line cron could not read."""
    entries = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split(None, 5)
        assert len(parts) == 6, line
        fields, command = parts[:5], parts[5]
        for f, (low, high) in zip(fields, CRON_FIELD_RANGES, strict=True):
            assert cron_field_ok(f, low, high), (f, line)
        entries.append((fields, command))
    return entries
