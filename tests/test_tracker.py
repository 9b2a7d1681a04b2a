"""The engine on the in-memory backend: IDs, problems and what a refresh writes."""

from __future__ import annotations

import datetime as dt

from sheetcrm import tracker
from sheetcrm.backends.memory import MemoryBackend

NOW = dt.datetime(2026, 11, 2, 10, 0)


def fresh() -> MemoryBackend:
    backend = MemoryBackend()
    tracker.init_tracker(backend)
    return backend


def col(backend: MemoryBackend, header: str) -> int:
    return [str(v) for v in backend.tabs["Enquiries"].values[0]].index(header) + 1


def test_ids_are_never_reused_after_a_typed_id_is_deleted() -> None:
    backend = fresh()
    backend.append([{"Name": "Ann", "Received": dt.datetime(2026, 11, 2, 9), "ID": "E0100"}])
    tracker.refresh(backend, now=NOW)
    # The owner deletes the row that held E0100, then adds a new enquiry.
    enq = backend.tabs["Enquiries"]
    enq.values[1] = [None] * len(enq.values[1])
    backend.append([{"Name": "Ben", "Received": dt.datetime(2026, 11, 2, 9, 30)}])
    result = tracker.refresh(backend, now=NOW)
    assert [r.id for r in result.rows] == ["E0101"]


def test_ids_continue_from_the_highest_ever_issued() -> None:
    backend = fresh()
    backend.append([{"Name": n, "Received": dt.datetime(2026, 11, 2, 9)} for n in "ABC"])
    tracker.refresh(backend, now=NOW)  # E0001-E0003
    enq = backend.tabs["Enquiries"]
    enq.values[3] = [None] * len(enq.values[3])  # delete the row of E0003
    backend.append([{"Name": "D", "Received": dt.datetime(2026, 11, 2, 9)}])
    result = tracker.refresh(backend, now=NOW)
    assert [r.id for r in result.rows] == ["E0001", "E0002", "E0004"]


def test_a_blank_received_is_explained_in_problems() -> None:
    backend = fresh()
    backend.append([{"Name": "Ann", "Source": "WhatsApp"}])
    row = tracker.refresh(backend, now=NOW).rows[0]
    assert row.sla is not None and row.sla.state == "unknown"
    assert any(p.startswith("Received is blank") for p in row.problems)


def test_a_deleted_computed_column_is_put_back_without_a_crash() -> None:
    backend = fresh()
    backend.append([{"Name": "Ann", "Received": dt.datetime(2026, 11, 2, 9)}])
    enq = backend.tabs["Enquiries"]
    gone = col(backend, "Respond by") - 1
    for line in enq.values:
        if len(line) > gone:
            del line[gone]
    tracker.refresh(backend, now=NOW)
    enq = backend.tabs["Enquiries"]  # apply replaces the tabs whole
    assert "Respond by" in [str(v) for v in enq.values[0]]
    # 09:00 + 4 business hours = 13:00 the same Monday, in the re-added column.
    assert enq.get(2, col(backend, "Respond by")) == dt.datetime(2026, 11, 2, 13, 0)
    summary = backend.tabs["Summary"]
    texts = [str(v) for line in summary.values for v in line if v]
    assert "The live counts come back after the next refresh." in texts
    tracker.refresh(backend, now=NOW)
    assert len(backend.tabs["Summary"].formulas) == 3


def test_report_does_not_lay_out_tabs() -> None:
    backend = fresh()
    backend.append([{"Name": "Ann", "Received": dt.datetime(2026, 10, 5, 9)}])
    writes = backend.writes
    months = tracker.report(backend, now=NOW)
    assert [m.month for m in months] == ["2026-10"]
    assert backend.writes == writes


def test_an_evaluation_that_writes_nothing_leaves_out_only_what_a_refresh_writes() -> None:
    backend = fresh()
    backend.append([
        {"Name": "Ann", "Received": dt.datetime(2026, 10, 5, 9), "Contact": "0772 123456",
         "Source": "WhatsApp"},
        {"Name": "Ben", "Received": dt.datetime(2026, 10, 6, 9), "Contact": "ben@example.com",
         "Status": "contacted", "First contact": dt.datetime(2026, 10, 6, 10)},
        {"Name": "Cy", "Received": dt.datetime(2026, 10, 7, 9), "Status": "lost"},
        {"Name": "Dee", "Received": dt.datetime(2026, 10, 8, 9), "Contact": "12"},
        {"Name": "Eve", "Received": dt.datetime(2026, 10, 9, 9), "Contact": "+256 772 123456"},
    ])
    snapshot = backend.read()
    full = tracker.evaluate(snapshot, now=NOW, build_tabs=False)
    lean = tracker.evaluate(snapshot, now=NOW, build_tabs=False, writes=False)
    assert full.rows[0].whatsapp is not None and full.rows[0].whatsapp.startswith(
        "https://wa.me/256772123456?text=")
    assert [r.whatsapp for r in lean.rows] == [None] * 5
    assert lean.changes.computed == {} and full.changes.computed
    assert lean.changes.log is None and full.changes.log is not None
    assert lean.changes.id_fills == full.changes.id_fills == {
        2: "E0001", 3: "E0002", 4: "E0003", 5: "E0004", 6: "E0005"}
    # The Contact cells are read as numbers and emails only for the Problems and links.
    assert [(r.phone, r.email) for r in full.rows] == [
        ("+256772123456", None), (None, "ben@example.com"), (None, None), (None, None),
        ("+256772123456", None)]
    assert {(r.phone, r.email) for r in lean.rows} == {(None, None)}
    assert any("not a valid phone number" in p for p in full.rows[3].problems)
    assert "Possible duplicate of E0001 (same phone number)" in full.rows[4].problems
    assert lean.rows[3].problems == [] and lean.rows[4].problems == []
    assert lean.rows[2].problems == full.rows[2].problems != []  # Cy: lost without a reason
    for a, b in zip(full.rows, lean.rows, strict=True):
        a.whatsapp = a.phone = a.email = None
        a.problems = b.problems = []
        assert a == b
    assert lean.months == full.months
    assert lean.sales_cycle == full.sales_cycle and lean.win_back == full.win_back


# ------------------------------------------------------------ Status and First contact


def problems_column(backend: MemoryBackend, row: int) -> object:
    return backend.tabs["Enquiries"].values[row - 1][col(backend, "Problems") - 1]


def test_a_first_contact_on_a_pending_row_is_a_problem() -> None:
    backend = fresh()
    backend.append([{"Name": "Ann", "Received": dt.datetime(2026, 11, 2, 9),
                     "First contact": dt.datetime(2026, 11, 2, 9, 30), "Status": "pending"}])
    result = tracker.refresh(backend, now=NOW)
    assert result.rows[0].problems == [
        "A first contact is recorded: set Status to contacted"]
    assert result.rows_with_problems == 1
    assert problems_column(backend, 2) == "A first contact is recorded: set Status to contacted"


def test_a_first_contact_before_received_is_a_problem_and_counted() -> None:
    backend = fresh()
    backend.append([
        {"Name": "Ann", "Received": dt.datetime(2026, 11, 2, 9),
         "First contact": dt.datetime(2026, 11, 1, 9, 30), "Status": "contacted"},
        {"Name": "Ben", "Received": dt.datetime(2026, 11, 2, 9),
         "First contact": dt.datetime(2026, 11, 2, 9, 30), "Status": "contacted"},
    ])
    result = tracker.refresh(backend, now=NOW)
    ann, ben = result.rows
    assert ann.sla is not None and ann.sla.text == "Unknown: First contact is before Received"
    assert ann.problems == ["First contact is before Received: check both dates"]
    assert ben.problems == []
    assert result.rows_with_problems == 1


def test_contacted_without_a_first_contact_is_a_problem() -> None:
    backend = fresh()
    backend.append([
        {"Name": "Ann", "Received": dt.datetime(2026, 11, 2, 9), "Status": "contacted"},
        {"Name": "Ben", "Received": dt.datetime(2026, 11, 2, 9), "Status": "converted"},
    ])
    ann, ben = tracker.refresh(backend, now=NOW).rows
    assert ann.problems == [
        "Status is contacted but First contact is blank: type when you first replied"]
    assert ben.problems == []  # converted: no follow-up to schedule
