"""The tracker opened in a real spreadsheet application: headless LibreOffice (issue 4).

Two trackers are built once per module and shared:

* the demo tracker, refreshed at the real current time, so the Summary's live
  formulas (NOW(), TODAY()) can be compared with what Python counts;
* a small "colours" tracker whose dates are all in March 2025, so whether a
  row is red or amber cannot change while the test runs.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from PIL import Image

from sheetcrm.backends.excel import ExcelBackend
from sheetcrm.model import CellValue
from sheetcrm.template import load_template
from sheetcrm.tracker import Evaluation, evaluate, init_tracker, refresh
from tests.helpers import libreoffice as lo
from tests.helpers.cli import run

pytestmark = pytest.mark.libreoffice

KAMPALA = ZoneInfo("Africa/Kampala")
TEMPLATE = load_template()
RED = TEMPLATE.styles["overdue"].fill or ""
AMBER = TEMPLATE.styles["amber"].fill or ""
HEADER_BLUE = TEMPLATE.styles["header"].fill or ""
SUMMARY_LABELS = ("Pending enquiries", "Pending and past Respond by",
                  "Follow-ups due today or earlier")


@dataclass
class Built:
    """A tracker file and the real moments bracketing its LibreOffice recalculation."""

    path: Path
    built_at: dt.datetime
    recalculated_by: dt.datetime | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(KAMPALA).replace(microsecond=0)


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One folder for every file of this module."""
    path = tmp_path_factory.mktemp("libreoffice")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def demo(libreoffice: str, workdir: Path) -> Built:
    """The demo tracker, built by the CLI at the real current time."""
    path = workdir / "demo.xlsx"
    built_at = _now()
    result = run("demo", str(path), "--now", built_at.isoformat())
    assert result.exit_code == 0, result.output
    return Built(path, built_at)


# Every date below is a Monday in March 2025, well in the past.  Opening hours
# are the defaults (Monday 08:00-18:00) and 3 March 2025 is not a Ugandan
# public holiday, so a 4-business-hour SLA from 09:00 ends at 13:00 that day.
COLOUR_ROWS: list[dict[str, CellValue]] = [
    {"Received": dt.datetime(2025, 3, 3, 9, 0), "Name": "Overdue One", "Contact": "0772 100001",
     "Source": "WhatsApp", "Status": "pending"},
    # Answered, but the owner forgot First contact: the status alone keeps it white.
    {"Received": dt.datetime(2025, 3, 3, 9, 10), "Name": "Replied No Time",
     "Contact": "0772 100002", "Source": "Facebook", "Status": "contacted"},
    {"Received": dt.datetime(2025, 3, 3, 9, 20), "Name": "Overdue Two", "Contact": "0772 100003",
     "Source": "Instagram", "Status": "pending"},
    # Replied at 10:00 but Status not updated: First contact alone keeps it white.
    {"Received": dt.datetime(2025, 3, 3, 9, 30), "Name": "Status Not Updated",
     "Contact": "0772 100004", "Source": "Walk-in", "Status": "pending",
     "First contact": dt.datetime(2025, 3, 3, 10, 0)},
    # No Status: sheetcrm and the red rule both read a blank Status as pending.
    {"Received": dt.datetime(2025, 3, 3, 9, 40), "Name": "No Status", "Contact": "0772 100005",
     "Source": "TikTok"},
    {"Received": dt.datetime(2025, 3, 3, 9, 50), "Name": "Said No", "Contact": "0772 100006",
     "Source": "Referral", "Status": "lost"},
    {"Received": dt.datetime(2025, 3, 3, 10, 10), "Name": "Replied Late",
     "Contact": "0772 100008", "Source": "Facebook", "Status": "contacted",
     "First contact": dt.datetime(2025, 3, 4, 10, 0), "Follow-ups done": 0},
    {"Received": dt.datetime(2025, 3, 3, 10, 20), "Name": "Bought", "Contact": "0772 100009",
     "Source": "Walk-in", "Status": "converted", "Value": 250000},
]
COLOUR_REFRESH = dt.datetime(2025, 3, 10, 12, 0, tzinfo=KAMPALA)
# Typed after the refresh, so it has no Respond by: received at 08:00 on
# 10 March 2025, more than 4 clock hours before any moment this test runs.
AMBER_ROW: dict[str, CellValue] = {
    "Received": dt.datetime(2025, 3, 10, 8, 0), "Name": "New Since Refresh",
    "Contact": "0772 100007", "Source": "WhatsApp", "Status": "pending"}


@pytest.fixture(scope="module")
def colours(libreoffice: str, workdir: Path) -> tuple[Built, Built]:
    """The colours tracker as refreshed, and a copy with the amber row typed after it."""
    refreshed = workdir / "colours-refreshed.xlsx"
    backend = ExcelBackend(refreshed)
    init_tracker(backend)
    backend.append(COLOUR_ROWS)
    evaluation = refresh(backend, now=COLOUR_REFRESH)
    states = [r.sla.state if r.sla else None for r in evaluation.rows]
    # Rows 3, 7 and 9 say they were answered but have no First contact: unknown.
    # Row 8: 10:10-18:00 Monday (470 min) + 08:00-10:00 Tuesday (120) = 590 > 240: missed.
    assert states == ["overdue", "unknown", "overdue", "met", "overdue", "unknown", "missed",
                      "unknown"]
    first = evaluation.rows[0].sla
    assert first is not None and first.respond_by == dt.datetime(2025, 3, 3, 13, 0,
                                                                 tzinfo=KAMPALA)
    typed = workdir / "colours.xlsx"
    shutil.copy(refreshed, typed)
    assert ExcelBackend(typed).append([AMBER_ROW]) == [10]
    return Built(refreshed, _now()), Built(typed, _now())


@pytest.fixture(scope="module")
def demo_tabs(libreoffice: str, demo: Built, workdir: Path) -> dict[str, list[list[str]]]:
    """Every tab of the demo tracker as LibreOffice exports it to CSV."""
    return lo.export_tabs(demo.path, workdir / "csv", soffice=libreoffice)


@pytest.fixture(scope="module")
def roundtrips(libreoffice: str, demo: Built, colours: tuple[Built, Built],
               workdir: Path) -> dict[str, Path]:
    """The demo and refreshed colours trackers, recalculated and saved by LibreOffice."""
    refreshed, _ = colours
    outdir = workdir / "roundtrip"
    lo.convert([demo.path, refreshed.path], "xlsx", outdir, soffice=libreoffice)
    done = _now()
    demo.recalculated_by = done
    refreshed.recalculated_by = done
    return {"demo": outdir / demo.path.name, "colours": outdir / refreshed.path.name}


@pytest.fixture(scope="module")
def colour_pages(libreoffice: str, colours: tuple[Built, Built], workdir: Path) -> list[Path]:
    """The Enquiries tab of the colours tracker (amber row included), rendered to PNG."""
    _, typed = colours
    pages = lo.render(typed.path, ["Enquiries"], workdir / "render", dpi=120,
                      soffice=libreoffice)
    return pages["Enquiries"]


# ------------------------------------------------------------------ helpers


def _columns(ws: Any) -> dict[str, int]:
    """Template column key -> 1-based column, found by header on row 1."""
    by_header = {c.header: c.key for c in TEMPLATE.enquiries.columns}
    return {by_header[str(cell.value)]: cell.column for cell in ws[1]
            if cell.value in by_header}


def _as_shown(value: Any, key: str) -> str:
    """How the template's number formats show a value (worked out here, not by sheetcrm)."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        # Received, First contact, Respond by: dd/mm/yyyy hh:mm; Next follow-up: dd/mm/yyyy.
        return value.strftime("%d/%m/%Y" if key == "next_follow_up" else "%d/%m/%Y %H:%M")
    if isinstance(value, int) and key == "value":
        return f"{value:,}"  # #,##0
    return str(value)


def _summary_value(ws: Any, label: str) -> Any:
    for row in ws.iter_rows(min_col=1, max_col=2):
        if row[0].value == label:
            return row[1].value
    raise AssertionError(f"the Summary has no {label!r} row")


def _python_counts(path: Path, at: dt.datetime) -> tuple[int, int, int]:
    """What sheetcrm itself counts for the three live Summary figures at ``at``."""
    evaluation: Evaluation = evaluate(ExcelBackend(path).read(), now=at)
    pending = sum(1 for r in evaluation.rows if r.status == "pending")
    return pending, evaluation.count("overdue"), evaluation.follow_ups_due


def _assert_summary_matches(built: Built, recalculated: Path) -> None:
    """LibreOffice's figures equal Python's at the build time or at the recalculation time.

    NOW() is the real clock, which moves between the two; any enquiry that
    crosses its deadline in those seconds makes the two Python counts differ,
    and LibreOffice must then agree with one of them.
    """
    assert built.recalculated_by is not None
    ws = lo.load_values(recalculated)["Summary"]
    seen = tuple(_summary_value(ws, label) for label in SUMMARY_LABELS)
    allowed = {_python_counts(built.path, built.built_at),
               _python_counts(built.path, built.recalculated_by)}
    assert seen in allowed, f"LibreOffice computed {seen}; sheetcrm counts {allowed}"


# ------------------------------------------------------------------ 1. values


def test_every_tab_exports(demo: Built, demo_tabs: dict[str, list[list[str]]]) -> None:
    names = openpyxl.load_workbook(demo.path, read_only=True).sheetnames
    assert sorted(demo_tabs) == sorted(names)
    for name in ("Enquiries", "Today", "Summary", "About"):
        assert any(any(cell.strip() for cell in row) for row in demo_tabs[name]), name


def test_enquiries_read_the_same_in_libreoffice(
    demo: Built, demo_tabs: dict[str, list[list[str]]]
) -> None:
    ws = openpyxl.load_workbook(demo.path)["Enquiries"]
    columns = _columns(ws)
    exported = demo_tabs["Enquiries"]
    assert exported[0][: len(columns)] == [c.header for c in TEMPLATE.enquiries.columns]
    last = max(r for r in range(2, ws.max_row + 1) if ws.cell(r, columns["name"]).value)
    assert len([row for row in exported[1:] if any(row)]) == last - 1
    for r in range(2, last + 1):
        shown = exported[r - 1]
        for key, c in columns.items():
            want = _as_shown(ws.cell(r, c).value, key)
            assert shown[c - 1] == want, f"Enquiries row {r}, {key}: {shown[c - 1]!r}"
    # The points an owner would notice first, spelt out.
    contacts = [row[columns["contact"] - 1] for row in exported[1:]]
    assert any(re.fullmatch(r"07\d\d \d{6}", c) for c in contacts), contacts[:5]
    ids = [row[columns["id"] - 1] for row in exported[1:] if any(row)]
    assert all(re.fullmatch(r"E\d{4}", i) for i in ids), ids
    received = [row[columns["received"] - 1] for row in exported[1:] if any(row)]
    dated = [d for d in received if re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", d)]
    assert len(dated) >= len(received) - 2  # the demo types two Received cells as text
    follow_ups = [row[columns["next_follow_up"] - 1] for row in exported[1:] if any(row)]
    assert [f for f in follow_ups if f] and all(re.fullmatch(r"\d\d/\d\d/\d{4}", f)
                                                for f in follow_ups if f), follow_ups
    statuses = {row[columns["status"] - 1] for row in exported[1:] if any(row)}
    assert {"pending", "contacted", "converted", "lost"} <= statuses
    sla = [row[columns["sla"] - 1] for row in exported[1:] if any(row)]
    assert all(sla) and len(set(sla)) >= 5, sla


def test_today_reads_the_same_in_libreoffice(
    demo: Built, demo_tabs: dict[str, list[list[str]]]
) -> None:
    ws = openpyxl.load_workbook(demo.path)["Today"]
    for r, shown in enumerate(demo_tabs["Today"], start=1):
        for c, text in enumerate(shown, start=1):
            value = ws.cell(r, c).value
            assert text == ("" if value is None else str(value)), f"Today {r},{c}: {text!r}"


# ------------------------------------------------------------------ 2. formulas


def test_summary_formulas_equal_python_counts(demo: Built, roundtrips: dict[str, Path]) -> None:
    _assert_summary_matches(demo, roundtrips["demo"])


def test_summary_formulas_count_a_blank_status_as_pending(
    colours: tuple[Built, Built], roundtrips: dict[str, Path]
) -> None:
    refreshed, _ = colours
    _assert_summary_matches(refreshed, roundtrips["colours"])


# ------------------------------------------------------------------ 3. colours


@dataclass
class Picture:
    """A rendered Enquiries page and where its header row is."""

    page: Path
    header: tuple[int, int]  # first and last pixel row of the header
    width: int  # how wide the header's fill reaches, in pixels

    def rows_in(self, colour: str) -> list[tuple[int, int]]:
        """Bands of pixel rows coloured across at least half the header's width.

        Refresh also colours single cells (an overdue SLA, a due follow-up);
        requiring half the width finds only what the row-wide rule draws.
        """
        return lo.colour_bands(self.page, colour, min_pixels=self.width // 2)

    def span(self, colour: str, band: tuple[int, int]) -> int:
        """How wide ``colour`` reaches across the pixel rows of ``band``."""
        box = lo.colour_box(self.page, colour, rows=range(band[0], band[1] + 1))
        assert box is not None
        return box[2] - box[0]


@pytest.fixture(scope="module")
def picture(colour_pages: list[Path]) -> Picture:
    """The first rendered page of the colours tracker's Enquiries tab."""
    page = colour_pages[0]
    header = lo.colour_bands(page, HEADER_BLUE, min_pixels=50)
    assert len(header) == 1, f"expected one header row, found {header}"
    box = lo.colour_box(page, HEADER_BLUE, rows=range(header[0][0], header[0][1] + 1))
    assert box is not None
    return Picture(page, header[0], box[2] - box[0])


def test_overdue_rows_are_red_and_answered_rows_are_not(picture: Picture) -> None:
    red = picture.rows_in(RED)
    # Rows 2, 4 and 6 are overdue; rows 3 (contacted), 5 (pending but replied) and
    # 7 (lost) between them must stay white, so the red shows as three separate
    # bands; so must rows 8 (contacted) and 9 (converted) below, whose Respond by
    # has passed too.
    assert len(red) == 3, f"expected 3 red rows, found bands {red}"
    pitch = (red[2][0] - red[0][0]) / 4  # rows 2 -> 6: four rows
    assert pitch >= 6, "render at a higher resolution"
    for a, b in zip(red, red[1:], strict=False):
        assert abs((b[0] - a[0]) - 2 * pitch) <= 2, red
        assert b[0] - a[1] >= 0.6 * pitch, "the answered row between is drawn red"
        assert a[1] - a[0] + 1 <= 1.4 * pitch, "a red band is taller than one row"
    for band in red:
        assert picture.span(RED, band) >= 0.9 * picture.width
    # The first red row is row 2, right under the header.
    assert abs(red[0][0] - picture.header[1]) <= 3


def test_a_new_row_without_respond_by_is_amber(picture: Picture) -> None:
    red = picture.rows_in(RED)
    amber = picture.rows_in(AMBER)
    assert len(red) == 3 and len(amber) == 1, f"red {red}, amber {amber}"
    pitch = (red[2][0] - red[0][0]) / 4
    # Row 10 is four rows below the last red one (row 6).
    assert abs((amber[0][0] - red[2][0]) - 4 * pitch) <= 2, (red, amber)
    assert picture.span(AMBER, amber[0]) >= 0.9 * picture.width


def test_colour_rules_survive_saving_in_libreoffice(roundtrips: dict[str, Path]) -> None:
    ws = openpyxl.load_workbook(roundtrips["demo"])["Enquiries"]
    formulas = [f for cf in ws.conditional_formatting for rule in cf.rules
                for f in rule.formula]
    assert len(formulas) == 2 and all("NOW()" in f for f in formulas), formulas


# ------------------------------------------------------------------ 4. links


def _links(path: Path, tab: str, header: str) -> dict[int, str]:
    """Row -> link target in the column headed ``header`` (the first such cell from the top)."""
    ws = openpyxl.load_workbook(path)[tab]
    found = next(((c.row, c.column) for row in ws.iter_rows(max_row=10) for c in row
                  if c.value == header), None)
    assert found is not None, f"{tab} has no {header!r} header"
    header_row, col = found
    first = header_row + 1
    return {r: ws.cell(r, col).hyperlink.target for r in range(first, ws.max_row + 1)
            if ws.cell(r, col).hyperlink is not None}


def test_whatsapp_links_survive_libreoffice(demo: Built, roundtrips: dict[str, Path]) -> None:
    ours = _links(demo.path, "Enquiries", "WhatsApp")
    assert len(ours) >= 50
    assert all(re.fullmatch(r"https://wa\.me/256\d{9}\?text=\S+", t) for t in ours.values())
    assert _links(roundtrips["demo"], "Enquiries", "WhatsApp") == ours
    today = _links(demo.path, "Today", "WhatsApp")
    assert today and _links(roundtrips["demo"], "Today", "WhatsApp") == today


# ------------------------------------------------------------------ 5. charts


def test_summary_has_three_native_charts_after_libreoffice(
    demo: Built, roundtrips: dict[str, Path]
) -> None:
    # This month so far and the last full month by channel, and the month-by-month line.
    kinds = ["BarChart", "BarChart", "LineChart"]
    charts = openpyxl.load_workbook(demo.path)["Summary"]._charts
    assert sorted(type(c).__name__ for c in charts) == kinds
    parts = [n for n in lo.zip_names(roundtrips["demo"])
             if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
    assert len(parts) == 3, parts
    again = openpyxl.load_workbook(roundtrips["demo"])["Summary"]._charts
    assert sorted(type(c).__name__ for c in again) == kinds


# ------------------------------------------------------------------ 6. what the owner sees
# Issue 14, items 13-16: the demo and a tracker with a long note, as LibreOffice reads,
# saves and prints them.

LONG_NOTE = ("Wants three bridal outfits for a wedding in June; will call back after talking "
             "to her sister")


@pytest.fixture(scope="module")
def long_note(libreoffice: str, workdir: Path) -> Path:
    """Three overdue enquiries in March 2025; the first has a five-line note."""
    path = workdir / "long-note.xlsx"
    backend = ExcelBackend(path)
    init_tracker(backend)
    backend.append([
        {"Received": dt.datetime(2025, 3, 3, 9, 0), "Name": "Long Note",
         "Contact": "nakato.fashions@gmail.com", "Source": "WhatsApp", "Status": "pending",
         "Notes": LONG_NOTE},
        {"Received": dt.datetime(2025, 3, 3, 9, 10), "Name": "Answered",
         "Contact": "0772 100002", "Source": "Facebook", "Status": "contacted",
         "First contact": dt.datetime(2025, 3, 3, 9, 20), "Notes": "short"},
        {"Received": dt.datetime(2025, 3, 3, 9, 20), "Name": "Short Note",
         "Contact": "0772 100003", "Source": "Instagram", "Status": "pending",
         "Notes": "short"},
    ])
    refresh(backend, now=COLOUR_REFRESH)
    return path


@pytest.fixture(scope="module")
def own_pages(libreoffice: str, demo: Built, workdir: Path) -> dict[str, list[Path]]:
    """The demo's Enquiries, Today and Summary tabs printed with their own page set-up."""
    return lo.render(demo.path, ["Enquiries", "Today", "Summary"], workdir / "own-pages",
                     dpi=60, soffice=libreoffice, own_page_setup=True)


def _chart_parts(path: Path) -> list[str]:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return [archive.read(n).decode() for n in archive.namelist()
                if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]


def test_libreoffice_keeps_the_line_chart_straight_with_markers(
    roundtrips: dict[str, Path]
) -> None:
    # LibreOffice saves what it drew: a smoothed chart comes back with smooth val="1"
    # (it did, before the file said otherwise) and no markers.
    (line,) = [x for x in _chart_parts(roundtrips["demo"]) if "<c:lineChart>" in x]
    assert re.findall(r'<c:smooth val="(\d)"/>', line) and not re.search(
        r'<c:smooth val="1"/>', line)
    symbols = re.findall(r'<c:symbol val="(\w+)"/>', line)
    assert len(symbols) == 2 and "none" not in symbols, symbols


def test_libreoffice_steps_the_count_axes_in_whole_numbers_from_0(
    roundtrips: dict[str, Path]
) -> None:
    bars = [x for x in _chart_parts(roundtrips["demo"]) if "<c:barChart>" in x]
    assert len(bars) == 2  # November so far and October, the last full month
    for bar in bars:
        # The demo's channels count at most 10 enquiries a month: a label for each number.
        assert '<c:majorUnit val="1"/>' in bar
        assert '<c:min val="0"/>' in bar
        assert 'formatCode="0"' in bar


def test_libreoffice_puts_the_charts_below_the_tables(roundtrips: dict[str, Path]) -> None:
    ws = openpyxl.load_workbook(roundtrips["demo"])["Summary"]
    last_text = max(c.row for row in ws.iter_rows() for c in row if c.value is not None)
    anchors = sorted((c.anchor._from.row + 1, c.anchor._from.col + 1) for c in ws._charts)
    assert len(anchors) == 3
    assert all(col == 1 and row > last_text for row, col in anchors), (anchors, last_text)


def test_a_long_note_does_not_print_over_the_next_row(
    libreoffice: str, long_note: Path, workdir: Path
) -> None:
    # Saved by LibreOffice, the row keeps the height for five lines.
    again = lo.roundtrip(long_note, workdir / "long-note-roundtrip", soffice=libreoffice)
    ws = openpyxl.load_workbook(again)["Enquiries"]
    assert ws.row_dimensions[2].height == 75 and ws.row_dimensions[4].height in (None, 15)
    # Printed: rows 2 and 4 are red (overdue), row 3 between them white. Row 2's red band
    # is five lines tall, row 4's one: the note's lines stay inside its own row.
    page = lo.render(long_note, ["Enquiries"], workdir / "long-note-render", dpi=100,
                     soffice=libreoffice)["Enquiries"][0]
    header = lo.colour_box(page, HEADER_BLUE)
    assert header is not None
    red = lo.colour_bands(page, RED, min_pixels=(header[2] - header[0]) // 2)
    assert len(red) == 2, red
    tall, short = (b - a + 1 for a, b in red)
    assert tall >= 4 * short, red


def test_the_demo_prints_one_page_wide_on_few_pages(own_pages: dict[str, list[Path]]) -> None:
    # Without a page set-up the Enquiries tab printed on 21 portrait pages and Today on two.
    assert len(own_pages["Today"]) == 1
    assert len(own_pages["Enquiries"]) <= 2
    assert len(own_pages["Summary"]) <= 4
    for tab, pages in own_pages.items():
        with Image.open(pages[0]) as image:
            width, height = image.size
        assert width > height, f"{tab} is not printed landscape"


def test_the_header_row_is_printed_again_on_every_page(
    libreoffice: str, workdir: Path, tmp_path: Path
) -> None:
    # 120 enquiries fill more than one landscape page: page 2 starts with the blue header.
    path = tmp_path / "long.xlsx"
    backend = ExcelBackend(path)
    init_tracker(backend)
    backend.append([{"Received": dt.datetime(2025, 3, 3, 9, 0), "Name": f"Customer {n}",
                     "Contact": f"0772 1{n:05d}", "Source": "WhatsApp", "Status": "lost"}
                    for n in range(120)])
    pages = lo.render(path, ["Enquiries"], tmp_path / "render", dpi=60, soffice=libreoffice,
                      own_page_setup=True)["Enquiries"]
    assert len(pages) >= 2
    for page in pages:
        bands = lo.colour_bands(page, HEADER_BLUE, min_pixels=50)
        assert bands, f"{page.name} has no header row"
