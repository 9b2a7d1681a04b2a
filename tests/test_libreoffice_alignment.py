"""Issue 12's tabs and columns opened and saved by headless LibreOffice: the Spend tab, the
Scoring table, Signals and Lost reason with their dropdowns, Score and MQL, the Summary's
spend section, for a new tracker and for an upgraded older one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from sheetcrm import tracker
from sheetcrm.backends.excel import ExcelBackend
from tests.helpers import libreoffice as lo
from tests.helpers.trackers import old_tracker

pytestmark = pytest.mark.libreoffice

NOW = dt.datetime(2026, 11, 20, 10)


def _filled(backend: ExcelBackend) -> None:
    backend.append([
        {"Received": dt.datetime(2026, 10, 5, 9), "Name": "Ann", "Contact": "0772 123456",
         "Source": "WhatsApp", "Status": "converted", "First contact": dt.datetime(2026, 10, 5, 10),
         "Value": 300000, "Signals": "Asked for quote, Viewed prices, Decision-maker"},
        {"Received": dt.datetime(2026, 10, 6, 9), "Name": "Ben", "Contact": "0772 223456",
         "Source": "Instagram", "Status": "lost", "First contact": dt.datetime(2026, 10, 6, 10),
         "Lost reason": "Price"},
    ])


def _validations(ws: object) -> dict[str, str]:
    """Each dropdown's first cell range -> its list (a defined name resolved)."""
    out = {}
    wb = ws.parent  # type: ignore[attr-defined]
    for dv in ws.data_validations.dataValidation:  # type: ignore[attr-defined]
        formula = str(dv.formula1)
        if formula in wb.defined_names:
            formula = str(wb.defined_names[formula].attr_text)
        for rng in str(dv.sqref).split():
            out[rng.split(":")[0]] = formula
    return out


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    soffice = lo.soffice_path()
    work = tmp_path_factory.mktemp("alignment")
    new = ExcelBackend(work / "new" / "tracker.xlsx")
    new.path.parent.mkdir()
    tracker.init_tracker(new)
    _filled(new)
    tracker.refresh(new, now=NOW)
    (work / "old").mkdir()
    old = old_tracker("excel", work / "old")
    assert isinstance(old, ExcelBackend)
    tracker.upgrade(old)
    _filled(old)
    tracker.refresh(old, now=NOW)
    return {name: lo.roundtrip(b.path, work / f"{name}-lo", soffice=soffice)
            for name, b in (("new", new), ("old", old))}


@pytest.mark.parametrize("name", ["new", "old"])
def test_libreoffice_keeps_the_new_parts(saved: dict[str, Path], name: str) -> None:
    wb = openpyxl.load_workbook(saved[name])
    assert "Spend" in wb.sheetnames
    assert [c.value for c in wb["Spend"][1][:3]] == ["Month", "Channel", "Amount"]
    assert "Lists!$A$2:$A$100" in _validations(wb["Spend"]).values()
    enq = wb["Enquiries"]
    header = [c.value for c in enq[1]]
    dropdowns = set(_validations(enq).values())
    assert {"Lists!$E$2:$E$100", "Lists!$H$2:$H$100"} <= {d.replace("'", "") for d in dropdowns}
    lists = wb["Lists"]
    assert (lists["E1"].value, lists["F1"].value, lists["H1"].value) == (
        "Signal", "Points", "Lost reasons")
    values = openpyxl.load_workbook(saved[name], data_only=True)["Enquiries"]
    score, mql = header.index("Score") + 1, header.index("MQL") + 1
    # Ann: 25 + 20 + 15 = 60 points, an MQL at the default threshold of 50.
    assert (values.cell(2, score).value, values.cell(2, mql).value) == (60, "yes")


def test_libreoffice_shows_the_spend_section(saved: dict[str, Path], tmp_path: Path) -> None:
    tabs = lo.export_tabs(saved["new"], tmp_path, soffice=lo.soffice_path())
    summary = [cell for row in tabs["Summary"] for cell in row]
    assert "Spend, return and lead quality" in summary
    assert "MQL conversion" in summary
