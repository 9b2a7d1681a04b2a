"""The History rules on their own: the memory kept on the meta tab, what counts as a
change, and the average sales cycle.  Every expected value is worked out by hand."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sheetcrm.history import (
    PART_CHARS,
    Event,
    Observed,
    Remembered,
    SalesCycle,
    decode,
    encode,
    meta_keys,
    observe,
    sales_cycle,
)

KLA = zoneinfo.ZoneInfo("Africa/Kampala")
TODAY = dt.date(2026, 11, 12)


def at(day: int, month: int = 11, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=KLA)


# --------------------------------------------------------------------------- memory


def test_encode_is_one_short_item_per_enquiry_in_id_order() -> None:
    memory = {
        "E0010": Remembered("converted", True, dt.date(2026, 11, 2)),
        "E0002": Remembered("contacted", True),
        "E0001": Remembered("pending"),
        "E0003": Remembered("lost", False, None, gone=True),
    }
    # E0002 < E0003 < E0010 by number; flags: status letter, f, yyyymmdd, x.
    assert encode(memory) == {
        "history_parts": "1",
        "history_1": "E0001=p;E0002=cf;E0003=lx;E0010=vf20261102",
    }
    assert decode(encode(memory)) == memory


def test_an_id_with_separators_in_it_survives() -> None:
    memory = {"A;B=1%": Remembered("pending")}
    # ; = and % are written as %3B %3D %25.
    assert encode(memory)["history_1"] == "A%3BB%3D1%25=p"
    assert decode(encode(memory)) == memory


def test_ten_thousand_enquiries_are_split_into_cells_a_spreadsheet_holds() -> None:
    memory = {f"E{n:04d}": Remembered("converted", True, dt.date(2026, 11, 2))
              for n in range(1, 10001)}
    keys = encode(memory)
    # Each item "E0001=vf20261102" is 16 characters and 17 with its ";" (E10000's is one
    # more). A part of at most 30,000 characters holds 1,764 items (1,764 x 17 - 1 =
    # 29,987; one more would be 30,004), so 10,000 items take 6 parts.
    assert keys["history_parts"] == "6"
    parts = [keys[f"history_{n}"] for n in range(1, 7)]
    assert all(len(p) <= PART_CHARS for p in parts)
    assert PART_CHARS < 32767  # Excel's limit per cell (Google's is 50,000)
    assert [p.count(";") + 1 for p in parts] == [1764] * 5 + [10000 - 5 * 1764]
    assert decode(keys) == memory


def test_parts_no_longer_needed_are_blanked() -> None:
    old = {"history_parts": "3", "history_1": "E0001=p", "history_2": "E0002=p",
           "history_3": "E0003=p", "last_id": "3"}
    assert meta_keys({"E0001": Remembered("contacted")}, old) == {
        "history_parts": "1", "history_1": "E0001=c", "history_2": "", "history_3": ""}


def test_no_memory_and_an_empty_one_differ() -> None:
    assert decode({"last_id": "4"}) is None
    assert decode({"history_parts": "0"}) == {}


def test_an_item_edited_by_hand_is_skipped() -> None:
    meta = {"history_parts": "1", "history_1": "E0001=p;E0002=zz;=c;E0003=vf20261399;E0004=l"}
    # zz is no status; an empty ID is nothing; 2026-13-99 is no day, so only the day is lost.
    assert decode(meta) == {"E0001": Remembered("pending"),
                            "E0003": Remembered("converted", True, None),
                            "E0004": Remembered("lost")}


# --------------------------------------------------------------------------- changes


PREVIOUS = {
    "E0001": Remembered("pending"),
    "E0002": Remembered("contacted", True),
    "E0003": Remembered("converted", True, dt.date(2026, 11, 5)),
    "E0004": Remembered("lost", True),
}


def test_each_change_since_the_last_refresh_is_one_line() -> None:
    rows = [
        Observed("E0005", "Eve", "pending", None),              # new
        Observed("E0003", "Carol", "converted", at(2)),         # unchanged
        Observed("E0002", "Bob", "converted", at(3)),           # contacted -> converted
        Observed("E0001", "Ann", "contacted", at(11, hour=9)),  # replied and contacted
    ]                                                            # E0004 deleted
    seen = observe(rows, PREVIOUS, TODAY)
    assert seen.events == [
        Event("E0001", "Ann", "First contact typed: 11/11/2026 09:00"),
        Event("E0001", "Ann", "Status pending \u2192 contacted"),
        Event("E0002", "Bob", "Status contacted \u2192 converted"),
        Event("E0005", "Eve", "New enquiry (pending)"),
        Event("E0004", "", "No longer on the Enquiries tab (was lost)"),
    ]
    assert seen.memory == {
        "E0001": Remembered("contacted", True),
        "E0002": Remembered("converted", True, TODAY),       # first seen converted today
        "E0003": Remembered("converted", True, dt.date(2026, 11, 5)),  # kept
        "E0004": Remembered("lost", True, gone=True),
        "E0005": Remembered("pending"),
    }
    assert seen.previous == PREVIOUS


def test_row_order_does_not_matter() -> None:
    rows = [Observed("E0001", "Ann", "contacted", None), Observed("E0002", "Bob", "lost", at(3)),
            Observed("E0005", "Eve", "pending", None)]
    assert observe(rows, PREVIOUS, TODAY) == observe(list(reversed(rows)), PREVIOUS, TODAY)


def test_nothing_changed_means_no_lines() -> None:
    rows = [Observed("E0001", "Ann", "pending", None), Observed("E0002", "Bob", "contacted", at(3)),
            Observed("E0003", "Carol", "converted", at(2)),
            Observed("E0004", "Dan", "lost", at(4))]
    seen = observe(rows, PREVIOUS, TODAY)
    assert seen.events == []
    assert seen.memory == PREVIOUS


def test_a_deleted_enquiry_is_reported_once_and_its_return_too() -> None:
    gone = observe([], {"E0004": Remembered("lost", True)}, TODAY)
    assert gone.events == [Event("E0004", "", "No longer on the Enquiries tab (was lost)")]
    again = observe([], gone.memory, TODAY)
    assert again.events == []
    back = observe([Observed("E0004", "Dan", "contacted", at(4))], again.memory, TODAY)
    assert back.events == [Event("E0004", "Dan", "Back on the Enquiries tab"),
                           Event("E0004", "Dan", "Status lost \u2192 contacted")]
    assert back.memory == {"E0004": Remembered("contacted", True)}


def test_first_contact_cleared_and_a_new_enquiry_already_answered() -> None:
    rows = [Observed("E0002", "Bob", "contacted", None),
            Observed("E0009", "Ivy", "converted", at(12))]
    seen = observe(rows, {"E0002": Remembered("contacted", True)}, TODAY)
    assert seen.events == [
        Event("E0002", "Bob", "First contact cleared"),
        Event("E0009", "Ivy", "New enquiry (converted, first contact typed)"),
    ]
    # A new enquiry seen converted counts from this refresh.
    assert seen.memory["E0009"] == Remembered("converted", True, TODAY)


def test_a_duplicated_id_and_an_unreadable_status_keep_what_was_remembered() -> None:
    rows = [Observed("E0001", "Ann", "converted", None), Observed("E0001", "Ann 2", "lost", None),
            Observed("E0002", "Bob", None, at(3))]
    seen = observe(rows, {"E0001": Remembered("pending"), "E0002": Remembered("contacted", True)},
                   TODAY)
    assert seen.events == []
    assert seen.memory == {"E0001": Remembered("pending"), "E0002": Remembered("contacted", True)}


def test_the_first_refresh_with_no_memory_writes_one_baseline_line() -> None:
    rows = [Observed("E0001", "Ann", "pending", None),
            Observed("E0002", "Bob", "converted", at(3)),
            Observed("", "blank ID", "pending", None)]
    seen = observe(rows, None, TODAY)
    assert seen.events == [Event("", "", "History starts: 2 enquiries already on the "
                                         "Enquiries tab (their earlier changes are not known)")]
    # When Bob converted is not known: no conversion day.
    assert seen.memory == {"E0001": Remembered("pending"), "E0002": Remembered("converted", True)}
    assert seen.previous is None
    assert observe([rows[0]], None, TODAY).events[0].what.startswith("History starts: 1 enquiry ")


# --------------------------------------------------------------------------- sales cycle


def test_average_sales_cycle_by_hand() -> None:
    memory = {
        "E0001": Remembered("converted", True, dt.date(2026, 11, 12)),
        "E0002": Remembered("converted", True, dt.date(2026, 11, 20)),
        "E0003": Remembered("converted", True, None),
        "E0005": Remembered("converted", True, dt.date(2026, 11, 12)),
    }
    rows = [
        # First contact 2/11 18:00, first seen converted 12/11: 10 days.
        Observed("E0001", "Ann", "converted", at(2, hour=18)),
        # First contact 1/11; the owner typed Closed on 5/11, which wins over 20/11: 4 days.
        Observed("E0002", "Bob", "converted", at(1)),
        # Converted before History began, no Closed on: not known, left out.
        Observed("E0003", "Carol", "converted", at(1)),
        # Not converted: left out.
        Observed("E0004", "Dan", "contacted", at(1)),
        # Converted with no First contact: left out.
        Observed("E0005", "Eve", "converted", None),
        # Closed on 1/11 before the First contact 3/11: a typing slip, left out.
        Observed("E0006", "Fay", "converted", at(3)),
    ]
    closed = {"E0002": dt.date(2026, 11, 5), "E0006": dt.date(2026, 11, 1)}
    cycle = sales_cycle(rows, memory, closed)
    # (10 + 4) / 2 = 7.0 days over 2 enquiries, 1 from Closed on.
    assert (cycle.days, cycle.count, cycle.typed) == (7.0, 2, 1)


def test_average_sales_cycle_rounds_to_a_tenth_and_may_be_unknown() -> None:
    memory = {f"E000{n}": Remembered("converted", True, dt.date(2026, 11, 12)) for n in (1, 2, 3)}
    rows = [Observed("E0001", "A", "converted", at(11)),
            Observed("E0002", "B", "converted", at(11)),
            Observed("E0003", "C", "converted", at(10))]
    # 1 + 1 + 2 = 4 days over 3 = 1.333... -> 1.3.
    assert sales_cycle(rows, memory, {}).days == 1.3
    assert sales_cycle(rows, None, {}).days is None
    assert sales_cycle(rows, None, {}).count == 0


def test_the_worked_example_in_docs_rules() -> None:
    memory = {"E0002": Remembered("converted", True, dt.date(2026, 11, 5)),
              "E0005": Remembered("converted", True, dt.date(2026, 11, 12)),
              "E0007": Remembered("converted", False, dt.date(2026, 11, 6))}
    rows = [Observed("E0002", "Bob", "converted", at(28, 10, 13)),
            Observed("E0005", "Eve", "converted", dt.datetime(2026, 11, 1, 9, 30, tzinfo=KLA)),
            Observed("E0007", "Gus", "converted", None)]
    # 8 and 4 days: (8 + 4) / 2 = 6.0, over 2, 1 from Closed on.
    assert sales_cycle(rows, memory, {"E0005": dt.date(2026, 11, 5)}) == SalesCycle(6.0, 2, 1)
