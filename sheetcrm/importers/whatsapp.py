"""WhatsApp chat import: the "Export chat" file of one customer's chat, as enquiries.

The reader is our own, on the standard library only (a number shown as the
author is normalised by :func:`sheetcrm.cells.parse_phone`, like a typed one).
Reads what both phones write:

* Android: ``12/10/2026, 09:41 - Amina: text``
* iPhone: ``[12/10/2026, 09:41:05] Amina: text`` (with or without the comma)

with 12-hour clocks (``am``, ``PM``, ``p.m.``, after a plain or a narrow
no-break space), a byte-order mark, left-to-right marks, ``\\r\\n`` line ends
and messages over several lines.  Whether dates are day-first is decided over
the whole file.  System lines (the encryption notice, "this chat is with a
business account", a changed number, a changed security code, missed calls)
are not messages; a photo, a voice note or a deleted message is.

:func:`read_chat` gives the messages; :func:`enquiries` splits one customer's
chat into enquiries (a new one after a long silence).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..cells import parse_phone
from ..errors import InputError
from .record import Record

#: File suffixes this importer reads.
SUFFIXES = (".txt", ".zip")

DATE_ORDERS: tuple[str, ...] = ("auto", "dmy", "mdy")

#: How long Notes may be, in characters, before it is shortened.
NOTES_LIMIT = 200

_INVISIBLE = str.maketrans({"\ufeff": None, "\u200e": None, "\u200f": None,
                            "\u202a": None, "\u202c": None,
                            "\u202f": " ", "\u00a0": " ", "\u2009": " "})
_DATE = r"(\d{1,4})[./-](\d{1,2})[./-](\d{2,4})"
_TIME = r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?"
_AMPM = r"(?:\s*([ap])\.?\s?m\.?)?"
_ANDROID = re.compile(rf"^{_DATE},?\s+{_TIME}\.?{_AMPM}\s+[-\u2013]\s+(.*)$", re.IGNORECASE)
_IPHONE = re.compile(rf"^\[{_DATE},?\s+{_TIME}{_AMPM}\]\s+(.*)$", re.IGNORECASE)

# Lines WhatsApp writes itself, matched at the start of a one-line text (iPhone puts
# some under a name), so a customer who writes about encryption is still heard.
_SYSTEM = re.compile(
    "|".join([
        r"^messages and calls are end-to-end encrypted",
        r"^messages to this (?:group|chat) are now secured with end-to-end encryption",
        r"^this chat is with a business account",
        r"^this business (?:uses|is now using|works with) ",
        r"^.{0,80}? changed (?:their|your) phone number",
        r"^.{0,80}? changed to \+?[\d ]{7,}",
        r"^(?:your )?security code (?:with .{0,80}? )?changed",
        r"^.{0,80}?'s security code changed",
        r"^missed (?:voice|video|group voice|group video) call",
        r"^you (?:blocked|unblocked) this (?:contact|business)",
        r"^.{0,80}? turned (?:on|off) disappearing messages",
        r"^waiting for this message",
    ]),
    re.IGNORECASE,
)
_BARE_AUTHOR = re.compile(r"^([^:\"]{1,60}):(.*)$")
_FILE_NAME = re.compile(r"^WhatsApp Chat (?:with|-) (.+?)(?: \(\d+\))?$", re.IGNORECASE)


@dataclass(frozen=True)
class Message:
    """One message of a chat: the phone's local time, who wrote it, what it says."""

    when: dt.datetime  # naive: the phone's local time
    author: str
    text: str
    line: int


@dataclass(frozen=True)
class Chat:
    """An exported chat: its messages and the name in the file name, if any."""

    source: str  # the file name, for messages
    messages: list[Message]
    named: str | None = None  # "Amina" from "WhatsApp Chat with Amina.txt"

    @property
    def authors(self) -> list[str]:
        """Everyone who wrote a message, in the order they first appear."""
        seen: list[str] = []
        for m in self.messages:
            if m.author not in seen:
                seen.append(m.author)
        return seen


@dataclass(frozen=True)
class Enquiry:
    """One conversation of a customer's chat: the facts a tracker row needs."""

    received: dt.datetime
    first_contact: dt.datetime | None
    name: str
    first_message: str
    line: int


@dataclass
class _Head:
    fields: tuple[str, str, str]
    time: dt.time
    rest: str
    line: int
    text: list[str] = field(default_factory=list)


def name_from_file(path_name: str) -> str | None:
    """The chat partner's name in ``WhatsApp Chat with NAME.txt``, if the name has it."""
    stem = path_name.rsplit("/", 1)[-1]
    stem = stem[:-4] if stem.lower().endswith((".txt", ".zip")) else stem
    match = _FILE_NAME.match(stem.translate(_INVISIBLE).strip())
    return match.group(1).strip() if match else None


def read_chat(path: Path, date_order: str = "auto") -> Chat:
    """The messages of an exported chat (.txt, or the .zip the phone shares)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path} does not exist") from None
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror}") from None
    named = name_from_file(path.name)
    if path.suffix.lower() == ".zip" or data[:4] == b"PK\x03\x04":
        inner, data = _from_zip(path, data)
        named = name_from_file(inner) or named
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a UTF-8 text file: export the chat again "
                         "from WhatsApp (Export chat, Without media)") from None
    return Chat(source=path.name, messages=parse_text(text, date_order=date_order,
                                                      source=path.name), named=named)


def _from_zip(path: Path, data: bytes) -> tuple[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".txt")]
            chosen = [n for n in names if n.rsplit("/", 1)[-1] == "_chat.txt"] or [
                n for n in names if name_from_file(n)] or names
            if len(chosen) != 1:
                raise InputError(f"{path} holds no chat: a WhatsApp export has _chat.txt or "
                                 "'WhatsApp Chat with NAME.txt' in it")
            return chosen[0], archive.read(chosen[0])
    except zipfile.BadZipFile:
        raise InputError(f"{path} is not a readable .zip file: share the chat again") from None


def parse_text(text: str, *, date_order: str = "auto", source: str = "chat") -> list[Message]:
    """The messages in the text of an export, system lines left out."""
    if date_order not in DATE_ORDERS:
        raise InputError(f"--date-order {date_order!r} is not one of {', '.join(DATE_ORDERS)}")
    heads: list[_Head] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.translate(_INVISIBLE)
        match = _IPHONE.match(line.strip()) or _ANDROID.match(line.strip())
        if match is None:
            if heads:
                heads[-1].text.append(raw.replace("\u200e", ""))
            elif line.strip():
                raise InputError(f"{source} line {number} does not start like a WhatsApp "
                                 "message (a date and time): is it an exported chat?")
            continue
        a, b, c, hour, minute, second, ampm, rest = match.groups()
        heads.append(_Head(fields=(a, b, c), time=_clock(hour, minute, second, ampm, source,
                                                        number), rest=rest, line=number))
    if not heads:
        raise InputError(f"{source} has no messages: is it an exported WhatsApp chat?")
    order = decide_order([h.fields for h in heads]) if date_order == "auto" else date_order
    messages = []
    for h in heads:
        day = _date(h.fields, order, source, h.line)
        author, sep, first = h.rest.partition(": ")
        if not sep:
            bare = _BARE_AUTHOR.match(h.rest)  # "John Doe:." (a message with no space)
            if bare is None:
                continue  # a line WhatsApp wrote itself: "You were added", "X created group"
            author, first = bare.group(1), bare.group(2)
        body = "\n".join([first.replace("\u200e", ""), *h.text]).strip()
        if "\n" not in body and _SYSTEM.search(body):
            continue
        messages.append(Message(when=dt.datetime.combine(day, h.time), author=author.strip(),
                                text=body, line=h.line))
    return messages


def _clock(hour: str, minute: str, second: str | None, ampm: str | None, source: str,
           line: int) -> dt.time:
    h, m, s = int(hour), int(minute), int(second or 0)
    bad = InputError(f"{source} line {line}: {hour}:{minute} is not a time")
    if ampm:
        if h > 12:
            raise bad  # "13:37 pm"
        if ampm.lower() == "p" and h != 12:
            h += 12
        elif ampm.lower() == "a" and h == 12:
            h = 0
    try:
        return dt.time(h, m, s)
    except ValueError:
        raise bad from None


def decide_order(fields: Sequence[tuple[str, str, str]]) -> str:
    """Day-first ("dmy"), month-first ("mdy") or year-first ("ymd"), judged over every date.

    A first number over 12 settles day-first, a second over 12 month-first;
    otherwise the order that keeps the dates in ascending order wins, and
    day-first when both do equally well.
    """
    if fields and all(len(a) == 4 for a, _, _ in fields):
        return "ymd"
    if any(int(a) > 12 for a, _, _ in fields):
        return "dmy"
    if any(int(b) > 12 for _, b, _ in fields):
        return "mdy"

    def descents(order: str) -> int:
        days = []
        for f in fields:
            try:
                days.append(_date(f, order, "", 0))
            except InputError:
                return len(fields) + 1
        return sum(1 for x, y in zip(days, days[1:], strict=False) if y < x)

    return "mdy" if descents("mdy") < descents("dmy") else "dmy"


def _date(fields: tuple[str, str, str], order: str, source: str, line: int) -> dt.date:
    a, b, c = fields
    if order == "ymd":
        year, month, day = a, b, c
    elif order == "mdy":
        month, day, year = a, b, c
    else:
        day, month, year = a, b, c
    y = int(year) + (2000 if len(year) == 2 else 0)
    try:
        return dt.date(y, int(month), int(day))
    except ValueError:
        raise InputError(f"{source} line {line}: {a}/{b}/{c} is not a date read as "
                         f"{order}: try --date-order {'mdy' if order == 'dmy' else 'dmy'}"
                         ) from None


# --------------------------------------------------------------------------- who and when


def same_name(a: str, b: str) -> bool:
    """Whether two display names are the same, ignoring case and spacing."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def customer_of(chat: Chat, business: Sequence[str]) -> str | None:
    """The customer's display name in ``chat``, or a refusal as InputError.

    Returns None when only the business wrote (nothing to import).
    """
    authors = chat.authors
    if len(authors) > 2:
        raise InputError(f"{chat.source} has {len(authors)} people writing "
                         f"({', '.join(authors[:4])}{'...' if len(authors) > 4 else ''}): "
                         "a group chat is not an enquiry")
    ours = [a for a in authors if any(same_name(a, b) for b in business)]
    others = [a for a in authors if a not in ours]
    if not business and chat.named:
        # No business name known: the file is named after the customer.
        others = [a for a in authors if same_name(a, chat.named)]
        ours = [a for a in authors if a not in others]
    elif not business and len(authors) == 1:
        raise InputError(f"{chat.source}: only {authors[0]} writes, and sheetcrm cannot tell "
                         "whether that is the business or the customer: give --business NAME "
                         "or type it on the Settings tab as WhatsApp name")
    if len(others) > 1 or (len(authors) == 2 and len(others) != 1):
        raise InputError(f"{chat.source}: cannot tell which of {' and '.join(authors)} is the "
                         "business: give --business NAME (as the chat shows it) or type it "
                         "on the Settings tab as WhatsApp name")
    if not others:
        return None
    return others[0]


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with an ellipsis when cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def enquiries(chat: Chat, customer: str, *, silence_days: int) -> list[Enquiry]:
    """The enquiries in one customer's chat: the first message, and any after a long silence."""
    found: list[Enquiry] = []
    open_at: int | None = None
    first_reply: dt.datetime | None = None
    last: dt.datetime | None = None
    gap = dt.timedelta(days=silence_days)

    def close() -> None:
        if open_at is not None:
            m = chat.messages[open_at]
            found.append(Enquiry(received=m.when, first_contact=first_reply, name=customer,
                                 first_message=shorten(m.text, NOTES_LIMIT), line=m.line))

    for i, m in enumerate(chat.messages):
        from_customer = same_name(m.author, customer)
        silent = last is None or m.when - last >= gap
        if from_customer and (open_at is None or silent):
            close()
            open_at, first_reply = i, None
        elif not from_customer and open_at is not None and first_reply is None:
            first_reply = m.when if m.when >= chat.messages[open_at].when else None
        last = m.when
    close()
    return found


def contact_of(author: str, region: str) -> str:
    """The author's number, normalised, when the chat shows a number instead of a name."""
    if sum(ch.isdigit() for ch in author) < 7 or not re.fullmatch(r"[\d\s+\-().]+", author):
        return ""
    return parse_phone(author, region=region).value or ""


def records(chat: Chat, customer: str, *, silence_days: int = 30,
            region: str = "UG") -> list[Record]:
    """One customer's enquiries as typed records, as ``sheetcrm import`` takes them."""
    contact = contact_of(customer, region)
    out = []
    for e in enquiries(chat, customer, silence_days=silence_days):
        fields = {"received": e.received.strftime("%d/%m/%Y %H:%M"), "name": e.name,
                  "contact": contact, "source": "WhatsApp",
                  "status": "contacted" if e.first_contact else "pending",
                  "notes": e.first_message}
        if e.first_contact is not None:
            fields["first_contact"] = e.first_contact.strftime("%d/%m/%Y %H:%M")
        out.append(Record(line=e.line, fields=fields))
    return out


def read(path: Path) -> list[Record]:
    """The registry's reader: the enquiries of a chat named after its customer.

    The customer is the name in the file name (``WhatsApp Chat with NAME``);
    ``sheetcrm import-whatsapp`` also knows the business by name.
    """
    chat = read_chat(path)
    customer = customer_of(chat, [])
    return records(chat, customer) if customer else []
