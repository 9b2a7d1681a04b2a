"""CSV import: one enquiry per line, columns named on the first line."""

from __future__ import annotations

import csv
from pathlib import Path

from ..errors import InputError
from ..template import load_template
from .record import Record

#: File suffixes this importer reads.
SUFFIXES = (".csv",)


def read(path: Path) -> list[Record]:
    """The data lines of a CSV file; headers are matched case-insensitively."""
    template = load_template()
    by_header = {c.header.casefold(): c for c in template.owner_columns()}
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise InputError(f"{path}: the file is empty; it needs a header row")
            keys: list[str | None] = []
            seen: dict[str, int] = {}
            for i, name in enumerate(header, start=1):
                col = by_header.get(name.strip().casefold())
                if col is None and name.strip():
                    expected = ", ".join(c.header for c in template.owner_columns())
                    raise InputError(
                        f"{path}: column {i} {name.strip()!r} is not a tracker column "
                        f"(use these headers: {expected})"
                    )
                if col is not None and col.key in seen:
                    raise InputError(
                        f"{path}: columns {seen[col.key]} and {i} are both {col.header!r}: "
                        "delete one"
                    )
                if col is not None:
                    seen[col.key] = i
                keys.append(col.key if col else None)
            records = []
            for line in reader:
                if not any(cell.strip() for cell in line):
                    continue
                extra = [cell for cell in line[len(keys):] if cell.strip()]
                if extra:
                    raise InputError(
                        f"{path} line {reader.line_num} has more values than the header row "
                        f"has columns ({len(line)} against {len(keys)}): check for a stray comma"
                    )
                fields = {k: v for k, v in zip(keys, line, strict=False) if k is not None}
                records.append(Record(line=reader.line_num, fields=fields))
    except FileNotFoundError:
        raise InputError(f"{path} does not exist") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a UTF-8 text file: save it as CSV UTF-8") from None
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from None
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror}") from None
    if not records:
        raise InputError(f"{path} has a header row but no enquiries")
    return records
