"""An in-memory backend: the test double, as httpx's ``MockTransport`` is.

It follows the same contract as the Excel and Google backends (columns found
by header at write time, owner cells never written, all-or-nothing writes) so
the behavioural suite can run the engine against it without any files.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ..errors import ConcurrentEdit, NotATracker, SheetCRMError
from ..model import (
    Cell,
    CellValue,
    Changes,
    Chart,
    Formula,
    Grid,
    Snapshot,
    TabContent,
    trimmed,
)
from ..planner import AddHeader, Plan, WriteColumn, WriteValue, plan_write
from ..template import Column, Template, load_template
from .base import BackendBase

ENQUIRIES = "Enquiries"


@dataclass
class MemoryTab:
    """One tab: values plus the styles, links and charts written to it."""

    values: Grid = field(default_factory=list)
    styles: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col), 1-based
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    charts: list[Chart] = field(default_factory=list)
    hidden: bool = False
    #: Column formats and dropdowns: 1-based column -> (template column, first row).
    column_specs: dict[int, tuple[Column, int]] = field(default_factory=dict)

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
        return trimmed(self.values)


class MemoryBackend(BackendBase):
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

    @property
    def kind(self) -> str:
        """What kind of tracker this is."""
        return "in memory"

    @property
    def key(self) -> str:
        """This object's identity: a memory tracker lives no longer than it."""
        return f"memory:{id(self)}"

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
                    mt.column_specs[i] = (col, 2)
            elif tab.name in contents:
                _write_content(mt, contents[tab.name])
            tabs[tab.name] = mt
        for name, content in contents.items():
            if name not in tabs:
                tabs[name] = MemoryTab(hidden=content.hidden)
                _write_content(tabs[name], content)
        self.tabs = tabs
        self._bump()

    def read(self, *, everything: bool = False) -> Snapshot:
        """A copy of every tab's values."""
        if ENQUIRIES not in self.tabs:
            raise NotATracker(f"{self.label} is not a sheetcrm tracker: it has no 'Enquiries' tab")
        self._read_version = self.version
        return Snapshot(
            tabs={name: copy.deepcopy(tab.trimmed()) for name, tab in self.tabs.items()},
            tab_names=list(self.tabs),
        )

    def apply(self, changes: Changes) -> list[int]:
        """Plan the changes against the tabs as they are now, then execute them in one step."""
        if self._read_version is not None and self._read_version != self.version \
                and changes.expected_ids is not None:
            raise ConcurrentEdit(f"{self.label} changed since it was read")
        template = load_template()
        grids = {name: tab.trimmed() for name, tab in self.tabs.items()}
        plan = plan_write(changes, grids, template, self.label)
        if plan.empty:
            return []
        staged = copy.deepcopy(self.tabs)
        _execute(plan, staged)
        self.tabs = staged
        self._bump()
        return plan.appended

    # -- helpers for tests: act like the owner editing the sheet ------------
    def set_cell(self, tab: str, row: int, col: int, value: CellValue) -> None:
        """Type a value as the owner would (counts as an edit)."""
        self.tabs[tab].put(row, col, value)
        self._bump()

    def _bump(self) -> None:
        self.version += 1
        self.writes += 1


def _execute(plan: Plan, tabs: dict[str, MemoryTab]) -> None:
    """Carry out a plan's operations on (a copy of) the tabs."""
    enq = tabs[plan.enquiries]
    for op in plan.enquiry_ops:
        if isinstance(op, AddHeader):
            enq.put(1, op.col, Cell(op.header, style="header"))
            if op.spec is not None:
                enq.column_specs[op.col] = (op.spec, 2)
        elif isinstance(op, WriteColumn):
            for row, cell in enumerate(op.cells, start=2):
                enq.put(row, op.col, cell if cell.style else replace(cell, style=op.style))
            for row in range(op.clear_from, len(enq.values) + 1):
                if enq.get(row, op.col) is not None or (row, op.col) in enq.links:
                    enq.put(row, op.col, Cell(None))
        elif isinstance(op, WriteValue):
            enq.put(op.row, op.col, op.value)
        else:
            for offset, values in enumerate(op.rows):
                for col, value in enumerate(values, start=1):
                    if value is not None:
                        enq.put(op.row + offset, col, value)
    for tab in plan.tabs:
        fresh = MemoryTab(hidden=tabs[tab.name].hidden if tab.name in tabs else False)
        _write_content(fresh, tab.content)
        tabs[tab.name] = fresh
    if plan.meta:
        meta = tabs.setdefault(plan.meta_tab, MemoryTab(hidden=True))
        for m in plan.meta:
            if m.new:
                meta.put(m.row, 1, m.key)
            meta.put(m.row, 2, m.value)
    for fill in plan.fills:
        target = tabs.setdefault(fill.tab, MemoryTab())
        for row, col, cell in fill.cells:
            target.put(row, col, cell)
    if plan.log is not None:
        log = tabs.setdefault(plan.log.tab, MemoryTab())
        for offset, line in enumerate(plan.log.rows):
            for col, cell in enumerate(line, start=1):
                log.put(plan.log.row + offset, col, cell)


def _write_content(tab: MemoryTab, content: TabContent) -> None:
    for r, line in enumerate(content.rows, start=1):
        for c, cell in enumerate(line, start=1):
            if cell.value is not None or cell.style or cell.link:
                tab.put(r, c, cell)
    tab.charts = list(content.charts)
    tab.column_specs = {f.col: (f.spec, f.first_row) for f in content.columns}
