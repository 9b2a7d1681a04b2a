"""An in-memory backend: the test double, as httpx's ``MockTransport`` is.

It follows the same contract as the Excel and Google backends (columns found
by header at write time, owner cells never written, all-or-nothing writes) so
the behavioural suite can run the engine against it without any files.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..cells import header_key
from ..errors import ConcurrentEdit, InputError, NotATracker, SheetCRMError
from ..model import (
    Cell,
    CellValue,
    Changes,
    Chart,
    Formula,
    Grid,
    Snapshot,
    TabContent,
    ids_match,
)
from ..template import Template, load_template

ENQUIRIES = "Enquiries"
META = "sheetcrm"


@dataclass
class MemoryTab:
    """One tab: values plus the styles, links and charts written to it."""

    values: Grid = field(default_factory=list)
    styles: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col), 1-based
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    charts: list[Chart] = field(default_factory=list)
    hidden: bool = False

    def get(self, row: int, col: int) -> CellValue:
        """The value at 1-based (row, col), None when outside the grid."""
        if row <= len(self.values) and col <= len(self.values[row - 1]):
            return self.values[row - 1][col - 1]
        return None

    def put(self, row: int, col: int, cell: Cell | CellValue) -> None:
        """Write a value (and its style and link) at 1-based (row, col)."""
        while len(self.values) < row:
            self.values.append([])
        line = self.values[row - 1]
        while len(line) < col:
            line.append(None)
        if isinstance(cell, Cell):
            value = cell.value
            self.styles.pop((row, col), None)
            self.links.pop((row, col), None)
            self.formulas.pop((row, col), None)
            if cell.style:
                self.styles[(row, col)] = cell.style
            if cell.link:
                self.links[(row, col)] = cell.link
            if isinstance(value, Formula):
                self.formulas[(row, col)] = value.text
                value = None  # the in-memory double does not evaluate formulas
            line[col - 1] = value
        else:
            line[col - 1] = cell

    def trimmed(self) -> Grid:
        """The values with trailing empty cells and rows removed, as Google returns them."""
        rows = [list(r) for r in self.values]
        for r in rows:
            while r and (r[-1] is None or r[-1] == ""):
                r.pop()
        while rows and not rows[-1]:
            rows.pop()
        return rows


class MemoryBackend:
    """A tracker held in a dict of tabs."""

    def __init__(self, label: str = "memory tracker") -> None:
        self._label = label
        self.tabs: dict[str, MemoryTab] = {}
        self.version = 0  # bumped by every write; read() remembers it
        self._read_version: int | None = None
        self.writes = 0

    @property
    def label(self) -> str:
        """A short human name for messages."""
        return self._label

    def _template(self) -> Template:
        return load_template()

    def create(self, template: Template, contents: Mapping[str, TabContent]) -> None:
        """Render the template into empty tabs."""
        if ENQUIRIES in self.tabs:
            raise SheetCRMError(f"{self.label} is already a tracker")
        tabs: dict[str, MemoryTab] = {}
        for tab in template.tabs:
            mt = MemoryTab(hidden=tab.hidden)
            if tab.kind == "enquiries":
                for i, col in enumerate(tab.columns, start=1):
                    mt.put(1, i, Cell(col.header, style="header"))
            elif tab.name in contents:
                _write_content(mt, contents[tab.name])
            tabs[tab.name] = mt
        self.tabs = tabs
        self._bump()

    def read(self) -> Snapshot:
        """A copy of every tab's values."""
        if ENQUIRIES not in self.tabs:
            raise NotATracker(f"{self.label} is not a sheetcrm tracker: it has no 'Enquiries' tab")
        self._read_version = self.version
        return Snapshot(
            tabs={name: copy.deepcopy(tab.trimmed()) for name, tab in self.tabs.items()},
            tab_names=list(self.tabs),
        )

    def apply(self, changes: Changes) -> None:
        """Write computed columns, ID fills, owned tabs and meta in one step."""
        if self._read_version is not None and self._read_version != self.version:
            raise ConcurrentEdit(f"{self.label} changed since it was read")
        enquiries = self.tabs[ENQUIRIES]
        if not ids_match(changes.expected_ids, _column_values(enquiries, _find(enquiries, "ID"))):
            raise ConcurrentEdit(f"{self.label}: rows moved since they were read")
        staged = copy.deepcopy(self.tabs)
        enq = staged[ENQUIRIES]
        for header, cells in changes.computed.items():
            col = _find(enq, header)
            if col is None:
                col = max((len(r) for r in enq.values), default=0) + 1
                enq.put(1, col, Cell(header, style="header"))
            for i, cell in enumerate(cells, start=2):
                enq.put(i, col, cell)
            for row in range(len(cells) + 2, len(enq.values) + 1):
                if enq.get(row, col) is not None:
                    enq.put(row, col, Cell(None))
        id_col = _find(enq, "ID")
        for row, new_id in changes.id_fills.items():
            current = enq.get(row, id_col) if id_col is not None else None
            if id_col is not None and (current is None or
                                       (isinstance(current, str) and not current.strip())):
                enq.put(row, id_col, new_id)
        for name, content in changes.tabs.items():
            fresh = MemoryTab(hidden=staged[name].hidden if name in staged else False)
            _write_content(fresh, content)
            staged[name] = fresh
        meta = staged.setdefault(META, MemoryTab(hidden=True))
        for key, value in changes.meta.items():
            keys = [meta.get(r, 1) for r in range(1, len(meta.values) + 1)]
            row = keys.index(key) + 1 if key in keys else len(meta.values) + 1
            meta.put(row, 1, key)
            meta.put(row, 2, value)
        self.tabs = staged
        self._bump()

    def append(self, rows: Sequence[Mapping[str, CellValue]]) -> list[int]:
        """Append enquiries after the last row that holds anything."""
        enq = self.tabs[ENQUIRIES]
        columns: dict[str, int] = {}
        for row in rows:
            for header in row:
                col = _find(enq, header)
                if col is None:
                    raise InputError(f"{self.label}: the Enquiries tab has no {header!r} column")
                columns[header] = col
        owner = {c.header for c in self._template().owner_columns()}
        owner_cols = [c for h in owner if (c := _find(enq, h)) is not None]
        last = 1
        for r in range(2, len(enq.values) + 1):
            if any(enq.get(r, c) not in (None, "") for c in owner_cols):
                last = r
        written = []
        for offset, row in enumerate(rows, start=1):
            for header, value in row.items():
                enq.put(last + offset, columns[header], value)
            written.append(last + offset)
        self._bump()
        return written

    # -- helpers for tests: act like the owner editing the sheet ------------
    def set_cell(self, tab: str, row: int, col: int, value: CellValue) -> None:
        """Type a value as the owner would (counts as an edit)."""
        self.tabs[tab].put(row, col, value)
        self._bump()

    def _bump(self) -> None:
        self.version += 1
        self.writes += 1


def _find(tab: MemoryTab, header: str) -> int | None:
    first = tab.values[0] if tab.values else []
    want = header_key(header)
    for i, value in enumerate(first, start=1):
        if isinstance(value, str) and header_key(value) == want:
            return i
    return None


def _column_values(tab: MemoryTab, col: int | None) -> list[CellValue]:
    if col is None:
        return []
    values = [tab.get(r, col) for r in range(2, len(tab.values) + 1)]
    while values and values[-1] in (None, ""):
        values.pop()
    return values


def _write_content(tab: MemoryTab, content: TabContent) -> None:
    for r, line in enumerate(content.rows, start=1):
        for c, cell in enumerate(line, start=1):
            if cell.value is not None or cell.style or cell.link:
                tab.put(r, c, cell)
    tab.charts = list(content.charts)
