"""The Settings tab and ``--config`` TOML files, both ways, with errors naming the cell.

Layout of the Settings tab (written by :func:`settings_to_contents`, read by
:func:`settings_from_grid`):

* Row 1 is the header row: ``Setting``, ``Value``, ``What it means`` in A, B,
  C; column D is a blank gap; the template's date lists (``Extra closed
  dates``, ``Extra open dates``) head columns E and F.
* Rows 2 onwards hold one template setting each: label in A, value in B,
  explanation in C.  The SLA hours value is a number, because the
  conditional formats on the Enquiries tab read it live
  (see :func:`setting_cell`).
* Each date list holds one real date per row under its header.
* One blank row after the settings, then one muted note row per date list
  (in A, for example "Extra closed dates (column E): Days you are closed...").
  Their text in A matches no setting label, so reading ignores them.

Reading is forgiving about layout: settings are matched by the label in
column A (trimmed, any case, any order); unknown labels are the owner's own
notes and are ignored; a missing label takes its default.  Date lists are
found by their header anywhere on row 1.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import pathlib
import re
import tomllib
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any

from .businesstime import BusinessCalendar, load_zone
from .cells import date_mistake, parse_date, text_of
from .errors import SettingsError
from .model import WEEKDAYS, Cell, CellValue, Grid, Settings, TabContent
from .template import Tab, Template, column_letter

_MAX_SLA_HOURS = 168
_MAX_FOLLOW_UP_DAY = 366
_HEADERS = ("Setting", "Value", "What it means")
_DATE_LIST_FIRST_COL = 5  # column E; D is left as a gap between settings and dates
_WEEKDAY_KEYS = tuple(day.lower() for day in WEEKDAYS)


class _Bad(Exception):
    """A value that cannot be used; the message says why, without saying where."""


# ------------------------------------------------------------------ value readers
# Each reader takes the setting's name as the owner sees it (label or TOML key)
# and raises _Bad with the rest of the sentence.


def _shown(raw: object) -> str:
    if isinstance(raw, str | int | float | bool | dt.date | dt.time) or raw is None:
        text = text_of(raw)
    else:
        text = str(raw)
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:39] + "\u2026"


def _read_text(name: str, raw: object, *, required: bool, example: str) -> str:
    if raw is not None and (isinstance(raw, bool) or not isinstance(raw, str | int | float)):
        raise _Bad(f"{name} '{_shown(raw)}' is not text: type it like {example}")
    text = " ".join(text_of(raw).split())
    if required and not text:
        raise _Bad(f"{name} is blank: type it like {example}")
    return text


def _read_timezone(name: str, raw: object) -> str:
    text = _read_text(name, raw, required=True, example="Africa/Kampala")
    problem = f"{name} '{_shown(raw)}' is not a time zone name: type one like Africa/Kampala"
    if load_zone(text) is not None:
        return text
    wanted = text.casefold()
    for key in zoneinfo.available_timezones():
        if key.casefold() == wanted:
            return key
    raise _Bad(problem)


@functools.cache
def country_codes() -> frozenset[str]:
    """The two-letter codes of the countries whose public holidays ``holidays`` knows.

    Read from its registry: ``holidays.list_supported_countries()`` imports every
    country's module to list them, a tenth of a second on every command.
    """
    from holidays import registry

    # Each entry: the class name, the ISO codes, then other names (UK for GB, say).
    return frozenset(code for entry in registry.COUNTRIES.values() for code in entry[1:]
                     if len(code) == 2 and code.isupper())


def _read_country(name: str, raw: object) -> str:
    text = _read_text(name, raw, required=True, example="UG").upper()
    if len(text) != 2 or text not in country_codes():
        raise _Bad(
            f"{name} '{_shown(raw)}' is not a country code with public holidays: "
            "type a two-letter code, like UG, KE, TZ or RW"
        )
    return text


def _read_currency(name: str, raw: object) -> str:
    text = _read_text(name, raw, required=True, example="UGX")
    if len(text) > 10:
        raise _Bad(f"{name} '{_shown(raw)}' is too long: type a currency code, like UGX")
    return text


def _read_sla_hours(name: str, raw: object) -> float:
    hours: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        hours = float(raw)
    elif isinstance(raw, str):
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:h|hrs?|hours?)?", raw.strip().casefold())
        if match is not None:
            hours = float(match.group(1))
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise _Bad(f"{name} is blank: type the hours, like 4")
    if hours is None or not math.isfinite(hours):
        raise _Bad(f"{name} '{_shown(raw)}' is not a number: type the hours, like 4")
    if not 0 < hours <= _MAX_SLA_HOURS or round(hours * 60) < 1:
        raise _Bad(
            f"{name} '{_shown(raw)}' must be more than 0 and at most {_MAX_SLA_HOURS}: "
            "type the hours, like 4"
        )
    return hours


def _read_follow_up_days(name: str, raw: object) -> tuple[int, ...]:
    problem = (
        f"{name} '{_shown(raw)}' must be whole numbers of days, each bigger than the one "
        "before: type them like 2, 4, 7"
    )
    numbers: list[float] = []
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise _Bad(f"{name} is blank: type the days, like 2, 4, 7")
    if isinstance(raw, bool):
        raise _Bad(problem)
    if isinstance(raw, int | float):
        numbers = [float(raw)]
    elif isinstance(raw, str):
        parts = [p for p in re.split(r"[,;\s]+", raw.strip()) if p]
        if not all(re.fullmatch(r"\d+(?:\.0+)?", p) for p in parts):
            raise _Bad(problem)
        numbers = [float(p) for p in parts]
    elif isinstance(raw, list | tuple):
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in raw):
            raise _Bad(problem)
        numbers = [float(n) for n in raw]
    else:
        raise _Bad(problem)
    if not numbers or not all(math.isfinite(n) and n.is_integer() for n in numbers):
        raise _Bad(problem)
    days = tuple(int(n) for n in numbers)
    if any(d < 1 or d > _MAX_FOLLOW_UP_DAY for d in days):
        raise _Bad(problem)
    if any(b <= a for a, b in zip(days, days[1:], strict=False)):
        raise _Bad(problem)
    return days


_CLOCK = r"(\d{1,2})(?:[:.](\d{2}))?\s*([ap]\.?m\.?)?"
_RANGE = re.compile(_CLOCK + r"\s*(?:-|\u2013|\u2014|to|until|till)\s*" + _CLOCK)
_CLOSED_WORDS = frozenset({"closed", "close", "shut", "none", "-", "no", "off"})


def _clock(hour_text: str, minute_text: str | None, ampm: str | None) -> dt.time:
    hour = int(hour_text)
    minute = int(minute_text or 0)
    if ampm is not None:
        if not 1 <= hour <= 12:
            raise ValueError
        hour = hour % 12 + (12 if ampm.startswith("p") else 0)
    return dt.time(hour, minute)  # ValueError for 25:00 or 08:75


def _read_hours(name: str, raw: object) -> tuple[dt.time, dt.time] | None:
    example = "08:00-18:00, or closed"
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        # A cleared cell is as likely a slip as a closed day, and it moves every reply
        # deadline: closed is said in words (new trackers write it).
        raise _Bad(f"{name} is blank: type the opening hours, like 08:00-18:00, or closed "
                   "if you do not open that day")
    if not isinstance(raw, str):
        raise _Bad(f"{name} '{_shown(raw)}' is not opening hours: type them like {example}")
    text = " ".join(raw.strip().casefold().split())
    if text in _CLOSED_WORDS:
        return None
    match = _RANGE.fullmatch(text)
    if match is None:
        raise _Bad(f"{name} '{_shown(raw)}' is not opening hours: type them like {example}")
    try:
        opens = _clock(match[1], match[2], match[3])
        closes = _clock(match[4], match[5], match[6])
    except ValueError:
        raise _Bad(
            f"{name} '{_shown(raw)}' has a time that does not exist: type them like {example}"
        ) from None
    if closes <= opens:
        raise _Bad(
            f"{name} closes at {closes:%H:%M}, which is not after it opens at {opens:%H:%M}: "
            f"type them like {example}"
        )
    return opens, closes


def _read_date(name: str, raw: object) -> dt.date:
    if isinstance(raw, dt.date):
        return raw.date() if isinstance(raw, dt.datetime) else raw
    day = parse_date(raw) if isinstance(raw, str | int | float) else None
    if day is None:
        why = date_mistake(raw) if isinstance(raw, str) else None
        if why:
            raise _Bad(f"'{_shown(raw)}' in {name} is not a date: {why}")
        raise _Bad(f"'{_shown(raw)}' in {name} is not a date: type it day first, like 24/12/2026")
    return day


def format_hours(hours: tuple[dt.time, dt.time] | None) -> str:
    """Opening hours as the Settings tab shows them: '08:00-18:00' or 'closed'."""
    if hours is None:
        return "closed"
    return f"{hours[0]:%H:%M}-{hours[1]:%H:%M}"


def format_days(days: tuple[int, ...]) -> str:
    """Follow-up days as the Settings tab shows them: '2, 4, 7'."""
    return ", ".join(str(d) for d in days)


# ------------------------------------------------------------------ one builder for both sources

def _read_optional_money(name: str, raw: object) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    amount: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        amount = float(raw)
    elif isinstance(raw, str):
        match = re.fullmatch(r"[A-Za-z]{0,3}\s*([\d,]+(?:\.\d+)?)", raw.strip())
        if match is not None:
            amount = float(match.group(1).replace(",", ""))
    if amount is None or not math.isfinite(amount) or amount < 0:
        raise _Bad(f"{name} '{_shown(raw)}' is not an amount: type a number, like 500000, "
                   "or leave it blank")
    return amount


def _read_threshold(name: str, raw: object) -> int:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise _Bad(f"{name} is blank: type the points, like 50")
    number: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        number = float(raw)
    elif isinstance(raw, str) and re.fullmatch(r"\d+(?:\.0+)?", raw.strip()):
        number = float(raw.strip())
    if number is None or not math.isfinite(number) or not number.is_integer() or number < 0:
        raise _Bad(f"{name} '{_shown(raw)}' is not a whole number of points: type one, like 50")
    return int(number)


_Reader = Callable[[str, object], Any]
_SCALAR_READERS: dict[str, _Reader] = {
    "business_name": lambda name, raw: _read_text(name, raw, required=False, example="Kato Salon"),
    "timezone": _read_timezone,
    "country": _read_country,
    "currency": _read_currency,
    "sla_hours": _read_sla_hours,
    "follow_up_days": _read_follow_up_days,
    "whatsapp_name": lambda name, raw: _read_text(name, raw, required=False,
                                                  example="Kato Boutique"),
    "new_enquiry_days": lambda name, raw: _read_whole_days(name, raw),
    "first_reply_message": lambda name, raw: _read_message(name, raw),
    "follow_up_message_1": lambda name, raw: _read_message(name, raw),
    "follow_up_message_2": lambda name, raw: _read_message(name, raw),
    "follow_up_message_3": lambda name, raw: _read_message(name, raw),
    "lifetime_value": _read_optional_money,
    "quarterly_revenue_target": _read_optional_money,
    "mql_threshold": _read_threshold,
}

_MAX_MESSAGE = 1000


def _read_whole_days(name: str, raw: object) -> int:
    problem = f"{name} '{_shown(raw)}' is not a whole number of days from 1 to 366: type it like 30"
    if isinstance(raw, bool):
        raise _Bad(problem)
    if isinstance(raw, int | float) and math.isfinite(raw) and float(raw).is_integer():
        days = int(raw)
    elif isinstance(raw, str) and re.fullmatch(r"\s*\d+\s*(?:days?)?\s*", raw.casefold()):
        days = int(re.sub(r"\D", "", raw))
    else:
        raise _Bad(problem)
    if not 1 <= days <= _MAX_FOLLOW_UP_DAY:
        raise _Bad(problem)
    return days


def _read_message(name: str, raw: object) -> str:
    text = _read_text(name, raw, required=True, example="Hello {name}, thank you for contacting "
                      "{business}")
    if len(text) > _MAX_MESSAGE:
        raise _Bad(f"{name} is {len(text)} characters long: keep it under {_MAX_MESSAGE}")
    return text


def _default_text(key: str) -> object:
    """The built-in default of a Settings field, in the form the readers accept."""
    default = Settings()
    if key in _WEEKDAY_KEYS:
        return format_hours(default.opening_hours.get(_WEEKDAY_KEYS.index(key)))
    value = getattr(default, key)
    if key == "follow_up_days":
        return format_days(value)
    return value


def _weekday_hours(found: Mapping[str, tuple[dt.time, dt.time] | None]) -> dict[int, Any]:
    default = Settings().opening_hours
    return {
        i: found[key] if key in found else default.get(i) for i, key in enumerate(_WEEKDAY_KEYS)
    }


# ------------------------------------------------------------------ the Settings tab


def _settings_tab(template: Template) -> Tab:
    return template.tab("settings")


def setting_row(template: Template, key: str) -> int:
    """The 1-based row of a setting on a Settings tab written by :func:`settings_to_contents`."""
    for index, spec in enumerate(_settings_tab(template).settings):
        if spec.key == key:
            return index + 2
    raise SettingsError(f"The tracker template has no setting {key!r}")


def setting_cell(template: Template, key: str, *, tab: str = "Settings") -> str:
    """An absolute reference to a setting's value cell, such as Settings!$B$6."""
    return f"{tab}!$B${setting_row(template, key)}"


def settings_from_grid(grid: Grid, template: Template, *, tab: str = "Settings") -> Settings:
    """The Settings held on the Settings tab; SettingsError names the cell of a bad value."""
    spec_tab = _settings_tab(template)
    by_label = {spec.label.strip().casefold(): spec for spec in spec_tab.settings}
    found: dict[str, tuple[CellValue, str]] = {}
    first_row: dict[str, int] = {}
    # Row 1 is searched too, in case the owner deleted the header row.
    for index, row in enumerate(grid, start=1):
        if not row:
            continue
        label = " ".join(text_of(row[0]).split()).casefold() if row[0] is not None else ""
        spec = by_label.get(label)
        if spec is None:
            continue
        if spec.key in found:
            raise SettingsError(
                f"{tab}!A{first_row[spec.key]} and {tab}!A{index} both hold {spec.label}: "
                "delete one of the two rows"
            )
        value = row[1] if len(row) > 1 else None
        found[spec.key] = (value, f"{tab}!B{index}")
        first_row[spec.key] = index

    values: dict[str, Any] = {}
    hours: dict[str, tuple[dt.time, dt.time] | None] = {}
    for spec in spec_tab.settings:
        if spec.key in found:
            raw, where = found[spec.key]
        else:
            raw, where = spec.default, f"{tab} (default for {spec.label})"
        try:
            if spec.key in _WEEKDAY_KEYS:
                hours[spec.key] = _read_hours(spec.label, raw)
            elif spec.key in _SCALAR_READERS:
                values[spec.key] = _SCALAR_READERS[spec.key](spec.label, raw)
        except _Bad as bad:
            raise SettingsError(f"{where}: {bad}") from None

    header = grid[0] if grid else []
    for date_list in spec_tab.date_lists:
        wanted = date_list.header.strip().casefold()
        col = next(
            (i for i, cell in enumerate(header) if text_of(cell).casefold() == wanted), None
        )
        days: set[dt.date] = set()
        if col is not None:
            for index, row in enumerate(grid[1:], start=2):
                raw = row[col] if col < len(row) else None
                if raw is None or (isinstance(raw, str) and not raw.strip()):
                    continue
                try:
                    days.add(_read_date(date_list.header, raw))
                except _Bad as bad:
                    raise SettingsError(f"{tab}!{column_letter(col + 1)}{index}: {bad}") from None
        values[date_list.key] = frozenset(days)

    settings = _build(values, hours)
    try:
        _check_open_week(settings)
    except _Bad as bad:
        rows = [first_row[key] for key in _WEEKDAY_KEYS if key in first_row]
        where = f"{tab}!B{min(rows)}:B{max(rows)}" if rows else tab
        raise SettingsError(f"{where}: {bad}") from None
    return settings


def _build(values: Mapping[str, Any], hours: Mapping[str, Any]) -> Settings:
    known = {f.name for f in fields(Settings)}
    kwargs = {k: v for k, v in values.items() if k in known}
    kwargs["opening_hours"] = _weekday_hours(hours)
    return Settings(**kwargs)


def _check_open_week(settings: Settings) -> None:
    if all(settings.opening_hours.get(day) is None for day in range(7)):
        raise _Bad("every day of the week is closed: type opening hours for at least one day")


def settings_to_contents(settings: Settings, template: Template) -> TabContent:
    """The Settings tab as cells, for ``init``: see the module docstring for the layout."""
    spec_tab = _settings_tab(template)
    date_lists = spec_tab.date_lists
    width = _DATE_LIST_FIRST_COL - 1 + len(date_lists)
    rows: list[list[Cell]] = []

    header = [Cell(text, "header") for text in _HEADERS] + [Cell(None)]
    header += [Cell(d.header, "header") for d in date_lists]
    rows.append(header[:width] if date_lists else header[: len(_HEADERS)])

    for spec in spec_tab.settings:
        value, style = _value_cell(settings, spec.key, spec.default)
        rows.append([Cell(spec.label, "label"), Cell(value, style), Cell(spec.explain, "muted")])

    if date_lists:
        rows.append([])
        for offset, date_list in enumerate(date_lists):
            letter = column_letter(_DATE_LIST_FIRST_COL + offset)
            rows.append([
                Cell(f"{date_list.header} (column {letter})", "label"),
                Cell(None),
                Cell(f"{date_list.explain} One date per row, day first.", "muted"),
            ])
        columns = [sorted(getattr(settings, d.key, frozenset())) for d in date_lists]
        for depth in range(max((len(c) for c in columns), default=0)):
            row_index = depth + 1
            while len(rows) <= row_index:
                rows.append([])
            row = rows[row_index]
            row.extend(Cell(None) for _ in range(width - len(row)))
            for offset, days in enumerate(columns):
                if depth < len(days):
                    row[_DATE_LIST_FIRST_COL - 1 + offset] = Cell(days[depth], "date")

    widths = {1: 30.0, 2: 18.0, 3: 70.0, 4: 3.0}
    widths.update({_DATE_LIST_FIRST_COL + i: 20.0 for i in range(len(date_lists))})
    return TabContent(rows=rows, widths=widths, freeze_rows=1)


def _value_cell(settings: Settings, key: str, default: object) -> tuple[CellValue, str | None]:
    if key in _WEEKDAY_KEYS:
        return format_hours(settings.opening_hours.get(_WEEKDAY_KEYS.index(key))), "text"
    if key == "follow_up_days":
        return format_days(settings.follow_up_days), "text"
    if key == "new_enquiry_days":
        return settings.new_enquiry_days, None
    if key == "sla_hours":
        hours = float(settings.sla_hours)
        return (int(hours) if hours.is_integer() else hours), None
    if key in ("lifetime_value", "quarterly_revenue_target"):
        amount = getattr(settings, key)
        if amount is None:
            return None, "money"
        return (int(amount) if float(amount).is_integer() else amount), "money"
    if key == "mql_threshold":
        return int(settings.mql_threshold), "integer"
    value = getattr(settings, key, default)
    text = value if isinstance(value, str) else str(value)
    return (text or None), "text"


# ------------------------------------------------------------------ TOML

_TOML_KEYS = (
    "business_name", "timezone", "country", "currency", "sla_hours", "follow_up_days",
    "opening_hours", "extra_closed_dates", "extra_open_dates",
    # WhatsApp chat import and prefilled messages.
    "whatsapp_name", "new_enquiry_days", "first_reply_message", "follow_up_message_1",
    "follow_up_message_2", "follow_up_message_3",
    "lifetime_value", "quarterly_revenue_target", "mql_threshold",
)


_TOML_TEXT_KEYS = {
    "business_name": '"Kato Salon"', "timezone": '"Africa/Kampala"', "country": '"UG"',
    "currency": '"UGX"',
}


def settings_from_toml(path: pathlib.Path) -> Settings:
    """Settings from a ``--config`` TOML file; SettingsError names the file and the key."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(f"{name}: file not found: check the path to the config file") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{name}: is not UTF-8 text: save it as plain UTF-8 text") from None
    except OSError as exc:
        raise SettingsError(f"{name}: cannot be read ({exc.strerror}): check the file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{name}: is not valid TOML ({exc}): fix the line it names") from None

    for key in data:
        if key not in _TOML_KEYS:
            raise SettingsError(
                f"{name}: unknown key {key!r}: the keys are {', '.join(_TOML_KEYS)}"
            )

    values: dict[str, Any] = {}
    for key, reader in _SCALAR_READERS.items():
        raw = data.get(key, _default_text(key))
        if key in _TOML_TEXT_KEYS and not isinstance(raw, str):
            example = _TOML_TEXT_KEYS[key]
            raise SettingsError(f"{name}: {key} must be text in quotes, like {example}")
        if key == "sla_hours" and (isinstance(raw, bool) or not isinstance(raw, int | float)):
            raise SettingsError(f"{name}: sla_hours must be a number of hours, like 4")
        try:
            values[key] = reader(key, raw)
        except _Bad as bad:
            raise SettingsError(f"{name}: {bad}") from None

    hours: dict[str, Any] = {}
    table = data.get("opening_hours", {})
    if not isinstance(table, dict):
        raise SettingsError(
            f"{name}: opening_hours must be a table, like [opening_hours] monday = \"08:00-18:00\""
        )
    for day, raw in table.items():
        if day.lower() not in _WEEKDAY_KEYS:
            raise SettingsError(
                f"{name}: opening_hours has unknown day {day!r}: use monday to sunday"
            )
        if raw is False:
            raw = "closed"
        try:
            hours[day.lower()] = _read_hours(f"opening_hours.{day}", raw)
        except _Bad as bad:
            raise SettingsError(f"{name}: {bad}") from None

    for key in ("extra_closed_dates", "extra_open_dates"):
        listed = data.get(key, [])
        if not isinstance(listed, list):
            raise SettingsError(f"{name}: {key} must be a list of dates, like [2026-12-24]")
        days: set[dt.date] = set()
        for raw in listed:
            if isinstance(raw, dt.time) or (
                isinstance(raw, dt.datetime) and raw.tzinfo is not None
            ):
                raise SettingsError(f"{name}: '{_shown(raw)}' in {key} is not a date")
            try:
                days.add(_read_date(key, raw))
            except _Bad as bad:
                raise SettingsError(f"{name}: {bad}") from None
        values[key] = frozenset(days)

    settings = _build(values, hours)
    try:
        _check_open_week(settings)
    except _Bad as bad:
        raise SettingsError(f"{name}: opening_hours: {bad}") from None
    return settings


# ------------------------------------------------------------------ a Settings made in code


def validate_settings(settings: Settings) -> None:
    """Check a Settings object made in code; SettingsError says which field is wrong."""
    # The calendar checks the time zone and that every day closes after it opens.
    BusinessCalendar(settings)
    try:
        if _read_country("Country", settings.country) != settings.country:
            raise _Bad(f"Country {settings.country!r} must be a two-letter code in capitals")
        _read_currency("Currency", settings.currency)
        _read_sla_hours("SLA hours", settings.sla_hours)
        _read_follow_up_days("Follow-up days", tuple(settings.follow_up_days))
        _check_open_week(settings)
        _read_threshold("MQL threshold", settings.mql_threshold)
        for label, amount in (("Lifetime value", settings.lifetime_value),
                              ("Quarterly revenue target", settings.quarterly_revenue_target)):
            _read_optional_money(label, amount)
    except _Bad as bad:
        raise SettingsError(f"Settings: {bad}") from None
