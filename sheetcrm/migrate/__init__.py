"""``sheetcrm migrate``: the tracker as the files a CRM's import wizard maps on its own.

One module per CRM, each with ``build(leads) -> {file name: Table}``;
a new CRM is a new module and one line in :data:`MIGRATORS`.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from ..backends.base import Backend
from ..cells import text_of
from ..errors import InputError
from ..template import load_template
from ..tracker import evaluate, find_layout
from . import hubspot, zoho
from .common import Lead, Table, csv_bytes

#: CRM name -> builder of its files.
MIGRATORS: dict[str, Callable[[Sequence[Lead]], dict[str, Table]]] = {
    "hubspot": hubspot.build,
    "zoho": zoho.build,
}

__all__ = ["MIGRATORS", "Lead", "migrate"]


def migrate(backend: Backend, to: str, out: Path, *, force: bool = False,
            now: dt.datetime | None = None) -> dict[Path, int]:
    """Write the CRM's import files into ``out``; returns each file and its number of records."""
    if to not in MIGRATORS:
        raise InputError(f"--to {to!r} is not a CRM sheetcrm can write for: use "
                         + " or ".join(MIGRATORS))
    template = load_template()
    snapshot = backend.read()
    evaluation = evaluate(snapshot, now=now, label=backend.label, build_tabs=False)
    grid = snapshot.tabs[template.enquiries.name]
    layout = find_layout(grid, template, backend.label)
    leads = []
    for r in evaluation.rows:
        raw = grid[r.row - 1] if r.row - 1 < len(grid) else []
        leads.append(Lead(name=" ".join(r.name.split()), phone=r.phone or "",
                          email=r.email or "", source=r.source, status=r.status,
                          received=r.received, first_contact=r.first_contact, value=r.value,
                          notes=text_of(layout.get(raw, "notes"))))
    files = MIGRATORS[to](leads)
    targets = {out / name: csv_bytes(t.header, t.rows) for name, t in files.items()}
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise InputError(f"{existing[0]} already exists: choose another --out folder or add "
                         "--force to replace it")
    try:
        out.mkdir(parents=True, exist_ok=True)
        for path, data in targets.items():
            _write_atomically(path, data)
    except OSError as exc:
        raise InputError(f"{out} cannot be written: {exc.strerror}") from None
    return {out / name: len(t.rows) for name, t in files.items()}


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
