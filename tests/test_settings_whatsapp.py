"""The WhatsApp rows of the Settings tab: name, silence days and prefilled messages."""

from __future__ import annotations

import pathlib

import pytest

from sheetcrm.errors import SettingsError
from sheetcrm.model import Grid, Settings
from sheetcrm.settings import settings_from_grid, settings_from_toml, settings_to_contents
from sheetcrm.template import load_template

TEMPLATE = load_template()


def test_defaults_are_written_in_british_english_with_placeholders() -> None:
    rows = settings_to_contents(Settings(), TEMPLATE).rows
    by_label = {r[0].value: r[1].value for r in rows[1:] if len(r) > 1}
    assert by_label["WhatsApp name"] is None
    assert by_label["New enquiry after days of silence"] == 30
    assert by_label["First reply message"] == (
        "Hello {name}, thank you for contacting {business}. How can we help you today?")
    assert by_label["Follow-up message 1"] == (
        "Hello {name}, just checking in from {business}. Do you have any questions we can "
        "help with?")
    assert by_label["Follow-up message 2"] == (
        "Hello {name}, {business} here again. Are you still interested? We would be happy "
        "to help.")
    assert by_label["Follow-up message 3"] == (
        "Hello {name}, a last note from {business}: get in touch whenever you are ready. "
        "Thank you!")


def test_the_owner_edits_them_in_the_sheet() -> None:
    grid: Grid = [["Setting", "Value"], ["whatsapp name", " Kato  Boutique "],
                  ["New enquiry after days of silence", "14 days"],
                  ["First reply message", "Karibu {name}! {business} \U0001f44b"]]
    s = settings_from_grid(grid, TEMPLATE)
    assert (s.whatsapp_name, s.new_enquiry_days, s.first_reply_message) == (
        "Kato Boutique", 14, "Karibu {name}! {business} \U0001f44b")
    assert s.follow_up_message_1 == Settings().follow_up_message_1


@pytest.mark.parametrize(("value", "message"), [
    ("0", "Settings!B3: New enquiry after days of silence '0' is not a whole number of days"),
    ("soon", "Settings!B3: New enquiry after days of silence 'soon' is not a whole number"),
])
def test_bad_silence_days_name_the_cell(value: str, message: str) -> None:
    grid: Grid = [["Setting", "Value"], ["Sunday", "closed"],
                  ["New enquiry after days of silence", value]]
    with pytest.raises(SettingsError, match=message):
        settings_from_grid(grid, TEMPLATE)


def test_a_blank_message_names_the_cell() -> None:
    grid: Grid = [["Setting", "Value"], ["Follow-up message 2", "  "]]
    with pytest.raises(SettingsError, match="Settings!B2: Follow-up message 2 is blank"):
        settings_from_grid(grid, TEMPLATE)


def test_toml_takes_them_too(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "business.toml"
    path.write_text('whatsapp_name = "Kato Boutique"\nnew_enquiry_days = 21\n', encoding="utf-8")
    s = settings_from_toml(path)
    assert (s.whatsapp_name, s.new_enquiry_days) == ("Kato Boutique", 21)
