"""Reading cells as an owner types them.

Every ``parse_*`` function takes any raw :data:`~sheetcrm.model.CellValue` and
never raises: what it cannot read comes back as ``value=None`` with a
``problem`` in plain words for the row's Problems cell, starting with the
column header.  A blank cell is never a problem (the engine decides whether
a blank is acceptable).

Dates are read day first, always.  Text such as ``03/04/2026`` is the 3rd of
April; nothing here guesses month-first.  Year-first ISO text
(``2026-04-03``) and dates with a month name are unambiguous and accepted.
A two-digit year is in this century (``14/10/26`` is 2026).  Dates before
1900 are refused, as no spreadsheet can hold them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import decimal
import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

import phonenumbers

from .model import STATUSES, CellValue, Status

if TYPE_CHECKING:
    from .businesstime import BusinessCalendar

T = TypeVar("T")

#: Largest serial a spreadsheet holds (31/12/9999).
MAX_SERIAL = 2958465
_SERIAL_EPOCH = dt.datetime(1899, 12, 30)
_EARLY_EPOCH = dt.datetime(1899, 12, 31)
_LOTUS_LEAP_DAY = 60
_FIRST_MARCH_1900 = dt.date(1900, 3, 1)
_EARLIEST = dt.date(1900, 1, 1)
_MIDNIGHT = dt.time(0)
_SHOW_MAX = 40
_EXAMPLE_DATETIME = "23/11/2026 09:40"

_ERROR_VALUES = frozenset(
    {"#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#ERROR!",
     "#SPILL!", "#CALC!", "#GETTING_DATA", "#N/A!"}
)


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A value read from a cell, with a problem (unreadable) or a note (read, with a remark)."""

    value: T | None
    problem: str | None = None
    note: str | None = None


# ------------------------------------------------------------------ shared


def text_of(raw: CellValue) -> str:
    """The trimmed display text of any cell ("" for None)."""
    if type(raw) is str:  # most cells: skip the checks for other types
        return raw.strip()
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, int):
        # Python refuses to print integers of over 4,300 digits; no cell needs them.
        return str(raw) if abs(raw) < 10**1000 else "(a number too long to show)"
    if isinstance(raw, float):
        if math.isfinite(raw) and raw.is_integer() and abs(raw) < 1e16:
            return str(int(raw))
        return repr(raw)
    if isinstance(raw, dt.datetime):
        if raw.time() == dt.time(0):
            return f"{raw:%d/%m/%Y}"
        return f"{raw:%d/%m/%Y %H:%M}"
    if isinstance(raw, dt.date):
        return f"{raw:%d/%m/%Y}"
    if isinstance(raw, dt.time):
        return f"{raw:%H:%M}"
    return raw.strip()


class _Later:
    """A problem message built only if it is used: most cells read, and building costs."""

    def __init__(self, build: Callable[[], str]) -> None:
        self._build = build

    def __str__(self) -> str:
        return self._build()


def _shown(raw: CellValue) -> str:
    """The cell's text in quotes, shortened so a long cell cannot swamp Problems."""
    text = " ".join(text_of(raw).split())
    if len(text) > _SHOW_MAX:
        text = text[: _SHOW_MAX - 1] + "\u2026"
    return f"'{text}'"


def is_blank(raw: CellValue) -> bool:
    """Whether a cell shows nothing: ``not text_of(raw)``, without formatting a date to see."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _formula_or_error(raw: CellValue, header: str, wanted: str) -> str | None:
    """A problem for a formula or an error value such as #REF!, else None."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if text.startswith("="):
        return f"{header} {_shown(raw)} is a formula: type {wanted} instead"
    if text.upper() in _ERROR_VALUES:
        return f"{header} shows the error {text.upper()}: type {wanted} instead"
    return None


# ------------------------------------------------------------------ serials


def from_serial(serial: float) -> dt.datetime:
    """A spreadsheet serial (1900 date system) as a naive date-time, to the nearest second.

    Serial 1 is 1900-01-01.  Spreadsheets count a 29 February 1900 that never
    was (serial 60, read here as 28/02/1900), so from 61 on the epoch is
    30/12/1899.  Raises ValueError for a negative or non-finite serial.
    """
    if not math.isfinite(serial) or serial < 0:
        raise ValueError(f"{serial!r} is not a spreadsheet date serial")
    seconds = round(serial * 86400)
    days, seconds = divmod(seconds, 86400)
    base = _EARLY_EPOCH if days < _LOTUS_LEAP_DAY else _SERIAL_EPOCH
    return base + dt.timedelta(days=days, seconds=seconds)


def to_serial(moment: dt.datetime | dt.date) -> float:
    """A date or naive local date-time as a spreadsheet serial (1900 date system).

    An aware date-time is taken at its own wall-clock time, so convert it to
    the tracker's time zone first.
    """
    if isinstance(moment, dt.datetime):
        day = moment.date()
        fraction = (
            moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6
        ) / 86400
    else:
        day = moment
        fraction = 0.0
    base = _SERIAL_EPOCH.date() if day >= _FIRST_MARCH_1900 else _EARLY_EPOCH.date()
    return (day - base).days + fraction


# ------------------------------------------------------------------ dates

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<mon>[a-z]{3,9})\.?"
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+)?"
_DATE_PATTERNS = [
    # Year first (ISO and the like): unambiguous.
    re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"),
    # Day first, numbers only: 14/10/2026, 14-10-2026, 14.10.2026, 14/10/26.
    re.compile(r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4}|\d{2})"),
    # Month by name: 14 Oct 2026, 14-Oct-2026, 14 October, 2026.
    re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s-]+" + _MONTH + r",?[\s-]+(?P<y>\d{4}|\d{2})"),
    # Month by name first: Oct 14, 2026 (unambiguous because the month is a word).
    re.compile(_MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})"),
]
_TIME_PATTERN = re.compile(
    r"(?P<h>\d{1,2})(?:[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2})(?:\.\d+)?)?)?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?"
    r"\s*(?P<tz>z|[+-]\d{2}:?\d{2})?"
)
_SEPARATOR = re.compile(r"(?:\s*,\s*|\s+at\s+|\s*t\s*|\s+)")


class _Unreadable(Exception):
    """Text that is not a date we accept; the message says why when it can."""


def _year(text: str) -> int:
    year = int(text)
    return 2000 + year if len(text) == 2 else year


def _match_date(text: str) -> tuple[dt.date, str]:
    """The date at the start of ``text`` and whatever follows it."""
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        parts = match.groupdict()
        if parts.get("mon") is not None:
            month = _MONTHS.get(parts["mon"])
            if month is None:
                continue
        else:
            month = int(parts["m"])
        try:
            day = dt.date(_year(parts["y"]), month, int(parts["d"]))
        except ValueError:
            raise _Unreadable(_no_such_day(_year(parts["y"]), month, int(parts["d"]))) from None
        return day, text[match.end():]
    raise _Unreadable


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")


def _no_such_day(year: int, month: int, day: int) -> str | None:
    """Why a day-first date that was typed day first does not exist (None if it was not)."""
    if not 1 <= month <= 12 or day < 1 or not 1 <= year <= 9999:
        return None  # a month over 12 may well be a month-first date: say "day first"
    last = calendar.monthrange(year, month)[1]
    return f"{_MONTH_NAMES[month - 1]} {year} has only {last} days"


def date_mistake(text: str) -> str | None:
    """Why day-first ``text`` is not a date, when the reason is more than the order (31/11)."""
    try:
        _parse_text_datetime(text.strip())
    except _Unreadable as exc:
        return exc.args[0] if exc.args and exc.args[0] else None
    return None


def _match_time(text: str) -> tuple[dt.time, dt.timezone | None]:
    match = _TIME_PATTERN.fullmatch(text)
    if match is None:
        raise _Unreadable
    hour = int(match["h"])
    minute = int(match["mi"] or 0)
    second = int(match["s"] or 0)
    if match["mi"] is None and match["ampm"] is None:
        raise _Unreadable  # a bare "9" after a date is too likely a typo to guess
    if match["ampm"] is not None:
        if not 1 <= hour <= 12:
            raise _Unreadable
        hour = hour % 12 + (12 if match["ampm"].startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _Unreadable
    zone: dt.timezone | None = None
    if match["tz"] is not None:
        if match["tz"] == "z":
            zone = dt.UTC
        else:
            digits = match["tz"].replace(":", "")
            sign = -1 if digits[0] == "-" else 1
            offset = dt.timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5]))
            if offset >= dt.timedelta(hours=24):
                raise _Unreadable
            zone = dt.timezone(sign * offset)
    return dt.time(hour, minute, second), zone


def _parse_text_datetime(text: str) -> tuple[dt.date, dt.time | None, dt.timezone | None]:
    lowered = " ".join(text.lower().split())
    lowered = re.sub("^" + _WEEKDAY, "", lowered)
    day, rest = _match_date(lowered)
    if not rest.strip():
        return day, None, None
    sep = _SEPARATOR.match(rest)
    if sep is None or sep.end() == 0:
        raise _Unreadable
    time, zone = _match_time(rest[sep.end():].strip())
    return day, time, zone


def _looks_like_time_only(text: str) -> bool:
    try:
        _match_time(" ".join(text.lower().split()))
    except _Unreadable:
        return False
    return True


def parse_date(raw: CellValue) -> dt.date | None:
    """A day from a date-only cell (real date, serial or day-first text), or None if unreadable."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, int | float):
        if _finite(raw) is None or not 1 <= raw <= MAX_SERIAL:
            return None
        try:
            return from_serial(float(raw)).date()
        except (OverflowError, ValueError):
            return None
    if isinstance(raw, str):
        try:
            day, time, _zone = _parse_text_datetime(raw.strip())
        except _Unreadable:
            return None
        if time is not None or not _EARLIEST <= day:
            return None
        return day
    return None


def parse_datetime(raw: CellValue, *, header: str, cal: BusinessCalendar) -> Parsed[dt.datetime]:
    """An aware local date-time from a cell; a date alone means that day's opening time.

    A naive date-time at exactly midnight counts as a date alone, with the
    same note, because that is how Excel holds a date typed without a time.
    """
    if (type(raw) is dt.datetime and raw.tzinfo is None and raw.time() != _MIDNIGHT
            and raw.date() >= _EARLIEST):
        # The usual cell (Excel gives naive date-times): the same as below, without first
        # making the messages the other cases need.
        return Parsed(raw.replace(tzinfo=cal.tz))
    if is_blank(raw):
        return Parsed(None)
    not_a_date = _Later(lambda: (
        f"{header} {_shown(raw)} is not a date: type it day first, like {_EXAMPLE_DATETIME}"
    ))
    no_time_note = _Later(lambda: f"{header} has no time: counted from that day's opening time")
    if isinstance(raw, bool):
        return Parsed(None, problem=str(not_a_date))
    if isinstance(raw, dt.datetime):
        if raw.date() < _EARLIEST:
            return Parsed(None, problem=str(not_a_date))
        try:
            if raw.tzinfo is None or raw.utcoffset() is None:
                if raw.time() == dt.time(0):
                    # Excel holds a date typed without a time as midnight; Google gives a
                    # whole serial.  Reading both the same way keeps the backends in step.
                    return _day_at_opening(raw.date(), cal, no_time_note, not_a_date)
                return Parsed(raw.replace(tzinfo=cal.tz))
            return Parsed(raw.astimezone(cal.tz))
        except (OverflowError, ValueError):
            return Parsed(None, problem=str(not_a_date))
    if isinstance(raw, dt.date):
        if raw < _EARLIEST:
            return Parsed(None, problem=str(not_a_date))
        return _day_at_opening(raw, cal, no_time_note, not_a_date)
    if isinstance(raw, dt.time):
        return Parsed(None, problem=_time_only_problem(raw, header))
    if isinstance(raw, int | float):
        if _finite(raw) is None or not 1 <= raw <= MAX_SERIAL:
            if isinstance(raw, float) and math.isfinite(raw) and 0 <= raw < 1:
                return Parsed(None, problem=_time_only_problem(raw, header))
            return Parsed(None, problem=str(not_a_date))
        try:
            moment = from_serial(float(raw))
        except (OverflowError, ValueError):
            return Parsed(None, problem=str(not_a_date))
        if float(raw).is_integer():
            return _day_at_opening(moment.date(), cal, no_time_note, not_a_date)
        return Parsed(moment.replace(tzinfo=cal.tz))
    if raw is None:
        return Parsed(None)
    bad = _formula_or_error(raw, header, "the date and time")
    if bad is not None:
        return Parsed(None, problem=bad)
    text = raw.strip()
    try:
        day, time, zone = _parse_text_datetime(text)
    except _Unreadable as exc:
        if _looks_like_time_only(text):
            return Parsed(None, problem=_time_only_problem(raw, header))
        if exc.args and exc.args[0]:
            return Parsed(None, problem=f"{header} {_shown(raw)} is not a date: {exc.args[0]}")
        return Parsed(None, problem=str(not_a_date))
    if day < _EARLIEST:
        return Parsed(None, problem=str(not_a_date))
    if time is None:
        return _day_at_opening(day, cal, no_time_note, not_a_date)
    try:
        if zone is None:
            return Parsed(dt.datetime.combine(day, time, tzinfo=cal.tz))
        return Parsed(dt.datetime.combine(day, time, tzinfo=zone).astimezone(cal.tz))
    except OverflowError:
        return Parsed(None, problem=str(not_a_date))


def _time_only_problem(raw: CellValue, header: str) -> str:
    return (
        f"{header} {_shown(raw)} has a time but no date: "
        f"type the date too, like {_EXAMPLE_DATETIME}"
    )


def _day_at_opening(
    day: dt.date, cal: BusinessCalendar, note: _Later, problem: _Later
) -> Parsed[dt.datetime]:
    try:
        opening = cal.opening_time(day)
    except OverflowError:
        return Parsed(None, problem=str(problem))
    return Parsed(dt.datetime.combine(day, opening, tzinfo=cal.tz), note=str(note))


# ------------------------------------------------------------------ words


def parse_status(raw: CellValue, *, header: str = "Status") -> Parsed[Status]:
    """A status in its canonical spelling, whatever the case or spacing; blank is pending."""
    if is_blank(raw):
        return Parsed("pending")
    if isinstance(raw, str):
        wanted = raw.strip().casefold()
        for status in STATUSES:
            if status == wanted:
                return Parsed(status)
    allowed = ", ".join(STATUSES[:-1]) + " or " + STATUSES[-1]
    return Parsed(None, problem=f"{header} {_shown(raw)} is not a status: type {allowed}")


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def header_key(value: CellValue) -> str:
    """A header as every backend and the engine match it: its text, spaces folded, any case."""
    return _key(text_of(value))


def header_positions(header: Sequence[CellValue]) -> dict[str, int]:
    """Header key -> 0-based column; the first one wins when a header repeats."""
    out: dict[str, int] = {}
    for i, value in enumerate(header):
        key = header_key(value)
        if key and key not in out:
            out[key] = i
    return out


@functools.lru_cache(maxsize=16)
def _source_keys(known: tuple[str, ...]) -> dict[str, str]:
    """Matching key -> the first source with that key, spaces folded (the same list every row)."""
    out: dict[str, str] = {}
    for name in known:
        out.setdefault(_key(name), " ".join(name.split()))
    return out


def parse_source(
    raw: CellValue, known: Sequence[str], *, header: str = "Source"
) -> Parsed[str]:
    """The Lists-tab spelling of a source; blank is Unknown; other text is kept with a note."""
    text = " ".join(text_of(raw).split())
    if not text:
        return Parsed("Unknown")
    found = _source_keys(tuple(known)).get(_key(text))
    if found is not None:
        return Parsed(found)
    note = f"{header} {_shown(raw)} is not on the Lists tab: add it there or pick one from the list"
    return Parsed(text, note=note)


# ------------------------------------------------------------------ numbers

_CURRENCY_WORDS = re.compile(
    r"^(?:ugx|ush|shs?|kes|ksh|kshs|tzs|tsh|tshs|rwf|frw|rf|usd|us\$|\$|€|£)\.?\s*"
    r"|\s*(?:/=|/-|ugx|ush|shs?|kes|ksh|kshs|tzs|tsh|tshs|rwf|frw|usd|shillings?|francs?)\.?$"
)
_GROUPED = re.compile(r"\d{1,3}(?:[, \u00a0\u202f_]\d{3})+(?:\.\d+)?")
_PLAIN = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_MULTIPLIERS = {"k": 1_000, "m": 1_000_000, "million": 1_000_000, "mn": 1_000_000}


def _number_from_text(text: str) -> float | None:
    """A non-negative amount from text like 'UGX 1,200,000', '250000.50', '1.2m', or None."""
    cleaned = text.strip().casefold()
    previous = None
    while previous != cleaned:
        previous = cleaned
        cleaned = _CURRENCY_WORDS.sub("", cleaned).strip()
    multiplier = 1
    for suffix, factor in _MULTIPLIERS.items():
        if cleaned.endswith(suffix) and cleaned[: -len(suffix)].strip()[-1:].isdigit():
            cleaned = cleaned[: -len(suffix)].strip()
            multiplier = factor
            break
    if _GROUPED.fullmatch(cleaned):
        cleaned = re.sub(r"[, \u00a0\u202f_]", "", cleaned)
    elif not _PLAIN.fullmatch(cleaned):
        return None
    # Decimal keeps '1.2m' at exactly 1,200,000 rather than a float's near miss.
    return float(decimal.Decimal(cleaned) * multiplier)


def _finite(number: int | float) -> float | None:
    """``number`` as a finite float, or None (a huge integer overflows a float)."""
    try:
        value = float(number)
    except OverflowError:
        return None
    return value if math.isfinite(value) else None


def parse_money(raw: CellValue, *, header: str = "Value") -> Parsed[float]:
    """A non-negative amount from a number or text like 'UGX 1,200,000'; blank is None."""
    if is_blank(raw):
        return Parsed(None)
    unreadable = _Later(
        lambda: f"{header} {_shown(raw)} is not an amount: type a number, like 250000")
    negative = _Later(
        lambda: f"{header} {_shown(raw)} is negative: type the amount without a minus sign")
    if isinstance(raw, bool):
        return Parsed(None, problem=str(unreadable))
    if isinstance(raw, int | float):
        amount = _finite(raw)
        if amount is None:
            return Parsed(None, problem=str(unreadable))
        if amount < 0:
            return Parsed(None, problem=str(negative))
        return Parsed(amount)
    if not isinstance(raw, str):
        return Parsed(None, problem=str(unreadable))
    bad = _formula_or_error(raw, header, "the amount")
    if bad is not None:
        return Parsed(None, problem=bad)
    text = raw.strip()
    if text.startswith("-") and _number_from_text(text[1:]) is not None:
        return Parsed(None, problem=str(negative))
    found = _number_from_text(text)
    if found is None or not math.isfinite(found):
        return Parsed(None, problem=str(unreadable))
    return Parsed(found)


def parse_count(raw: CellValue, *, header: str, maximum: int) -> Parsed[int]:
    """A whole number from 0 to ``maximum``; blank is 0."""
    if is_blank(raw):
        return Parsed(0)
    problem = _Later(lambda: f"{header} {_shown(raw)} must be a whole number from 0 to {maximum}")
    number: float | None = None
    if isinstance(raw, bool):
        number = None
    elif isinstance(raw, int | float):
        number = _finite(raw)
    elif isinstance(raw, str):
        text = raw.strip()
        if _PLAIN.fullmatch(text):
            number = float(text)
    if number is None or not math.isfinite(number) or not number.is_integer():
        return Parsed(None, problem=str(problem))
    if not 0 <= number <= maximum:
        return Parsed(None, problem=str(problem))
    return Parsed(int(number))


# ------------------------------------------------------------------ phones

_PHONE_CHARS = re.compile(r"[\d\s+\-().\/\u00a0]+")
_MIN_PHONE_DIGITS = 7


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _first_valid(text: str, region: str) -> str | None:
    """The first valid number found anywhere in ``text`` (for cells like 'Tel: 0772 123456')."""
    try:
        for match in phonenumbers.PhoneNumberMatcher(text, region):
            if phonenumbers.is_valid_number(match.number):
                return _e164(match.number)
    except Exception:  # phonenumbers may raise on odd input; any failure means "none found"
        return None
    return None


def _whole_valid(text: str, region: str) -> str | None:
    number = _parse_number(text, region)
    if number is not None and _is_valid(number):
        return _e164(number)
    digits = re.sub(r"\D", "", text)
    if not text.lstrip().startswith("+") and len(digits) > 10:
        # A country code typed without its plus.
        number = _parse_number("+" + digits, region)
        if number is not None and _is_valid(number):
            return _e164(number)
    return None


def _is_valid(number: phonenumbers.PhoneNumber) -> bool:
    """``phonenumbers.is_valid_number``, quicker for a country code of one region.

    That function tries every type of number in turn; a number is valid when
    it fits the general pattern and the pattern of any type, so the mobile
    pattern (the one most Contact cells fit) is tried first.  Country codes
    shared by several regions (+1, +44) are left to phonenumbers.
    """
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(number.country_code or 0)
    if (regions is None or len(regions) != 1
            or regions[0] == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY):
        return bool(phonenumbers.is_valid_number(number))
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(regions[0], None)
    if metadata is None or metadata.country_code != number.country_code:
        return bool(phonenumbers.is_valid_number(number))
    nsn = phonenumbers.national_significant_number(number)
    if not _fits(nsn, metadata.general_desc):
        return False
    # The order of phonenumbers' _number_type_helper, with mobile first; it does not try
    # mobile when the mobile and fixed-line patterns are the same.
    kinds = [metadata.premium_rate, metadata.toll_free, metadata.shared_cost, metadata.voip,
             metadata.personal_number, metadata.pager, metadata.uan, metadata.voicemail,
             metadata.fixed_line]
    if not metadata.same_mobile_and_fixed_line_pattern:
        kinds.insert(0, metadata.mobile)
    return any(_fits(nsn, desc) for desc in kinds)


def _fits(nsn: str, desc: phonenumbers.PhoneNumberDesc | None) -> bool:
    """Whether ``nsn`` fits a type of number (phonenumbers' _is_number_matching_desc)."""
    if desc is None:
        return False
    if desc.possible_length and len(nsn) not in desc.possible_length:
        return False
    pattern = desc.national_number_pattern
    return bool(pattern) and _pattern(pattern).fullmatch(nsn) is not None


def _parse_number(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    """``phonenumbers.parse(text, region)``, or None where it raises; quick for plain numbers."""
    number = _quick_parse(text, region)
    if number is not None:
        return number
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


# A number typed plainly: an optional plus, then ASCII digits with spaces, dashes, dots or
# brackets between them, ending in a digit.  Nothing here can be an extension, a second
# number or RFC 3966 text, which is what lets _quick_parse skip phonenumbers.parse.
_PLAIN_PHONE = re.compile(r"(\+?)[ \-.()]*([0-9][0-9 \-.()]*[0-9])")
_NOT_DIGITS = re.compile(r"[^0-9]")
_LONGEST_NSN = 17  # phonenumbers' _MAX_LENGTH_FOR_NSN
_LONGEST_TEXT = 250  # phonenumbers' _MAX_INPUT_STRING_LENGTH


@functools.lru_cache(maxsize=1024)
def _pattern(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


def _quick_parse(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    """The PhoneNumber ``phonenumbers.parse`` gives for a plainly typed number, built from
    phonenumbers' own metadata; None whenever it is not certain to be the same (then the
    caller parses).

    Parsing took a third of a report.  Two shapes are handled: ``+<country code><number>``
    and a national number of ``region``.  Anything involving a national prefix after a
    country code, an international dialling prefix, the region's own country code typed
    without its plus, a carrier code, a prefix transformation or Italian leading zeros is
    left to phonenumbers.  tests/test_cells_phone_fast.py checks the two agree.
    """
    match = _PLAIN_PHONE.fullmatch(text)
    if match is None or len(text) > _LONGEST_TEXT:
        return None
    digits = _NOT_DIGITS.sub("", match[2])
    if len(digits) < 3:
        return None  # phonenumbers' viability rules differ for two digits
    if match[1]:
        return _quick_international(digits)
    return _quick_national(digits, region)


def _quick_international(digits: str) -> phonenumbers.PhoneNumber | None:
    """``+<digits>``: the first one to three digits that are a country code, then the rest."""
    if digits[0] == "0":
        return None  # no country code; parse retries without the plus
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
        code, phonenumbers.region_code_for_country_code(code))
    nsn = digits[size:]
    if metadata is None or not _plain_nsn(nsn):
        return None
    prefix = metadata.national_prefix_for_parsing
    if prefix and _pattern(prefix).match(nsn):
        return None  # parse might strip what looks like a national prefix (+44 0 20 ...)
    return phonenumbers.PhoneNumber(country_code=code, national_number=int(nsn))


def _quick_national(digits: str, region: str) -> phonenumbers.PhoneNumber | None:
    """A number without a plus, read as ``region``'s national format."""
    if region not in phonenumbers.SUPPORTED_REGIONS:
        return None
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region, None)
    if metadata is None or metadata.general_desc is None:
        return None
    idd = metadata.international_prefix
    if idd is not None and _pattern(idd).match(digits):
        return None  # an international dialling prefix such as 00
    if digits.startswith(str(metadata.country_code)):
        return None  # the region's own country code typed without a plus
    nsn: str | None = digits
    prefix = metadata.national_prefix_for_parsing
    found = _pattern(prefix).match(digits) if prefix else None
    if found is not None:
        if metadata.national_prefix_transform_rule or found.groups() or found.end() == 0:
            return None  # a carrier code or a rewritten prefix (Argentina, for one)
        nsn = _strip_national_prefix(digits, digits[found.end():], metadata.general_desc)
    if nsn is None or not _plain_nsn(nsn):
        return None
    return phonenumbers.PhoneNumber(country_code=metadata.country_code, national_number=int(nsn))


def _strip_national_prefix(digits: str, stripped: str, general: phonenumbers.PhoneNumberDesc
                           ) -> str | None:
    """What parse keeps after a national prefix: ``stripped`` unless that makes a worse number.

    The rules of phonenumbers' _maybe_strip_national_prefix_carrier_code and
    _test_number_length (for no particular type of number); None for metadata
    without possible lengths, which parse does not expect.
    """
    pattern = general.national_number_pattern
    if pattern and _pattern(pattern).fullmatch(digits) and not _pattern(pattern).fullmatch(
            stripped):
        return digits  # the whole was a valid pattern and the rest is not
    lengths = general.possible_length
    size = len(stripped)
    if not lengths:
        return None
    if size in general.possible_length_local_only or size < lengths[0]:
        return digits
    if size == lengths[0] or size > lengths[-1] or size in lengths:
        return stripped
    return digits


def _plain_nsn(nsn: str) -> bool:
    """A national number parse stores as it stands: 2 to 17 digits, no leading zero."""
    return 2 <= len(nsn) <= _LONGEST_NSN and nsn[0] != "0"


@functools.lru_cache(maxsize=64)
def _example_number(region: str) -> str:
    """A made-up mobile number in the region's international format, for messages."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return "+256 712 345678"
    return str(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def parse_phone(raw: CellValue, *, region: str, header: str = "Contact") -> Parsed[str]:
    """An E.164 number like +256772123456; an email or handle is fine and gives None, no problem."""
    if is_blank(raw):
        return Parsed(None)
    # Built lazily, once per region: the example number took 42% of phone parsing.
    problem = _LazyProblem(header, raw, region)
    bad = _formula_or_error(raw, header, "the phone number, email or handle")
    if bad is not None:
        return Parsed(None, problem=bad)
    if isinstance(raw, bool | dt.date | dt.time):
        return Parsed(None, problem=str(problem))
    if isinstance(raw, int | float):
        number = _finite(raw)
        if number is None or not number.is_integer() or number <= 0 or number > 1e15:
            return Parsed(None, problem=str(problem))
        text = str(int(number))
    elif raw is None:
        return Parsed(None)
    else:
        text = raw.strip()
    if "@" in text:
        return Parsed(None)
    digits = sum(map(str.isdigit, text))
    if digits == 0:
        return Parsed(None)
    if _PHONE_CHARS.fullmatch(text):
        found = _whole_valid(text, region) or _first_valid(text, region)
    elif digits < _MIN_PHONE_DIGITS:
        return Parsed(None)
    else:
        found = _whole_valid(text, region) or _first_valid(text, region)
    if found is None:
        return Parsed(None, problem=str(problem))
    return Parsed(found)


class _LazyProblem:
    """The message for a phone number that does not read, built only when one is needed."""

    def __init__(self, header: str, raw: CellValue, region: str) -> None:
        self.header, self.raw, self.region = header, raw, region

    def __str__(self) -> str:
        return (f"{self.header} {_shown(self.raw)} is not a valid phone number for "
                f"{self.region}: type it with the country code, like "
                f"{_example_number(self.region)}")


# ------------------------------------------------------------------ contacts that are not phones

_EMAIL = re.compile(r"^[A-Za-z0-9._%+'\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")
_HANDLE = re.compile(r"^@[A-Za-z0-9_.]{1,30}$")


def example_number(region: str) -> str:
    """A made-up mobile number of the region, for messages that say what to type."""
    return _example_number(region)


@dataclass(frozen=True)
class Contact:
    """A readable Contact cell: a phone (E.164), an email (lower case) or a social handle."""

    kind: str  # "phone", "email" or "handle"
    value: str


def parse_contact(raw: CellValue, *, region: str, header: str = "Contact") -> Parsed[Contact]:
    """A phone number, an email address or a handle like @shop_amina; anything else a problem."""
    if is_blank(raw):
        return Parsed(None)
    phone = parse_phone(raw, region=region, header=header)
    if phone.value is not None:
        return Parsed(Contact("phone", phone.value))
    if phone.problem and not isinstance(raw, str):
        return Parsed(None, problem=phone.problem)
    text = text_of(raw).strip()
    if _EMAIL.fullmatch(text):
        return Parsed(Contact("email", text.lower()))
    if _HANDLE.fullmatch(text):
        return Parsed(Contact("handle", text))
    if phone.problem:
        return Parsed(None, problem=phone.problem)
    return Parsed(None, problem=(
        f"{header} {_shown(raw)} is not a phone number, an email or a handle: type a number "
        f"like {_example_number(region)}, an email like name@example.com or a handle like "
        "@shop_amina"))
