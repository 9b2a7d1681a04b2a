"""The Settings tab and --config TOML: round trips, forgiving reading, errors naming the cell."""

from __future__ import annotations

import datetime as dt
import pathlib
import random

import pytest

from sheetcrm.errors import SettingsError
from sheetcrm.model import Cell, CellValue, Grid, Settings
from sheetcrm.settings import (
    setting_cell,
    setting_row,
    settings_from_grid,
    settings_from_toml,
    settings_to_contents,
    validate_settings,
)
from sheetcrm.template import Template, load_template

T = load_template()
XMAS_EVE = dt.date(2026, 12, 24)
EID = dt.date(2026, 3, 20)


def grid_of(settings: Settings, template: Template = T) -> Grid:
    """The values a backend would read back from what init wrote."""
    return [[cell.value for cell in row] for row in settings_to_contents(settings, template).rows]


def set_value(grid: Grid, label: str, value: CellValue) -> int:
    """Put ``value`` in column B of the row labelled ``label``; return its 1-based row."""
    for index, row in enumerate(grid):
        if row and row[0] == label:
            while len(row) < 2:
                row.append(None)
            row[1] = value
            return index + 1
    raise AssertionError(f"no row {label!r}")


# ---------------------------------------------------------------- layout and round trip


def test_defaults_round_trip() -> None:
    assert settings_from_grid(grid_of(Settings()), T) == Settings()


def test_non_default_settings_round_trip() -> None:
    hours = dict(Settings().opening_hours)
    hours[5] = None
    hours[6] = (dt.time(10, 30), dt.time(13))
    custom = Settings(
        timezone="Africa/Nairobi", country="KE", currency="KES", sla_hours=2.5,
        follow_up_days=(1, 3, 10), opening_hours=hours, business_name="Wanjiku Tailors",
        extra_closed_dates=frozenset({XMAS_EVE, dt.date(2026, 12, 31)}),
        extra_open_dates=frozenset({EID}),
    )
    assert settings_from_grid(grid_of(custom), T) == custom


def test_layout_of_the_settings_tab() -> None:
    content = settings_to_contents(
        Settings(extra_closed_dates=frozenset({dt.date(2026, 12, 31), XMAS_EVE})), T
    )
    header = content.rows[0]
    assert [c.value for c in header] == [
        "Setting", "Value", "What it means", None, "Extra closed dates", "Extra open dates",
    ]
    assert all(c.style == "header" for c in header if c.value is not None)
    assert content.freeze_rows == 1
    # One row per template setting, label in A, value in B, explanation in C.
    specs = T.tab("settings").settings
    for spec, row in zip(specs, content.rows[1:], strict=False):
        assert row[0].value == spec.label
        assert row[2].value == spec.explain
    # Dates sorted, as real date cells with the "date" style, under their header in E.
    assert content.rows[1][4] == Cell(XMAS_EVE, "date")
    assert content.rows[2][4] == Cell(dt.date(2026, 12, 31), "date")
    # The explanation of each date list is a row under the settings.
    texts = [str(row[2].value) for row in content.rows if len(row) > 2 and row[2].value]
    assert any(t.startswith("Days you are closed that are not public holidays") for t in texts)


def test_sla_hours_is_a_number_in_the_cell_the_formats_read() -> None:
    # Header row 1, then business name, time zone, country, currency, SLA hours -> row 6.
    assert setting_row(T, "sla_hours") == 6
    assert setting_cell(T, "sla_hours") == "Settings!$B$6"
    grid = grid_of(Settings())
    assert grid[5][0] == "SLA hours"
    assert grid[5][1] == 4
    assert isinstance(grid[5][1], int)


# ---------------------------------------------------------------- forgiving reading


def test_rows_in_any_order_any_case_with_owner_notes() -> None:
    grid = grid_of(
        Settings(sla_hours=3, extra_open_dates=frozenset({EID}))
    )
    header, body = grid[0], grid[1:]
    random.Random(7).shuffle(body)
    for row in body:
        if row and isinstance(row[0], str):
            row[0] = "  " + row[0].upper() + " "
    body.insert(3, ["My own note", "call Mum on Fridays"])
    assert settings_from_grid([header, *body], T) == Settings(
        sla_hours=3, extra_open_dates=frozenset({EID})
    )


def test_missing_rows_take_their_defaults_and_ragged_rows_are_fine() -> None:
    # Google trims trailing empty cells: rows can be short.
    grid: Grid = [
        ["Setting", "Value"],
        ["SLA hours", "2"],  # text, as typed
        ["Follow-up days", 3],  # a single number
        ["Sunday", "10:00-13:00"],
        ["Business name"],
    ]
    expected_hours = dict(Settings().opening_hours)
    expected_hours[6] = (dt.time(10), dt.time(13))
    assert settings_from_grid(grid, T) == Settings(
        sla_hours=2, follow_up_days=(3,), opening_hours=expected_hours
    )


def test_empty_grid_is_all_defaults() -> None:
    assert settings_from_grid([], T) == Settings()


def test_date_lists_found_by_header_in_any_column_in_any_form() -> None:
    grid: Grid = [
        ["Setting", "Value", None, None, None, None, "extra OPEN dates", "Extra closed dates"],
        ["SLA hours", 4, None, None, None, None, "20/03/2026", dt.datetime(2026, 12, 24)],
        [None, None, None, None, None, None, None, 46387],  # serial for 31/12/2026
        [None, None, None, None, None, None, "  ", dt.date(2026, 12, 30)],
    ]
    settings = settings_from_grid(grid, T)
    assert settings.extra_open_dates == {EID}
    # 46387 = 46023 (1 Jan 2026) + 364 -> 31 Dec 2026
    assert settings.extra_closed_dates == {
        XMAS_EVE, dt.date(2026, 12, 30), dt.date(2026, 12, 31)
    }


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("08:00-18:00", (dt.time(8), dt.time(18))),
        ("8:00 - 18:00", (dt.time(8), dt.time(18))),
        ("08.00-18.00", (dt.time(8), dt.time(18))),
        ("8am-6pm", (dt.time(8), dt.time(18))),
        ("8:30 am to 5:30 pm", (dt.time(8, 30), dt.time(17, 30))),
        ("07:45\u201319:15", (dt.time(7, 45), dt.time(19, 15))),
        ("closed", None),
        ("Closed", None),
    ],
)
def test_opening_hours_forms(
    typed: str | None, expected: tuple[dt.time, dt.time] | None
) -> None:
    grid = grid_of(Settings())
    set_value(grid, "Wednesday", typed)
    assert settings_from_grid(grid, T).opening_hours[2] == expected


def test_time_zone_in_the_wrong_case_is_corrected() -> None:
    grid = grid_of(Settings())
    set_value(grid, "Time zone", "africa/nairobi")
    assert settings_from_grid(grid, T).timezone == "Africa/Nairobi"


def test_country_in_lower_case_is_accepted() -> None:
    grid = grid_of(Settings())
    set_value(grid, "Country for public holidays", " tz ")
    assert settings_from_grid(grid, T).country == "TZ"


# ---------------------------------------------------------------- bad values name the cell

BAD_VALUES = [
    ("SLA hours", "four", "SLA hours 'four' is not a number: type the hours, like 4"),
    ("SLA hours", 0, "SLA hours '0' must be more than 0 and at most 168: type the hours, like 4"),
    ("SLA hours", 200, "SLA hours '200' must be more than 0 and at most 168"),
    ("SLA hours", None, "SLA hours is blank: type the hours, like 4"),
    ("SLA hours", True, "SLA hours 'TRUE' is not a number"),
    ("Time zone", "Kampala", "Time zone 'Kampala' is not a time zone name"),
    ("Time zone", "", "Time zone is blank"),
    ("Country for public holidays", "Uganda", "Country for public holidays 'Uganda' is not a"),
    ("Country for public holidays", "XX", "Country for public holidays 'XX' is not a"),
    ("Follow-up days", "2, 1, 7", "Follow-up days '2, 1, 7' must be whole numbers of days"),
    ("Follow-up days", "2, 2", "Follow-up days '2, 2' must be whole numbers"),
    ("Follow-up days", "0, 2", "Follow-up days '0, 2' must be whole numbers"),
    ("Follow-up days", "2.5", "Follow-up days '2.5' must be whole numbers"),
    ("Follow-up days", "two", "Follow-up days 'two' must be whole numbers"),
    ("Monday", "from 8", "Monday 'from 8' is not opening hours: type them like 08:00-18:00"),
    ("Monday", "18:00-08:00", "Monday closes at 08:00, which is not after it opens at 18:00"),
    ("Monday", "08:00-25:00", "Monday '08:00-25:00' has a time that does not exist"),
    ("Monday", 8, "Monday '8' is not opening hours"),
    ("Currency", "Ugandan shillings please", "Currency 'Ugandan shillings please' is too long"),
]


@pytest.mark.parametrize(("label", "value", "message"), BAD_VALUES)
def test_bad_value_names_its_cell(label: str, value: CellValue, message: str) -> None:
    grid = grid_of(Settings())
    # Move the row down so the cell named must follow the label, not the template order.
    grid.insert(2, ["An owner's note", "keep"])
    row = set_value(grid, label, value)
    with pytest.raises(SettingsError) as caught:
        settings_from_grid(grid, T)
    assert str(caught.value).startswith(f"Settings!B{row}: {message}")


def test_bad_value_names_the_tab_given() -> None:
    grid = grid_of(Settings())
    set_value(grid, "SLA hours", "four")
    with pytest.raises(SettingsError, match=r"^Config!B6: SLA hours 'four'"):
        settings_from_grid(grid, T, tab="Config")


def test_bad_date_names_its_cell() -> None:
    grid = grid_of(Settings(extra_closed_dates=frozenset({XMAS_EVE, dt.date(2026, 12, 31)})))
    assert grid[2][4] == dt.date(2026, 12, 31)
    grid[2][4] = "31/12/26 maybe"  # E3
    with pytest.raises(SettingsError) as caught:
        settings_from_grid(grid, T)
    assert str(caught.value) == (
        "Settings!E3: '31/12/26 maybe' in Extra closed dates is not a date: "
        "type it day first, like 24/12/2026"
    )


def test_every_day_closed_is_an_error_naming_the_hours() -> None:
    grid = grid_of(Settings())
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        set_value(grid, day, "closed")
    with pytest.raises(SettingsError) as caught:
        settings_from_grid(grid, T)
    # Monday is row 8, Sunday row 14 on the tab init writes.
    assert str(caught.value).startswith("Settings!B8:B14: every day of the week is closed")


def test_the_same_setting_twice_is_an_error() -> None:
    grid = grid_of(Settings())
    grid.append(["sla hours", 6])
    with pytest.raises(SettingsError, match=r"^Settings!A6 and Settings!A\d+ both hold SLA hours"):
        settings_from_grid(grid, T)


# ---------------------------------------------------------------- TOML

GOOD_TOML = """
business_name = "Kato Salon"
timezone = "Africa/Kigali"
country = "RW"
currency = "RWF"
sla_hours = 2
follow_up_days = [1, 3, 5]
extra_closed_dates = [2026-12-24, "31/12/2026"]
extra_open_dates = ["20/03/2026"]

[opening_hours]
monday = "09:00-17:00"
saturday = "closed"
sunday = "10:00 - 13:00"
"""


def write(tmp_path: pathlib.Path, text: str, name: str = "business.toml") -> pathlib.Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_toml_good(tmp_path: pathlib.Path) -> None:
    hours = dict(Settings().opening_hours)
    hours[0] = (dt.time(9), dt.time(17))
    hours[5] = None
    hours[6] = (dt.time(10), dt.time(13))
    assert settings_from_toml(write(tmp_path, GOOD_TOML)) == Settings(
        business_name="Kato Salon", timezone="Africa/Kigali", country="RW", currency="RWF",
        sla_hours=2, follow_up_days=(1, 3, 5), opening_hours=hours,
        extra_closed_dates=frozenset({XMAS_EVE, dt.date(2026, 12, 31)}),
        extra_open_dates=frozenset({EID}),
    )


def test_toml_empty_file_is_the_defaults(tmp_path: pathlib.Path) -> None:
    assert settings_from_toml(write(tmp_path, "")) == Settings()


def test_toml_settings_round_trip_through_the_tab(tmp_path: pathlib.Path) -> None:
    from_file = settings_from_toml(write(tmp_path, GOOD_TOML))
    assert settings_from_grid(grid_of(from_file), T) == from_file


BAD_TOML = [
    ('sla_hours = "four"\n', "business.toml: sla_hours must be a number of hours, like 4"),
    ("sla_hours = 0\n", "business.toml: sla_hours '0' must be more than 0 and at most 168"),
    ("sla_hour = 4\n", "business.toml: unknown key 'sla_hour'"),
    ('timezone = "Nairobi"\n', "business.toml: timezone 'Nairobi' is not a time zone name"),
    ("timezone = 3\n", 'business.toml: timezone must be text in quotes, like "Africa/Kampala"'),
    ('country = "ZZ"\n', "business.toml: country 'ZZ' is not a country code"),
    ("follow_up_days = [4, 2]\n", "business.toml: follow_up_days '[4, 2]' must be whole"),
    (
        '[opening_hours]\nfunday = "08:00-18:00"\n',
        "business.toml: opening_hours has unknown day 'funday'",
    ),
    (
        '[opening_hours]\nmonday = "18:00-08:00"\n',
        "business.toml: opening_hours.monday closes at 08:00, which is not after it opens",
    ),
    (
        'extra_closed_dates = ["12/31/2026"]\n',
        "business.toml: '12/31/2026' in extra_closed_dates is not a date",
    ),
    ('extra_open_dates = "20/03/2026"\n', "business.toml: extra_open_dates must be a list"),
    (
        "[opening_hours]\n" + "".join(
            f'{d} = "closed"\n'
            for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
        ),
        "business.toml: opening_hours: every day of the week is closed",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_TOML)
def test_toml_bad_values_name_file_and_key(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    write(tmp_path, text)
    monkeypatch.chdir(tmp_path)  # so the path as given is just "business.toml"
    with pytest.raises(SettingsError) as caught:
        settings_from_toml(pathlib.Path("business.toml"))
    assert str(caught.value).startswith(message)


def test_toml_syntax_error_names_file_and_line(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, 'country = "UG"\nsla_hours = = 4\n')
    with pytest.raises(SettingsError) as caught:
        settings_from_toml(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: is not valid TOML")
    assert "line 2" in message


def test_toml_missing_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(SettingsError, match="nope.toml: file not found"):
        settings_from_toml(path)


# ---------------------------------------------------------------- validate_settings


def test_validate_accepts_the_defaults() -> None:
    validate_settings(Settings())


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        (Settings(timezone="Mars/Base"), "time zone 'Mars/Base'"),
        (Settings(country="XX"), "Country 'XX'"),
        (Settings(country="ug"), "Country 'ug' must be a two-letter code in capitals"),
        (Settings(sla_hours=0), "SLA hours '0'"),
        (Settings(sla_hours=169), "SLA hours '169'"),
        (Settings(follow_up_days=(4, 2)), "Follow-up days"),
        (Settings(opening_hours={0: (dt.time(18), dt.time(8))}), "Monday closes at 08:00"),
        (Settings(opening_hours={}), "every day of the week is closed"),
    ],
)
def test_validate_rejects(bad: Settings, fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        validate_settings(bad)
    assert str(caught.value).startswith("Settings: ")
    assert fragment in str(caught.value)


def test_settings_are_found_even_without_the_header_row() -> None:
    grid: Grid = [["SLA hours", 6], ["Currency", "KES"]]
    assert settings_from_grid(grid, T) == Settings(sla_hours=6, currency="KES")


def test_a_closed_date_the_month_does_not_have_says_so() -> None:
    grid = grid_of(Settings(extra_closed_dates=frozenset({XMAS_EVE})))
    grid[1][4] = "31/11/2026"  # E2: typed day first, but November has 30 days
    with pytest.raises(SettingsError) as caught:
        settings_from_grid(grid, T)
    assert str(caught.value) == (
        "Settings!E2: '31/11/2026' in Extra closed dates is not a date: "
        "November 2026 has only 30 days"
    )


def test_a_toml_closed_date_the_month_does_not_have_says_so(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, 'extra_closed_dates = ["29/02/2027"]\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError) as caught:
        settings_from_toml(pathlib.Path("business.toml"))
    assert str(caught.value) == ("business.toml: '29/02/2027' in extra_closed_dates is not a "
                                 "date: February 2027 has only 28 days")


@pytest.mark.parametrize("typed", ["", "   ", None])
def test_a_blank_opening_hours_cell_is_an_error_naming_the_cell(typed: str | None) -> None:
    grid = grid_of(Settings())
    row = set_value(grid, "Wednesday", typed)
    with pytest.raises(SettingsError) as caught:
        settings_from_grid(grid, T)
    assert str(caught.value) == (
        f"Settings!B{row}: Wednesday is blank: type the opening hours, like 08:00-18:00, "
        "or closed if you do not open that day")


def test_new_trackers_write_closed_in_words() -> None:
    grid = grid_of(Settings())
    sunday = set_value(grid, "Sunday", "closed") - 1
    assert grid_of(Settings())[sunday][1] == "closed"


def test_a_blank_toml_opening_hours_is_an_error(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, '[opening_hours]\nsunday = ""\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError) as caught:
        settings_from_toml(pathlib.Path("business.toml"))
    assert str(caught.value).startswith("business.toml: opening_hours.sunday is blank")


def test_the_country_codes_are_the_two_letter_ones_holidays_lists() -> None:
    import holidays

    from sheetcrm.settings import country_codes

    assert country_codes() == {c for c in holidays.list_supported_countries() if len(c) == 2}
    assert {"UG", "KE", "TZ", "RW", "UK"} <= country_codes()  # UK: the other name of GB
