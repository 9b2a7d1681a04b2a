"""Trackers for the tests: a backend of each kind, an Excel tracker made by the CLI, and
small hand-built tab contents for the Excel backend (no engine needed)."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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


# --------------------------------------------------------------------------- older trackers

#: What issue 12 added to the template: a tracker made before it has none of these.
ISSUE_12_COLUMNS = ("signals", "lost_reason", "score", "mql")
ISSUE_12_SETTINGS = ("lifetime_value", "quarterly_revenue_target", "mql_threshold")


def template_before_issue_12() -> Template:
    """The template as it was before Spend, lead scoring and lost reasons (issue 12)."""
    import importlib.resources
    import tomllib

    from sheetcrm.template import _build

    text = importlib.resources.files("sheet_templates").joinpath("tracker.toml").read_text(
        "utf-8")
    data = tomllib.loads(text)
    data["tabs"] = [t for t in data["tabs"] if t["kind"] != "spend"]
    for tab in data["tabs"]:
        if tab["kind"] == "enquiries":
            tab["columns"] = [c for c in tab["columns"] if c["key"] not in ISSUE_12_COLUMNS]
        if tab["kind"] == "settings":
            tab["settings"] = [s for s in tab["settings"] if s["key"] not in ISSUE_12_SETTINGS]
        if tab["kind"] == "lists":
            for key in ("scoring", "lost_reasons"):
                tab.pop(key, None)
    return _build(data)


def old_tracker(kind: str, tmp_path: Path) -> Backend:
    """A tracker made by the sheetcrm before issue 12, opened by today's sheetcrm."""
    from sheetcrm import tabs
    from sheetcrm.model import Settings

    old = template_before_issue_12()
    contents = tabs.initial_contents(tabs.TabContext(old, Settings()))
    # The old Lists tab: the Sources and their note only.
    contents["Lists"] = TabContent(rows=[row[:3] for row in contents["Lists"].rows],
                                   widths={1: 18, 2: 4, 3: 60}, freeze_rows=1)
    backend = make_backend(kind, tmp_path)
    backend.create(old, contents)
    if kind == "excel":
        from sheetcrm.backends.excel import ExcelBackend

        return ExcelBackend(tmp_path / "tracker.xlsx")
    return backend


def dropdown(backend: Backend, tab: str, a1: str) -> str | None:
    """The list range a cell's dropdown offers (None without one), on any backend."""
    kind = backend.kind
    if kind == "in memory":
        col = 0
        for ch in a1:
            if ch.isalpha():
                col = col * 26 + ord(ch) - 64
        entry = backend.tabs[tab].column_specs.get(col)  # type: ignore[attr-defined]
        spec = entry[0] if entry else None
        return spec.validation.source if spec and spec.validation else None
    if kind == "Excel":
        import openpyxl

        wb = openpyxl.load_workbook(backend.path)  # type: ignore[attr-defined]
        for dv in wb[tab].data_validations.dataValidation:
            if a1 in dv.sqref:
                name = dv.formula1
                return str(wb.defined_names[name].attr_text) if name in wb.defined_names \
                    else str(name)
        return None
    fake: Any = backend.fake  # type: ignore[attr-defined]
    rule = fake.cell(backend.key, tab, a1).get("dataValidation")
    return rule["condition"]["values"][0]["userEnteredValue"].lstrip("=") if rule else None


def number_format(backend: Backend, tab: str, a1: str) -> str | None:
    """The number format an empty cell of a formatted column will show, on any backend."""
    import re

    letter = re.match(r"[A-Z]+", a1)
    assert letter is not None
    kind = backend.kind
    if kind == "in memory":
        col = 0
        for ch in letter.group(0):
            col = col * 26 + ord(ch) - 64
        entry = backend.tabs[tab].column_specs.get(col)  # type: ignore[attr-defined]
        style = entry[0].style if entry else None
        from sheetcrm.template import load_template

        return load_template().styles[style].number_format if style else None
    if kind == "Excel":
        import openpyxl

        wb = openpyxl.load_workbook(backend.path)  # type: ignore[attr-defined]
        return str(wb[tab].column_dimensions[letter.group(0)].number_format)
    fake: Any = backend.fake  # type: ignore[attr-defined]
    fmt = fake.cell(backend.key, tab, a1).get("userEnteredFormat", {}).get("numberFormat")
    return fmt.get("pattern") if fmt else None


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
