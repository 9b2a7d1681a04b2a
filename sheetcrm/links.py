"""Links in the WhatsApp column: a chat with the right message typed in, or an email.

Built only from a normalised number (or a checked email address) and the
owner's message text from the Settings tab; never from a formula.  Links are
stored as the cell's hyperlink, not as a HYPERLINK formula, so no text is ever
put inside a formula string.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from .model import Cell, Settings

#: The longest link written: Excel keeps hyperlink addresses up to 2,079
#: characters, so a long message is shortened to fit rather than dropped.
MAX_LINK = 2000

# What ``quote(text, safe="")`` writes for each byte, taken from urllib itself: looking
# bytes up in a table is several times quicker than urllib's own loop, and a refresh
# quotes a message for every row with a number.
_QUOTED_BYTES = [quote(bytes([b]), safe="") for b in range(256)]


def _quote(text: str) -> str:
    """``urllib.parse.quote(text, safe="")``: UTF-8, all but letters, digits and _.-~ escaped."""
    return "".join(map(_QUOTED_BYTES.__getitem__, text.encode()))


def fill(message: str, *, name: str, business: str) -> str:
    """``message`` with {name} and {business} filled in (nothing else is a placeholder)."""
    name = " ".join(name.split()) or "there"
    business = " ".join(business.split()) or "us"
    return message.replace("{name}", name).replace("{business}", business)


def whatsapp_url(phone: str, text: str | None = None) -> str:
    """A wa.me link for an E.164 number, with ``text`` typed in, shortened to fit MAX_LINK."""
    digits = "".join(filter(str.isdigit, phone))
    base = f"https://wa.me/{digits}"
    if not text:
        return base
    url = f"{base}?text={_quote(text)}"
    if len(url) <= MAX_LINK:
        return url
    # Shortened on whole characters (emoji and accents stay whole), with an
    # ellipsis to show it was cut: the longest prefix that fits.
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if len(f"{base}?text={_quote(text[:mid].rstrip() + chr(0x2026))}") <= MAX_LINK:
            low = mid
        else:
            high = mid - 1
    return f"{base}?text={_quote(text[:low].rstrip() + chr(0x2026))}"


def message_for(settings: Settings, *, name: str, status: str | None,
                first_contact: dt.datetime | None, follow_ups_done: int | None,
                next_follow_up: dt.date | None, today: dt.date) -> str | None:
    """The message the owner is about to send: a first reply or the due follow-up, else None."""
    business = settings.business_name or settings.whatsapp_name
    if status in (None, "pending") and first_contact is None:
        return fill(settings.first_reply_message, name=name, business=business)
    if next_follow_up is not None and next_follow_up <= today:
        messages = (settings.follow_up_message_1, settings.follow_up_message_2,
                    settings.follow_up_message_3)
        n = min(follow_ups_done or 0, len(messages) - 1)
        return fill(messages[n], name=name, business=business)
    return None


def contact_link(phone: str | None, email: str | None, url: str | None) -> Cell:
    """The WhatsApp column's cell: wa.me for a number, mailto: for an email, else blank."""
    if phone and url:
        return Cell(f"wa.me/{phone[1:]}", "link", url)
    if email:
        return Cell(email, "link", f"mailto:{quote(email, safe='@')}")
    return Cell(None)
