"""`sheetcrm import-whatsapp`."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl

from tests.helpers.cli import assert_one_line_error, digest, run
from tests.helpers.trackers import cli_tracker

CHAT = ("[12/10/2026, 09:41:05] Amina: \u200eMessages and calls are end-to-end encrypted. "
        "No one outside of this chat, not even WhatsApp, can read or listen to them.\r\n"
        "[12/10/2026, 09:41:05] Amina: \u200eimage omitted\r\n"
        "[12/10/2026, 09:42:10] Amina: How much is this?\r\n"
        "[12/10/2026, 10:02:00] Kato Boutique: 85,000 shillings\r\n")


def chat_zip(folder: Path) -> Path:
    path = folder / "WhatsApp Chat - Amina.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("_chat.txt", "\ufeff" + CHAT)
    return path


def test_import_whatsapp_adds_then_skips(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    chat = chat_zip(tmp_path)
    result = run("import-whatsapp", str(path), str(chat), "--business", "Kato Boutique",
                 "--now", "2026-10-20T12:00")
    assert result.exit_code == 0, result.output
    assert "Added Amina, received 12/10/2026 09:42, on row 2." not in result.output
    # The photo at 09:41 is the enquiry: the encryption notice under her name is not.
    assert "Added Amina, received 12/10/2026 09:41, on row 2." in result.output
    assert f"Imported 1 enquiry into {path}. Run `sheetcrm refresh` next." in result.output
    ws = openpyxl.load_workbook(path)["Enquiries"]
    header = [c.value for c in ws[1]]
    row = {h: ws.cell(2, i + 1).value for i, h in enumerate(header)}
    assert row["Received"] == dt.datetime(2026, 10, 12, 9, 41)
    assert row["First contact"] == dt.datetime(2026, 10, 12, 10, 2)
    assert (row["Name"], row["Source"], row["Status"], row["Notes"]) == (
        "Amina", "WhatsApp", "contacted", "image omitted")
    assert row["Contact"] is None

    before = digest(path)
    again = run("import-whatsapp", str(path), str(chat), "--business", "Kato Boutique")
    assert again.exit_code == 0, again.output
    assert "Skipped Amina (12/10/2026 09:41): already in the tracker." in again.output
    assert f"Imported 0 enquiries into {path}; 1 already there." in again.output
    assert digest(path) == before


def test_import_whatsapp_reports_a_chat_it_cannot_place(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    chat = tmp_path / "c.txt"
    chat.write_text(CHAT, encoding="utf-8")
    result = run("import-whatsapp", str(path), str(chat))
    assert result.exit_code == 0, result.output
    assert ("Refused: c.txt: cannot tell which of Amina and Kato Boutique is the business: "
            "give --business NAME") in result.output
    assert result.output.splitlines()[-1] == f"Imported 0 enquiries into {path}; 1 chat refused."


def test_import_whatsapp_a_missing_file_is_one_line(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    before = digest(path)
    assert_one_line_error(run("import-whatsapp", str(path), str(tmp_path / "none.txt")),
                          "none.txt does not exist")
    assert digest(path) == before


def test_import_whatsapp_help_teaches_on_its_own() -> None:
    text = " ".join(run("import-whatsapp", "--help").output.split())
    for words in ("Export chat", "--business", "--date-order", "30 days", "First contact",
                  "group chats are refused"):
        assert words in text
