"""CSV import: one enquiry per line, columns named on the first line.

The separator is found from the header line: commas, semicolons (what Excel
writes in many locales) or tabs, whichever splits it into the most columns.
Headers that are not the template's are passed on as ``Record.extra`` for
the engine to match against the tracker's own columns.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..cells import header_key
from ..errors import InputError
from ..template import load_template
from .record import ImportedFile, Record

#: File suffixes this importer reads.
SUFFIXES = (".csv",)

#: Separators tried, and how the command names them.
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs"}


def delimiter_of(header_line: str) -> str:
    """The separator that splits the header line into the most columns (commas on a tie)."""
    best, most = ",", 0
    for delimiter in DELIMITERS:
        fields = next(csv.reader([header_line], delimiter=delimiter), [])
        if len(fields) > most:
            best, most = delimiter, len(fields)
    return best


def read(path: Path) -> ImportedFile:
    """The data lines of a CSV file; headers are matched case-insensitively."""
    template = load_template()
    by_header = {header_key(c.header): c for c in template.owner_columns()}
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise InputError(f"{path} does not exist") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a UTF-8 text file: save it as CSV UTF-8") from None
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror}") from None
    delimiter = delimiter_of(text.splitlines()[0] if text.strip() else "")
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            raise InputError(f"{path}: the file is empty; it needs a header row")
        keys: list[str | None] = []
        extras: dict[int, str] = {}  # 0-based column -> header as written
        seen: dict[str, tuple[int, str]] = {}
        for i, name in enumerate(header, start=1):
            shown = name.strip()
            if not shown:
                keys.append(None)
                continue
            col = by_header.get(header_key(shown))
            if header_key(shown) in seen:
                first, label = seen[header_key(shown)]
                raise InputError(
                    f"{path}: columns {first} and {i} are both {label!r}: delete one"
                )
            seen[header_key(shown)] = (i, col.header if col is not None else shown)
            if col is None:
                extras[i - 1] = shown
            keys.append(col.key if col else None)
        records = []
        for line in reader:
            if not any(cell.strip() for cell in line):
                continue
            extra = [cell for cell in line[len(keys):] if cell.strip()]
            if extra:
                raise InputError(
                    f"{path} line {reader.line_num} has more values than the header row "
                    f"has columns ({len(line)} against {len(keys)}): check for a stray "
                    f"{'comma' if delimiter == ',' else DELIMITERS[delimiter][:-1]}"
                )
            fields = {k: v for k, v in zip(keys, line, strict=False) if k is not None}
            others = {extras[i]: v for i, v in enumerate(line) if i in extras}
            records.append(Record(line=reader.line_num, fields=fields, extra=others))
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from None
    if not records:
        raise InputError(f"{path} has a header row but no enquiries")
    return ImportedFile(
        records,
        remarks=[f"Read {path.name} as columns separated by {DELIMITERS[delimiter]}."],
        extra_columns={name: i + 1 for i, name in extras.items()},
    )
