"""Links in the WhatsApp column: prefilled messages decoded back, emails, handles."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm import tracker
from sheetcrm.backends.excel import ExcelBackend
from sheetcrm.backends.memory import MemoryBackend
from sheetcrm.links import MAX_LINK, _quote, contact_link, fill, message_for, whatsapp_url
from sheetcrm.model import Cell, Settings


def decoded(url: str) -> tuple[str, str]:
    """The link's number path and its text, decoded as WhatsApp will."""
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", "wa.me")
    return parts.path, parse_qs(parts.query, strict_parsing=True)["text"][0]


def test_placeholders_are_filled_and_nothing_else_is() -> None:
    assert fill("Hello {name}, {business} here. {price}?", name=" Amina  K. ",
                business="Kato Boutique") == "Hello Amina K., Kato Boutique here. {price}?"
    assert fill("Hello {name}, thank you for contacting {business}.", name="", business="") == (
        "Hello there, thank you for contacting us.")


def test_a_message_with_emoji_and_symbols_comes_back_whole() -> None:
    text = "Habari Amina \U0001f44b! 50% off & free delivery + gift? #deal = yes / no"
    url = whatsapp_url("+256772123456", text)
    assert decoded(url) == ("/256772123456", text)
    # Nothing that could end the text early or start another parameter is left bare.
    assert "&" not in url.split("?", 1)[1] and "#" not in url and "+" not in url


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet=st.characters(exclude_categories=["Cs"])))
def test_messages_are_quoted_exactly_as_urllib_quotes_them(text: str) -> None:
    assert _quote(text) == quote(text, safe="")


def test_quoting_escapes_all_but_letters_digits_and_four_marks() -> None:
    assert _quote("Aa0_.-~ /?&=+#%é\U0001f44b") == (
        "Aa0_.-~%20%2F%3F%26%3D%2B%23%25%C3%A9%F0%9F%91%8B")


def test_a_long_message_is_shortened_to_fit_not_dropped() -> None:
    text = "Karibu \U0001f60a " * 400  # far over 2,000 characters once encoded
    url = whatsapp_url("+256772123456", text)
    assert len(url) <= MAX_LINK
    _, back = decoded(url)
    assert back.endswith("\u2026")
    assert text.startswith(back[:-1])
    assert len(back) > 100


def test_no_text_opens_the_chat() -> None:
    assert whatsapp_url("+256 772 123456") == "https://wa.me/256772123456"


def test_which_message() -> None:
    s = Settings(business_name="Kato Boutique")
    today = dt.date(2026, 11, 2)
    assert message_for(s, name="Ann", status="pending", first_contact=None, follow_ups_done=None,
                       next_follow_up=None, today=today) == (
        "Hello Ann, thank you for contacting Kato Boutique. How can we help you today?")
    replied = dt.datetime(2026, 10, 26, 10, 0)
    assert message_for(s, name="Ann", status="contacted", first_contact=replied,
                       follow_ups_done=1, next_follow_up=today, today=today) == (
        "Hello Ann, Kato Boutique here again. Are you still interested? We would be happy "
        "to help.")
    assert message_for(s, name="Ann", status="contacted", first_contact=replied,
                       follow_ups_done=0, next_follow_up=dt.date(2026, 11, 3),
                       today=today) is None


def test_an_email_gets_a_mailto_link_and_a_handle_none() -> None:
    assert contact_link(None, "amina@example.com", None) == Cell(
        "amina@example.com", "link", "mailto:amina@example.com")
    assert contact_link(None, None, None) == Cell(None)


def test_refresh_prefills_first_replies_follow_ups_and_emails() -> None:
    backend = MemoryBackend()
    tracker.init_tracker(backend, Settings(
        business_name="Kato Boutique",
        follow_up_message_1="Hi {name}, any questions for {business}?"))
    backend.append([
        # Pending: the first-reply message.
        {"Received": dt.datetime(2026, 11, 2, 9, 0), "Name": "Ann", "Contact": "0772 123456",
         "Source": "WhatsApp", "Status": "pending"},
        # Replied Mon 26/10; no follow-up yet: the 1st is due 26/10 + 2 = Wed 28/10 (past).
        {"Received": dt.datetime(2026, 10, 26, 9, 0), "Name": "Brian", "Contact": "0701 234567",
         "Source": "WhatsApp", "Status": "contacted",
         "First contact": dt.datetime(2026, 10, 26, 10, 0), "Follow-ups done": 0},
        {"Received": dt.datetime(2026, 11, 2, 9, 5), "Name": "Carol",
         "Contact": "Carol@Example.com", "Source": "Website", "Status": "pending"},
        {"Received": dt.datetime(2026, 11, 2, 9, 6), "Name": "Dan", "Contact": "@shop_amina",
         "Source": "Instagram", "Status": "pending"},
    ])
    evaluation = tracker.refresh(backend, now=dt.datetime(2026, 11, 2, 10, 0))
    cells = evaluation.changes.computed["WhatsApp"]
    assert decoded(cells[0].link or "") == (
        "/256772123456",
        "Hello Ann, thank you for contacting Kato Boutique. How can we help you today?")
    assert decoded(cells[1].link or "") == ("/256701234567",
                                            "Hi Brian, any questions for Kato Boutique?")
    assert cells[2] == Cell("carol@example.com", "link", "mailto:carol@example.com")
    assert cells[3] == Cell(None)
    # The Today tab carries the same links.
    today_links = {row[1].value: row[3].link for row in evaluation.changes.tabs["Today"].rows
                   if len(row) > 3 and row[3].link}
    assert today_links["Ann"] == cells[0].link
    assert today_links["Brian"] == cells[1].link
    assert today_links["Carol"] == "mailto:carol@example.com"
    assert all(not r.problems for r in evaluation.rows), [r.problems for r in evaluation.rows]


def test_a_long_message_in_an_excel_tracker_is_shortened_in_the_saved_link(
        tmp_path: Path) -> None:
    path = tmp_path / "tracker.xlsx"
    # 880 characters (under the Settings limit of 1,000); each repeat encodes to 45
    # characters ("Ann" 3, two %20 6, three emoji of 12), so 3,600 in all: over 2,000.
    message = "{name} \U0001f60a\U0001f60a\U0001f60a " * 80
    tracker.init_tracker(ExcelBackend(path), Settings(first_reply_message=message))
    ExcelBackend(path).append([{"Received": dt.datetime(2026, 11, 2, 9, 0), "Name": "Ann",
                                "Contact": "0772 123456", "Source": "WhatsApp"}])
    tracker.refresh(ExcelBackend(path), now=dt.datetime(2026, 11, 2, 10, 0))
    ws = openpyxl.load_workbook(path)["Enquiries"]
    col = [c.value for c in ws[1]].index("WhatsApp") + 1
    target = ws.cell(2, col).hyperlink.target
    assert len(target) <= MAX_LINK
    number, text = decoded(target)
    assert number == "/256772123456"
    assert text.endswith("\u2026")
    assert ("Ann \U0001f60a\U0001f60a\U0001f60a " * 80).startswith(text[:-1])
    assert len(text) > 300
