"""The one interface every storage backend implements.

A backend moves raw cell values in and out of a spreadsheet and renders the
template.  It knows nothing of business hours, SLAs or summaries: that is the
core's job.  It translates its vendor's errors (openpyxl, gspread, OS errors)
into :mod:`sheetcrm.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from ..model import CellValue, Changes, Snapshot, TabContent
from ..template import Template


@runtime_checkable
class Backend(Protocol):
    """Where a tracker lives."""

    @property
    def label(self) -> str:
        """A short human name for messages: a file path or a sheet's title."""
        ...

    def create(self, template: Template, contents: Mapping[str, TabContent]) -> None:
        """Render a new tracker from the template.

        The Enquiries tab is built from the template's columns (headers, header
        notes, widths, number formats, dropdowns, conditional formats, frozen
        panes).  Every other tab is written from ``contents`` (keyed by tab
        name: Settings, Lists, About, Today, Summary and the hidden meta tab).
        Raises :class:`~sheetcrm.errors.SheetCRMError` if a tracker is already
        there.
        """
        ...

    def read(self) -> Snapshot:
        """Read the Enquiries, Settings, Lists and meta tabs in one pass."""
        ...

    def apply(self, changes: Changes) -> None:
        """Write the computed columns, ID fills, owned tabs and meta, all or nothing.

        Columns are located by their header on row 1 of Enquiries at write
        time.  A computed column whose header is missing is added after the
        last used column.  Owner cells are never written, except a blank ID
        cell listed in ``changes.id_fills``.
        """
        ...

    def append(self, rows: Sequence[Mapping[str, CellValue]]) -> list[int]:
        """Append enquiries below the last used row, all or nothing.

        Keys are Enquiries headers.  Text is stored as text, never as a
        formula.  Returns the row numbers written.
        """
        ...
