"""The Today tab, from hand-built results and from a refresh on the memory backend."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sheetcrm import tracker
from sheetcrm.backends.memory import MemoryBackend
from sheetcrm.model import Cell, Changes, Settings, TabContent
from sheetcrm.results import Evaluation, RowResult
from sheetcrm.sla import SlaResult
from sheetcrm.tabs import TabContext, today
from sheetcrm.template import load_template

T = load_template()
KLA = zoneinfo.ZoneInfo("Africa/Kampala")
NOW = dt.datetime(2026, 11, 4, 10, 0, tzinfo=KLA)  # a Wednesday
LINK = "https://wa.me/256772123456?text=hello"
HEADER = [Cell(h, style="header") for h in
          ("What to do", "Name", "Contact", "WhatsApp", "When", "ID", "Row")]


def row(n: int, name: str, *, sla: SlaResult | None = None, follow: dt.date | None = None,
        done: int | None = None, phone: str | None = None) -> RowResult:
    return RowResult(
        row=n, id=f"E{n:04d}", name=name, contact=f"07{n}", phone=phone, source="WhatsApp",
        status="pending", received=None, first_contact=None, follow_ups_done=done, value=None,
        sla=sla, next_follow_up=follow, whatsapp=LINK if phone else None,
    )


def at(d: int, h: int, m: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, d, h, m, tzinfo=KLA)


def build(rows: list[RowResult], settings: Settings | None = None) -> TabContent:
    evaluation = Evaluation(now=NOW, settings=settings or Settings(), rows=rows, months=[],
                            changes=Changes())
    return today.build(TabContext(template=T, settings=settings or Settings(),
                                  evaluation=evaluation))


def test_the_placeholder_before_the_first_refresh() -> None:
    content = today.build(TabContext(template=T, settings=Settings()))
    assert content.rows == [
        [Cell("To do today", style="title")],
        [Cell("Run `sheetcrm refresh` to fill this tab.", style="muted")],
    ]


def test_nothing_to_do_right_now() -> None:
    met = SlaResult("met", at(3, 12), 30, "Met in 30m")
    content = build([row(2, "Ann", sla=met)])
    assert content.rows == [
        [Cell("To do: Wednesday 04/11/2026", style="title")],
        [Cell("Refreshed 04/11/2026 10:00. Overdue replies first, then follow-ups due, then "
              "what is due soon. Tap a WhatsApp link to answer.", style="muted")],
        [],
        HEADER,
        [Cell("Nothing to do right now. Well done.", style="muted")],
    ]
    assert content.freeze_rows == 4
    # Contact (C) holds an email address such as nakato.fashions@gmail.com (25 characters).
    assert content.widths == {1: 32, 2: 18, 3: 26, 4: 20, 5: 30, 6: 8, 7: 6}


def test_the_order_overdue_then_follow_ups_then_due_soon_then_tomorrow() -> None:
    rows = [
        row(2, "Ann", sla=SlaResult("overdue", at(3, 12), None, "Overdue by 2h")),
        row(3, "Ben", sla=SlaResult("overdue", at(1, 9), None, "Overdue since ...")),
        row(4, "Cat", follow=dt.date(2026, 11, 4), done=0),
        row(5, "Dan", follow=dt.date(2026, 11, 2), done=1),
        row(6, "Eve", sla=SlaResult("due", at(4, 13), None, "Due in 3h")),
        row(7, "Fay", follow=dt.date(2026, 11, 5), done=2),
        row(8, "Gus", sla=SlaResult("met", at(2, 12), 45, "Met in 45m")),
        row(9, "Hal", follow=dt.date(2026, 11, 3), done=0),
        row(10, "Ida", follow=dt.date(2026, 11, 6), done=0),   # the day after tomorrow
        row(11, "Joe", sla=SlaResult("overdue", at(4, 9, 15), None, "Overdue by 45m")),
    ]
    lines = build(rows).rows[4:]
    assert [(line[0].value, line[1].value, line[4].value, line[0].style, line[6].value)
            for line in lines] == [
        ("Reply now: first reply is overdue", "Ben", "Due 01/11 09:00, 3 days ago",
         "overdue", 3),
        ("Reply now: first reply is overdue", "Ann", "Due 03/11 12:00, 22h ago", "overdue", 2),
        ("Reply now: first reply is overdue", "Joe", "Due 04/11 09:15, 45m ago", "overdue", 11),
        ("Follow up (2 of 3)", "Dan", "2 days late", "amber", 5),
        ("Follow up (1 of 3)", "Hal", "1 day late", "amber", 9),
        ("Follow up (1 of 3)", "Cat", "Due today", None, 4),
        ("Reply by 04/11 13:00", "Eve", "Due in 3h", None, 6),
        ("Follow up (3 of 3)", "Fay", "Tomorrow", None, 7),
    ]


def test_an_overdue_reply_exactly_one_day_late_is_one_day_ago() -> None:
    rows = [row(2, "Ann", sla=SlaResult("overdue", at(3, 10), None, "Overdue by 8h"))]
    assert build(rows).rows[4][4] == Cell("Due 03/11 10:00, 1 day ago")


def test_overdue_ties_are_broken_by_row() -> None:
    same = SlaResult("overdue", at(3, 12), None, "x")
    lines = build([row(7, "Late row", sla=same), row(3, "Early row", sla=same)]).rows[4:]
    assert [line[1].value for line in lines] == ["Early row", "Late row"]


def test_the_follow_up_count_uses_the_settings_days() -> None:
    settings = Settings(follow_up_days=(3, 10))
    lines = build([row(4, "Cat", follow=dt.date(2026, 11, 4), done=1)], settings).rows[4:]
    assert lines[0][0] == Cell("Follow up (2 of 2)")


def test_a_todo_line_holds_the_whatsapp_link_built_from_the_number() -> None:
    r = row(6, "Eve", sla=SlaResult("due", at(4, 13), None, "Due in 3h"), phone="+256772123456")
    (line,) = build([r]).rows[4:]
    assert line == [
        Cell("Reply by 04/11 13:00"), Cell("Eve"), Cell("076", style="text"),
        Cell("wa.me/256772123456", style="link", link=LINK),
        Cell("Due in 3h"), Cell("E0006"), Cell(6),
    ]


def test_no_phone_means_an_empty_link_cell() -> None:
    r = row(6, "Eve", sla=SlaResult("due", at(4, 13), None, "Due in 3h"))
    (line,) = build([r]).rows[4:]
    assert line[3] == Cell(None)


def test_a_refresh_on_the_memory_backend_lists_an_overdue_reply_with_its_link() -> None:
    backend = MemoryBackend()
    tracker.init_tracker(backend)
    # Monday 09:00; 4 business hours -> due Monday 13:00; now is Wednesday 10:00.
    backend.append([{"Received": dt.datetime(2026, 11, 2, 9, 0), "Name": "Ann",
                     "Contact": "0772 123456", "Source": "WhatsApp", "Status": "pending"}])
    evaluation = tracker.refresh(backend, now=dt.datetime(2026, 11, 4, 10, 0))
    content = evaluation.changes.tabs["Today"]
    assert content.rows[3] == HEADER
    assert content.rows[4] == [
        Cell("Reply now: first reply is overdue", style="overdue"),
        Cell("Ann"),
        Cell("0772 123456", style="text"),
        Cell("wa.me/256772123456", style="link",
             link="https://wa.me/256772123456?text=Hello%20Ann%2C%20thank%20you%20for%20"
                  "contacting%20us.%20How%20can%20we%20help%20you%20today%3F"),
        Cell("Due 02/11 13:00, 1 day ago"),
        Cell("E0001"),
        Cell(2),
    ]
    assert len(content.rows) == 5
    assert backend.tabs["Today"].get(5, 2) == "Ann"


def test_a_short_win_back_section_with_whatsapp_links() -> None:
    never = row(2, "Ann", phone="+256772123456")
    never.win_back = True
    lost = row(3, "Ben", phone="+256772123456")
    lost.status, lost.win_back = "lost", True
    rows = build([never, lost, row(4, "Cat")]).rows
    start = rows.index([Cell("Win back", style="subtitle")])
    assert rows[start - 1] == []
    link = Cell("wa.me/256772123456", "link", LINK)
    assert rows[start + 2] == [Cell("Never answered: send a fresh message"), Cell("Ann"),
                               Cell("072", style="text"), link, Cell(""), Cell("E0002"),
                               Cell(2)]
    assert rows[start + 3][0] == Cell("Not ready yet: ask again")
    assert len(rows) == start + 4


def test_no_win_back_section_when_there_is_none() -> None:
    rows = build([row(2, "Ann")]).rows
    assert [Cell("Win back", style="subtitle")] not in rows
