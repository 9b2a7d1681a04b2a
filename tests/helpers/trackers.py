"""Trackers for the tests: a backend of each kind, an Excel tracker made by the CLI, and
small hand-built tab contents for the Excel backend (no engine needed)."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

from sheetcrm.backends.base import Backend
from sheetcrm.backends.memory import MemoryBackend
from sheetcrm.model import Cell, Chart, Formula, TabContent
from sheetcrm.template import Template
from tests.helpers.cli import run

#: The backend kinds the behavioural suite runs on.
BACKENDS = ["memory", "excel", "google"]


def make_backend(kind: str, tmp_path: Path) -> Backend:
    """A fresh, not yet initialised backend of the given kind."""
    if kind == "memory":
        return MemoryBackend()
    if kind == "excel":
        from sheetcrm.backends.excel import ExcelBackend

        return ExcelBackend(tmp_path / "tracker.xlsx")
    if kind == "google":
        from tests.fake_sheets import FakeSheets
        from tests.helpers.google import sheet_backend

        fake = FakeSheets()
        backend, _key = sheet_backend(fake, account_email=fake.service_account_email)
        backend.fake = fake  # type: ignore[attr-defined]  # for tests that inspect requests
        return backend
    raise ValueError(kind)


def cli_tracker(folder: Path, *adds: Sequence[str], name: str = "tracker.xlsx") -> Path:
    """An Excel tracker made by ``sheetcrm init``, then one ``sheetcrm add`` per ``adds`` item.

    Each item is the add's options, e.g. ``("--name", "Ann", "--source", "WhatsApp")``.
    """
    path = folder / name
    assert run("init", str(path)).exit_code == 0
    for options in adds:
        result = run("add", str(path), *options)
        assert result.exit_code == 0, result.output
    return path


# --------------------------------------------------------------------------- tab contents


def settings_content(template: Template) -> TabContent:
    """A Settings tab: a header row, then label | value | explanation, one per setting."""
    rows = [[Cell("Setting", "header"), Cell("Value", "header"), Cell("What it means", "header")]]
    for spec in template.tab("settings").settings:
        rows.append([Cell(spec.label, "label"), Cell(spec.default), Cell(spec.explain, "muted")])
    return TabContent(rows=rows, widths={1: 28, 2: 20, 3: 60}, freeze_rows=1)


def summary_content(title: str = "Summary", months: int = 2) -> TabContent:
    """A small Summary block with one bar chart and one percent line chart."""
    rows = [
        [Cell(title, "title")],
        [Cell("Channel", "header"), Cell("Enquiries", "header"), Cell("Converted", "header")],
        [Cell("WhatsApp"), Cell(9), Cell(2)],
        [Cell("Walk-in"), Cell(4), Cell(1)],
        [Cell("Total", "total"), Cell(Formula("=SUM(B3:B4)"), "total"),
         Cell(Formula("=SUM(C3:C4)"), "total")],
        [],
        [Cell("Month", "header"), Cell("Conversion rate", "header")],
    ]
    for m in range(months):
        rows.append([Cell(f"2026-{10 - m:02d}"), Cell(0.25 + m / 10, "percent")])
    charts = [
        Chart(kind="bar", title="Enquiries by channel", first_row=2, last_row=4, first_col=1,
              last_col=3, anchor_row=2, anchor_col=6, y_axis_title="Enquiries"),
        Chart(kind="line", title="Conversion rate", first_row=7, last_row=7 + months,
              first_col=1, last_col=2, anchor_row=20, anchor_col=6, percent=True),
    ]
    return TabContent(rows=rows, widths={1: 20, 2: 12, 3: 12}, charts=charts, freeze_rows=1)


def contents(template: Template) -> dict[str, TabContent]:
    """Contents for every non-Enquiries tab of the template."""
    lists = template.tab("lists")
    return {
        "Settings": settings_content(template),
        "Lists": TabContent(rows=[[Cell(lists.sources_header, "header")]]
                            + [[Cell(s)] for s in lists.sources], widths={1: 18}),
        "About": TabContent(rows=[[Cell("About this tracker", "title")],
                                  [Cell("Type one enquiry a row on the Enquiries tab.")]]),
        "Today": TabContent(rows=[[Cell("Nothing to do today", "title")]]),
        "Summary": summary_content(),
        "sheetcrm": TabContent(rows=[[Cell("next_id"), Cell("1")],
                                     [Cell("template_version"), Cell("1")]]),
    }


def add_zip_entries(path: Path, entries: dict[str, bytes]) -> None:
    """Rewrite an .xlsx with extra zip entries (to fake parts made by Excel)."""
    with zipfile.ZipFile(path) as src:
        items = [(info, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in items:
            if info.filename not in entries:
                dst.writestr(info, data)
        for name, data in entries.items():
            dst.writestr(name, data)


# --------------------------------------------------------------------------- column order

#: The order in which the tests type an owner's row (the first template's order). The
#: template has since moved Name first and SLA and Respond by after it, so a typed row
#: is placed by header (:func:`typed_row`), as an owner's would be wherever the columns are.
TYPED_ORDER = ("Received", "Name", "Contact", "Source", "Status", "First contact",
               "Follow-ups done", "Value", "Notes", "ID")


def template_headers() -> list[str]:
    """The Enquiries headers of a new tracker, in order."""
    from sheetcrm.template import load_template

    return [c.header for c in load_template().enquiries.columns]


def letter(header: str) -> str:
    """The column letter of ``header`` on a new tracker's Enquiries tab."""
    from sheetcrm.template import column_letter

    return column_letter(template_headers().index(header) + 1)


def typed_row(values: Sequence[object], fill: object = None) -> list[object]:
    """A row given in :data:`TYPED_ORDER`, laid out in a new tracker's column order."""
    headers = template_headers()
    row: list[object] = [fill] * len(headers)
    for header, value in zip(TYPED_ORDER, values, strict=False):
        row[headers.index(header)] = value
    while row and row[-1] is fill and fill is None:
        row.pop()
    return row
