"""Reading cells as an owner types them: every accepted form and every rejection."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.businesstime import BusinessCalendar
from sheetcrm.cells import (
    Parsed,
    from_serial,
    is_blank,
    parse_count,
    parse_datetime,
    parse_money,
    parse_phone,
    parse_source,
    parse_status,
    text_of,
    to_serial,
)
from sheetcrm.model import CellValue, Settings
from tests.helpers.clock import at

KAMPALA = zoneinfo.ZoneInfo("Africa/Kampala")
CAL = BusinessCalendar(Settings())
NO_TIME_NOTE = "Received has no time: counted from that day's opening time"


# ---------------------------------------------------------------- dates and times

# Wed 14 Oct 2026 opens at 08:00 (default week), so a date alone means 08:00.
ACCEPTED_WITH_TIME = [
    ("14/10/2026 09:00", at(2026, 10, 14, 9)),
    ("14-10-2026 9:00 am", at(2026, 10, 14, 9)),
    ("14-10-2026 2:30 PM", at(2026, 10, 14, 14, 30)),
    ("14.10.2026 14:05", at(2026, 10, 14, 14, 5)),
    ("2026-10-14 09:00", at(2026, 10, 14, 9)),
    ("2026-10-14T09:00", at(2026, 10, 14, 9)),
    ("2026-10-14T09:00:00", at(2026, 10, 14, 9)),
    ("14 Oct 2026 09:00", at(2026, 10, 14, 9)),
    ("14/10/26 09:00", at(2026, 10, 14, 9)),
    ("  14/10/2026   09:00  ", at(2026, 10, 14, 9)),
    ("Wed 14 Oct 2026, 2:30pm", at(2026, 10, 14, 14, 30)),
    # 1 Feb day first, not 2 Jan: the whole point of reading day first
    ("01/02/2026 10:15", at(2026, 2, 1, 10, 15)),
    # An explicit offset is honoured: 06:00 UTC is 09:00 in Kampala (UTC+3)
    ("2026-10-14T06:00:00Z", at(2026, 10, 14, 9)),
    ("2026-10-14T09:00:00+03:00", at(2026, 10, 14, 9)),
    # Real cells: a naive date-time is local; an aware one is converted
    (dt.datetime(2026, 10, 14, 9, 40), at(2026, 10, 14, 9, 40)),
    (dt.datetime(2026, 10, 14, 6, 40, tzinfo=dt.UTC), at(2026, 10, 14, 9, 40)),
    # Serial 46309 is 14/10/2026 (days since 30/12/1899); .375 of a day is 09:00
    (46309.375, at(2026, 10, 14, 9)),
]


def test_naive_date_times_at_the_edges() -> None:
    # One microsecond past midnight has a time, so no opening-time note.
    tiny = dt.datetime(2026, 10, 14, 0, 0, 0, 1)
    assert parse_datetime(tiny, header="Received", cal=CAL) == Parsed(
        tiny.replace(tzinfo=KAMPALA))
    # The first day a spreadsheet holds is read; the day before is not a date.
    first = dt.datetime(1900, 1, 1, 9)
    assert parse_datetime(first, header="Received", cal=CAL) == Parsed(
        first.replace(tzinfo=KAMPALA))
    assert parse_datetime(dt.datetime(1899, 12, 31, 9), header="Received", cal=CAL).problem == (
        "Received '31/12/1899 09:00' is not a date: type it day first, like 23/11/2026 09:40")


@pytest.mark.parametrize(("raw", "expected"), ACCEPTED_WITH_TIME)
def test_datetimes_with_a_time(raw: CellValue, expected: dt.datetime) -> None:
    parsed = parse_datetime(raw, header="Received", cal=CAL)
    assert parsed == Parsed(expected)
    assert parsed.value is not None and parsed.value.tzinfo == KAMPALA


ACCEPTED_DATE_ONLY = [
    # Wed 14 Oct opens 08:00
    ("14/10/2026", at(2026, 10, 14, 8)),
    ("14 October 2026", at(2026, 10, 14, 8)),
    ("2026-10-14", at(2026, 10, 14, 8)),
    (dt.date(2026, 10, 14), at(2026, 10, 14, 8)),
    (46309, at(2026, 10, 14, 8)),
    (46309.0, at(2026, 10, 14, 8)),
    # Excel holds a typed date as midnight: read like a date alone
    (dt.datetime(2026, 10, 14), at(2026, 10, 14, 8)),
    # Sat 17 Oct 2026 opens 09:00
    ("17/10/2026", at(2026, 10, 17, 9)),
    # Sun 18 Oct is closed: 00:00 (the SLA clock then starts at the next opening)
    ("18/10/2026", at(2026, 10, 18, 0)),
]


@pytest.mark.parametrize(("raw", "expected"), ACCEPTED_DATE_ONLY)
def test_a_date_alone_means_opening_time_with_a_note(raw: CellValue, expected: dt.datetime) -> None:
    parsed = parse_datetime(raw, header="Received", cal=CAL)
    assert parsed == Parsed(expected, note=NO_TIME_NOTE)


NOT_A_DATE = [
    "32/13/2026",
    "10/14/2026",  # month first: month 14 does not exist, and we never guess
    "14/10/2026 25:00",
    "14/10/2026 09:75",
    "14/10/2026 13:00 pm",
    "next Tuesday",
    "14/10",
    True,
    False,
    0,
    -5,
    2958466,  # one past 31/12/9999
    float("nan"),
    float("inf"),
    float("-inf"),
    "31/12/1899",  # before the first spreadsheet day
]


@pytest.mark.parametrize("raw", NOT_A_DATE)
def test_rejected_dates_name_the_column(raw: CellValue) -> None:
    parsed = parse_datetime(raw, header="First contact", cal=CAL)
    assert parsed.value is None
    assert parsed.problem is not None
    assert parsed.problem.startswith(f"First contact '{text_of(raw)}' is not a date")
    assert "day first" in parsed.problem


@pytest.mark.parametrize("raw", ["09:40", dt.time(9, 40), 0.5, "9:40 am"])
def test_a_time_without_a_date_is_a_problem(raw: CellValue) -> None:
    parsed = parse_datetime(raw, header="Received", cal=CAL)
    assert parsed.value is None
    assert parsed.problem is not None
    assert parsed.problem.startswith("Received '")
    assert "no date" in parsed.problem


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("#REF!", "Received shows the error #REF!: type the date and time instead"),
        ("#N/A", "Received shows the error #N/A: type the date and time instead"),
        ("#value!", "Received shows the error #VALUE!: type the date and time instead"),
        ("=TODAY()", "Received '=TODAY()' is a formula: type the date and time instead"),
    ],
)
def test_error_values_and_formulas_are_problems(raw: str, expected: str) -> None:
    assert parse_datetime(raw, header="Received", cal=CAL) == Parsed(None, problem=expected)


@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n"])
def test_blank_dates_are_not_problems(raw: str | None) -> None:
    assert parse_datetime(raw, header="Received", cal=CAL) == Parsed(None)


def test_a_long_cell_is_shortened_in_the_problem() -> None:
    parsed = parse_datetime("x" * 500, header="Received", cal=CAL)
    assert parsed.problem is not None
    assert len(parsed.problem) < 150


@settings(max_examples=200, deadline=None)
@given(
    raw=st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), st.text(),
        st.datetimes(), st.dates(), st.times(),
        st.datetimes(timezones=st.just(dt.UTC)),
    )
)
def test_parse_datetime_never_raises(raw: CellValue) -> None:
    parsed = parse_datetime(raw, header="Received", cal=CAL)
    assert parsed.value is None or parsed.value.tzinfo == KAMPALA
    if parsed.value is None and raw is not None and text_of(raw) != "":
        assert parsed.problem is not None and parsed.problem.startswith("Received")


# ---------------------------------------------------------------- serials


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (1, dt.datetime(1900, 1, 1)),
        (59, dt.datetime(1900, 2, 28)),
        # 60 is the 29/02/1900 spreadsheets invented; it is read as 28/02/1900
        (60, dt.datetime(1900, 2, 28)),
        (61, dt.datetime(1900, 3, 1)),
        # 1 Jan 2026 is 46023: 126 years from 30/12/1899 = 46021 days, + 2
        (46023, dt.datetime(2026, 1, 1)),
        (46309.75, dt.datetime(2026, 10, 14, 18)),
        (2958465, dt.datetime(9999, 12, 31)),
    ],
)
def test_from_serial(serial: float, expected: dt.datetime) -> None:
    assert from_serial(serial) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (dt.date(1900, 1, 1), 1.0),
        (dt.date(1900, 2, 28), 59.0),
        (dt.date(1900, 3, 1), 61.0),
        (dt.date(2026, 10, 14), 46309.0),
        (dt.datetime(2026, 10, 14, 9), 46309.375),
        (dt.datetime(2026, 10, 14, 18), 46309.75),
    ],
)
def test_to_serial(moment: dt.date, expected: float) -> None:
    assert to_serial(moment) == pytest.approx(expected, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 30)))
def test_serials_round_trip_to_the_second(moment: dt.datetime) -> None:
    whole_seconds = moment.replace(microsecond=0)
    assert from_serial(to_serial(whole_seconds)) == whole_seconds


# ---------------------------------------------------------------- status and source


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("pending", "pending"),
        ("  Contacted ", "contacted"),
        ("CONVERTED", "converted"),
        ("Lost", "lost"),
        (None, "pending"),
        ("  ", "pending"),
    ],
)
def test_status_canonical_spelling(raw: str | None, expected: str) -> None:
    assert parse_status(raw) == Parsed(expected)


@pytest.mark.parametrize("raw", ["done", "pend", 3, True, dt.date(2026, 1, 1), "#N/A"])
def test_unknown_status_lists_the_allowed_words(raw: CellValue) -> None:
    parsed = parse_status(raw)
    assert parsed.value is None
    assert parsed.problem == (
        f"Status '{text_of(raw)}' is not a status: "
        "type pending, contacted, converted or lost"
    )


KNOWN = ["WhatsApp", "Facebook", "Walk-in", "Phone call"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("WhatsApp", "WhatsApp"),
        ("  whatsapp ", "WhatsApp"),
        ("FACEBOOK", "Facebook"),
        ("phone   call", "Phone call"),
        (None, "Unknown"),
        ("", "Unknown"),
    ],
)
def test_source_matches_the_lists_spelling(raw: str | None, expected: str) -> None:
    assert parse_source(raw, KNOWN) == Parsed(expected)


def test_the_first_of_two_spellings_on_the_list_wins() -> None:
    known = ["Walk  in", "Instagram", "walk in", "INSTAGRAM "]
    assert parse_source("WALK IN", known) == Parsed("Walk in")
    assert parse_source("instagram", known) == Parsed("Instagram")
    # Another list read later gives its own spelling, not the first list's.
    assert parse_source("walk in", ["walk in", "Walk in"]) == Parsed("walk in")


def test_source_not_on_the_list_is_kept_with_a_note() -> None:
    parsed = parse_source("  Twitter ", KNOWN)
    assert parsed.value == "Twitter"
    assert parsed.problem is None
    assert parsed.note == (
        "Source 'Twitter' is not on the Lists tab: add it there or pick one from the list"
    )


# ---------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (250000, 250000.0),
        (250000.5, 250000.5),
        (0, 0.0),
        ("1,200,000", 1200000.0),
        ("UGX 250,000", 250000.0),
        ("250000.50", 250000.5),
        ("1 200 000", 1200000.0),
        ("250,000/=", 250000.0),
        ("KES 1,500", 1500.0),
        ("30k", 30000.0),
        ("1.2m", 1200000.0),
    ],
)
def test_money_accepted(raw: CellValue, expected: float) -> None:
    assert parse_money(raw) == Parsed(expected)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (-5, "Value '-5' is negative: type the amount without a minus sign"),
        ("-250,000", "Value '-250,000' is negative: type the amount without a minus sign"),
        ("abc", "Value 'abc' is not an amount: type a number, like 250000"),
        ("250,50", "Value '250,50' is not an amount: type a number, like 250000"),
        ("1.200.000", "Value '1.200.000' is not an amount: type a number, like 250000"),
        (True, "Value 'TRUE' is not an amount: type a number, like 250000"),
        (float("nan"), "Value 'nan' is not an amount: type a number, like 250000"),
        (float("inf"), "Value 'inf' is not an amount: type a number, like 250000"),
        (dt.date(2026, 1, 1), "Value '01/01/2026' is not an amount: type a number, like 250000"),
        ("=B2*2", "Value '=B2*2' is a formula: type the amount instead"),
        ("#DIV/0!", "Value shows the error #DIV/0!: type the amount instead"),
    ],
)
def test_money_rejected(raw: CellValue, problem: str) -> None:
    assert parse_money(raw) == Parsed(None, problem=problem)


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_blank_money_is_none_without_problem(raw: str | None) -> None:
    assert parse_money(raw) == Parsed(None)


# ---------------------------------------------------------------- counts


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(0, 0), (2, 2), (3, 3), (2.0, 2), ("2", 2), (" 1 ", 1), (None, 0), ("", 0)],
)
def test_count_accepted(raw: CellValue, expected: int) -> None:
    assert parse_count(raw, header="Follow-ups done", maximum=3) == Parsed(expected)


@pytest.mark.parametrize("raw", [4, -1, 2.5, "two", True, "1.5", float("nan"), dt.time(1)])
def test_count_rejected(raw: CellValue) -> None:
    parsed = parse_count(raw, header="Follow-ups done", maximum=3)
    assert parsed.value is None
    assert parsed.problem == (
        f"Follow-ups done '{text_of(raw)}' must be a whole number from 0 to 3"
    )


# ---------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("0772 123456", "UG", "+256772123456"),
        ("0772123456", "UG", "+256772123456"),
        ("+256 772 123 456", "UG", "+256772123456"),
        ("+254 712 345678", "UG", "+254712345678"),
        # A number cell lost its leading zero
        (772123456, "UG", "+256772123456"),
        (772123456.0, "UG", "+256772123456"),
        # Country code typed without the plus
        ("256772123456", "UG", "+256772123456"),
        ("Tel: 0772 123456", "UG", "+256772123456"),
        ("0712 345678", "KE", "+254712345678"),
        ("0754 123456", "TZ", "+255754123456"),
        ("0788 123456", "RW", "+250788123456"),
    ],
)
def test_phone_numbers_normalised(raw: CellValue, region: str, expected: str) -> None:
    assert parse_phone(raw, region=region) == Parsed(expected)


@pytest.mark.parametrize(
    "raw", ["sarah@example.com", "@sarah_k", "Sarah on Facebook", "ig: kato_99", None, "  "]
)
def test_emails_and_handles_are_fine_without_a_number(raw: str | None) -> None:
    assert parse_phone(raw, region="UG") == Parsed(None)


@pytest.mark.parametrize(
    "raw", ["0772 12", "12345678901234", "John 12345678", True, 772123456.5, -772123456]
)
def test_invalid_numbers_are_problems(raw: CellValue) -> None:
    parsed = parse_phone(raw, region="UG")
    assert parsed.value is None
    assert parsed.problem == (f"Contact '{text_of(raw)}' is not a valid phone number for UG: "
                              "type it with the country code, like +256 712 345678")


def test_phone_problem_uses_the_header_given() -> None:
    parsed = parse_phone("0772 12", region="UG", header="Phone")
    assert parsed.problem == ("Phone '0772 12' is not a valid phone number for UG: "
                              "type it with the country code, like +256 712 345678")


# ---------------------------------------------------------------- text_of


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("  hello  ", "hello"),
        (True, "TRUE"),
        (12, "12"),
        (12.0, "12"),
        (12.5, "12.5"),
        (dt.datetime(2026, 10, 14, 9, 5), "14/10/2026 09:05"),
        (dt.date(2026, 10, 14), "14/10/2026"),
        (dt.time(9, 5), "09:05"),
    ],
)
def test_text_of(raw: CellValue, expected: str) -> None:
    assert text_of(raw) == expected


@settings(max_examples=300, deadline=None)
@given(
    raw=st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), st.text(),
        st.datetimes(), st.dates(), st.times(), st.sampled_from(["", " ", "\t\n", "\u00a0"]),
    )
)
def test_a_cell_is_blank_exactly_when_it_shows_no_text(raw: CellValue) -> None:
    assert is_blank(raw) == (text_of(raw) == "")


@settings(max_examples=200, deadline=None)
@given(
    raw=st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), st.text(),
        st.datetimes(), st.dates(), st.times(),
    )
)
def test_no_parser_raises(raw: CellValue) -> None:
    value = raw  # the parsers accept any CellValue
    parse_status(value)
    parse_source(value, KNOWN)
    money = parse_money(value)
    count = parse_count(value, header="Follow-ups done", maximum=3)
    parse_phone(value, region="UG")
    assert money.value is None or (math.isfinite(money.value) and money.value >= 0)
    assert count.value is None or 0 <= count.value <= 3


@pytest.mark.parametrize("huge", [10**400, -(10**400), 10**5000], ids=["1e400", "-1e400", "1e5000"])
def test_huge_integers_are_problems_not_crashes(huge: int) -> None:
    # A float cannot hold 10**400 and Python will not print 10**5000 as digits: a cell
    # holding either (a hand-made .xlsx, Google's JSON) must be a problem, never a crash.
    assert parse_money(huge).value is None and parse_money(huge).problem
    assert parse_count(huge, header="Follow-ups done", maximum=3).problem
    assert parse_phone(huge, region="UG").problem
    assert parse_datetime(huge, header="Received", cal=CAL).problem


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("31/11/2026", "November 2026 has only 30 days"),
        ("31/11/2026 09:40", "November 2026 has only 30 days"),
        ("29/02/2027", "February 2027 has only 28 days"),
        ("32/01/2026", "January 2026 has only 31 days"),
        ("31 Apr 2026", "April 2026 has only 30 days"),
    ],
)
def test_a_day_the_month_does_not_have_is_not_blamed_on_the_order(raw: str, why: str) -> None:
    parsed = parse_datetime(raw, header="Received", cal=CAL)
    assert parsed.value is None
    assert parsed.problem == f"Received '{raw}' is not a date: {why}"
    assert "day first" not in parsed.problem
