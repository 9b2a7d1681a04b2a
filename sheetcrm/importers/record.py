"""What every importer returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Record:
    """One enquiry read from an import file, as typed text."""

    line: int  # the file's line number, for messages
    fields: dict[str, str]  # template column key -> text
