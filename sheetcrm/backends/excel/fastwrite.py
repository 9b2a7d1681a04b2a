"""The fast write: a plan carried out without loading the Enquiries rows into openpyxl.

openpyxl spends most of a refresh building, and writing back, an object for
every cell of the Enquiries tab, although sheetcrm changes only its computed
columns.  Here the workbook is loaded *without* the Enquiries rows below the
header (a "stub": every other tab, every style, the header row, the column
formats, dropdowns and conditional formats stay), and the ordinary
:class:`~.execute.Executor` carries out everything on it but the cells of rows
2 and below.  Those are carried out by streaming the original sheet XML: each
cell the plan writes is made by the very same :func:`.render.write_cell` /
:func:`.render.set_value` calls on a detached openpyxl cell (its old style as
the base) and serialised by openpyxl's own cell writer; every other cell keeps
its bytes.  The stub is saved by openpyxl, and the rows, hyperlinks and
shared strings are put back into its Enquiries part.

Anything this does not expect raises :class:`Unsupported`, and the backend
falls back to the openpyxl path: nothing is written from a half-made file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from copy import copy
from dataclasses import replace
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from openpyxl.cell._writer import etree_write_cell
from openpyxl.cell.cell import Cell as XLCell
from openpyxl.compat import safe_string
from openpyxl.utils.cell import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import to_excel

from ...model import Cell
from ...planner import AddHeader, InsertRows, Plan, ReplaceTab, WriteColumn, WriteValue
from ...template import Template
from .execute import Executor, last_row
from .package import (
    HYPERLINKS,
    Package,
    Streamed,
    Unsupported,
    declarations,
    hollow,
    link_xml,
    original_links,
    rels_of,
    sheet_data,
    title_of,
    without_links,
)
from .ranges import grow_ranges
from .render import (
    clean_text,
    plain_value,
    set_value,
    style_target,
    wrapped_height,
    write_cell,
)
from .workbook import find_sheet, open_workbook

_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData>(.*?)</sheetData>", re.S)
#: A row (its attributes, its cells); written out, not as ".*?", which the regex engine
#: would try to end at every byte of a large sheet.
_ROW = re.compile(rb"<row\b([^>]*?)(?:/>|>([^<]*(?:<(?!/row>)[^<]*)*)</row>)", re.S)
#: A cell with its reference's column and row (None, None when it has no reference).
_CELL_REF = re.compile(rb'<c\b(?=[^>]*?\sr="([A-Z]+)(\d+)")?[^>]*?(?:/>|>.*?</c>)', re.S)
_R_ATTR = re.compile(rb'\sr="([A-Z]*)(\d+)"')
_SPACE = re.compile(rb"\s*")
_SPANS = re.compile(rb'\sspans="[^"]*"')
_S_ATTR = re.compile(rb'\ss="(\d+)"')
_REFUSED = re.compile(rb"<mergeCells\b|<tableParts\b|<sheetProtection\b|<extLst\b")
#: What :data:`_REFUSED` looks for, found faster than the pattern finds it in every row.
_REFUSED_TAGS = (b"<mergeCells", b"<tableParts", b"<sheetProtection", b"<extLst")


Edit = Callable[[Any], None]


class _Collector:
    """Stands in for openpyxl's xmlfile: keeps the one element written."""

    def __init__(self) -> None:
        self.element: Any = None

    def write(self, element: Any) -> None:
        self.element = element


class FastWriter:
    """Carries out one plan on a tracker's bytes; :meth:`write` returns the new bytes."""

    def __init__(self, template: Template, data: bytes, label: str) -> None:
        self.template = template
        self.data = data
        self.label = label
        self.package = Package(data)
        self.archive, self.names = self.package.archive, self.package.names
        #: The attributes after ``r`` (style id and type) of each kind of computed cell.
        self._shapes: dict[tuple[int, str | None, type], str] = {}
        self._part = ""  # the Enquiries sheet's part, once found
        #: What one step of a row's scan matches (:func:`_cells_pattern`).
        self._cells = _NO_RUN
        #: Rows added by the plan, whose height is fitted to their wrapped text.
        self._fit: set[int] = set()

    # ------------------------------------------------------------ the whole write

    def write(self, plan: Plan) -> bytes:
        """The new file's bytes, or :class:`Unsupported`."""
        if plan.log is not None and plan.log.tab.strip().casefold() == \
                plan.enquiries.strip().casefold():
            raise Unsupported("a log on the Enquiries tab")
        part = self._part = self._enquiries_part(plan.enquiries)
        xml = self.archive.read(part)
        if any(tag in xml for tag in _REFUSED_TAGS) and _REFUSED.search(xml):
            raise Unsupported("merged cells, a table, protection or extensions on Enquiries")
        found = sheet_data(xml)
        if found is None:
            raise Unsupported("no sheetData")
        start, end, inner = found
        # A view, not a copy: the rows are a tracker's largest part.
        header, body = self._split_header(memoryview(xml)[inner[0]:inner[1]])
        links = original_links(xml)
        stub = b"".join((xml[:start], b"<sheetData>", header, b"</sheetData>", xml[end:]))
        stub = HYPERLINKS.sub(b"", stub)
        touched = {plan.enquiries, *(t.name for t in plan.tabs), *(f.tab for f in plan.fills)}
        if plan.meta:
            touched.add(plan.meta_tab)
        if plan.log is not None:
            touched.add(plan.log.tab)
        kept = self.package.untouched(touched, part)
        stubs = {name: hollow(data) for name, (data, _) in kept.items()}
        # An owned tab is emptied before it is written: the stub need not hold its cells.
        for replaced in self._replaced_parts(plan):
            stubs[replaced] = hollow(self.archive.read(replaced))
        # The stub's sheets have no <hyperlinks>: their link relationships (one per
        # WhatsApp link) would only make openpyxl read a large part for nothing.
        for emptied in [part, *stubs]:
            if rels_of(emptied) in self.names:
                stubs[rels_of(emptied)] = without_links(self.archive.read(rels_of(emptied)))
        # Stored, not compressed: only openpyxl reads the stub, at once.
        wb = open_workbook(self.package.replaced({part: stub, **stubs}, compress=False),
                           self.label)
        del stubs
        ws = find_sheet(wb, plan.enquiries)
        if ws is None or any(row > 1 for row, _ in ws._cells):
            raise Unsupported("cells below the header appear in the stub")
        executor = Executor(self.template, wb, self.label)
        edits = self._edits(plan, executor, ws)
        self._cells = _cells_pattern(xml, inner, edits)
        new_rows, new_links, bounds = self._stream(ws, body, edits, links)
        del body
        grow_ranges(ws, last_row(plan), self.template.rows)
        streamed = [Streamed(ws.title, new_rows, new_links, bounds, declarations(xml))]
        # The executor does owned tabs (all but their cells), meta and History as on the
        # openpyxl path; the owned tabs' cells are written directly, as computed cells are.
        executor.other_tabs(replace(plan, tabs=[
            replace(op, content=replace(op.content, rows=[])) for op in plan.tabs]))
        for op in plan.tabs:
            tab = find_sheet(wb, op.name)
            if tab is None:
                raise Unsupported("an owned tab the executor did not make")
            streamed.append(self._tab_rows(tab, op))
        titles = {name: title_of(wb, self.package.titles(), name) for name in kept}
        out = BytesIO()
        wb.save(out)
        return self.package.spliced(out.getvalue(), streamed,
                                    {titles[name]: found for name, found in kept.items()})

    def _replaced_parts(self, plan: Plan) -> list[str]:
        """The parts of the owned tabs ``plan`` rewrites that exist already."""
        return [part for op in plan.tabs if (part := self.package.part_of(op.name)) is not None]

    def _tab_rows(self, ws: Any, op: ReplaceTab) -> Streamed:
        """An owned tab's cells as :func:`.render.write_tab` writes them, as sheet rows."""
        rows: list[bytes] = []
        links: list[bytes] = []
        place = f"{self.label}, tab '{ws.title}', cell "
        last_row = last_col = 0
        for r, row in enumerate(op.content.rows, start=1):
            cells = []
            for c, cell in enumerate(row, start=1):
                if cell.value is None and cell.style is None and cell.link is None:
                    continue
                edit = _CellEdit(cell, self.template, place, c, r, None)
                cells.append(self._cell(ws, r, c, 0, [("cell", edit)], {}, links))
                last_col = max(last_col, c)
            if cells:
                rows.append(f'<row r="{r}">'.encode() + b"".join(cells) + b"</row>")
                last_row = r
        return Streamed(ws.title, rows, links, (last_row, last_col))

    # ------------------------------------------------------------ reading the original

    def _enquiries_part(self, name: str) -> str:
        part = self.package.part_of(name)
        if part is None:
            raise Unsupported("no Enquiries tab, or its part is missing")
        return part

    @staticmethod
    def _split_header(rows: memoryview) -> tuple[bytes, memoryview]:
        start = _SPACE.match(rows).end()  # type: ignore[union-attr]
        first = _ROW.match(rows, start)
        if first is None:
            return b"", rows
        found = _R_ATTR.search(b" " + first.group(1))
        if found is None:
            raise Unsupported("a row without a number")
        if int(found.group(2)) != 1:
            return b"", rows
        return bytes(rows[start: first.end()]), rows[first.end():]

    # ------------------------------------------------------------ the plan's cells

    def _edits(self, plan: Plan, executor: Executor, ws: Any) -> _Pending:
        """The plan's cells below the header, by row; header operations done on the stub."""
        sparse: dict[int, dict[int, list[tuple[int, str, Edit]]]] = {}
        columns: list[tuple[int, WriteColumn]] = []
        stale: dict[int, tuple[Edit, int]] = {}
        template, label = self.template, self.label
        place = f"{label}, Enquiries!"

        def add(index: int, row: int, col: int, kind: str, edit: Edit) -> None:
            if row < 2:
                raise Unsupported("a cell on the header row")
            sparse.setdefault(row, {}).setdefault(col, []).append((index, kind, edit))

        for index, op in enumerate(plan.enquiry_ops):
            if isinstance(op, WriteColumn):
                if op.col in stale:
                    raise Unsupported("a column written twice")
                columns.append((index, op))  # its cells are made row by row, when streamed
                stale[op.col] = (_CellEdit(Cell(None), template, place, op.col, None, op.style),
                                 op.clear_from)
            elif isinstance(op, WriteValue):
                where = f"{label}, Enquiries row {op.row}"
                add(index, op.row, op.col, "value", _value_edit(op.value, where))
            elif isinstance(op, InsertRows):
                if op.rows:
                    self._fit.update(op.numbers)  # as fit_wrapped_rows on the openpyxl path
                for number, col, value, style in op.cells():
                    add(index, number, col, "insert", _insert_edit(
                        value, template.styles[style] if style else None,
                        f"{label}, Enquiries!{get_column_letter(col)}{number}"))
            else:
                executor.add_header(ws, op)
        if self._fit and len(plan.enquiry_ops) > 1 and not all(
                isinstance(op, InsertRows | AddHeader) for op in plan.enquiry_ops):
            # A row's height is measured when its cells are in: with other writes in the
            # same plan, which of them came first would matter.
            raise Unsupported("rows added and other cells written in one plan")
        return _Pending(sparse, columns, stale, template, label)

    def _stream(self, ws: Any, body: memoryview, pending: _Pending,
                links: dict[str, bytes]) -> tuple[list[bytes], list[bytes], tuple[int, int]]:
        stale = pending.stale
        out: list[bytes] = []
        new_links: list[bytes] = []
        max_row, max_col = 1, ws.max_column
        position = 0
        waiting = sorted(pending.rows, reverse=True)  # rows not yet in the file, smallest last
        for match in _ROW.finditer(body):
            if match.start() != position and bytes(body[position: match.start()]).strip():
                raise Unsupported("something between rows")
            position = match.end()
            found = _R_ATTR.search(b" " + match.group(1))
            if found is None:
                raise Unsupported("a row without a number")
            number = int(found.group(2))
            while waiting and waiting[-1] < number:
                earlier = waiting.pop()
                if earlier in pending.rows:
                    out.append(self._new_row(ws, earlier, pending.pop(earlier), new_links))
            if number in self._fit:
                raise Unsupported("a row added where the sheet already has a row")
            cells = self._row_cells(ws, number, match.group(2) or b"", pending.pop(number),
                                    stale, links, new_links)
            if cells:
                max_row = max(max_row, number)
                max_col = max(max_col, max(c for c, _ in cells))
            attrs = _SPANS.sub(b"", match.group(1))  # spans are a hint that may now be wrong
            out.append(b"<row" + attrs + b">" + b"".join(x for _, x in cells) + b"</row>")
        if position != len(body) and bytes(body[position:]).strip():
            raise Unsupported("something after the rows")
        for later in sorted(pending.rows):
            row_edits = pending.pop(later)
            out.append(self._new_row(ws, later, row_edits, new_links))
            max_row = max(max_row, later)
            max_col = max(max_col, max(row_edits))
        return out, self.package.kept_links(self._part, links) + new_links, (max_row, max_col)

    def _row_cells(self, ws: Any, number: int, content: bytes, edits: dict[int, list[Any]],
                   stale: dict[int, tuple[Edit, int]], links: dict[str, bytes],
                   new_links: list[bytes]) -> list[tuple[int, bytes]]:
        # The hottest loop of a refresh (every cell of every row).  Cells in columns
        # nobody writes are taken a run at a time by the regex engine (see _cells_pattern)
        # and copied as they are; the others are looked at one by one.
        cells: list[tuple[int, bytes]] = []
        position = 0
        waiting = sorted(edits)  # columns to write, smallest first
        row_text = str(number).encode()
        last = 0
        for match in self._cells.finditer(content):
            start = match.start()
            if start != position and content[position:start].strip():
                raise Unsupported("something between cells")
            position = match.end()
            first_letters, first_digits, letters, digits = match.group(1, 2, 3, 4)
            if letters is not None:  # a run of cells nobody writes
                first = _COLUMNS.get(first_letters) or _column_number(first_letters)
                final = _COLUMNS.get(letters) or _column_number(letters)
                if (first <= last or final < first
                        or (first_digits != row_text and int(first_digits) != number)
                        or (digits != row_text and int(digits) != number)):
                    raise Unsupported("cells out of order or in another row")
                if waiting and waiting[0] < final:
                    # A column to write has no cell inside this run: one cell at a time.
                    for inner in _CELL_REF.finditer(match.group(0)):
                        last = self._one_cell(ws, number, row_text, last, inner, waiting,
                                              edits, stale, links, new_links, cells)
                    continue
                while waiting and waiting[0] < first:
                    earlier = waiting.pop(0)
                    cells.append((earlier, self._cell(ws, number, earlier, 0,
                                                      edits.pop(earlier), links, new_links)))
                cells.append((final, match.group(0)))
                last = final
                continue
            last = self._one_cell(ws, number, row_text, last, match, waiting, edits, stale,
                                  links, new_links, cells, 5)
        if position != len(content) and content[position:].strip():
            raise Unsupported("something after the cells")
        for later in waiting:
            cells.append((later, self._cell(ws, number, later, 0, edits[later], links,
                                            new_links)))
        return cells

    def _one_cell(self, ws: Any, number: int, row_text: bytes, last: int, match: Any,
                  waiting: list[int], edits: dict[int, list[Any]],
                  stale: dict[int, tuple[Edit, int]], links: dict[str, bytes],
                  new_links: list[bytes], cells: list[tuple[int, bytes]],
                  group: int = 1) -> int:
        """One cell of a row, written or kept; returns its column."""
        letters, digits = match.group(group, group + 1)
        if letters is None or (digits != row_text and int(digits) != number):
            raise Unsupported("a cell without its reference")
        col = _COLUMNS.get(letters) or _column_number(letters)
        if col <= last:
            raise Unsupported("cells out of order")
        while waiting and waiting[0] < col:
            earlier = waiting.pop(0)
            cells.append((earlier, self._cell(ws, number, earlier, 0, edits.pop(earlier),
                                              links, new_links)))
        kinds = None
        whole = match.group(0)
        if waiting and waiting[0] == col:
            waiting.pop(0)
            kinds = edits.pop(col)
        elif col in stale and number >= stale[col][1]:
            inner = whole[whole.index(b">"):]
            if (b"<v" in inner or b"<is" in inner or b"<f" in inner
                    or f"{get_column_letter(col)}{number}" in links):
                kinds = [("cell", stale[col][0])]
        if kinds is None:
            cells.append((col, whole))
            return col
        style = _S_ATTR.search(whole, 0, whole.index(b">"))
        xf = int(style.group(1)) if style else 0
        cells.append((col, self._cell(ws, number, col, xf, kinds, links, new_links)))
        return col

    def _new_row(self, ws: Any, number: int, edits: dict[int, list[Any]],
                 new_links: list[bytes]) -> bytes:
        made: list[Any] | None = [] if number in self._fit else None
        cells = [self._cell(ws, number, col, 0, edits[col], {}, new_links, made)
                 for col in sorted(edits)]
        attrs = ""
        height = wrapped_height(ws, made) if made else None
        if height is not None:
            ws.row_dimensions[number].height = height
            attrs = "".join(f' {k}="{v}"' for k, v in ws.row_dimensions.pop(number))
        return f'<row r="{number}"{attrs}>'.encode() + b"".join(cells) + b"</row>"

    def _cell(self, ws: Any, row: int, col: int, xf: int, kinds: list[Any],
              links: dict[str, bytes], new_links: list[bytes],
              made: list[Any] | None = None) -> bytes:
        """A cell as openpyxl would write it on the openpyxl path."""
        if made is None and len(kinds) == 1 and isinstance(kinds[0][1], _CellEdit):
            direct = self._direct(ws, row, col, xf, kinds[0][1], links, new_links)
            if direct is not None:
                return direct
        return self._made(ws, row, col, xf, kinds, links, new_links, made)

    def _made(self, ws: Any, row: int, col: int, xf: int, kinds: list[Any],
              links: dict[str, bytes], new_links: list[bytes],
              made: list[Any] | None = None) -> bytes:
        """A cell made by openpyxl exactly as the openpyxl path would make it.

        With ``made``, the openpyxl cell is also added to it (for the row's height).
        """
        cell = XLCell(ws, row=row, column=col)
        if xf:
            try:
                cell._style = copy(ws.parent._cell_styles[xf])
            except IndexError:
                raise Unsupported("a style index out of range") from None
        ref = cell.coordinate
        for kind, edit, *_ in kinds:
            edit(cell)
            if kind == "cell":
                links.pop(ref, None)  # write_cell replaces any link the cell had
        if made is not None:
            made.append(cell)
        collector = _Collector()
        ws._hyperlinks = []
        etree_write_cell(collector, ws, cell, cell.has_style)
        for link in ws._hyperlinks:
            links.pop(ref, None)
            new_links.append(link_xml({"ref": ref, "__target": link.target}))
        ws._hyperlinks = []
        return _serialise(collector.element)

    def _direct(self, ws: Any, row: int, col: int, xf: int, edit: _CellEdit,
                links: dict[str, bytes], new_links: list[bytes]) -> bytes | None:
        """A computed cell's XML written directly, or None for :meth:`_made` to make it.

        Making an openpyxl cell, styling it and serialising it cost most of a fast
        refresh.  What openpyxl writes for a computed cell depends only on its
        old style, its named style and its value's type, so the first cell of
        each such kind is made by openpyxl (:meth:`_made`), which fixes its style
        id and type, and the rest are written from that with their own value.
        ``tests/test_excel_fast_write.py`` compares the two cell by cell.
        """
        value = edit.cell.value
        link = edit.cell.link
        kind = type(value)
        if kind not in _DIRECT_TYPES or (link and value is None):
            return None
        key = (xf, edit.style_name(), kind)
        shape = self._shapes.get(key)
        ref = f"{get_column_letter(col)}{row}"
        if shape is None:
            made = self._made(ws, row, col, xf, [("cell", edit)], links, new_links)
            self._shapes[key] = _shape_of(made)
            return made
        text = _value_text(value, ws.parent, edit)
        if text is None:
            return None
        links.pop(ref, None)  # write_cell replaces any link the cell had
        if link:
            new_links.append(link_xml({"ref": ref, "__target": link}))
        head = f'<c r="{ref}"{shape}'
        if not text:
            return (head + "/>").encode("utf-8")
        return (head + ">" + text + "</c>").encode("utf-8")

    # ------------------------------------------------------------ putting it together

_NO_RUN = re.compile(rb"(?!)()()()()|" + _CELL_REF.pattern, re.S)


def _cells_pattern(xml: bytes, rows: tuple[int, int], pending: _Pending) -> re.Pattern[bytes]:
    """One cell, or a run of cells in columns the plan does not write.

    Groups 1-4: the first and last cell's column and row of a run; groups 5-6:
    one cell's column and row.  A run needs every cell's reference to come
    first in it (as Excel, LibreOffice and openpyxl write them); in any other
    file only single cells are matched.
    """
    written = {*pending.stale, *(op.col for _, op in pending.columns)}
    for row in pending.sparse.values():
        written.update(row)
    if (xml.count(b"<c ", *rows) != xml.count(b'<c r="', *rows)
            or xml.find(b"<c>", *rows) >= 0):
        return _NO_RUN
    letters = b"|".join(sorted(get_column_letter(c).encode() for c in written))
    skip = rb"(?!(?:" + letters + rb")\d)" if letters else b""
    run = (rb'(?=<c r="([A-Z]+)(\d+)")(?:<c r="' + skip
           + rb'([A-Z]+)(\d+)"[^>]*?(?:/>|>.*?</c>))+')
    return re.compile(run + rb"|" + _CELL_REF.pattern, re.S)


#: Column numbers by letters, filled as they are met.
_COLUMNS: dict[bytes, int] = {}


def _column_number(letters: bytes) -> int:
    number: int = column_index_from_string(letters.decode())
    _COLUMNS[letters] = number
    return number


def _serialise(element: Any) -> bytes:
    """An element as XML (what ElementTree.tostring gives, without its per-call set-up)."""
    return "".join(_parts(element)).encode("utf-8")


def _parts(element: Any) -> list[str]:
    out = ["<", _name(element.tag)]
    for key, value in element.attrib.items():
        out.append(f' {_name(key)}="{escape(str(value), _ATTR_ESCAPES)}"')
    children = list(element)
    if element.text is None and not children:
        out.append("/>")
        return out
    out.append(">")
    if element.text is not None:
        out.append(escape(element.text))
    for child in children:
        out.extend(_parts(child))
    out.append(f"</{_name(element.tag)}>")
    return out


_ATTR_ESCAPES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#09;"}


def _name(tag: str) -> str:
    if tag.startswith("{http://www.w3.org/XML/1998/namespace}"):
        return "xml:" + tag.split("}", 1)[1]
    if tag.startswith("{"):
        raise Unsupported(f"a namespaced name {tag}")
    return tag


class _Pending:
    """The cells still to write, by row: the computed columns' made only when their row comes.

    Making a closure for each of 50,000 computed cells up front cost more memory
    than the rest of the write.
    """

    def __init__(self, sparse: dict[int, dict[int, list[tuple[int, str, Edit]]]],
                 columns: list[tuple[int, WriteColumn]], stale: dict[int, tuple[Edit, int]],
                 template: Template, label: str) -> None:
        self.sparse = sparse
        self.columns = columns
        self.stale = stale
        self.template = template
        self.label = label
        self.place = f"{label}, Enquiries!"
        longest = max((len(op.cells) for _, op in columns), default=0)
        self.rows = set(sparse) | set(range(2, 2 + longest))

    def pop(self, row: int) -> dict[int, list[tuple[str, Edit]]]:
        """The edits of ``row`` by column, in the plan's order; none once taken."""
        if row not in self.rows:
            return {}
        self.rows.discard(row)
        sparse = self.sparse.pop(row, None)
        at = row - 2
        if not sparse:  # most rows: one computed cell per column, nothing to order
            template, place = self.template, self.place
            return {op.col: [("cell", _CellEdit(op.cells[at], template, place, op.col, row,
                                                op.style))]
                    for _, op in self.columns if at < len(op.cells)}
        found = {col: list(kinds) for col, kinds in sparse.items()}
        for index, op in self.columns:
            if row - 2 < len(op.cells):
                edit = (index, "cell", _CellEdit(op.cells[row - 2], self.template, self.place,
                                                 op.col, row, op.style))
                kinds = found.get(op.col)
                if kinds is None:
                    found[op.col] = [edit]
                else:
                    kinds.append(edit)
        return {col: [(kind, edit) for _, kind, edit in
                      (sorted(kinds, key=_first) if len(kinds) > 1 else kinds)]
                for col, kinds in found.items()}


def _first(item: tuple[int, str, Edit]) -> int:
    return item[0]


class _CellEdit:
    """A computed cell to write (:func:`.render.write_cell`), its place named only if needed."""

    __slots__ = ("cell", "template", "place", "col", "row", "style")

    def __init__(self, cell: Cell, template: Template, place: str, col: int, row: int | None,
                 style: str | None) -> None:
        self.cell, self.template, self.place = cell, template, place
        self.col, self.row, self.style = col, row, style

    def where(self) -> str:
        """The cell's place, for messages: ``place`` then its reference."""
        return f"{self.place}{get_column_letter(self.col)}{self.row or ''}"

    def style_name(self) -> str | None:
        """The named style write_cell gives the cell."""
        return self.cell.style or self.style or ("link" if self.cell.link else None)

    def __call__(self, target: Any) -> None:
        write_cell(target, self.cell, self.template, self.where(), self.style)


_DIRECT_TYPES = frozenset({str, int, float, bool, type(None), dt.datetime, dt.date})
_SHAPE = re.compile(rb'<c r="[A-Z]+\d+"((?: s="\d+")?(?: t="[a-zA-Z]+")?)')


def _shape_of(made: bytes) -> str:
    found = _SHAPE.match(made)
    if found is None:
        raise Unsupported("a cell openpyxl wrote in an unexpected shape")
    return found.group(1).decode()


def _value_text(value: Any, book: Any, edit: _CellEdit) -> str | None:
    """The inside of a ``<c>`` element for ``value`` as openpyxl writes it ("" for none).

    None where openpyxl must decide (dates in ISO form, numbers beyond a double's
    exact integers); errors are raised as on the openpyxl path.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        text = clean_text(value)
        if not text:
            return ""
        preserve = ' xml:space="preserve"' if text.strip() and text != text.strip() else ""
        return f"<is><t{preserve}>{escape(text)}</t></is>"
    if isinstance(value, bool):
        return f"<v>{safe_string(value)}</v>"
    if isinstance(value, int):
        if abs(value) > 2**53:
            return None
        return f"<v>{safe_string(value)}</v>"
    if isinstance(value, float):
        return f"<v>{safe_string(plain_value(value, edit.where()))}</v>"
    if book.iso_dates:
        return None
    return f"<v>{safe_string(to_excel(plain_value(value, edit.where()), book.epoch))}</v>"


def _value_edit(value: Any, where: str) -> Edit:
    return lambda target: set_value(target, value, where)


def _insert_edit(value: Any, style: Any, where: str) -> Edit:
    def edit(target: Any) -> None:
        if style is not None:
            style_target(target, style, keep_date_format=isinstance(value, dt.date | dt.time))
        set_value(target, value, where)
    return edit
