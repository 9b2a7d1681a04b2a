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

import re
import zipfile
from collections.abc import Callable
from copy import copy
from io import BytesIO
from pathlib import PurePosixPath
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from openpyxl.cell._writer import etree_write_cell
from openpyxl.cell.cell import Cell as XLCell
from openpyxl.utils.cell import column_index_from_string, get_column_letter

from ...model import Cell
from ...planner import InsertRows, Plan, WriteColumn, WriteValue
from ...template import Template
from .execute import Executor, last_row
from .ranges import grow_ranges
from .render import set_value, style_target, write_cell
from .workbook import find_sheet, open_workbook

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_HYPERLINK = _RELNS + "/hyperlink"

_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData>(.*?)</sheetData>", re.S)
_ROW = re.compile(rb"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_R_ATTR = re.compile(rb'\sr="([A-Z]*)(\d+)"')
_SPACE = re.compile(rb"\s*")
_SPANS = re.compile(rb'\sspans="[^"]*"')
_S_ATTR = re.compile(rb'\ss="(\d+)"')
_HYPERLINKS = re.compile(rb"<hyperlinks\b[^>]*/>|<hyperlinks\b[^>]*>(.*?)</hyperlinks>", re.S)
_DIMENSION = re.compile(rb"<dimension\b[^>]*/>")
#: Worksheet children that come after <hyperlinks>, in schema order.
_AFTER_LINKS = re.compile(
    rb"<(?:printOptions|pageMargins|pageSetup|headerFooter|rowBreaks|colBreaks|"
    rb"customProperties|cellWatches|ignoredErrors|smartTags|drawing|legacyDrawing|"
    rb"legacyDrawingHF|picture|oleObjects|controls|webPublishItems|tableParts|extLst)\b"
    rb"|</worksheet>")
_REFUSED = re.compile(rb"<mergeCells\b|<tableParts\b|<sheetProtection\b|<extLst\b")


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

    # ------------------------------------------------------------ the whole write

    def write(self, plan: Plan) -> bytes:
        """The new file's bytes, or :class:`Unsupported`."""
        if plan.log is not None and plan.log.tab.strip().casefold() == \
                plan.enquiries.strip().casefold():
            raise Unsupported("a log on the Enquiries tab")
        part = self._enquiries_part(plan.enquiries)
        xml = self.archive.read(part)
        if _REFUSED.search(xml):
            raise Unsupported("merged cells, a table, protection or extensions on Enquiries")
        match = _SHEET_DATA.search(xml)
        if match is None:
            raise Unsupported("no sheetData")
        header, body = self._split_header(match.group(1) or b"")
        links, kept_links = self._links(part, xml)
        stub = b"".join((xml[: match.start()], b"<sheetData>", header, b"</sheetData>",
                         xml[match.end():]))
        del xml, match  # the rows live on in ``body`` alone: a tracker's largest part
        stub = _HYPERLINKS.sub(b"", stub)
        wb = open_workbook(self._replaced({part: stub}), self.label)
        ws = find_sheet(wb, plan.enquiries)
        if ws is None or any(row > 1 for row, _ in ws._cells):
            raise Unsupported("cells below the header appear in the stub")
        executor = Executor(self.template, wb, self.label)
        edits = self._edits(plan, executor, ws)
        new_rows, new_links, bounds = self._stream(ws, body, edits, links)
        del body
        grow_ranges(ws, last_row(plan), self.template.rows)
        # Owned tabs, meta and History are whole in the stub: the executor does them as
        # on the openpyxl path.
        executor.other_tabs(plan)
        out = BytesIO()
        wb.save(out)
        return self._spliced(out.getvalue(), ws.title, new_rows, kept_links + new_links, bounds)

    # ------------------------------------------------------------ reading the original

    def _enquiries_part(self, name: str) -> str:
        book = ElementTree.fromstring(self.archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(self.archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in rels}
        titles = {s.get("name", ""): s.get(f"{{{_RELNS}}}id")
                  for s in book.iter(f"{{{_MAIN}}}sheet")}
        title = name if name in titles else next(
            (t for t in titles if t.strip().casefold() == name.strip().casefold()), None)
        if title is None:
            raise Unsupported("no Enquiries tab")
        target = targets.get(titles[title], "")
        part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        if part not in self.names:
            raise Unsupported("the Enquiries part is missing")
        return part

    @staticmethod
    def _split_header(rows: bytes) -> tuple[bytes, bytes]:
        start = _SPACE.match(rows).end()  # type: ignore[union-attr]
        first = _ROW.match(rows, start)
        if first is None:
            return b"", rows
        found = _R_ATTR.search(b" " + first.group(1))
        if found is None:
            raise Unsupported("a row without a number")
        if int(found.group(2)) != 1:
            return b"", rows
        return rows[start: first.end()], rows[first.end():]

    def _links(self, part: str, xml: bytes) -> tuple[dict[str, bytes], list[bytes]]:
        """The original hyperlinks of rows 2 and below, by cell, as <hyperlink> elements.

        Each keeps its target inline for now (see :meth:`_spliced`).
        """
        match = _HYPERLINKS.search(xml)
        if match is None or not match.group(1):
            return {}, []
        rels_part = str(PurePosixPath(part).parent / "_rels" / (PurePosixPath(part).name + ".rels"))
        targets: dict[str, tuple[str, str | None]] = {}
        if rels_part in self.names:
            for rel in ElementTree.fromstring(self.archive.read(rels_part)):
                targets[rel.get("Id", "")] = (rel.get("Target", ""), rel.get("TargetMode"))
        wrapped = ElementTree.fromstring(
            b'<hyperlinks xmlns="' + _MAIN.encode() + b'" xmlns:r="' + _RELNS.encode() + b'">'
            + match.group(1) + b"</hyperlinks>")
        out: dict[str, bytes] = {}
        for link in wrapped:
            ref = link.get("ref", "")
            if ":" in ref or not re.fullmatch(r"[A-Z]+\d+", ref):
                raise Unsupported("a hyperlink over a range")
            attrs = {k: v for k, v in link.attrib.items() if not k.startswith("{")}
            rid = link.get(f"{{{_RELNS}}}id")
            if rid is not None:
                if rid not in targets or targets[rid][1] != "External":
                    raise Unsupported("an internal hyperlink relationship")
                attrs["__target"] = targets[rid][0]
            out[ref] = _link_xml(attrs)
        return out, []

    # ------------------------------------------------------------ the plan's cells

    def _edits(self, plan: Plan, executor: Executor, ws: Any) -> _Pending:
        """The plan's cells below the header, by row; header operations done on the stub."""
        sparse: dict[int, dict[int, list[tuple[int, str, Edit]]]] = {}
        columns: list[tuple[int, WriteColumn]] = []
        stale: dict[int, tuple[Edit, int]] = {}
        template, label = self.template, self.label

        def add(index: int, row: int, col: int, kind: str, edit: Edit) -> None:
            if row < 2:
                raise Unsupported("a cell on the header row")
            sparse.setdefault(row, {}).setdefault(col, []).append((index, kind, edit))

        for index, op in enumerate(plan.enquiry_ops):
            if isinstance(op, WriteColumn):
                if op.col in stale:
                    raise Unsupported("a column written twice")
                columns.append((index, op))  # its cells are made row by row, when streamed
                where = f"{label}, Enquiries!{get_column_letter(op.col)}"
                stale[op.col] = (_cell_edit(Cell(None), template, where, op.style),
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

    def _stream(self, ws: Any, body: bytes, pending: _Pending,
                links: dict[str, bytes]) -> tuple[list[bytes], list[bytes], tuple[int, int]]:
        stale = pending.stale
        out: list[bytes] = []
        new_links: list[bytes] = []
        max_row, max_col = 1, ws.max_column
        position = 0
        waiting = sorted(pending.rows, reverse=True)  # rows not yet in the file, smallest last
        for match in _ROW.finditer(body):
            if body[position: match.start()].strip():
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
        if body[position:].strip():
            raise Unsupported("something after the rows")
        for later in sorted(pending.rows):
            row_edits = pending.pop(later)
            out.append(self._new_row(ws, later, row_edits, new_links))
            max_row = max(max_row, later)
            max_col = max(max_col, max(row_edits))
        kept = [x for ref, x in links.items()]
        return out, kept + new_links, (max_row, max_col)

    def _row_cells(self, ws: Any, number: int, content: bytes, edits: dict[int, list[Any]],
                   stale: dict[int, tuple[Edit, int]], links: dict[str, bytes],
                   new_links: list[bytes]) -> list[tuple[int, bytes]]:
        cells: list[tuple[int, bytes]] = []
        position = 0
        for match in _CELL.finditer(content):
            if content[position: match.start()].strip():
                raise Unsupported("something between cells")
            position = match.end()
            found = _R_ATTR.search(b" " + match.group(1))
            if found is None or int(found.group(2)) != number:
                raise Unsupported("a cell without its reference")
            col = column_index_from_string(found.group(1).decode())
            for earlier in sorted(c for c in edits if c < col):
                cells.append((earlier, self._cell(ws, number, earlier, 0, edits.pop(earlier),
                                                  links, new_links)))
            style = _S_ATTR.search(b" " + match.group(1))
            xf = int(style.group(1)) if style else 0
            kinds = edits.pop(col, None)
            ref = f"{get_column_letter(col)}{number}"
            if kinds is None and col in stale and number >= stale[col][1]:
                inner = match.group(2) or b""
                if b"<v" in inner or b"<is" in inner or b"<f" in inner or ref in links:
                    kinds = [("cell", stale[col][0])]
            if kinds is None:
                cells.append((col, match.group(0)))
            else:
                cells.append((col, self._cell(ws, number, col, xf, kinds, links, new_links)))
        if content[position:].strip():
            raise Unsupported("something after the cells")
        for later in sorted(edits):
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

    # ------------------------------------------------------------ putting it together

    def _replaced(self, parts: dict[str, bytes]) -> bytes:
        out = BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
            for info in self.archive.infolist():
                data = parts.get(info.filename)
                if data is None:
                    data = self.archive.read(info)
                # A copy: writestr sets the entry's offsets, which this archive still needs.
                new.writestr(copy(info), data)
            for name, data in parts.items():
                if name not in self.names:
                    new.writestr(name, data)
        return out.getvalue()

    def _spliced(self, saved: bytes, title: str, rows: list[bytes], links: list[bytes],
                 bounds: tuple[int, int]) -> bytes:
        archive = zipfile.ZipFile(BytesIO(saved))
        part = FastWriter(self.template, saved, self.label)._enquiries_part(title)
        xml = archive.read(part)
        match = _SHEET_DATA.search(xml)
        if match is None:
            raise Unsupported("openpyxl wrote no sheetData")
        header = match.group(1) or b""
        xml = b"".join((xml[: match.start()], b"<sheetData>", header, *rows, b"</sheetData>",
                        xml[match.end():]))
        rows.clear()
        rels_part = str(PurePosixPath(part).parent / "_rels" / (PurePosixPath(part).name + ".rels"))
        rels = archive.read(rels_part) if rels_part in archive.namelist() else (
            b'<Relationships xmlns="' + _PKG.encode() + b'"></Relationships>')
        existing = _HYPERLINKS.search(xml)
        entries = existing.group(1) or b"" if existing else b""
        new_rels: list[bytes] = []
        for n, link in enumerate(links, start=1):
            target = re.search(rb'__target="([^"]*)"', link)
            if target is not None:
                rid = f"rIdSheetcrmLink{n}".encode()
                new_rels.append(b'<Relationship Id="' + rid + b'" Type="' + _HYPERLINK.encode()
                                + b'" Target="' + target.group(1) + b'" TargetMode="External"/>')
                link = link.replace(target.group(0), b'r:id="' + rid + b'"')
            entries += link
        block = (b'<hyperlinks xmlns:r="' + _RELNS.encode() + b'">' + entries + b"</hyperlinks>"
                 if entries else b"")
        if existing is not None:
            xml = xml[: existing.start()] + block + xml[existing.end():]
        elif block:
            at = _AFTER_LINKS.search(xml, match.start())
            if at is None:
                raise Unsupported("no place for hyperlinks")
            xml = xml[: at.start()] + block + xml[at.start():]
        xml = _DIMENSION.sub(
            f'<dimension ref="A1:{get_column_letter(bounds[1])}{bounds[0]}"/>'.encode(), xml, 1)
        parts = {part: xml}
        if new_rels:
            parts[rels_part] = rels.replace(b"</Relationships>", b"".join(new_rels)
                                            + b"</Relationships>")
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
        return FastWriter(self.template, saved, self.label)._replaced(parts)


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
        longest = max((len(op.cells) for _, op in columns), default=0)
        self.rows = set(sparse) | set(range(2, 2 + longest))

    def pop(self, row: int) -> dict[int, list[tuple[str, Edit]]]:
        """The edits of ``row`` by column, in the plan's order; none once taken."""
        if row not in self.rows:
            return {}
        self.rows.discard(row)
        found = {col: list(kinds) for col, kinds in self.sparse.pop(row, {}).items()}
        for index, op in self.columns:
            if 2 <= row < 2 + len(op.cells):
                where = f"{self.label}, Enquiries!{get_column_letter(op.col)}{row}"
                found.setdefault(op.col, []).append(
                    (index, "cell", _cell_edit(op.cells[row - 2], self.template, where, op.style)))
        return {col: [(kind, edit) for _, kind, edit in sorted(kinds, key=lambda k: k[0])]
                for col, kinds in found.items()}


def _link_xml(attrs: dict[str, str]) -> bytes:
    text = " ".join(f'{k}="{escape(v, {chr(34): "&quot;"})}"' for k, v in attrs.items())
    return f"<hyperlink {text}/>".encode()


def _cell_edit(cell: Cell, template: Template, where: str, style: str | None) -> Edit:
    return lambda target: write_cell(target, cell, template, where, style)


def _value_edit(value: Any, where: str) -> Edit:
    return lambda target: set_value(target, value, where)


def _insert_edit(value: Any, style: Any, where: str) -> Edit:
    import datetime as dt

    def edit(target: Any) -> None:
        if style is not None:
            style_target(target, style, keep_date_format=isinstance(value, dt.date | dt.time))
        set_value(target, value, where)
    return edit
