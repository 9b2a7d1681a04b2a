"""The one interface every storage backend implements.

A backend moves raw cell values in and out of a spreadsheet, renders the
template, and executes the positional operations that
:func:`sheetcrm.planner.plan_write` makes from the engine's
:class:`~sheetcrm.model.Changes`.  It decides nothing about where a value
goes, and knows nothing of business hours, SLAs or summaries: that is the
core's job.  It translates its vendor's errors (openpyxl, gspread, OS errors)
into :mod:`sheetcrm.errors`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
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

    @property
    def kind(self) -> str:
        """What kind of tracker this is, for people: "Excel", "Google Sheets"."""
        ...

    @property
    def key(self) -> str:
        """What identifies this tracker for good: a spreadsheet key, a file's path."""
        ...

    def session(self) -> contextlib.AbstractContextManager[None]:
        """Hold the backend's own lock and retry budget over a read-then-write.

        Excel holds its lock file; Google shares one retry budget among the
        requests made inside; where there is neither, it does nothing.
        Re-entrant.
        """
        ...

    def create(self, template: Template, contents: Mapping[str, TabContent]) -> None:
        """Render a new tracker from the template.

        The Enquiries tab is built from the template's columns (headers, header
        notes, widths, number formats, dropdowns, conditional formats, frozen
        panes); ``contents`` may also give it rows (an offline copy).  Every
        other tab is written from ``contents`` (keyed by tab name: Settings,
        Lists, About, Today, Summary, the hidden meta tab, and any other tab).
        Raises :class:`~sheetcrm.errors.SheetCRMError` if a tracker is already
        there.
        """
        ...

    def read(self, *, everything: bool = False) -> Snapshot:
        """Read the Enquiries, Settings, Lists and meta tabs in one pass.

        With ``everything``, read every tab but the backend's own bookkeeping,
        the template's tabs named as in the template.
        """
        ...

    def read_saved(self) -> Snapshot:
        """Read as :meth:`read` does, for a command that writes nothing.

        Such a read may use the last saved copy of a tracker open elsewhere; it
        says so in :attr:`notice`.
        """
        ...

    @property
    def notice(self) -> str | None:
        """A line for the user about the last read (e.g. "from the last saved copy"), or None."""
        ...

    def details(self) -> dict[str, str]:
        """How the last write was made, for ``--json`` (Excel: ``excel_path``)."""
        ...

    def apply(self, changes: Changes) -> list[int]:
        """Plan ``changes`` against the tracker as it is now, and write it all or nothing.

        Returns the row numbers of the new enquiries.  Raises
        :class:`~sheetcrm.errors.ConcurrentEdit` when the rows moved since
        the last :meth:`read`.
        """
        ...

    def append(self, rows: Sequence[Mapping[str, CellValue]]) -> list[int]:
        """Append enquiries (Enquiries header -> value) below the last typed row, all or nothing."""
        ...


class BackendBase:
    """What every backend does the same way; a backend overrides ``session`` if it locks."""

    def apply(self, changes: Changes) -> list[int]:  # pragma: no cover - always overridden
        raise NotImplementedError

    def read(self, *, everything: bool = False) -> Snapshot:  # pragma: no cover - overridden
        raise NotImplementedError

    def read_saved(self) -> Snapshot:
        """Read for a command that writes nothing: by default exactly :meth:`read`."""
        return self.read()

    @property
    def notice(self) -> str | None:
        """Nothing to say about the last read, unless a backend overrides this."""
        return None

    def details(self) -> dict[str, str]:
        """Nothing to say about how the last write was made."""
        return {}

    def append(self, rows: Sequence[Mapping[str, CellValue]]) -> list[int]:
        """Append enquiries below the last typed row, all or nothing; returns their rows."""
        if not rows:
            return []
        return self.apply(Changes(new_rows=list(rows)))

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """No lock and no retry budget to hold."""
        yield
