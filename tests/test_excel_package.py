"""The .xlsx package helpers of the fast write, worked by hand on small zips and parts."""

from __future__ import annotations

import zipfile
from io import BytesIO
from typing import Any

import pytest

from sheetcrm.backends.excel.package import Compressed, Package, sheet_data, without_links


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_compressed_member_is_copied_without_deflating_it_again() -> None:
    history = b"<worksheet>" + b"<row><c><v>1</v></c></row>" * 5000 + b"</worksheet>"
    source = zipfile.ZipFile(BytesIO(_zip({"xl/worksheets/sheet4.xml": history,
                                           "xl/styles.xml": b"<styleSheet/>"})))
    package = Package(_zip({"xl/worksheets/sheet2.xml": b"<worksheet/>",
                            "xl/styles.xml": b"<styleSheet/>"}))
    new = package.replaced({"xl/worksheets/sheet2.xml": Compressed(
        source, "xl/worksheets/sheet4.xml", history)})
    copied = zipfile.ZipFile(BytesIO(new))
    assert copied.testzip() is None  # every CRC checks out
    assert copied.namelist() == ["xl/worksheets/sheet2.xml", "xl/styles.xml"]
    assert copied.read("xl/worksheets/sheet2.xml") == history
    original, kept = source.getinfo("xl/worksheets/sheet4.xml"), copied.getinfo(
        "xl/worksheets/sheet2.xml")
    # The same compressed bytes: same method, size and CRC as in the source zip.
    assert (kept.compress_type, kept.compress_size, kept.CRC) == (
        zipfile.ZIP_DEFLATED, original.compress_size, original.CRC)
    assert kept.compress_size < len(history) // 20  # deflated, not stored


def test_a_member_beside_the_others_is_written_from_its_bytes() -> None:
    source = zipfile.ZipFile(BytesIO(_zip({"a.xml": b"<a/>"})))
    package = Package(_zip({"b.xml": b"<b/>"}))
    new = zipfile.ZipFile(BytesIO(package.replaced({"c.xml": Compressed(source, "a.xml",
                                                                         b"<a/>")})))
    assert new.testzip() is None
    assert new.read("c.xml") == b"<a/>"


def test_without_links_keeps_every_relationship_but_the_hyperlinks() -> None:
    link = ('<Relationship Id="rId{}" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/hyperlink" Target="https://wa.me/256772123456" '
            'TargetMode="External"/>')
    note = ('<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/comments" Target="../comments/comment1.xml"/>')
    rels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'relationships">{link.format(1)}{note}{link.format(2)}</Relationships>').encode()
    assert without_links(rels) == (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships">{note}</Relationships>').encode()


def test_sheet_data_says_where_the_rows_are() -> None:
    xml = b'<worksheet><dimension ref="A1"/><sheetData><row r="1"/></sheetData><x/></worksheet>'
    start, end, (first, last) = sheet_data(xml)  # type: ignore[misc]
    assert xml[start:end] == b'<sheetData><row r="1"/></sheetData>'
    assert xml[first:last] == b'<row r="1"/>'
    empty = b"<worksheet><sheetData/></worksheet>"
    start, end, (first, last) = sheet_data(empty)  # type: ignore[misc]
    assert (empty[start:end], first == last) == (b"<sheetData/>", True)
    assert sheet_data(b"<worksheet/>") is None


def test_hollow_takes_out_the_rows_and_links_and_keeps_the_rest() -> None:
    from sheetcrm.backends.excel.package import hollow

    xml = (b'<worksheet><cols><col min="1" max="1" width="9"/></cols><sheetData><row r="1">'
           b'<c r="A1"/></row></sheetData><hyperlinks><hyperlink ref="A1" r:id="rId1"/>'
           b'</hyperlinks><pageMargins left="1"/></worksheet>')
    assert hollow(xml) == (b'<worksheet><cols><col min="1" max="1" width="9"/></cols>'
                           b'<sheetData/><pageMargins left="1"/></worksheet>')
    odd = b'<worksheet><sheetData x="1"><row r="1"/></sheetData></worksheet>'
    assert hollow(odd) == b"<worksheet><sheetData/></worksheet>"


def test_rows_deflated_apart_make_one_member_with_the_right_crc(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from sheetcrm.backends.excel.package import Deflating, Spliced

    monkeypatch.setattr(Deflating, "BLOCK", 100)  # many blocks, each its own zlib call
    rows = [f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>'.encode() for n in range(2, 400)]
    whole = b"<worksheet><sheetData>" + b"".join(rows) + b"</sheetData></worksheet>"
    for pieces in (rows, []):
        expected = whole if pieces else b"<worksheet><sheetData></sheetData></worksheet>"
        package = Package(_zip({"xl/worksheets/sheet1.xml": b"<worksheet/>"}))
        new = package.replaced({"xl/worksheets/sheet1.xml": Spliced(
            b"<worksheet><sheetData>", Deflating(list(pieces)), b"</sheetData></worksheet>")})
        archive = zipfile.ZipFile(BytesIO(new))
        assert archive.testzip() is None  # the CRC zipfile checks is the whole member's
        assert archive.read("xl/worksheets/sheet1.xml") == expected
        info = archive.getinfo("xl/worksheets/sheet1.xml")
        assert info.compress_type == zipfile.ZIP_DEFLATED and info.file_size == len(expected)


def test_a_failure_while_deflating_is_raised_where_the_file_is_written() -> None:
    from sheetcrm.backends.excel.package import Deflating, Spliced

    rows: list[Any] = ["not bytes"]
    package = Package(_zip({"a.xml": b"<a/>"}))
    with pytest.raises(TypeError):
        package.replaced({"a.xml": Spliced(b"<a>", Deflating(rows), b"</a>")})


def test_the_original_sheets_namespaces_are_declared_where_its_rows_go() -> None:
    from sheetcrm.backends.excel.package import _declared, declarations

    original = (b'<?xml version="1.0"?><worksheet xmlns="m" xmlns:r="rel" '
                b'xmlns:mc="mc" mc:Ignorable="x14ac" xmlns:x14ac="ac"><sheetData/></worksheet>')
    found = declarations(original)
    assert found == [b'xmlns:r="rel"', b'xmlns:mc="mc"', b'mc:Ignorable="x14ac"',
                     b'xmlns:x14ac="ac"']
    saved = b'<worksheet xmlns="m" xmlns:r="rel"><sheetPr/>'
    assert _declared(saved, found) == (b'<worksheet xmlns="m" xmlns:r="rel" xmlns:mc="mc" '
                                       b'mc:Ignorable="x14ac" xmlns:x14ac="ac"><sheetPr/>')
    assert _declared(saved, []) == saved
