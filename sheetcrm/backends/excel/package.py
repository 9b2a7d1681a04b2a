"""The .xlsx package around the fast write: parts by tab, rows spliced in, the zip rewritten.

An .xlsx file is a zip of XML parts.  :class:`Package` finds each tab's sheet
part, says which sheets can go back byte for byte, and writes a new zip with
some parts replaced; :func:`splice_sheet` puts rows made outside openpyxl, with
their hyperlinks, into a sheet openpyxl wrote.  Anything unexpected raises
:class:`Unsupported`, and the Excel backend falls back to the openpyxl path.
"""

from __future__ import annotations

import re
import struct
import threading
import zipfile
import zlib
from copy import copy
from io import BytesIO
from pathlib import PurePosixPath
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from openpyxl.utils.cell import get_column_letter

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
HYPERLINK = RELNS + "/hyperlink"

HYPERLINKS = re.compile(rb"<hyperlinks\b[^>]*/>|<hyperlinks\b[^>]*>(.*?)</hyperlinks>", re.S)
_DIMENSION = re.compile(rb"<dimension\b[^>]*/>")
_SHEET_DATA_OPEN = re.compile(rb"<sheetData\s*(/?)>")
_LINK_ELEMENT = re.compile(rb"<hyperlink\b[^>]*?(?:/>|>.*?</hyperlink>)", re.S)
_REF_ATTR = re.compile(rb'\sref="([^"]*)"')
#: Worksheet children that come after <hyperlinks>, in schema order.
_AFTER_LINKS = re.compile(
    rb"<(?:printOptions|pageMargins|pageSetup|headerFooter|rowBreaks|colBreaks|"
    rb"customProperties|cellWatches|ignoredErrors|smartTags|drawing|legacyDrawing|"
    rb"legacyDrawingHF|picture|oleObjects|controls|webPublishItems|tableParts|extLst)\b"
    rb"|</worksheet>")

_STRINGS_TYPE = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                 b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
_STRINGS_REL = (b'<Relationship Id="rIdSheetcrmStrings" Type="' + RELNS.encode()
                + b'/sharedStrings" Target="sharedStrings.xml"/>')


class Unsupported(Exception):
    """A shape of file the fast write does not handle: use the openpyxl path."""



class Package:
    """An .xlsx file's zip, read once."""

    def __init__(self, data: bytes) -> None:
        self.archive = zipfile.ZipFile(BytesIO(data))
        self.names = self.archive.namelist()
        self._titles: dict[str, str] | None = None

    def titles(self) -> dict[str, str]:
        """Each tab's title and the package part of its sheet (read once: the zip never changes)."""
        if self._titles is not None:
            return self._titles
        book = ElementTree.fromstring(self.archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(self.archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in rels}
        out: dict[str, str] = {}
        for sheet in book.iter(f"{{{MAIN}}}sheet"):
            target = targets.get(sheet.get(f"{{{RELNS}}}id"), "")
            out[sheet.get("name", "")] = (target.lstrip("/") if target.startswith("/")
                                          else str(PurePosixPath("xl") / target))
        self._titles = out
        return out

    def part_of(self, name: str) -> str | None:
        """The part of the tab called ``name`` (exactly, else ignoring case and outer spaces,
        as :func:`.workbook.find_sheet` finds tabs), if it is in the package."""
        titles = self.titles()
        title = name if name in titles else next(
            (t for t in titles if t.strip().casefold() == name.strip().casefold()), None)
        if title is None or titles[title] not in self.names:
            return None
        return titles[title]


    def untouched(self, touched: set[str], enquiries: str) -> dict[str, tuple[bytes, bytes | None]]:
        """The sheets of tabs not in ``touched`` that can go back byte for byte, by part.

        Their bytes are copied into the new file, and the stub holds them empty,
        so openpyxl neither reads nor writes their cells (a History of years
        would cost more than the rest of the refresh).  A sheet keeps its bytes
        only when nothing in it refers to another part but external links, as
        openpyxl renumbers drawings, notes and tables when it saves.  Its style
        numbers stay right: openpyxl keeps the style list in order and only adds.
        """
        folded = {name.strip().casefold() for name in touched}
        out: dict[str, tuple[bytes, bytes | None]] = {}
        for title, part in self.titles().items():
            if title.strip().casefold() in folded or part == enquiries or part not in self.names:
                continue
            xml = self.archive.read(part)
            if not xml.lstrip().startswith((b"<?xml", b"<worksheet")) or _REFERS.search(xml):
                continue
            rels_part = rels_of(part)
            rels = self.archive.read(rels_part) if rels_part in self.names else None
            if rels is not None and not _only_external_links(rels):
                continue
            out[part] = (xml, rels)
        return out


    def replaced(self, parts: dict[str, bytes | Spliced | Compressed],
                 compress: bool = True) -> bytes:
        """This package with ``parts`` in place of (or beside) its own, as bytes."""
        out = BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
            for info in self.archive.infolist():
                data = parts.pop(info.filename, None)
                if isinstance(data, Compressed):
                    data.copy_to(new, info.filename)
                    continue
                # A copy: writing sets the entry's offsets, which this archive still needs.
                entry = copy(info)
                if isinstance(data, Spliced):
                    data.write_to(new, entry)
                    continue
                if data is None:
                    data = self.archive.read(info)
                if not compress:
                    entry.compress_type = zipfile.ZIP_STORED
                new.writestr(entry, data)
            for name, data in parts.items():
                if isinstance(data, Spliced):
                    data.write_to(new, zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)))
                    continue
                if isinstance(data, Compressed):
                    data = data.data
                new.writestr(name, data, None if compress else zipfile.ZIP_STORED)
        return out.getvalue()


    def spliced(self, saved: bytes, streamed: list[Streamed],
                kept: dict[str, tuple[bytes, bytes | None]]) -> bytes:
        """``saved`` (openpyxl's save of the stub) with the kept sheets and streamed rows put in."""
        archive = zipfile.ZipFile(BytesIO(saved))
        written = Package(saved)
        parts: dict[str, bytes | Spliced | Compressed] = {}
        saved_parts = written.titles()
        for kept_title, (kept_xml, kept_rels) in kept.items():
            kept_part = saved_parts.get(kept_title)
            if kept_part is None or kept_part not in written.names:
                raise Unsupported("a kept sheet openpyxl did not write")
            if rels_of(kept_part) in written.names:
                raise Unsupported("openpyxl wrote relationships for a kept sheet")
            # Copied as compressed: inflating and deflating a History of years costs.
            parts[kept_part] = Compressed(self.archive, self.titles()[kept_title], kept_xml)
            if kept_rels is not None:
                parts[rels_of(kept_part)] = kept_rels
        for sheet in streamed:
            part = saved_parts.get(sheet.title)
            if part is None or part not in written.names:
                raise Unsupported("a sheet openpyxl did not write")
            splice_sheet(archive, part, sheet, parts)
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
        return written.replaced(parts)

    def kept_links(self, part: str, links: dict[str, bytes]) -> list[bytes]:
        """The original links no cell replaced, their targets inline (see ``splice_sheet``)."""
        if not links:
            return []
        rels_part = rels_of(part)
        targets: dict[str, tuple[str, str | None]] = {}
        if rels_part in self.names:
            for rel in ElementTree.fromstring(self.archive.read(rels_part)):
                targets[rel.get("Id", "")] = (rel.get("Target", ""), rel.get("TargetMode"))
        wrapped = ElementTree.fromstring(
            b'<hyperlinks xmlns="' + MAIN.encode() + b'" xmlns:r="' + RELNS.encode() + b'">'
            + b"".join(links.values()) + b"</hyperlinks>")
        out: list[bytes] = []
        for link in wrapped:
            attrs = {k: v for k, v in link.attrib.items() if not k.startswith("{")}
            rid = link.get(f"{{{RELNS}}}id")
            if rid is not None:
                if rid not in targets or targets[rid][1] != "External":
                    raise Unsupported("an internal hyperlink relationship")
                attrs["__target"] = targets[rid][0]
            out.append(link_xml(attrs))
        return out


def splice_sheet(archive: zipfile.ZipFile, part: str, sheet: Streamed,
                 parts: dict[str, bytes | Spliced | Compressed]) -> None:
    """``sheet``'s rows after the rows openpyxl wrote of ``part``, with their links."""
    xml = archive.read(part)
    found = sheet_data(xml)
    if found is None:
        raise Unsupported("openpyxl wrote no sheetData")
    start, end, inner = found
    # The rows are never joined into one string: the zip writer takes them in turn.
    head, header, tail = xml[:start], xml[inner[0]:inner[1]], xml[end:]
    head = _declared(head, sheet.declarations)
    rels_part = rels_of(part)
    rels = archive.read(rels_part) if rels_part in archive.namelist() else (
        b'<Relationships xmlns="' + _PKG.encode() + b'"></Relationships>')
    existing = HYPERLINKS.search(tail)
    entries = [existing.group(1) or b"" if existing else b""]
    new_rels: list[bytes] = []
    for n, link in enumerate(sheet.links, start=1):
        target = re.search(rb'__target="([^"]*)"', link)
        if target is not None:
            rid = f"rIdSheetcrmLink{n}".encode()
            new_rels.append(b'<Relationship Id="' + rid + b'" Type="' + HYPERLINK.encode()
                            + b'" Target="' + target.group(1) + b'" TargetMode="External"/>')
            link = link.replace(target.group(0), b'r:id="' + rid + b'"')
        entries.append(link)
    joined = b"".join(entries)  # not +=: bytes would be copied whole for every link
    block = (b'<hyperlinks xmlns:r="' + RELNS.encode() + b'">' + joined + b"</hyperlinks>"
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
    parts[part] = Spliced(head + b"<sheetData>" + header, sheet.rows, b"</sheetData>" + tail)
    if new_rels:
        parts[rels_part] = rels.replace(b"</Relationships>", b"".join(new_rels)
                                        + b"</Relationships>")



def write_raw(target: zipfile.ZipFile, entry: zipfile.ZipInfo, raw: list[bytes]) -> None:
    """Add a member whose data is already compressed as ``entry`` says (CRC and sizes set).

    zipfile has no call for this: it is written the way ``ZipFile.writestr``
    writes (local header, data, then the bookkeeping the central directory needs).
    """
    entry.flag_bits &= ~0x08  # the sizes go in the header, not after the data
    entry.extra = b""
    entry.compress_size = sum(map(len, raw))
    if entry.compress_size >= zipfile.ZIP64_LIMIT or entry.file_size >= zipfile.ZIP64_LIMIT:
        raise Unsupported("a part too large for a plain zip entry")
    fp = target.fp
    assert fp is not None
    entry.header_offset = fp.tell()
    fp.write(entry.FileHeader(zip64=False))
    for piece in raw:
        fp.write(piece)
    target.filelist.append(entry)
    target.NameToInfo[entry.filename] = entry
    target.start_dir = fp.tell()
    target._didModify = True  # type: ignore[attr-defined]


class Deflating:
    """Rows deflated in a thread of their own while the rest of the write goes on.

    zlib lets go of Python's lock while it deflates, so on a machine with two
    cores the largest sheet is compressed while openpyxl saves the stub.  The
    rows become a stretch of raw deflate data that ends on a byte boundary
    (a sync flush), so the sheet's beginning and end, known only later, are
    deflated apart and the three laid end to end, as pigz does.
    """

    #: Rows are joined into blocks of this size, so each call into zlib is long.
    BLOCK = 1 << 20

    def __init__(self, rows: list[bytes]) -> None:
        self._rows = rows
        self._blocks: list[bytes] = []
        self._raw: list[bytes] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sheetcrm-deflate", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            deflater = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
            rows, block, size = self._rows, [], 0
            rows.reverse()
            while rows:
                row = rows.pop()  # each row is let go once it is in a block
                block.append(row)
                size += len(row)
                if size >= self.BLOCK or not rows:
                    data = b"".join(block)
                    block, size = [], 0
                    self._blocks.append(data)
                    self._raw.append(deflater.compress(data))
            self._raw.append(deflater.flush(zlib.Z_SYNC_FLUSH))
        except BaseException as exc:  # noqa: BLE001 - raised again in the writing thread
            self._error = exc

    def member(self, head: bytes, tail: bytes) -> tuple[list[bytes], int, int]:
        """``head``, the rows and ``tail`` deflated: (raw pieces, CRC-32, length)."""
        start = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        first = start.compress(head) + start.flush(zlib.Z_SYNC_FLUSH)
        end = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        last = end.compress(tail) + end.flush()
        self._thread.join()
        if self._error is not None:
            raise self._error
        crc = zlib.crc32(head)
        for block in self._blocks:
            crc = zlib.crc32(block, crc)
        length = len(head) + sum(map(len, self._blocks)) + len(tail)
        self._blocks.clear()
        return [first, *self._raw, last], zlib.crc32(tail, crc), length


class Spliced:
    """A sheet's new bytes: its beginning and end as openpyxl wrote them, the rows between."""

    def __init__(self, head: bytes, rows: Deflating, tail: bytes) -> None:
        self.head, self.rows, self.tail = head, rows, tail

    def write_to(self, target: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
        """Add the sheet to ``target`` as ``entry`` (deflated whatever ``entry`` says)."""
        raw, crc, length = self.rows.member(self.head, self.tail)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.CRC, entry.file_size = crc, length
        write_raw(target, entry, raw)


def original_links(xml: bytes) -> dict[str, bytes]:
    """A sheet's hyperlinks by cell, as they are in the file.

    Most are replaced by the refresh (every WhatsApp link is written anew),
    so their targets are looked up only for those that stay (:meth:`Package.kept_links`).
    """
    match = HYPERLINKS.search(xml)
    if match is None or not match.group(1):
        return {}
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
    return out


def link_xml(attrs: dict[str, str]) -> bytes:
    """A ``<hyperlink>`` element; a ``__target`` attribute becomes its relationship later."""
    text = " ".join(f'{k}="{escape(v, {chr(34): "&quot;"})}"' for k, v in attrs.items())
    return f"<hyperlink {text}/>".encode()


class Compressed:
    """A member of another zip, to be copied as it is stored there, without inflating it.

    zipfile has no call for this, so :meth:`copy_to` writes the entry the way
    ``ZipFile.writestr`` does (local header, then data, then bookkeeping); the
    data is also kept, for any entry it cannot copy so (ZIP64, or an odd header).
    """

    def __init__(self, source: zipfile.ZipFile, name: str, data: bytes) -> None:
        self.source, self.name, self.data = source, name, data

    def copy_to(self, target: zipfile.ZipFile, name: str) -> None:
        """Add this member to ``target`` under ``name``."""
        info = self.source.getinfo(self.name)
        raw = self._raw(info)
        if raw is None:
            target.writestr(name, self.data)
            return
        entry = copy(info)
        entry.filename = entry.orig_filename = name
        write_raw(target, entry, [raw])

    def _raw(self, info: zipfile.ZipInfo) -> bytes | None:
        if (info.file_size >= zipfile.ZIP64_LIMIT or info.compress_size >= zipfile.ZIP64_LIMIT
                or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)):
            return None
        fp = self.source.fp
        assert fp is not None
        fp.seek(info.header_offset)
        header = fp.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            return None
        fields = _LOCAL_HEADER.unpack(header)
        # After the fixed header: the name and the extra field, then the data, which
        # ``self.data`` was inflated from (zipfile checked its CRC then).
        fp.seek(info.header_offset + _LOCAL_HEADER.size + fields[10] + fields[11])
        raw = fp.read(info.compress_size)
        return raw if len(raw) == info.compress_size else None


#: A zip entry's local header (APPNOTE 4.3.7): signature, versions, flags, method, time,
#: date, CRC, sizes, name length, extra length.
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")


class Streamed:
    """Rows written outside openpyxl for one tab, put after the rows openpyxl wrote of it.

    ``declarations`` are the namespace declarations the rows may use (those of the
    original sheet whose rows were kept), for the sheet openpyxl wrote, which may
    have dropped them.
    """

    def __init__(self, title: str, rows: list[bytes], links: list[bytes],
                 bounds: tuple[int, int], declarations: list[bytes] | None = None) -> None:
        self.title, self.links, self.bounds = title, links, bounds
        self.declarations = declarations or []
        self.rows = Deflating(rows)  # from now on, while the rest is made


#: Worksheet elements that point at other parts (drawings, notes, tables, ...).
_REFERS = re.compile(rb"<(?:\w+:)?(?:drawing|legacyDrawing|legacyDrawingHF|picture|oleObjects|"
                     rb"controls|tableParts|extLst)\b")
_EMPTY_DATA = re.compile(rb"<sheetData\b[^>]*/>|<sheetData\b[^>]*>.*?</sheetData>", re.S)


def sheet_data(xml: bytes) -> tuple[int, int, tuple[int, int]] | None:
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


def rels_of(part: str) -> str:
    path = PurePosixPath(part)
    return str(path.parent / "_rels" / (path.name + ".rels"))


def _only_external_links(rels: bytes) -> bool:
    for rel in ElementTree.fromstring(rels):
        if rel.get("Type") != HYPERLINK or rel.get("TargetMode") != "External":
            return False
    return True


_ROOT = re.compile(rb"<worksheet\b([^>]*?)(/?)>")
_DECLARATION = re.compile(rb'\s((?:xmlns:[\w.-]+|mc:Ignorable)="[^"]*")')


def declarations(xml: bytes) -> list[bytes]:
    """The namespace declarations (and ``mc:Ignorable``) on a sheet's root element.

    Excel's rows carry attributes of its own namespaces (``x14ac:dyDescent``);
    rows kept byte for byte need them declared in the sheet they go into.
    """
    root = _ROOT.search(xml)
    return _DECLARATION.findall(root.group(1)) if root else []


def _declared(head: bytes, wanted: list[bytes]) -> bytes:
    """``head`` with each of ``wanted`` on its root element, unless already there."""
    root = _ROOT.search(head)
    if root is None or not wanted:
        return head
    names = {d.split(b"=", 1)[0] for d in _DECLARATION.findall(root.group(1))}
    missing = [d for d in wanted if d.split(b"=", 1)[0] not in names]
    if not missing:
        return head
    at = root.end(1)
    return head[:at] + b"".join(b" " + d for d in missing) + head[at:]


def hollow(xml: bytes) -> bytes:
    """A sheet without its cells and links, for the stub."""
    found = sheet_data(xml)
    if found is None:  # <sheetData> with attributes: rare enough for the slower pattern
        return HYPERLINKS.sub(b"", _EMPTY_DATA.sub(b"<sheetData/>", xml, 1))
    start, end, _ = found
    return HYPERLINKS.sub(b"", xml[:start] + b"<sheetData/>" + xml[end:])


_LINK_RELATIONSHIP = re.compile(
    rb'<Relationship\b[^>]*?\sType="' + re.escape(HYPERLINK.encode()) + rb'"[^>]*?/>')


def without_links(rels: bytes) -> bytes:
    """A sheet's relationships without its hyperlinks' (for a stub sheet with no links)."""
    return _LINK_RELATIONSHIP.sub(b"", rels)


def title_of(wb: Any, titles: dict[str, str], part: str) -> str:
    """The title of the tab whose sheet is ``part``, as loaded in ``wb``."""
    for title, found in titles.items():
        if found == part and title in wb.sheetnames:
            return title
    raise Unsupported("a kept sheet without its tab")


