"""Opening a tracker from what the user types: which backend, and which targets are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sheetcrm import opening
from sheetcrm.backends.excel import ExcelBackend
from sheetcrm.backends.google import GoogleBackend
from sheetcrm.errors import InputError
from sheetcrm.opening import OpenOptions, create_google_sheet, is_google, open_tracker

KEY = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde"
URL = f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0"


def test_the_key_is_44_characters() -> None:
    assert len(KEY) == 44


@pytest.mark.parametrize("name", ["shop.xlsx", "SHOP.XLSX", "macros.xlsm"])
def test_an_xlsx_path_opens_the_excel_backend(tmp_path: Path, name: str) -> None:
    backend = open_tracker(str(tmp_path / name))
    assert isinstance(backend, ExcelBackend)
    assert backend.kind == "Excel"
    assert backend.label == str(tmp_path / name)
    assert not (tmp_path / name).exists()  # nothing is read or written yet


def test_force_reaches_the_excel_backend(tmp_path: Path) -> None:
    backend = open_tracker(str(tmp_path / "shop.xlsx"), OpenOptions(force=True))
    assert isinstance(backend, ExcelBackend)
    assert backend.force is True


@pytest.mark.parametrize("target", [URL, KEY, f"  {KEY}  ",
                                    f"http://DOCS.google.com/spreadsheets/d/{KEY}"])
def test_a_google_link_or_key_opens_the_google_backend(target: str) -> None:
    backend = open_tracker(target)
    assert isinstance(backend, GoogleBackend)
    assert backend.kind == "Google Sheets"
    assert backend.key == KEY


@pytest.mark.parametrize("name", ["leads.csv", "leads.ods", "old.xls", "LEADS.CSV",
                                  "mac.numbers"])
def test_other_spreadsheet_files_are_refused_with_what_to_do(name: str) -> None:
    with pytest.raises(InputError) as err:
        open_tracker(name)
    assert str(err.value) == (f"{name}: sheetcrm works with Excel .xlsx files and Google "
                              "Sheets; save the file as .xlsx first")


@pytest.mark.parametrize("target", ["notes.txt", "shop", "https://example.com/sheet",
                                    f"{KEY}.json"])
def test_something_that_is_neither_is_refused(target: str) -> None:
    with pytest.raises(InputError, match="is neither an .xlsx file nor a Google Sheets link"):
        open_tracker(target)


@pytest.mark.parametrize(("target", "google"), [
    (URL, True), (KEY, True), ("shop.xlsx", False), ("short", False), (f"{KEY}.txt", False),
    ("docs.google.com/spreadsheets/d/x", False),
])
def test_is_google(target: str, google: bool) -> None:
    assert is_google(target) is google


def test_open_options_defaults() -> None:
    options = OpenOptions()
    assert (options.credentials, options.retry_seconds, options.force, options.warn) == (
        None, None, False, None)


def test_create_google_sheet_passes_the_options_on(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    def fake_create(title: str, **kwargs: Any) -> str:
        seen.update(kwargs, title=title)
        return "made"

    monkeypatch.setattr(GoogleBackend, "create_spreadsheet", fake_create)
    messages: list[str] = []
    options = OpenOptions(credentials=tmp_path / "key.json", retry_seconds=7.0,
                          warn=messages.append)
    assert create_google_sheet("Enquiries 2026", options) == "made"
    assert seen["title"] == "Enquiries 2026"
    assert seen["credentials"] == tmp_path / "key.json"
    assert seen["warn"] == messages.append
    assert seen["retry"].total_seconds == 7.0


def test_the_module_names_no_backend_until_needed() -> None:
    assert not hasattr(opening, "ExcelBackend") and not hasattr(opening, "GoogleBackend")
