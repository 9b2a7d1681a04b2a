"""Importers: files of enquiries from elsewhere, turned into typed records.

One module per kind of file, each with ``read(path) -> list[Record]`` and
the ``SUFFIXES`` it takes.  The engine checks every record as it checks
``sheetcrm add`` input and appends them all or none.  A new importer is a
new module and one line in :data:`IMPORTERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import InputError
from . import csv, whatsapp
from .record import ImportedFile, Record

#: Importer name -> (reader, file suffixes it takes).
IMPORTERS: dict[str, tuple[Callable[[Path], list[Record]], tuple[str, ...]]] = {
    "csv": (csv.read, csv.SUFFIXES),
    # Chosen by name only: a .txt or .zip given to `import` stays a CSV question;
    # `sheetcrm import-whatsapp` reads chats with the business's name.
    "whatsapp": (whatsapp.read, ()),
}

__all__ = ["IMPORTERS", "ImportedFile", "Record", "read"]


def read(path: Path, kind: str | None = None) -> list[Record]:
    """The records in ``path``, read by the importer ``kind`` or the one for its suffix."""
    if kind is None:
        suffix = path.suffix.lower()
        kind = next((name for name, (_, suffixes) in IMPORTERS.items() if suffix in suffixes),
                    "csv")
    if kind not in IMPORTERS:
        raise InputError(f"There is no importer called {kind!r}: use one of "
                         + ", ".join(IMPORTERS))
    reader, _ = IMPORTERS[kind]
    return reader(path)
