"""Importers: the CSV reader and the importer registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from sheetcrm import importers
from sheetcrm.errors import InputError
from sheetcrm.importers import Record, csv


def write(tmp_path: Path, text: str, name: str = "in.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_headers_match_any_case_and_spacing_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeff name ,SOURCE,Received,follow-ups DONE\r\n"
                           "Ann,WhatsApp,02/11/2026 09:00,1\r\n")
    assert csv.read(path) == [Record(line=2, fields={
        "name": "Ann", "source": "WhatsApp", "received": "02/11/2026 09:00",
        "follow_ups_done": "1"})]


def test_blank_lines_are_skipped_and_lines_keep_their_file_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "Name,Contact\nAnn,0772 123456\n\n , \nBen,\n")
    assert csv.read(path) == [
        Record(line=2, fields={"name": "Ann", "contact": "0772 123456"}),
        Record(line=5, fields={"name": "Ben", "contact": ""}),
    ]


def test_a_column_with_no_header_is_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, "Name,,Notes\nAnn,ignored,Likes braids\n")
    assert csv.read(path) == [Record(line=2, fields={"name": "Ann", "notes": "Likes braids"})]


def test_a_short_line_gives_only_its_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "Name,Source,Notes\nAnn\n")
    assert csv.read(path) == [Record(line=2, fields={"name": "Ann"})]


@pytest.mark.parametrize(("text", "message"), [
    ("Name,Stylist,stylist\nAnn,x,y\n", "columns 2 and 3 are both 'Stylist': delete one"),
    ("Name,Source,name\nAnn,x,y\n", "columns 1 and 3 are both 'Name': delete one"),
    ("Name,Source\nAnn,WhatsApp,extra\n",
     "line 2 has more values than the header row has columns (3 against 2)"),
    ("", "the file is empty; it needs a header row"),
    ("Name,Source\n\n", "has a header row but no enquiries"),
])
def test_bad_files_are_refused_with_what_to_fix(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as err:
        csv.read(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_a_trailing_empty_value_is_not_an_extra_column(tmp_path: Path) -> None:
    path = write(tmp_path, "Name,Source\nAnn,WhatsApp,,  \n")
    assert csv.read(path) == [Record(line=2, fields={"name": "Ann", "source": "WhatsApp"})]


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        csv.read(tmp_path / "nope.csv")


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "Name\nZoë\n", encoding="latin-1")
    with pytest.raises(InputError, match="is not a UTF-8 text file: save it as CSV UTF-8"):
        csv.read(path)


def test_the_registry_reads_by_suffix_or_by_name(tmp_path: Path) -> None:
    expected = [Record(line=2, fields={"name": "Ann"})]
    assert importers.read(write(tmp_path, "Name\nAnn\n", name="a.CSV")) == expected
    assert importers.read(write(tmp_path, "Name\nAnn\n", name="a.txt")) == expected
    assert importers.read(write(tmp_path, "Name\nAnn\n", name="b.dat"), "csv") == expected
    assert set(importers.IMPORTERS) == {"csv", "whatsapp"}


def test_an_unknown_importer_name_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, "Name\nAnn\n")
    with pytest.raises(InputError, match="There is no importer called 'xlsx': use one of csv"):
        importers.read(path, "xlsx")


def test_columns_that_are_not_the_templates_are_passed_on(tmp_path: Path) -> None:
    # The engine matches them against the tracker's own headers (the owner may add columns).
    path = write(tmp_path, "Name,Stylist,SLA\nAnn,Grace,x\nBen,,\n")
    records = csv.read(path)
    assert records == [
        Record(line=2, fields={"name": "Ann"}, extra={"Stylist": "Grace", "SLA": "x"}),
        Record(line=3, fields={"name": "Ben"}, extra={"Stylist": "", "SLA": ""}),
    ]
    assert records.extra_columns == {"Stylist": 2, "SLA": 3}


@pytest.mark.parametrize(("text", "named"), [
    ("Received;Name;Notes\n02/11/2026 09:00;Ann;Likes braids, short\n", "semicolons"),
    ("Received\tName\tNotes\n02/11/2026 09:00\tAnn\tLikes braids, short\n", "tabs"),
    ('Received,Name,Notes\n02/11/2026 09:00,Ann,"Likes braids, short"\n', "commas"),
    ('"Received;x",Name,Notes\n02/11/2026 09:00,Ann,"Likes braids, short"\n', None),
])
def test_the_separator_is_found_and_named(tmp_path: Path, text: str, named: str | None) -> None:
    path = write(tmp_path, text)
    records = csv.read(path)
    if named is None:  # a quoted semicolon inside a comma file's header is not a separator
        assert records.remarks == ["Read in.csv as columns separated by commas."]
        assert records[0].extra == {"Received;x": "02/11/2026 09:00"}
        return
    assert records.remarks == [f"Read in.csv as columns separated by {named}."]
    assert records == [Record(line=2, fields={
        "received": "02/11/2026 09:00", "name": "Ann", "notes": "Likes braids, short"})]


def test_a_stray_semicolon_is_called_that(tmp_path: Path) -> None:
    path = write(tmp_path, "Name;Source\nAnn;WhatsApp;extra\n")
    with pytest.raises(InputError, match="check for a stray semicolon"):
        csv.read(path)


@pytest.mark.parametrize(("line", "expected"), [
    ("Received,Name", ","), ("Received;Name", ";"), ("Received\tName", "\t"),
    ("Name", ","), ("", ","), ("Received;Name,Contact;Source", ";"),
])
def test_delimiter_of_the_header_line(line: str, expected: str) -> None:
    assert csv.delimiter_of(line) == expected
