"""The one place that decides where a write lands: :class:`Changes` -> :class:`Plan`.

The engine says *what* it wants written (computed cells by row, blank-ID
fills, owned tabs, meta keys, owner edits, new rows, log lines).  A backend
reads the tabs it is about to write, as they are at write time, and hands
them to :func:`plan_write`, which returns positional operations and the rows
they must land on.  The backend only executes those operations and, where
its vendor cannot lock the sheet (Google), checks they landed on the rows
planned.  So the rules below exist once:

* a column is found by its header on row 1, any case and spacing; a computed
  column whose header is missing is added after the last used column;
* computed cells are written from row 2, and rows below them that still hold
  an old computed value are cleared (values only);
* an ID is filled only where the ID cell is blank *now*;
* if the ID column no longer reads as it did, rows moved since the read:
  :class:`ConcurrentEdit`, and nothing is planned;
* a meta key is updated in place, or added below the last key;
* new enquiries go below the last row that has anything in a column that is
  not computed (the owner's own columns count), all or nothing;
* owned tabs are replaced whole; log lines go below a log tab's last line;
* only what changed is written: a computed cell whose value reads back as it
  is now is left alone (:attr:`WriteColumn.runs`), and, when the backend says
  which tabs exist, an owned tab whose content is what the last write left
  (a digest kept on the meta tab) is not replaced.

A computed cell is left alone only when its value is the same and its style
cannot have changed on its own: its style is the column's template style, or
the column has none (then the style follows from the words, as the SLA's
colour follows from "Met", "Missed" or "Overdue").  A flagged date (a
follow-up that fell due) is written every time, because the clock alone
flags it.  A blank cell that reads blank is left alone whatever its style.
A formula is always written: a read shows its result, not it.

Pure: no I/O, no spreadsheet library.  Rows and columns are 1-based.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from .cells import header_key, header_positions, text_of, to_serial
from .errors import ConcurrentEdit, InputError, NotATracker
from .model import Cell, CellValue, Changes, Formula, Grid, TabContent, ids_match
from .template import Column, Template

#: Characters that a spreadsheet file cannot hold (tab, newline and return are fine).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: The most characters one cell holds, in Excel and in Google Sheets.
MAX_CELL_TEXT = 32767
#: Excel's largest number (Google's is larger); a bigger one is refused, not rounded.
MAX_NUMBER = 9.99999999999999e307
#: The meta key holding the digest of what the last write put on an owned tab.
DIGEST_KEY = "digest {}"
#: Meta key of the digest of a computed column's links (see plan_write).
LINKS_KEY = "links {}"
#: Two date-times closer than this (in days: half a second) read back as the same.
_SERIAL_TOLERANCE = 0.5 / 86400


# --------------------------------------------------------------------------- operations


@dataclass(frozen=True)
class AddHeader:
    """Put a missing computed column's header on row 1 of Enquiries."""

    col: int
    header: str
    #: The template's column, for its note, width and style (None for a header it lacks).
    spec: Column | None


@dataclass(frozen=True)
class WriteColumn:
    """Computed cells of one Enquiries column from row 2, then clear what is below them.

    Rows from ``clear_from`` down lose their values (and links): an enquiry
    deleted since the last refresh must not keep its old SLA.  ``clear_to``
    is the last row of the tab as read (a backend that sees further, such as
    Excel with its links, may clear further).
    """

    col: int
    cells: tuple[Cell, ...]
    #: The column's template style, for cells that name none.
    style: str | None
    clear_from: int
    clear_to: int
    #: The rows (first, last; 1-based, inclusive) whose cells must be written: the
    #: others already read back as they would be written.  None: every row.  A
    #: backend may still write every cell of ``cells``; the result is the same.
    runs: tuple[tuple[int, int], ...] | None = None
    #: Rows in ``runs`` only because their link changed while their text did not
    #: (a read gives text, not links): a backend writing in parts sends these with
    #: the last part, which records their fingerprints.
    relinked: tuple[int, ...] = ()

    def cells_of(self, first: int, last: int) -> tuple[Cell, ...]:
        """The cells of rows ``first`` to ``last`` (1-based, inclusive)."""
        return self.cells[first - 2:last - 1]


@dataclass(frozen=True)
class WriteValue:
    """One Enquiries cell's value (an ID fill or an owner edit); its look is left alone."""

    row: int
    col: int
    value: CellValue


@dataclass(frozen=True)
class InsertRows:
    """New enquiries from ``row`` down, one value per column from column 1.

    A backend that can insert rows (Google) inserts them, so that a row the
    owner typed in the meantime is pushed down rather than overwritten.
    """

    row: int
    rows: tuple[tuple[CellValue, ...], ...]
    #: The template style of each column (None for the owner's own columns).
    styles: tuple[str | None, ...]
    #: The columns each row names, a None included (Excel gives those a styled empty cell).
    given: tuple[frozenset[int], ...] = ()

    @property
    def numbers(self) -> list[int]:
        """The row numbers the new enquiries take."""
        return list(range(self.row, self.row + len(self.rows)))

    def cells(self) -> Iterator[tuple[int, int, CellValue, str | None]]:
        """(row, column, value, style name) of each cell the new rows get.

        Only the columns an enquiry names get a cell (a None there is an empty
        cell in the column's style); without ``given``, only the values that are
        not None.
        """
        for i, (number, values) in enumerate(zip(self.numbers, self.rows, strict=True)):
            named = self.given[i] if self.given else None
            for col, value in enumerate(values, start=1):
                if (col not in named) if named is not None else value is None:
                    continue
                yield number, col, value, self.styles[col - 1] if col <= len(self.styles) else None


@dataclass(frozen=True)
class ReplaceTab:
    """An owned tab, replaced whole (created when missing)."""

    name: str
    content: TabContent


@dataclass(frozen=True)
class SetMeta:
    """A key and its value on row ``row`` of the hidden meta tab; ``new`` writes the key too."""

    row: int
    key: str
    value: str
    new: bool


@dataclass(frozen=True)
class AppendLines:
    """Lines below the last line of a tab; ``create`` makes the tab (visible) first."""

    tab: str
    row: int
    rows: tuple[tuple[Cell, ...], ...]
    create: bool


@dataclass(frozen=True)
class FillCells:
    """Cells of a tab that were blank when planned (``upgrade``), each (row, column, Cell)."""

    tab: str
    cells: tuple[tuple[int, int, Cell], ...]


EnquiriesOp = AddHeader | WriteColumn | WriteValue | InsertRows


@dataclass
class Plan:
    """Positional operations for one all-or-nothing write, and what they assume."""

    #: The Enquiries tab's name in the template.
    enquiries: str
    #: The Enquiries values the plan was made from: the rows its operations must land on.
    planned: Grid
    #: Operations on the Enquiries tab, in order.
    enquiry_ops: list[EnquiriesOp] = field(default_factory=list)
    tabs: list[ReplaceTab] = field(default_factory=list)
    #: The meta tab's name and the keys to set on it.
    meta_tab: str = ""
    meta: list[SetMeta] = field(default_factory=list)
    log: AppendLines | None = None
    fills: list[FillCells] = field(default_factory=list)

    @property
    def appended(self) -> list[int]:
        """Row numbers of the new enquiries."""
        return [n for op in self.enquiry_ops if isinstance(op, InsertRows) for n in op.numbers]

    @property
    def positional(self) -> bool:
        """Whether existing Enquiries rows are addressed by position (a guard must check)."""
        return any(isinstance(op, AddHeader | WriteColumn | WriteValue)
                   for op in self.enquiry_ops)

    @property
    def width(self) -> int:
        """The number of Enquiries columns the write needs."""
        cols = [len(self.planned[0]) if self.planned else 0]
        for op in self.enquiry_ops:
            if isinstance(op, InsertRows):
                cols.append(len(op.styles))
            else:
                cols.append(op.col)
        return max(cols)

    @property
    def empty(self) -> bool:
        """Nothing to write."""
        return not (self.enquiry_ops or self.tabs or self.meta or self.log or self.fills)


# --------------------------------------------------------------------------- planning


def plan_write(changes: Changes, grids: Mapping[str, Grid], template: Template,
               label: str, existing: Collection[str] | None = None,
               changed_only: bool = True) -> Plan:
    """Turn ``changes`` into positional operations against ``grids``, read at write time.

    ``grids`` holds the tabs as they are now, keyed by template name:
    Enquiries, the meta tab, and the log tab when ``changes.log`` is set (a
    tab that does not exist is simply absent).  ``existing`` names every tab
    the spreadsheet has now (any case); given, an owned tab whose content has
    not changed since the last write is not replaced.  Raises
    :class:`ConcurrentEdit` when rows moved since the engine's read, and
    :class:`InputError` for a new row or an edit that names no column.

    ``changed_only=False`` is for a backend that rewrites computed columns whole
    (Excel): each column's ``runs`` is then the whole column, not worked out
    cell by cell.
    """
    enquiries = template.enquiries.name
    if enquiries not in grids:
        raise NotATracker(f"{label} is not a sheetcrm tracker: it has no {enquiries!r} tab")
    grid = grids[enquiries]
    meta_name = template.tab("meta").name
    plan = Plan(enquiries=enquiries, planned=[list(r) for r in grid], meta_tab=meta_name)
    columns = _Columns(grid, template)
    if changes.expected_ids is not None:
        _check_rows(changes.expected_ids, grid, columns, template, label)
    meta_updates = dict(changes.meta)
    known = _meta_values(grids.get(meta_name, []))
    for header, cells in changes.computed.items():
        col = columns.find_or_add(header, plan)
        spec = columns.spec(header)
        style = spec.style if spec else None
        runs = (changed_runs(cells, grid, col, style) if changed_only
                else ((2, len(cells) + 1),) if cells else ())
        relinked: list[int] = []
        prints = _link_prints(cells)
        if prints is not None:
            key = LINKS_KEY.format(header)
            before = _joined(known, key)
            if before is not None:
                # A read gives a cell's text, not its link: a link whose text stayed
                # the same (a prefilled message that moved on to the next follow-up)
                # is seen through its fingerprint, kept on the meta tab by row.
                relinked = [i + 2 for i, c in enumerate(cells) if c.link
                            and before[2 * i:2 * i + 2] != prints[2 * i:2 * i + 2]]
                runs = _merge_runs(runs, relinked)
            if before != prints:
                meta_updates.update(_split(known, key, prints))
        plan.enquiry_ops.append(WriteColumn(
            col=col, cells=tuple(cells), style=style,
            clear_from=len(cells) + 2, clear_to=len(grid), runs=runs,
            relinked=tuple(relinked)))
    if changes.id_fills:
        id_col = columns.find_or_add(template.column("id").header, plan)
        for row, new_id in sorted(changes.id_fills.items()):
            if row >= 2 and _blank(_at(grid, row, id_col)):
                plan.enquiry_ops.append(WriteValue(row, id_col, new_id))
    for (row, header), value in sorted(changes.edits.items(), key=lambda e: e[0]):
        at = columns.get(header)
        if at is None or row < 2:
            raise columns.missing(header, label)
        plan.enquiry_ops.append(WriteValue(row, at, value))
    if changes.new_rows:
        plan.enquiry_ops.append(_plan_rows(changes.new_rows, grid, columns, template, label))
    if existing is None:
        plan.tabs = [ReplaceTab(name, content) for name, content in changes.tabs.items()]
    else:
        plan.tabs = _changed_tabs(changes.tabs, grids.get(meta_name, []), template,
                                  existing, meta_updates)
    plan.meta = _plan_meta(grids.get(meta_name, []), meta_updates)
    if changes.log is not None and changes.log.rows:
        plan.log = _plan_log(changes, grids)
    _plan_upgrade(changes, grids, columns, plan)
    return plan


def _plan_upgrade(changes: Changes, grids: Mapping[str, Grid], columns: _Columns,
                  plan: Plan) -> None:
    """New headers, tabs made only when missing, and cells filled only where blank now.

    A tab the backend did not hand over is taken as the engine read it.
    """
    for header in changes.headers:
        columns.find_or_add(header, plan)
    present = {header_key(name) for name in grids}
    for name, content in changes.new_tabs.items():
        if header_key(name) not in present:
            plan.tabs.append(ReplaceTab(name, content))
    for tab, cells in changes.fills.items():
        grid = next((g for name, g in grids.items() if header_key(name) == header_key(tab)),
                    None)
        chosen = tuple((r, c, cell) for (r, c), cell in sorted(cells.items())
                       if grid is None or _blank(_at(grid, r, c)))
        if chosen:
            plan.fills.append(FillCells(tab, chosen))


#: The most characters kept in one meta cell (a cell holds 32,767 in Excel).
META_CELL_CHARS = 30000


def _joined(known: Mapping[str, str], key: str) -> str | None:
    """A value kept over the keys ``key``, ``key 2``, ``key 3``…; None when ``key`` is absent."""
    if key not in known:
        return None
    parts, n = [known[key]], 2
    while known.get(f"{key} {n}"):
        parts.append(known[f"{key} {n}"])
        n += 1
    return "".join(parts)


def _split(known: Mapping[str, str], key: str, value: str) -> dict[str, str]:
    """The meta updates that keep ``value`` over ``key``, ``key 2``… (unused ones blanked)."""
    chunks = [value[i:i + META_CELL_CHARS] for i in range(0, len(value), META_CELL_CHARS)]
    names = [key] + [f"{key} {n}" for n in range(2, len(chunks) + 1)]
    out = {name: chunk for name, chunk in zip(names, chunks, strict=True)
           if known.get(name) != chunk}
    n = len(chunks) + 1
    while known.get(f"{key} {n}"):
        out[f"{key} {n}"] = ""
        n += 1
    return out


def _meta_values(meta: Grid) -> dict[str, str]:
    return {text_of(line[0]): text_of(line[1]) for line in meta if len(line) > 1}


def _link_prints(cells: Sequence[Cell]) -> str | None:
    """Two characters a row fingerprinting its link ("--" for none); None when no row has one.

    Two characters a row keep 10,000 rows within one meta cell (a cell holds
    32,767 characters in Excel); a link that changes goes unnoticed only when
    its fingerprint happens to match, once in 4,096.
    """
    if not any(c.link for c in cells):
        return None
    out = []
    for c in cells:
        if c.link:
            digest = hashlib.sha256(c.link.encode("utf-8")).digest()
            out.append(_PRINT_CHARS[digest[0] % 64] + _PRINT_CHARS[digest[1] % 64])
        else:
            out.append("--")
    return "".join(out)


_PRINT_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _merge_runs(runs: Sequence[tuple[int, int]], rows: Sequence[int]
                ) -> tuple[tuple[int, int], ...]:
    """``runs`` with the single ``rows`` added, as sorted runs that neither overlap nor touch."""
    wanted = sorted({r for first, last in runs for r in range(first, last + 1)} | set(rows))
    out: list[tuple[int, int]] = []
    for r in wanted:
        if out and out[-1][1] == r - 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return tuple(out)


def changed_runs(cells: Sequence[Cell], grid: Grid, col: int,
                 style: str | None) -> tuple[tuple[int, int], ...]:
    """The runs of rows (first, last; from row 2) where ``cells`` differ from column ``col``."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for i, cell in enumerate(cells):
        row = i + 2
        read = _at(grid, row, col)
        # A blank stays blank whatever its style says: an empty cell shows no number format.
        same = ((_blank(read) and not isinstance(cell.value, Formula) and _blank(cell.value))
                or ((cell.style == style or style is None) and reads_as(cell.value, read)))
        if not same and start is None:
            start = row
        elif same and start is not None:
            runs.append((start, row - 1))
            start = None
    if start is not None:
        runs.append((start, len(cells) + 1))
    return tuple(runs)


def reads_as(value: CellValue | Formula, read: CellValue) -> bool:
    """Whether a cell holding ``read`` already shows ``value`` (a formula never does).

    Dates may read back as serial numbers (Google) or date-times at midnight
    (Excel); they count as the same within half a second.
    """
    if isinstance(value, Formula):
        return False
    if _blank(value) or _blank(read):
        return _blank(value) and _blank(read)
    if isinstance(value, dt.date | dt.datetime):
        if isinstance(read, dt.date | dt.datetime):
            return abs(to_serial(value) - to_serial(read)) < _SERIAL_TOLERANCE
        if isinstance(read, int | float) and not isinstance(read, bool):
            return abs(to_serial(value) - read) < _SERIAL_TOLERANCE
        return False
    if isinstance(value, bool) or isinstance(read, bool):
        return value is read
    if isinstance(value, int | float) and isinstance(read, int | float):
        return value == read
    if isinstance(value, str) and isinstance(read, str):
        return value == read
    return False


def tab_digest(content: TabContent, template: Template) -> str:
    """A short fingerprint of everything a tab's write would put there, styles included."""
    used = sorted({c.style for line in content.rows for c in line if c.style})
    text = repr((content, [(name, template.styles.get(name)) for name in used]))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _changed_tabs(tabs: Mapping[str, TabContent], meta: Grid, template: Template,
                  existing: Collection[str], meta_updates: dict[str, str]) -> list[ReplaceTab]:
    """The tabs to replace: those missing, or whose digest differs from the meta tab's."""
    keys = {n.strip().casefold() for n in existing}
    known = _meta_values(meta)
    out = []
    for name, content in tabs.items():
        key = DIGEST_KEY.format(name)
        digest = tab_digest(content, template)
        if name.strip().casefold() in keys and known.get(key) == digest:
            continue
        out.append(ReplaceTab(name, content))
        meta_updates[key] = digest
    return out


def last_typed_row(grid: Grid, template: Template) -> int:
    """The last row with anything in a column that is not computed (1 when there is none).

    Any header counts, the owner's own included: a row with only a
    "Stylist" typed is still a row the owner uses.
    """
    computed = {header_key(c.header) for c in template.computed_columns()}
    header = grid[0] if grid else []
    typed = [i for i, h in enumerate(header) if header_key(h) not in computed]
    last = 1
    for r, line in enumerate(grid[1:], start=2):
        if any(i < len(line) and not _blank(line[i]) for i in typed):
            last = r
    return last


class _Columns:
    """Enquiries columns by header, as they are now, plus those the plan adds."""

    def __init__(self, grid: Grid, template: Template) -> None:
        self.template = template
        self.tab = template.enquiries.name
        self.header = list(grid[0]) if grid else []
        self.positions = {k: i + 1 for k, i in header_positions(self.header).items()}
        self.next_col = max((len(r) for r in grid), default=0) + 1
        self.specs = {header_key(c.header): c for c in template.enquiries.columns}

    def get(self, header: str) -> int | None:
        """The 1-based column of ``header``, if row 1 has it."""
        return self.positions.get(header_key(header))

    def spec(self, header: str) -> Column | None:
        """The template's column of that header, if it is one."""
        return self.specs.get(header_key(header))

    def find_or_add(self, header: str, plan: Plan) -> int:
        """The column of ``header``, planning its header after the last used column if missing."""
        col = self.get(header)
        if col is not None:
            return col
        col = self.next_col
        self.next_col += 1
        spec = self.spec(header)
        plan.enquiry_ops.append(AddHeader(col, spec.header if spec else header, spec))
        self.positions[header_key(header)] = col
        return col

    def missing(self, header: str, label: str) -> InputError:
        """The error for a write to a column row 1 does not have."""
        known = ", ".join(text_of(h) for h in self.header if text_of(h))
        return InputError(
            f"{label} has no {str(header).strip()!r} column on the {self.tab} tab (it has "
            f"{known}): put the header back on row 1, spelt exactly like that; nothing was written"
        )


def _check_rows(expected: Sequence[CellValue], grid: Grid, columns: _Columns,
                template: Template, label: str) -> None:
    id_header = template.column("id").header
    id_col = columns.get(id_header)
    if id_col is None:
        raise NotATracker(
            f"{label}: row 1 of the {columns.tab} tab has no {id_header!r} column: put the "
            "header back, spelt exactly like that"
        )
    now = [_at(grid, row, id_col) for row in range(2, len(grid) + 1)]
    if not ids_match(expected, now):
        raise ConcurrentEdit(
            f"{label} changed since sheetcrm read it (rows were added, moved or deleted on the "
            f"{columns.tab} tab): nothing was written"
        )


def _plan_rows(records: Sequence[Mapping[str, CellValue]], grid: Grid, columns: _Columns,
               template: Template, label: str) -> InsertRows:
    """Check every new row, then place them below the last typed row."""
    first = last_typed_row(grid, template) + 1
    placed: list[dict[int, CellValue]] = []
    for n, record in enumerate(records):
        where = f"Enquiry {first + n}"
        values: dict[int, CellValue] = {}
        for header, value in record.items():
            col = columns.get(header)
            if col is None:
                raise columns.missing(header, label)
            values[col] = checked_value(value, f"{where}, {str(header).strip()}")
        if all(_blank(v) for v in values.values()):
            raise InputError(f"{where} has no values: fill it in or leave it out; "
                             "nothing was added")
        placed.append(values)
    width = max([len(columns.header), *(max(v, default=0) for v in placed)])
    styles: list[str | None] = []
    for i in range(1, width + 1):
        spec = columns.spec(text_of(columns.header[i - 1])) if i <= len(columns.header) else None
        styles.append(spec.style if spec else None)
    rows = tuple(tuple(values.get(c) for c in range(1, width + 1)) for values in placed)
    return InsertRows(row=first, rows=rows, styles=tuple(styles),
                      given=tuple(frozenset(values) for values in placed))


def checked_value(value: CellValue, where: str) -> CellValue:
    """A value a spreadsheet can hold as it is, or an :class:`InputError` naming ``where``.

    An aware date-time keeps its wall time: the engine's are in the tracker's zone.
    """
    if isinstance(value, str):
        if CONTROL_CHARACTERS.search(value):
            raise InputError(f"{where}: the text has control characters that a spreadsheet "
                             "cannot store; remove them and try again (nothing was added)")
        if len(value) > MAX_CELL_TEXT:
            raise InputError(f"{where}: the text is {len(value):,} characters long, longer "
                             f"than the {MAX_CELL_TEXT:,} characters a cell holds; shorten it "
                             "and try again (nothing was added)")
        return value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        # abs() first: math.isfinite cannot turn an int past 1e308 into a float.
        if abs(value) > MAX_NUMBER or not math.isfinite(value):
            raise InputError(f"{where}: {value} is not a number a spreadsheet can hold; "
                             "nothing was added")
        return value
    if isinstance(value, dt.datetime | dt.time):
        return value.replace(tzinfo=None) if value.tzinfo is not None else value
    if isinstance(value, dt.date):
        return value
    raise InputError(f"{where}: {value!r} cannot be written to a spreadsheet; nothing was added")


def _plan_meta(grid: Grid, updates: Mapping[str, str]) -> list[SetMeta]:
    """A known key's value in place, a new key below the rest; other keys are left alone."""
    rows: dict[str, int] = {}
    for r, line in enumerate(grid, start=1):
        key = text_of(line[0]) if line else ""
        if key and key not in rows:
            rows[key] = r
    next_row = len(grid) + 1
    out = []
    for key, value in updates.items():
        if key in rows:
            out.append(SetMeta(rows[key], key, value, new=False))
        else:
            out.append(SetMeta(next_row, key, value, new=True))
            next_row += 1
    return out


def _plan_log(changes: Changes, grids: Mapping[str, Grid]) -> AppendLines:
    log = changes.log
    assert log is not None
    existing = grids.get(log.tab)
    lines = [tuple(v if isinstance(v, Cell) else Cell(v) for v in r) for r in log.rows]
    if not existing:
        lines.insert(0, tuple(Cell(h, style="header") for h in log.header))
    return AppendLines(tab=log.tab, row=len(existing or []) + 1, rows=tuple(lines),
                       create=existing is None)


def _at(grid: Grid, row: int, col: int) -> CellValue:
    line = grid[row - 1] if 0 < row <= len(grid) else []
    return line[col - 1] if 0 < col <= len(line) else None


def _blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
