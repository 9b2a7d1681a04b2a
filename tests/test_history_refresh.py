"""History over every backend (memory, Excel, Google through the fake API), with the
owner editing the tracker between refreshes: statuses changed, an enquiry deleted,
rows sorted, History lines deleted.  Every expected line is worked out by hand."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest

from sheetcrm import tracker
from sheetcrm.backends.base import Backend
from sheetcrm.cells import from_serial
from sheetcrm.model import CellValue
from tests.helpers.trackers import BACKENDS, make_backend

ENQ, HISTORY, META = "Enquiries", "History", "sheetcrm"
ARROW = "\u2192"

#: Monday 2 November 2026, 10:00 in Kampala, and later refreshes.
NOW1 = dt.datetime(2026, 11, 2, 10, 0)
NOW2 = dt.datetime(2026, 11, 3, 9, 0)
NOW3 = dt.datetime(2026, 11, 5, 12, 0)
NOW4 = dt.datetime(2026, 11, 6, 8, 30)

ROWS: list[dict[str, CellValue]] = [
    {"Received": dt.datetime(2026, 11, 2, 9), "Name": "Ann", "Contact": "0772 123456",
     "Source": "WhatsApp", "Status": "pending"},
    {"Received": dt.datetime(2026, 10, 28, 9), "Name": "Bob", "Contact": "0701 234567",
     "Source": "Instagram", "Status": "contacted",
     "First contact": dt.datetime(2026, 10, 28, 13)},
    {"Received": dt.datetime(2026, 10, 28, 9), "Name": "Carol", "Contact": "0752 345678",
     "Source": "Facebook", "Status": "converted",
     "First contact": dt.datetime(2026, 10, 28, 13, 1)},
    {"Received": dt.datetime(2026, 11, 2, 8), "Name": "Dan", "Contact": "0782 456789",
     "Source": "Walk-in", "Status": "pending"},
]


class Owner:
    """What the owner does between refreshes, on any backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.kind = {"in memory": "memory", "Excel": "excel"}.get(backend.kind, "google")

    # -- reading
    def grid(self, tab: str) -> list[list[Any]]:
        return [list(r) for r in self.backend.read(everything=True).tabs.get(tab, [])]

    def col(self, header: str) -> int:
        """1-based column of ``header`` on Enquiries."""
        return [str(v).strip() for v in self.grid(ENQ)[0]].index(header) + 1

    def row_of(self, name: str) -> int:
        names = [r[self.col("Name") - 1] if len(r) >= self.col("Name") else None
                 for r in self.grid(ENQ)]
        return names.index(name) + 1

    # -- editing
    def type(self, name: str, header: str, value: CellValue) -> None:
        self.put(ENQ, self.row_of(name), self.col(header), value)

    def put(self, tab: str, row: int, col: int, value: CellValue) -> None:
        b: Any = self.backend
        if self.kind == "memory":
            b.set_cell(tab, row, col, value)
        elif self.kind == "excel":
            self._excel(lambda wb: wb[tab].cell(row=row, column=col, value=value))
        else:
            letter = chr(ord("A") + col - 1)
            b.fake.set_values(b.key, tab, f"{letter}{row}", [[value]])

    def delete_row(self, tab: str, row: int) -> None:
        b: Any = self.backend
        if self.kind == "memory":
            b.tabs[tab].values.pop(row - 1)
            b.version += 1
        elif self.kind == "excel":
            self._excel(lambda wb: wb[tab].delete_rows(row))
        else:
            b.fake.delete_rows(b.key, tab, row)

    def sort_by_name_z_to_a(self) -> None:
        b: Any = self.backend
        col = self.col("Name")
        if self.kind == "google":
            b.fake.sort_rows(b.key, ENQ, column=col, reverse=True)
            return
        grid = self.grid(ENQ)
        width = max(len(r) for r in grid)
        rows = sorted(([*r, *[None] * (width - len(r))] for r in grid[1:] if any(r)),
                      key=lambda r: str(r[col - 1]), reverse=True)
        if self.kind == "memory":
            b.tabs[ENQ].values[1:] = rows
            b.version += 1
            return

        def write(wb: Any) -> None:
            for r, line in enumerate(rows, start=2):
                for c, value in enumerate(line, start=1):
                    wb[ENQ].cell(row=r, column=c, value=value)
        self._excel(write)

    def forget_history(self) -> None:
        """Make the tracker as it was before History existed: no tab, no memory."""
        b: Any = self.backend
        meta = self.grid(META)
        row = [str(r[0]) if r else "" for r in meta].index("history_parts") + 1
        if self.kind == "memory":
            del b.tabs[HISTORY]
            b.tabs[META].values[row - 1] = [None, None]
        elif self.kind == "excel":
            def drop(wb: Any) -> None:
                del wb[HISTORY]
                wb[META].delete_rows(row)
            self._excel(drop)
        else:
            sheet = b.fake.client().open_by_key(b.key)
            sheet.del_worksheet(sheet.worksheet(HISTORY))
            b.fake.set_values(b.key, META, f"A{row}", [["", ""]])

    def _excel(self, edit: Any) -> None:
        import openpyxl

        path = Path(self.backend.key)
        wb = openpyxl.load_workbook(path)
        edit(wb)
        wb.save(path)


def history_lines(owner: Owner) -> list[tuple[Any, ...]]:
    """(Seen at, ID, Name, What) of every History line below the header."""
    grid = owner.grid(HISTORY)
    assert [str(v) for v in grid[0][:4]] == ["Seen at", "ID", "Name", "What"]
    out = []
    for line in grid[1:]:
        line = [None if v == "" else v for v in [*line, None, None, None, None][:4]]
        when = line[0]
        if isinstance(when, int | float):
            when = from_serial(float(when)).replace(microsecond=0)
        out.append((when, *line[1:]))
    return out


@pytest.fixture(params=BACKENDS)
def owner(request: pytest.FixtureRequest, tmp_path: Path) -> Owner:
    backend = make_backend(request.param, tmp_path)
    tracker.init_tracker(backend)
    backend.append(ROWS)
    return Owner(backend)


def test_history_records_each_change_once_whatever_the_owner_does(owner: Owner) -> None:
    backend = owner.backend
    tracker.refresh(backend, now=NOW1)
    # A new tracker starts with an empty memory: each enquiry typed before the first
    # refresh is a new enquiry, with the ID that refresh gave it (rows in order).
    first = [
        (NOW1, "E0001", "Ann", "New enquiry (pending)"),
        (NOW1, "E0002", "Bob", "New enquiry (contacted, first contact typed)"),
        (NOW1, "E0003", "Carol", "New enquiry (converted, first contact typed)"),
        (NOW1, "E0004", "Dan", "New enquiry (pending)"),
    ]
    assert history_lines(owner) == first

    # The owner sorts Z to A, answers Ann and deletes Carol's row.
    owner.sort_by_name_z_to_a()
    owner.type("Ann", "Status", "contacted")
    owner.type("Ann", "First contact", dt.datetime(2026, 11, 2, 11))
    owner.delete_row(ENQ, owner.row_of("Carol"))
    tracker.refresh(backend, now=NOW2)
    second = [
        (NOW2, "E0001", "Ann", "First contact typed: 02/11/2026 11:00"),
        (NOW2, "E0001", "Ann", f"Status pending {ARROW} contacted"),
        (NOW2, "E0003", None, "No longer on the Enquiries tab (was converted)"),
    ]
    assert history_lines(owner) == first + second

    # Bob buys; two refreshes in a row see it once.
    owner.type("Bob", "Status", "converted")
    tracker.refresh(backend, now=NOW3)
    evaluation = tracker.refresh(backend, now=NOW3)
    third = [(NOW3, "E0002", "Bob", f"Status contacted {ARROW} converted")]
    assert history_lines(owner) == first + second + third
    # Bob: first contact 28/10, first seen converted 5/11: 3 days to 31/10 + 5 = 8 days.
    # Carol converted too but is no longer on the tab.
    assert evaluation.sales_cycle is not None
    assert (evaluation.sales_cycle.days, evaluation.sales_cycle.count) == (8.0, 1)
    assert tracker.report_figures(backend, now=NOW3).average_sales_cycle_days == 8.0

    # The owner deletes Bob's "New enquiry" line (row 3); Dan is lost.
    owner.delete_row(HISTORY, 3)
    owner.type("Dan", "Status", "lost")
    tracker.refresh(backend, now=NOW4)
    fourth = [(NOW4, "E0004", "Dan", f"Status pending {ARROW} lost")]
    assert history_lines(owner) == [first[0], *first[2:], *second, *third, *fourth]


def test_a_closed_on_column_the_owner_adds_wins(owner: Owner) -> None:
    backend = owner.backend
    tracker.refresh(backend, now=NOW1)
    owner.type("Bob", "Status", "converted")
    tracker.refresh(backend, now=NOW3)
    # The owner adds Closed on after the last column and types 30/10 for Bob.
    last = max(len(r) for r in owner.grid(ENQ))
    owner.put(ENQ, 1, last + 1, "Closed on")
    owner.put(ENQ, owner.row_of("Bob"), last + 1, "30/10/2026")
    owner.put(ENQ, owner.row_of("Ann"), last + 1, "someday")
    evaluation = tracker.refresh(backend, now=NOW4)
    # Bob: first contact 28/10, closed 30/10: 2 days (not the 8 days to the 5/11 refresh).
    # Carol was already converted when the first refresh saw her as new on 2/11; first
    # contact 28/10: 3 + 2 = 5 days.  (2 + 5) / 2 = 3.5 over 2 enquiries, 1 typed.
    assert evaluation.sales_cycle is not None
    assert (evaluation.sales_cycle.days, evaluation.sales_cycle.count,
            evaluation.sales_cycle.typed) == (3.5, 2, 1)
    ann = next(r for r in evaluation.rows if r.name == "Ann")
    assert any(p.startswith("Closed on 'someday' is not a date") for p in ann.problems)


def test_a_tracker_made_before_history_gets_the_tab_and_a_baseline(owner: Owner) -> None:
    backend = owner.backend
    tracker.refresh(backend, now=NOW1)
    owner.forget_history()
    assert HISTORY not in owner.backend.read(everything=True).tabs
    tracker.refresh(backend, now=NOW2)
    baseline = [(NOW2, None, None, "History starts: 4 enquiries already on the Enquiries tab "
                                   "(their earlier changes are not known)")]
    assert history_lines(owner) == baseline
    owner.type("Dan", "Status", "contacted")
    tracker.refresh(backend, now=NOW3)
    assert history_lines(owner) == baseline + [
        (NOW3, "E0004", "Dan", f"Status pending {ARROW} contacted")]


# --------------------------------------------------------------------------- Google, mid-refresh


@pytest.mark.slow
def test_an_owner_edit_at_any_request_of_a_refresh_is_recorded_once(tmp_path: Path) -> None:
    """Google: the owner sorts and changes a status just before each request of a refresh.

    Just before the write, the rows move under it: the write lands, what it put on
    the wrong rows is put back, and the refresh starts again from a fresh read.
    """
    def fresh() -> Owner:
        backend = make_backend("google", tmp_path)
        tracker.init_tracker(backend)
        backend.append(ROWS)
        tracker.refresh(backend, now=NOW1)
        return Owner(backend)

    probe = fresh()
    fake: Any = probe.backend.fake  # type: ignore[attr-defined]
    fake.reset_requests()
    tracker.refresh(probe.backend, now=NOW2)
    requests = fake.count()
    assert requests >= 3
    for index in range(requests):
        owner = fresh()
        fake = owner.backend.fake  # type: ignore[attr-defined]
        counter = itertools.count()

        def hook(_request: Any, owner: Owner = owner, fake: Any = fake,
                 counter: Any = counter, index: int = index) -> None:
            if next(counter) == index:
                fake.before_request(None)
                owner.sort_by_name_z_to_a()
                owner.type("Dan", "Status", "lost")

        # Ann's change is there before the refresh, so every attempt writes a line: one
        # that landed must not be written again by the attempt after it.
        owner.type("Ann", "Status", "contacted")
        fake.before_request(hook)
        tracker.refresh(owner.backend, now=NOW2)
        fake.before_request(None)
        tracker.refresh(owner.backend, now=NOW3)
        lines = [line[1:] for line in history_lines(owner)]
        assert lines[4:] == [("E0001", "Ann", f"Status pending {ARROW} contacted"),
                             ("E0004", "Dan", f"Status pending {ARROW} lost")], (index, lines)
        assert len(lines) == 6, (index, lines)
