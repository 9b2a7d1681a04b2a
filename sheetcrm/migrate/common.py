"""What every CRM file shares: one enquiry as plain facts, names split, safe text, CSV bytes."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

#: Characters that make a spreadsheet read a cell as a formula (or start a DDE call).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


@dataclass(frozen=True)
class Lead:
    """One enquiry as a CRM import needs it."""

    name: str
    phone: str  # E.164, or ""
    email: str  # lower case, or ""
    source: str
    status: str | None  # pending, contacted, converted, lost, or None when unreadable
    received: dt.datetime | None
    first_contact: dt.datetime | None
    value: float | None
    notes: str


@dataclass(frozen=True)
class Table:
    """One CSV file: its header and its rows of text."""

    header: Sequence[str]
    rows: Sequence[Sequence[str]]


def split_name(name: str) -> tuple[str, str]:
    """(first, last): the last word is the last name; one word is a last name alone."""
    words = name.split()
    if not words:
        return "", ""
    if len(words) == 1:
        return "", words[0]
    return " ".join(words[:-1]), words[-1]


def safe_text(text: str) -> str:
    """Text a spreadsheet will not run as a formula when it opens the CSV."""
    text = text.replace("\r\n", "\n")
    return "'" + text if text.startswith(_FORMULA_START) else text


def plain_number(value: float | None) -> str:
    """An amount as digits only (85000 or 85000.5), or blank."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0")


def day(moment: dt.datetime | dt.date | None) -> str:
    """A date as YYYY-MM-DD, or blank."""
    return moment.strftime("%Y-%m-%d") if moment is not None else ""


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads it as UTF-8), every cell quoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")
