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
import zipfile
from collections.abc import Callable
from copy import copy
from dataclasses import replace
from io import BytesIO
from pathlib import PurePosixPath
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from openpyxl.cell._writer import etree_write_cell
from openpyxl.cell.cell import Cell as XLCell
from openpyxl.compat import safe_string
from openpyxl.utils.cell import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import to_excel

from ...model import Cell
from ...planner import InsertRows, Plan, ReplaceTab, WriteColumn, WriteValue
from ...template import Template
from .execute import Executor, last_row
from .ranges import grow_ranges
from .render import clean_text, plain_value, set_value, style_target, write_cell
from .workbook import find_sheet, open_workbook

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_HYPERLINK = _RELNS + "/hyperlink"

_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData>(.*?)</sheetData>", re.S)
_ROW = re.compile(rb"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
#: A cell with its reference's column and row (None, None when it has no reference).
_CELL_REF = re.compile(rb'<c\b(?=[^>]*?\sr="([A-Z]+)(\d+)")?[^>]*?(?:/>|>.*?</c>)', re.S)
_R_ATTR = re.compile(rb'\sr="([A-Z]*)(\d+)"')
_SPACE = re.compile(rb"\s*")
_SPANS = re.compile(rb'\sspans="[^"]*"')
_S_ATTR = re.compile(rb'\ss="(\d+)"')
_HYPERLINKS = re.compile(rb"<hyperlinks\b[^>]*/>|<hyperlinks\b[^>]*>(.*?)</hyperlinks>", re.S)
_DIMENSION = re.compile(rb"<dimension\b[^>]*/>")
_LINK_ELEMENT = re.compile(rb"<hyperlink\b[^>]*?(?:/>|>.*?</hyperlink>)", re.S)
_REF_ATTR = re.compile(rb'\sref="([^"]*)"')
#: Worksheet children that come after <hyperlinks>, in schema order.
_AFTER_LINKS = re.compile(
    rb"<(?:printOptions|pageMargins|pageSetup|headerFooter|rowBreaks|colBreaks|"
    rb"customProperties|cellWatches|ignoredErrors|smartTags|drawing|legacyDrawing|"
    rb"legacyDrawingHF|picture|oleObjects|controls|webPublishItems|tableParts|extLst)\b"
    rb"|</worksheet>")
_REFUSED = re.compile(rb"<mergeCells\b|<tableParts\b|<sheetProtection\b|<extLst\b")
#: What :data:`_REFUSED` looks for, found faster than the pattern finds it in every row.
_REFUSED_TAGS = (b"<mergeCells", b"<tableParts", b"<sheetProtection", b"<extLst")
_SHEET_DATA_OPEN = re.compile(rb"<sheetData\s*(/?)>")


_STRINGS_TYPE = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                 b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
_STRINGS_REL = (b'<Relationship Id="rIdSheetcrmStrings" Type="' + _RELNS.encode()
                + b'/sharedStrings" Target="sharedStrings.xml"/>')


class Unsupported(Exception):
    """A shape of file the fast write does not handle: use the openpyxl path."""


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
        self.archive = zipfile.ZipFile(BytesIO(data))
        self.names = self.archive.namelist()
        #: The attributes after ``r`` (style id and type) of each kind of computed cell.
        self._shapes: dict[tuple[int, str | None, type], str] = {}
        self._part = ""  # the Enquiries sheet's part, once found

    # ------------------------------------------------------------ the whole write

    def write(self, plan: Plan) -> bytes:
        """The new file's bytes, or :class:`Unsupported`."""
        if plan.log is not None and plan.log.tab.strip().casefold() == \
                plan.enquiries.strip().casefold():
            raise Unsupported("a log on the Enquiries tab")
        part = self._enquiries_part(plan.enquiries)
        xml = self.archive.read(part)
        if any(tag in xml for tag in _REFUSED_TAGS) and _REFUSED.search(xml):
            raise Unsupported("merged cells, a table, protection or extensions on Enquiries")
        found = _sheet_data(xml)
        if found is None:
            raise Unsupported("no sheetData")
        start, end, inner = found
        # A view, not a copy: the rows are a tracker's largest part.
        header, body = self._split_header(memoryview(xml)[inner[0]:inner[1]])
        links, kept_links = self._links(part, xml)
        stub = b"".join((xml[:start], b"<sheetData>", header, b"</sheetData>", xml[end:]))
        stub = _HYPERLINKS.sub(b"", stub)
        kept = self._untouched(plan, part)
        hollow = {name: _hollow(data) for name, (data, _) in kept.items()}
        # An owned tab is emptied before it is written: the stub need not hold its cells.
        for replaced in self._replaced_parts(plan):
            hollow[replaced] = _hollow(self.archive.read(replaced))
        # Stored, not compressed: only openpyxl reads the stub, at once.
        wb = open_workbook(self._replaced({part: stub, **hollow}, compress=False), self.label)
        del hollow
        ws = find_sheet(wb, plan.enquiries)
        if ws is None or any(row > 1 for row, _ in ws._cells):
            raise Unsupported("cells below the header appear in the stub")
        executor = Executor(self.template, wb, self.label)
        edits = self._edits(plan, executor, ws)
        new_rows, new_links, bounds = self._stream(ws, body, edits, links)
        del body
        grow_ranges(ws, last_row(plan), self.template.rows)
        streamed = [_Streamed(ws.title, new_rows, kept_links + new_links, bounds)]
        # The executor does owned tabs (all but their cells), meta and History as on the
        # openpyxl path; the owned tabs' cells are written directly, as computed cells are.
        executor.other_tabs(replace(plan, tabs=[
            replace(op, content=replace(op.content, rows=[])) for op in plan.tabs]))
        for op in plan.tabs:
            tab = find_sheet(wb, op.name)
            if tab is None:
                raise Unsupported("an owned tab the executor did not make")
            streamed.append(self._tab_rows(tab, op))
        titles = {name: _title(wb, self._titles(), name) for name in kept}
        out = BytesIO()
        wb.save(out)
        return self._spliced(out.getvalue(), streamed,
                             {titles[name]: found for name, found in kept.items()})

    def _replaced_parts(self, plan: Plan) -> list[str]:
        """The parts of the owned tabs ``plan`` rewrites that exist already."""
        titles = self._titles()
        out = []
        for op in plan.tabs:
            title = op.name if op.name in titles else next(
                (t for t in titles if t.strip().casefold() == op.name.strip().casefold()), None)
            if title is not None and titles[title] in self.names:
                out.append(titles[title])
        return out

    def _tab_rows(self, ws: Any, op: ReplaceTab) -> _Streamed:
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
        return _Streamed(ws.title, rows, links, (last_row, last_col))

    # ------------------------------------------------------------ reading the original

    def _titles(self) -> dict[str, str]:
        """Each tab's title and the package part of its sheet."""
        book = ElementTree.fromstring(self.archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(self.archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in rels}
        out: dict[str, str] = {}
        for sheet in book.iter(f"{{{_MAIN}}}sheet"):
            target = targets.get(sheet.get(f"{{{_RELNS}}}id"), "")
            out[sheet.get("name", "")] = (target.lstrip("/") if target.startswith("/")
                                          else str(PurePosixPath("xl") / target))
        return out

    def _enquiries_part(self, name: str) -> str:
        titles = self._titles()
        title = name if name in titles else next(
            (t for t in titles if t.strip().casefold() == name.strip().casefold()), None)
        if title is None:
            raise Unsupported("no Enquiries tab")
        part = titles[title]
        if part not in self.names:
            raise Unsupported("the Enquiries part is missing")
        return part

    def _untouched(self, plan: Plan, enquiries: str) -> dict[str, tuple[bytes, bytes | None]]:
        """The sheets the plan leaves alone that can go back byte for byte, by part.

        Their bytes are copied into the new file, and the stub holds them empty,
        so openpyxl neither reads nor writes their cells (a History of years
        would cost more than the rest of the refresh).  A sheet keeps its bytes
        only when nothing in it refers to another part but external links, as
        openpyxl renumbers drawings, notes and tables when it saves.  Its style
        numbers stay right: openpyxl keeps the style list in order and only adds.
        """
        touched = {plan.enquiries, *(t.name for t in plan.tabs), *(f.tab for f in plan.fills)}
        if plan.meta:
            touched.add(plan.meta_tab)
        if plan.log is not None:
            touched.add(plan.log.tab)
        folded = {name.strip().casefold() for name in touched}
        out: dict[str, tuple[bytes, bytes | None]] = {}
        for title, part in self._titles().items():
            if title.strip().casefold() in folded or part == enquiries or part not in self.names:
                continue
            xml = self.archive.read(part)
            if not xml.lstrip().startswith((b"<?xml", b"<worksheet")) or _REFERS.search(xml):
                continue
            rels_part = _rels_of(part)
            rels = self.archive.read(rels_part) if rels_part in self.names else None
            if rels is not None and not _only_external_links(rels):
                continue
            out[part] = (xml, rels)
        return out

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

    def _links(self, part: str, xml: bytes) -> tuple[dict[str, bytes], list[bytes]]:
        """The original hyperlinks of rows 2 and below, by cell, as they are in the file.

        Most are replaced by the refresh (every WhatsApp link is written anew),
        so their targets are looked up only for those that stay (:meth:`_kept_links`).
        """
        self._part = part
        match = _HYPERLINKS.search(xml)
        if match is None or not match.group(1):
            return {}, []
        out: dict[str, bytes] = {}
        position = 0
        inner = match.group(1)
        for link in _LINK_ELEMENT.finditer(inner):
            if inner[position: link.start()].strip():
                raise Unsupported("something between hyperlinks")
            position = link.end()
            ref = _REF_ATTR.search(link.group(0))
            if ref is None or not re.fullmatch(rb"[A-Z]+\d+", ref.group(1)):
                raise Unsupported("a hyperlink over a range")
            out[ref.group(1).decode()] = link.group(0)
        if inner[position:].strip():
            raise Unsupported("something after the hyperlinks")
        return out, []

    def _kept_links(self, links: dict[str, bytes]) -> list[bytes]:
        """The original links no cell replaced, their targets inline (see :meth:`_spliced`)."""
        if not links:
            return []
        rels_part = _rels_of(self._part)
        targets: dict[str, tuple[str, str | None]] = {}
        if rels_part in self.names:
            for rel in ElementTree.fromstring(self.archive.read(rels_part)):
                targets[rel.get("Id", "")] = (rel.get("Target", ""), rel.get("TargetMode"))
        wrapped = ElementTree.fromstring(
            b'<hyperlinks xmlns="' + _MAIN.encode() + b'" xmlns:r="' + _RELNS.encode() + b'">'
            + b"".join(links.values()) + b"</hyperlinks>")
        out: list[bytes] = []
        for link in wrapped:
            attrs = {k: v for k, v in link.attrib.items() if not k.startswith("{")}
            rid = link.get(f"{{{_RELNS}}}id")
            if rid is not None:
                if rid not in targets or targets[rid][1] != "External":
                    raise Unsupported("an internal hyperlink relationship")
                attrs["__target"] = targets[rid][0]
            out.append(_link_xml(attrs))
        return out

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
                for number, col, value, style in op.cells():
                    add(index, number, col, "insert", _insert_edit(
                        value, template.styles[style] if style else None,
                        f"{label}, Enquiries!{get_column_letter(col)}{number}"))
            else:
                executor.add_header(ws, op)
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
        return out, self._kept_links(links) + new_links, (max_row, max_col)

    def _row_cells(self, ws: Any, number: int, content: bytes, edits: dict[int, list[Any]],
                   stale: dict[int, tuple[Edit, int]], links: dict[str, bytes],
                   new_links: list[bytes]) -> list[tuple[int, bytes]]:
        # The hottest loop of a refresh (every cell of every row): cells nobody
        # writes are looked at only for their column and copied as they are.
        cells: list[tuple[int, bytes]] = []
        position = 0
        waiting = sorted(edits)  # columns to write, smallest first
        row_text = str(number).encode()
        last = 0
        for match in _CELL_REF.finditer(content):
            start = match.start()
            if start != position and content[position:start].strip():
                raise Unsupported("something between cells")
            position = match.end()
            letters, digits = match.group(1, 2)
            if letters is None or (digits != row_text and int(digits) != number):
                raise Unsupported("a cell without its reference")
            col = _COLUMNS.get(letters) or _column_number(letters)
            if col <= last:
                raise Unsupported("cells out of order")
            last = col
            while waiting and waiting[0] < col:
                earlier = waiting.pop(0)
                cells.append((earlier, self._cell(ws, number, earlier, 0, edits.pop(earlier),
                                                  links, new_links)))
            kinds = None
            if waiting and waiting[0] == col:
                waiting.pop(0)
                kinds = edits.pop(col)
            elif col in stale and number >= stale[col][1]:
                whole = match.group(0)
                inner = whole[whole.index(b">"):]
                if (b"<v" in inner or b"<is" in inner or b"<f" in inner
                        or f"{get_column_letter(col)}{number}" in links):
                    kinds = [("cell", stale[col][0])]
            if kinds is None:
                cells.append((col, match.group(0)))
                continue
            style = _S_ATTR.search(match.group(0), 0, match.group(0).index(b">"))
            xf = int(style.group(1)) if style else 0
            cells.append((col, self._cell(ws, number, col, xf, kinds, links, new_links)))
        if position != len(content) and content[position:].strip():
            raise Unsupported("something after the cells")
        for later in waiting:
            cells.append((later, self._cell(ws, number, later, 0, edits[later], links,
                                            new_links)))
        return cells

    def _new_row(self, ws: Any, number: int, edits: dict[int, list[Any]],
                 new_links: list[bytes]) -> bytes:
        cells = [self._cell(ws, number, col, 0, edits[col], {}, new_links)
                 for col in sorted(edits)]
        return f'<row r="{number}">'.encode() + b"".join(cells) + b"</row>"

    def _cell(self, ws: Any, row: int, col: int, xf: int, kinds: list[Any],
              links: dict[str, bytes], new_links: list[bytes]) -> bytes:
        """A cell as openpyxl would write it on the openpyxl path."""
        if len(kinds) == 1 and isinstance(kinds[0][1], _CellEdit):
            made = self._direct(ws, row, col, xf, kinds[0][1], links, new_links)
            if made is not None:
                return made
        return self._made(ws, row, col, xf, kinds, links, new_links)

    def _made(self, ws: Any, row: int, col: int, xf: int, kinds: list[Any],
              links: dict[str, bytes], new_links: list[bytes]) -> bytes:
        """A cell made by openpyxl exactly as the openpyxl path would make it."""
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
        collector = _Collector()
        ws._hyperlinks = []
        etree_write_cell(collector, ws, cell, cell.has_style)
        for link in ws._hyperlinks:
            links.pop(ref, None)
            new_links.append(_link_xml({"ref": ref, "__target": link.target}))
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
            new_links.append(_link_xml({"ref": ref, "__target": link}))
        head = f'<c r="{ref}"{shape}'
        if not text:
            return (head + "/>").encode("utf-8")
        return (head + ">" + text + "</c>").encode("utf-8")

    # ------------------------------------------------------------ putting it together

    def _replaced(self, parts: dict[str, bytes | _Chunks], compress: bool = True) -> bytes:
        out = BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
            for info in self.archive.infolist():
                data = parts.pop(info.filename, None)
                if data is None:
                    data = self.archive.read(info)
                # A copy: writing sets the entry's offsets, which this archive still needs.
                entry = copy(info)
                if not compress:
                    entry.compress_type = zipfile.ZIP_STORED
                _write_member(new, entry, data)
            for name, data in parts.items():
                new.writestr(name, bytes(b"".join(reversed(data))) if isinstance(data, _Chunks)
                             else data, None if compress else zipfile.ZIP_STORED)
        return out.getvalue()

    def _spliced(self, saved: bytes, streamed: list[_Streamed],
                 kept: dict[str, tuple[bytes, bytes | None]]) -> bytes:
        archive = zipfile.ZipFile(BytesIO(saved))
        written = FastWriter(self.template, saved, self.label)
        parts: dict[str, bytes | _Chunks] = {}
        saved_parts = written._titles()
        for kept_title, (kept_xml, kept_rels) in kept.items():
            kept_part = saved_parts.get(kept_title)
            if kept_part is None or kept_part not in written.names:
                raise Unsupported("a kept sheet openpyxl did not write")
            if _rels_of(kept_part) in written.names:
                raise Unsupported("openpyxl wrote relationships for a kept sheet")
            parts[kept_part] = kept_xml
            if kept_rels is not None:
                parts[_rels_of(kept_part)] = kept_rels
        for sheet in streamed:
            part = saved_parts.get(sheet.title)
            if part is None or part not in written.names:
                raise Unsupported("a sheet openpyxl did not write")
            self._splice_sheet(archive, part, sheet, parts)
        if "xl/sharedStrings.xml" in self.names:
            # openpyxl writes text inline; the kept rows may point into the old table.
            parts["xl/sharedStrings.xml"] = self.archive.read("xl/sharedStrings.xml")
            if "xl/sharedStrings.xml" not in archive.namelist():
                types = archive.read("[Content_Types].xml")
                parts["[Content_Types].xml"] = types.replace(
                    b"</Types>", _STRINGS_TYPE + b"</Types>")
                book_rels = archive.read("xl/_rels/workbook.xml.rels")
                parts["xl/_rels/workbook.xml.rels"] = book_rels.replace(
                    b"</Relationships>", _STRINGS_REL + b"</Relationships>")
        return written._replaced(parts)

    @staticmethod
    def _splice_sheet(archive: zipfile.ZipFile, part: str, sheet: _Streamed,
                      parts: dict[str, bytes | _Chunks]) -> None:
        """``sheet``'s rows after the rows openpyxl wrote of ``part``, with their links."""
        xml = archive.read(part)
        found = _sheet_data(xml)
        if found is None:
            raise Unsupported("openpyxl wrote no sheetData")
        start, end, inner = found
        # The rows are never joined into one string: the zip writer takes them in turn.
        head, header, tail = xml[:start], xml[inner[0]:inner[1]], xml[end:]
        rels_part = _rels_of(part)
        rels = archive.read(rels_part) if rels_part in archive.namelist() else (
            b'<Relationships xmlns="' + _PKG.encode() + b'"></Relationships>')
        existing = _HYPERLINKS.search(tail)
        entries = [existing.group(1) or b"" if existing else b""]
        new_rels: list[bytes] = []
        for n, link in enumerate(sheet.links, start=1):
            target = re.search(rb'__target="([^"]*)"', link)
            if target is not None:
                rid = f"rIdSheetcrmLink{n}".encode()
                new_rels.append(b'<Relationship Id="' + rid + b'" Type="' + _HYPERLINK.encode()
                                + b'" Target="' + target.group(1) + b'" TargetMode="External"/>')
                link = link.replace(target.group(0), b'r:id="' + rid + b'"')
            entries.append(link)
        joined = b"".join(entries)  # not +=: bytes would be copied whole for every link
        block = (b'<hyperlinks xmlns:r="' + _RELNS.encode() + b'">' + joined + b"</hyperlinks>"
                 if joined else b"")
        if existing is not None:
            tail = tail[: existing.start()] + block + tail[existing.end():]
        elif block:
            at = _AFTER_LINKS.search(tail)
            if at is None:
                raise Unsupported("no place for hyperlinks")
            tail = tail[: at.start()] + block + tail[at.start():]
        last_row, last_col = sheet.bounds
        if last_row and last_col:
            head = _DIMENSION.sub(
                f'<dimension ref="A1:{get_column_letter(last_col)}{last_row}"/>'.encode(), head, 1)
        rows = sheet.rows
        rows.reverse()  # the zip writer pops them, first row first, and lets each go
        parts[part] = _Chunks([tail, b"</sheetData>", *rows, header, b"<sheetData>", head])
        rows.clear()
        if new_rels:
            parts[rels_part] = rels.replace(b"</Relationships>", b"".join(new_rels)
                                            + b"</Relationships>")


class _Chunks(list[bytes]):
    """A zip member's bytes in pieces, last piece first, for :func:`_write_member` to pop."""


def _write_member(archive: zipfile.ZipFile, entry: zipfile.ZipInfo,
                  data: bytes | _Chunks) -> None:
    if not isinstance(data, _Chunks):
        archive.writestr(entry, data)
        return
    with archive.open(entry, "w") as member:
        while data:
            member.write(data.pop())


class _Streamed:
    """Rows written outside openpyxl for one tab, put after the rows openpyxl wrote of it."""

    def __init__(self, title: str, rows: list[bytes], links: list[bytes],
                 bounds: tuple[int, int]) -> None:
        self.title, self.rows, self.links, self.bounds = title, rows, links, bounds


#: Worksheet elements that point at other parts (drawings, notes, tables, ...).
_REFERS = re.compile(rb"<(?:\w+:)?(?:drawing|legacyDrawing|legacyDrawingHF|picture|oleObjects|"
                     rb"controls|tableParts|extLst)\b")
_EMPTY_DATA = re.compile(rb"<sheetData\b[^>]*/>|<sheetData\b[^>]*>.*?</sheetData>", re.S)


def _sheet_data(xml: bytes) -> tuple[int, int, tuple[int, int]] | None:
    """Where ``<sheetData>`` starts and ends in a sheet, and where the rows inside it are."""
    opening = _SHEET_DATA_OPEN.search(xml)
    if opening is None:
        return None
    if opening.group(1):
        return opening.start(), opening.end(), (opening.end(), opening.end())
    close = xml.find(b"</sheetData>", opening.end())
    if close < 0:
        return None
    return opening.start(), close + len(b"</sheetData>"), (opening.end(), close)


#: Column numbers by letters, filled as they are met.
_COLUMNS: dict[bytes, int] = {}


def _column_number(letters: bytes) -> int:
    number: int = column_index_from_string(letters.decode())
    _COLUMNS[letters] = number
    return number


def _rels_of(part: str) -> str:
    path = PurePosixPath(part)
    return str(path.parent / "_rels" / (path.name + ".rels"))


def _only_external_links(rels: bytes) -> bool:
    for rel in ElementTree.fromstring(rels):
        if rel.get("Type") != _HYPERLINK or rel.get("TargetMode") != "External":
            return False
    return True


def _hollow(xml: bytes) -> bytes:
    """A sheet without its cells and links, for the stub."""
    return _HYPERLINKS.sub(b"", _EMPTY_DATA.sub(b"<sheetData/>", xml, 1))


def _title(wb: Any, titles: dict[str, str], part: str) -> str:
    """The title of the tab whose sheet is ``part``, as loaded in ``wb``."""
    for title, found in titles.items():
        if found == part and title in wb.sheetnames:
            return title
    raise Unsupported("a kept sheet without its tab")


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
        found = {col: list(kinds) for col, kinds in sparse.items()} if sparse else {}
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


def _link_xml(attrs: dict[str, str]) -> bytes:
    text = " ".join(f'{k}="{escape(v, {chr(34): "&quot;"})}"' for k, v in attrs.items())
    return f"<hyperlink {text}/>".encode()


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
