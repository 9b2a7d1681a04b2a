"""What every importer returns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Record:
    """One enquiry read from an import file, as typed text."""

    line: int  # the file's line number, for messages
    fields: dict[str, str]  # template column key -> text
    #: Columns that are not the template's (the owner's own, say): header as in the file -> text.
    extra: dict[str, str] = field(default_factory=dict)


class ImportedFile(list[Record]):
    """An importer's records, with how the file was read (for the command to say)."""

    def __init__(self, records: Iterable[Record] = (), *, remarks: Iterable[str] = (),
                 extra_columns: Mapping[str, int] | None = None) -> None:
        """The records; ``remarks`` for the user; ``extra_columns``: header -> 1-based column."""
        super().__init__(records)
        self.remarks = list(remarks)
        self.extra_columns = dict(extra_columns or {})
