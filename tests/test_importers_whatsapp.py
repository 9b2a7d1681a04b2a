"""The WhatsApp chat reader: every export variant, hand-written, and chat-miner's samples."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from sheetcrm import importers
from sheetcrm.errors import InputError
from sheetcrm.importers import whatsapp
from sheetcrm.importers.record import Record
from sheetcrm.importers.whatsapp import Message, parse_text, read_chat

SAMPLES = Path(__file__).parent / "data" / "chat-miner"
NNBSP = "\u202f"
LRM = "\u200e"


def when(y: int, mo: int, d: int, h: int, mi: int, s: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, s)


def brief(messages: list[Message]) -> list[tuple[dt.datetime, str, str]]:
    return [(m.when, m.author, m.text) for m in messages]


# --------------------------------------------------------------------------- each variant


def test_android_24_hour() -> None:
    text = ("12/10/2026, 09:41 - Messages and calls are end-to-end encrypted. No one outside of "
            "this chat, not even WhatsApp, can read or listen to them. Tap to learn more.\n"
            "12/10/2026, 09:41 - Amina: Hello, is the red dress in stock?\n"
            "12/10/2026, 10:02 - Kato Boutique: Yes, size 12 and 14\n")
    assert brief(parse_text(text)) == [
        (when(2026, 10, 12, 9, 41), "Amina", "Hello, is the red dress in stock?"),
        (when(2026, 10, 12, 10, 2), "Kato Boutique", "Yes, size 12 and 14"),
    ]


def test_iphone_with_and_without_the_comma_and_with_seconds() -> None:
    text = ("[12/10/2026, 09:41:05] Amina: Hello\n"
            "[12/10/2026 09:45:30] Kato Boutique: Good morning\n")
    assert brief(parse_text(text)) == [
        (when(2026, 10, 12, 9, 41, 5), "Amina", "Hello"),
        (when(2026, 10, 12, 9, 45, 30), "Kato Boutique", "Good morning"),
    ]


@pytest.mark.parametrize("space", [NNBSP, " "])
@pytest.mark.parametrize(("am", "pm"), [("am", "pm"), ("AM", "PM")])
def test_twelve_hour_clocks(space: str, am: str, pm: str) -> None:
    text = (f"13/10/2026, 12:05{space}{am} - Amina: just after midnight\n"
            f"13/10/2026, 9:15{space}{am} - Amina: morning\n"
            f"13/10/2026, 12:30{space}{pm} - Kato Boutique: noon\n"
            f"[13/10/2026, 4:07:09{space}{pm}] Amina: afternoon\n")
    assert [m.when for m in parse_text(text)] == [
        when(2026, 10, 13, 0, 5), when(2026, 10, 13, 9, 15), when(2026, 10, 13, 12, 30),
        when(2026, 10, 13, 16, 7, 9)]


def test_byte_order_mark_left_to_right_marks_and_windows_line_ends(tmp_path: Path) -> None:
    text = ("\ufeff[12/10/2026, 09:41:05] Amina: " + LRM + "Messages and calls are end-to-end "
            "encrypted. No one outside of this chat, not even WhatsApp, can read or listen to "
            "them.\r\n"
            + LRM + "[12/10/2026, 09:42:00] Amina: " + LRM + "image omitted\r\n"
            "[12/10/2026, 09:43:00] Amina: Do you have this one?\r\n"
            "In blue?\r\n"
            "[12/10/2026, 11:00:00] Kato Boutique: " + LRM + "<attached: 00000012-PHOTO.jpg>\r\n")
    path = tmp_path / "_chat.txt"
    path.write_bytes(text.encode("utf-8"))
    assert brief(read_chat(path).messages) == [
        # The encryption notice under Amina's name is not her message: no SLA clock from it.
        (when(2026, 10, 12, 9, 42), "Amina", "image omitted"),
        (when(2026, 10, 12, 9, 43), "Amina", "Do you have this one?\nIn blue?"),
        (when(2026, 10, 12, 11, 0), "Kato Boutique", "<attached: 00000012-PHOTO.jpg>"),
    ]


def test_multi_line_messages_keep_their_lines_and_blank_lines() -> None:
    text = ("12/10/2026, 09:41 - Amina: Line one\n"
            "\n"
            "Line three: with a colon\n"
            "12/10/2026, 09:50 - Kato Boutique: Reply\n")
    assert brief(parse_text(text))[0] == (when(2026, 10, 12, 9, 41), "Amina",
                                          "Line one\n\nLine three: with a colon")


@pytest.mark.parametrize("line", [
    "12/10/2026, 09:41 - Messages and calls are end-to-end encrypted. No one outside of this "
    "chat, not even WhatsApp, can read or listen to them. Tap to learn more.",
    "12/10/2026, 09:41 - Amina: Messages and calls are end-to-end encrypted. No one outside of "
    "this chat, not even WhatsApp, can read or listen to them.",
    "12/10/2026, 09:41 - This chat is with a business account. Tap to learn more.",
    "[12/10/2026, 09:41:00] Amina: " + LRM + "This chat is with a business account. Tap to "
    "learn more.",
    "12/10/2026, 09:41 - Amina changed their phone number to a new number. Tap to message or "
    "add the new number.",
    "12/10/2026, 09:41 - Your security code with Amina changed. Tap to learn more.",
    "[12/10/2026, 09:41:00] Amina: " + LRM + "Your security code with Amina changed.",
    "12/10/2026, 09:41 - Amina: Missed voice call",
    "[12/10/2026, 09:41:00] Amina: " + LRM + "Missed video call",
])
def test_system_lines_are_not_messages(line: str) -> None:
    text = line + "\n12/10/2026, 10:00 - Amina: Hello\n"
    assert brief(parse_text(text)) == [(when(2026, 10, 12, 10, 0), "Amina", "Hello")]


@pytest.mark.parametrize("body", ["<Media omitted>", "image omitted", "audio omitted",
                                  "<attached: 00000031-AUDIO-2026-10-12.opus>",
                                  "This message was deleted", "You deleted this message"])
def test_media_and_deleted_messages_are_messages(body: str) -> None:
    assert brief(parse_text(f"12/10/2026, 09:41 - Amina: {body}\n")) == [
        (when(2026, 10, 12, 9, 41), "Amina", body)]


# --------------------------------------------------------------------------- day or month first


def test_a_first_number_over_12_settles_day_first() -> None:
    text = "03/04/2026, 09:00 - A: x\n13/04/2026, 09:00 - A: y\n"
    assert [m.when.date() for m in parse_text(text)] == [dt.date(2026, 4, 3), dt.date(2026, 4, 13)]


def test_a_second_number_over_12_settles_month_first() -> None:
    text = "04/03/2026, 09:00 - A: x\n04/13/2026, 09:00 - A: y\n"
    assert [m.when.date() for m in parse_text(text)] == [dt.date(2026, 4, 3), dt.date(2026, 4, 13)]


def test_otherwise_the_order_that_keeps_dates_ascending() -> None:
    # Month-first: 2 Jan, 1 Feb, 3 Mar ascend; day-first would be 1 Feb, 2 Jan, 3 Mar.
    text = "1/2/26, 09:00 - A: x\n2/1/26, 09:00 - A: y\n3/3/26, 09:00 - A: z\n"
    assert [m.when.date() for m in parse_text(text)] == [
        dt.date(2026, 1, 2), dt.date(2026, 2, 1), dt.date(2026, 3, 3)]
    # The same file read day-first: 1 Feb, 2 Jan, 3 Mar as written.
    assert [m.when.date() for m in parse_text(text, date_order="dmy")] == [
        dt.date(2026, 2, 1), dt.date(2026, 1, 2), dt.date(2026, 3, 3)]


def test_a_tie_is_day_first() -> None:
    assert parse_text("05/06/2026, 09:00 - A: x\n")[0].when.date() == dt.date(2026, 6, 5)


def test_date_order_override_that_cannot_be_right_names_the_line() -> None:
    with pytest.raises(InputError, match=r"chat line 2: 13/04/2026 is not a date read as mdy"):
        parse_text("03/04/2026, 09:00 - A: x\n13/04/2026, 09:00 - A: y\n", date_order="mdy")


def test_a_file_that_is_not_a_chat() -> None:
    with pytest.raises(InputError, match="line 1 does not start like a WhatsApp message"):
        parse_text("Name,Received\nAmina,12/10/2026\n")


# --------------------------------------------------------------------------- files


def test_zip_from_an_iphone_with_chat_txt(tmp_path: Path) -> None:
    path = tmp_path / "WhatsApp Chat - Amina.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("_chat.txt", "[12/10/2026, 09:41:05] Amina: Hello\n")
        z.writestr("00000012-PHOTO.jpg", b"\xff\xd8")
    chat = read_chat(path)
    assert chat.named == "Amina"
    assert brief(chat.messages) == [(when(2026, 10, 12, 9, 41, 5), "Amina", "Hello")]


def test_zip_from_android_names_the_customer(tmp_path: Path) -> None:
    path = tmp_path / "chat.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("WhatsApp Chat with Brian Okello.txt", "12/10/2026, 09:41 - Brian Okello: Hi\n")
    assert read_chat(path).named == "Brian Okello"


def test_a_zip_without_a_chat(tmp_path: Path) -> None:
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.jpg", b"x")
    with pytest.raises(InputError, match="photos.zip holds no chat"):
        read_chat(path)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="none.txt does not exist"):
        read_chat(tmp_path / "none.txt")


# --------------------------------------------------------------------------- who and enquiries


def chat_of(text: str, named: str | None = None) -> whatsapp.Chat:
    return whatsapp.Chat(source="c.txt", messages=parse_text(text), named=named)


def test_the_customer_is_the_author_who_is_not_the_business() -> None:
    chat = chat_of("12/10/2026, 09:41 - Amina: Hi\n12/10/2026, 09:50 - kato  boutique: Hello\n")
    assert whatsapp.customer_of(chat, ["Kato Boutique"]) == "Amina"


def test_the_customer_from_the_file_name_when_no_business_name_is_known() -> None:
    chat = chat_of("12/10/2026, 09:41 - Amina: Hi\n12/10/2026, 09:50 - Kato: Hello\n",
                   named="Amina")
    assert whatsapp.customer_of(chat, []) == "Amina"


def test_two_authors_and_no_way_to_tell_is_refused() -> None:
    chat = chat_of("12/10/2026, 09:41 - Amina: Hi\n12/10/2026, 09:50 - Kato: Hello\n")
    with pytest.raises(InputError, match="cannot tell which of Amina and Kato is the business"):
        whatsapp.customer_of(chat, [])


def test_a_group_chat_is_refused() -> None:
    chat = chat_of("12/10/2026, 09:41 - A: x\n12/10/2026, 09:42 - B: y\n"
                   "12/10/2026, 09:43 - C: z\n")
    with pytest.raises(InputError, match="has 3 people writing .*a group chat is not an enquiry"):
        whatsapp.customer_of(chat, ["A"])


def test_one_enquiry_per_conversation_and_a_new_one_after_30_days_of_silence() -> None:
    chat = chat_of(
        "01/10/2026, 09:00 - Kato: Our new stock is in\n"      # the business first: no enquiry
        "01/10/2026, 09:30 - Amina: Price of the red dress?\n"
        "01/10/2026, 09:31 - Amina: Size 12\n"
        "01/10/2026, 11:15 - Kato: 85,000\n"
        "01/10/2026, 11:20 - Kato: Delivery is free\n"
        "30/10/2026, 11:19 - Amina: Still there?\n"           # 29 days later: same enquiry
        "30/11/2026, 11:19 - Amina: Do you have shoes?\n"     # 31 days of silence: new one
    )
    assert whatsapp.enquiries(chat, "Amina", silence_days=30) == [
        whatsapp.Enquiry(received=when(2026, 10, 1, 9, 30), first_contact=when(2026, 10, 1, 11, 15),
                         name="Amina", first_message="Price of the red dress?", line=2),
        whatsapp.Enquiry(received=when(2026, 11, 30, 11, 19), first_contact=None, name="Amina",
                         first_message="Do you have shoes?", line=7),
    ]


def test_notes_are_the_first_message_shortened_to_200_characters() -> None:
    long = "a" * 250
    [enquiry] = whatsapp.enquiries(chat_of(f"01/10/2026, 09:30 - Amina: {long}\n"), "Amina",
                                   silence_days=30)
    assert enquiry.first_message == "a" * 199 + "\u2026"
    assert len(enquiry.first_message) == 200


def test_records_carry_a_number_author_normalised() -> None:
    chat = chat_of("12/10/2026, 09:41 - +256 772 123456: Hi\n"
                   "12/10/2026, 09:50 - Kato: Hello\n")
    assert whatsapp.records(chat, "+256 772 123456") == [Record(line=1, fields={
        "received": "12/10/2026 09:41", "name": "+256 772 123456", "contact": "+256772123456",
        "source": "WhatsApp", "status": "contacted", "notes": "Hi",
        "first_contact": "12/10/2026 09:50"})]


def test_the_registry_reads_a_chat_named_after_its_customer(tmp_path: Path) -> None:
    path = tmp_path / "WhatsApp Chat with Amina.txt"
    path.write_text("12/10/2026, 09:41 - Amina: Hi\n", encoding="utf-8")
    assert importers.read(path, "whatsapp") == [Record(line=1, fields={
        "received": "12/10/2026 09:41", "name": "Amina", "contact": "", "source": "WhatsApp",
        "status": "pending", "notes": "Hi"})]


# --------------------------------------------------------------------------- chat-miner samples


def test_chat_miner_android_month_first_two_digit_years() -> None:
    chat = read_chat(SAMPLES / "test_dateformat1.txt")
    # 10 dated lines: the encryption notice, "created group" and "You were added" are not messages.
    assert [(m.when, m.author) for m in chat.messages] == [
        (when(2019, 12, 24, 11, 23), "John Doe"), (when(2019, 12, 24, 11, 23), "John Doe"),
        (when(2019, 12, 26, 11, 55), "John-John Doe"), (when(2020, 1, 17, 20, 49), "Jahn Doe"),
        (when(2020, 1, 18, 14, 53), "Jahn Doe"), (when(2017, 7, 16, 19, 13), "+12 345 578")]
    assert chat.messages[4].text.count("\n") == 5  # six lines in one message


def test_chat_miner_p_m_with_dots_and_spaces() -> None:
    assert [m.when for m in read_chat(SAMPLES / "test_dateformat2.txt").messages] == [
        when(2019, 9, 24, 23, 30), when(2019, 11, 27, 21, 30), when(2019, 11, 17, 21, 34),
        when(2019, 12, 24, 11, 30)]


def test_chat_miner_iphone_dotted_dates() -> None:
    assert [m.when for m in read_chat(SAMPLES / "test_dateformat5.txt").messages] == [
        when(2021, 10, 21, 15, 21, 45), when(2021, 10, 22, 15, 21, 46),
        when(2021, 10, 23, 15, 21, 47), when(2021, 10, 24, 15, 21, 48)]


def test_chat_miner_day_first_with_seconds_and_a_blank_line() -> None:
    messages = read_chat(SAMPLES / "test_dateformat6.txt").messages
    assert [m.when for m in messages] == [
        when(2021, 10, 21, 15, 21, 45), when(2021, 10, 22, 15, 21, 46),
        when(2021, 10, 23, 15, 21, 47), when(2021, 10, 24, 15, 21, 48)]
    assert messages[1].text == "Lorem ipsum dolor sit amet."


@pytest.mark.parametrize("name", ["test_ddmmyy_24hrs.txt", "test_mmddyyyy_12hrs.txt"])
def test_chat_miner_the_same_chat_day_first_and_month_first(name: str) -> None:
    chat = read_chat(SAMPLES / name)
    assert [(m.when, m.author, m.text.split("\n")[0]) for m in chat.messages] == [
        (when(2019, 1, 1, 11, 25), "John Doe", "Lorem ipsum dolor sit amet."),
        (when(2019, 1, 20, 11, 23), "John Doe", "."),
        (when(2019, 1, 30, 20, 49), "Jahn Doe", "Lorem ipsum dolor sit amet,"),
        (when(2020, 6, 10, 15, 55), "John-John Doe", "Lorem ipsum : dolor sit amet."),
        (when(2021, 12, 10, 10, 10), "John Doe \U0001f913", "Lorem ipsum \U0001f913"),
        (when(2021, 12, 20, 12, 10), "\U0001f913", "Lorem ipsum \U0001f913"),
        (when(2021, 12, 30, 22, 1), "John Doe", "Lorem ipsum dolor sit amet,"),
    ]


def test_chat_miner_samples_are_group_chats_and_are_refused() -> None:
    chat = read_chat(SAMPLES / "test_dateformat6.txt")
    with pytest.raises(InputError, match="a group chat is not an enquiry"):
        whatsapp.customer_of(chat, ["John Doe"])


@pytest.mark.parametrize("body", ["Is this chat end-to-end encrypted?",
                                  "I missed your call yesterday",
                                  "My security code changed, can you resend?"])
def test_a_customer_writing_about_such_things_is_still_heard(body: str) -> None:
    assert brief(parse_text(f"12/10/2026, 09:41 - Amina: {body}\n")) == [
        (when(2026, 10, 12, 9, 41), "Amina", body)]


def test_only_the_business_wrote_in_a_chat_named_after_the_customer() -> None:
    chat = chat_of("12/10/2026, 09:41 - Kato: Our new stock is in\n", named="Amina")
    assert whatsapp.customer_of(chat, []) is None


def test_one_author_and_nothing_to_tell_who_it_is_is_refused() -> None:
    chat = chat_of("12/10/2026, 09:41 - Amina: Hi\n")
    with pytest.raises(InputError, match="only Amina writes, and sheetcrm cannot tell"):
        whatsapp.customer_of(chat, [])
    assert whatsapp.customer_of(chat, ["Kato"]) == "Amina"


def test_a_file_name_that_names_neither_author_is_refused() -> None:
    chat = chat_of("12/10/2026, 09:41 - Amina K: Hi\n12/10/2026, 09:50 - Kato: Hello\n",
                   named="Amina")
    with pytest.raises(InputError, match="cannot tell which of Amina K and Kato is the business"):
        whatsapp.customer_of(chat, [])


def test_a_time_that_cannot_be_names_the_line() -> None:
    with pytest.raises(InputError, match="chat line 1: 13:37 is not a time"):
        parse_text("12/10/2026, 13:37 pm - Amina: x\n")
    with pytest.raises(InputError, match="chat line 1: 24:10 is not a time"):
        parse_text("12/10/2026, 24:10 - Amina: x\n")
