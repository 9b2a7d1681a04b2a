"""Bringing a tracker made by an older sheetcrm up to the current template.

Pure: :func:`plan_upgrade` turns what was read into :class:`Changes` that only
add.  New Enquiries columns go after the last used column (with their
dropdowns); a missing tab (Spend) is created; the Lists tab gains the Scoring
table and the lost reasons; the Settings tab gains the settings it lacks, in
rows below everything on it.  No cell that holds anything is written: the
planner checks each one is still blank at write time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import tabs
from .cells import header_key, text_of
from .errors import InputError
from .model import Cell, Changes, Grid, Settings, Snapshot
from .settings import settings_to_contents
from .tabs.lists import alignment_cells
from .template import Template, column_letter


@dataclass
class Upgrade:
    """What an upgrade adds, as Changes and in words for the owner."""

    changes: Changes
    added: list[str] = field(default_factory=list)


def _grid(snapshot: Snapshot, name: str) -> Grid | None:
    return next((g for n, g in snapshot.tabs.items() if header_key(n) == header_key(name)),
                None)


def _blank(grid: Grid, row: int, col: int) -> bool:
    line = grid[row - 1] if row <= len(grid) else []
    return col > len(line) or not text_of(line[col - 1]).strip()


def plan_upgrade(snapshot: Snapshot, template: Template, label: str) -> Upgrade:
    """The additions an older tracker needs; nothing when it is up to date."""
    result = Upgrade(Changes())
    _enquiries(snapshot, template, result)
    _new_tabs(snapshot, template, result)
    _lists(snapshot, template, label, result)
    _settings(snapshot, template, result)
    return result


def _enquiries(snapshot: Snapshot, template: Template, result: Upgrade) -> None:
    grid = _grid(snapshot, template.enquiries.name) or []
    have = {header_key(v) for v in (grid[0] if grid else [])}
    for col in template.enquiries.columns:
        if header_key(col.header) not in have:
            result.changes.headers.append(col.header)
            result.added.append(f"the {col.header} column")


def _new_tabs(snapshot: Snapshot, template: Template, result: Upgrade) -> None:
    ctx = tabs.TabContext(template, Settings())
    for tab in template.tabs:
        if tab.kind == "spend" and _grid(snapshot, tab.name) is None:
            result.changes.new_tabs[tab.name] = tabs.build(tab, ctx)
            result.added.append(f"the {tab.name} tab")


def _lists(snapshot: Snapshot, template: Template, label: str, result: Upgrade) -> None:
    lists = template.tab("lists")
    grid = _grid(snapshot, lists.name)
    if grid is None:
        return
    have = {header_key(v) for v in (grid[0] if grid else [])}
    wanted = alignment_cells(lists)
    parts = [(lists.scoring_header, "the Scoring table", {5, 6}),
             (lists.lost_reasons_header, "the lost reasons", {8})]
    cells: dict[tuple[int, int], Cell] = {}
    for header, what, cols in parts:
        if header_key(header) in have:
            continue
        block = {rc: cell for rc, cell in wanted.items() if rc[1] in cols}
        busy = sorted((r, c) for r, c in block if not _blank(grid, r, c))
        if busy:
            r, c = busy[0]
            raise InputError(
                f"{label}: {lists.name}!{column_letter(c)}{r} holds something, and the "
                f"upgrade puts {what} there: move it elsewhere and run the upgrade again "
                "(nothing was changed)")
        cells.update(block)
        result.added.append(f"{what} on the {lists.name} tab")
    if cells:
        result.changes.fills[lists.name] = cells


def _settings(snapshot: Snapshot, template: Template, result: Upgrade) -> None:
    tab = template.tab("settings")
    grid = _grid(snapshot, tab.name)
    if grid is None:
        return
    labels = {" ".join(text_of(row[0]).split()).casefold() for row in grid if row}
    content = settings_to_contents(Settings(), template)
    row = len(grid) + 1
    cells: dict[tuple[int, int], Cell] = {}
    for spec in tab.settings:
        if spec.label.casefold() in labels:
            continue
        line = next(r for r in content.rows if r and r[0].value == spec.label)
        for col, cell in enumerate(line, start=1):
            if cell.value is not None or cell.style:
                cells[(row, col)] = cell
        result.added.append(f"the {spec.label} setting")
        row += 1
    if cells:
        result.changes.fills[tab.name] = {**result.changes.fills.get(tab.name, {}), **cells}
