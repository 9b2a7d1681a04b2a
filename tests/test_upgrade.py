"""`upgrade` on a tracker made before issue 12, on every backend: it refreshes as it is,
and the upgrade adds the new tabs, columns, dropdowns and settings without changing a
typed cell."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sheetcrm import tracker
from sheetcrm.backends.base import Backend
from sheetcrm.cells import text_of
from sheetcrm.errors import InputError
from sheetcrm.model import CellValue
from sheetcrm.settings import settings_from_grid
from sheetcrm.template import column_letter, load_template
from tests.helpers.trackers import BACKENDS, dropdown, old_tracker

NOW = dt.datetime(2026, 11, 20, 10)
ROWS: list[dict[str, CellValue]] = [
    {"Received": dt.datetime(2026, 10, 5, 9), "Name": "Ann", "Contact": "0772 123456",
     "Source": "WhatsApp", "Status": "converted", "First contact": dt.datetime(2026, 10, 5, 10),
     "Value": 300000, "Notes": "=SUM(A1)"},
    {"Received": dt.datetime(2026, 10, 6, 9), "Name": "Ben", "Contact": "0772 223456",
     "Source": "Instagram", "Status": "lost", "First contact": dt.datetime(2026, 10, 6, 10)},
]


@pytest.fixture(params=BACKENDS)
def old(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    backend = old_tracker(request.param, tmp_path)
    backend.append(ROWS)
    return backend


def typed_cells(backend: Backend) -> dict[tuple[str, int, int], CellValue]:
    """Every cell that holds something, on every tab but the ones a refresh rewrites."""
    snapshot = backend.read(everything=True)
    skip = {t.name for t in load_template().tabs if t.refresh}
    out = {}
    for name, grid in snapshot.tabs.items():
        if name in skip:
            continue
        for r, row in enumerate(grid, start=1):
            for c, value in enumerate(row, start=1):
                if text_of(value).strip():
                    out[(name, r, c)] = value
    return out


def header(backend: Backend) -> list[str]:
    return [text_of(v) for v in backend.read().tabs["Enquiries"][0]]


def test_an_old_tracker_refreshes_with_null_new_figures(old: Backend) -> None:
    evaluation = tracker.refresh(old, now=NOW)
    (month,) = evaluation.months
    total = month.as_dict()["total"]
    assert total["spend"] is None and total["mqls"] is None and total["cac"] is None
    assert total["mql_conversion_rate"] is None and total["lost_reasons"] == {}
    assert total["pipeline_value"] == 0 and total["average_sale"] == 300000
    # Ben is lost without a reason, but the tracker has no Lost reason column to fill.
    assert all(r.problems == [] for r in evaluation.rows)
    assert [(r.score, r.mql) for r in evaluation.rows] == [(None, None), (None, None)]


def test_upgrade_adds_everything_and_changes_no_typed_cell(old: Backend) -> None:
    tracker.refresh(old, now=NOW)
    before = typed_cells(old)
    added = tracker.upgrade(old)
    assert added == [
        "the Signals column", "the Lost reason column", "the Spend tab",
        "the Scoring table on the Lists tab", "the lost reasons on the Lists tab",
        "the Lifetime value setting", "the Quarterly revenue target setting",
        "the MQL threshold setting"]
    after = typed_cells(old)
    assert {k: after.get(k) for k in before} == before
    # The new owner columns go after the last used column (Score and MQL, added by the
    # refresh, come before them).
    assert header(old)[-2:] == ["Signals", "Lost reason"]
    snapshot = old.read()
    assert snapshot.tabs["Spend"][0][:3] == ["Month", "Channel", "Amount"]
    lists = snapshot.tabs["Lists"]
    assert [row[4] for row in lists[:3]] == ["Signal", "Right industry", "Right company size"]
    assert [row[5] for row in lists[:3]] == ["Points", 10, 10]
    assert [row[7] for row in lists[:3]] == ["Lost reasons", "Price", "Not ready yet"]
    settings = settings_from_grid(snapshot.tabs["Settings"], load_template())
    assert settings.mql_threshold == 50
    assert settings.lifetime_value is None and settings.quarterly_revenue_target is None
    # A second upgrade has nothing to add.
    assert tracker.upgrade(old) == []


def test_after_the_upgrade_signals_and_reasons_count(old: Backend) -> None:
    tracker.upgrade(old)
    names = header(old)
    signals, reason = names.index("Signals") + 1, names.index("Lost reason") + 1
    _type(old, 2, signals, "Asked for quote, viewed prices, Decision-maker")
    evaluation = tracker.refresh(old, now=NOW)
    ann, ben = evaluation.rows
    assert (ann.score, ann.mql) == (60, True)  # 25 + 20 + 15 = 60, threshold 50
    assert "Lost reason is blank" in ben.problems[0]
    _type(old, 3, reason, "not ready yet")
    total = tracker.refresh(old, now=NOW).months[0].as_dict()["total"]
    assert total["lost_reasons"] == {"Not ready yet": 1}
    assert total["mqls"] == 1 and total["mql_conversion_rate"] == 1.0


def test_upgrade_gives_the_new_columns_their_dropdowns(old: Backend) -> None:
    tracker.upgrade(old)
    names = header(old)
    letter = column_letter(names.index("Signals") + 1)
    assert dropdown(old, "Enquiries", f"{letter}2") == "Lists!$E$2:$E$100"
    letter = column_letter(names.index("Lost reason") + 1)
    assert dropdown(old, "Enquiries", f"{letter}3") == "Lists!$H$2:$H$100"
    assert dropdown(old, "Spend", "B2") == "Lists!$A$2:$A$100"


def test_upgrade_will_not_write_over_the_owners_cells_on_lists(tmp_path: Path) -> None:
    old = old_tracker("memory", tmp_path)
    old.set_cell("Lists", 3, 6, "my note")  # type: ignore[attr-defined]
    with pytest.raises(InputError, match=r"Lists!F3 holds something"):
        tracker.upgrade(old)


def _type(backend: Backend, row: int, col: int, value: str) -> None:
    """Type a cell as the owner would, on any backend."""
    from sheetcrm.model import Changes

    # An owner edit through the planner (as `sync` makes them): the cell's value only.
    backend.apply(Changes(edits={(row, header(backend)[col - 1]): value}))
