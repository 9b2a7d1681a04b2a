"""Google Sheets faults and concurrent edits, injected by the fake Sheets API.

Faults: for each command (refresh, init, add, import, sync) a clean run is
made first and its requests counted; then, for every request index i, a fresh
copy of the same sheet is set up and a fault is injected at request i:

* a fault that stops (a burst of 429s, a 500, two 503s, a dropped connection,
  a timeout, and a dropped connection or timeout *after* Google carried the
  request out) must be survived: the command's result and every tab of the
  sheet equal those of the clean run;
* a fault that never stops (429, 500, 503, dropped connections, timeouts)
  must end in one plain :class:`BackendError` (:class:`QuotaExceeded` for
  429) after the bounded retries, with every tab either as before or exactly
  as after the clean run.

The retry policy runs on a fake clock (``RetryPolicy(sleep=..., clock=...)``),
so the two-minute budget costs no real time.

Concurrent edits: the owner types a row, edits a cell, inserts, deletes or
sorts rows just before request i of a refresh (and of an add), for every i.
Afterwards each row's Respond by and WhatsApp link must belong to that row's
own Received and Contact (worked out by hand below), and every value the
owner typed must still be there.

The counts are published in docs/reliability.md.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheetcrm import tracker
from sheetcrm.backends.excel import ExcelBackend
from sheetcrm.backends.google import GoogleBackend
from sheetcrm.backends.retry import RetryPolicy
from sheetcrm.errors import BackendError, QuotaExceeded
from tests.fake_sheets import FakeSheets, Request
from tests.helpers.clock import FakeTime

pytestmark = pytest.mark.slow  # hundreds of fault and edit runs: minutes in all

NOW = dt.datetime(2026, 11, 2, 12, 15)  # Monday 2 November 2026, 12:15 in Kampala
ENQ = "Enquiries"
def mon(hour: int, minute: int = 0) -> dt.datetime:
    """A time on Monday 2 November 2026 (a normal working day in Uganda)."""
    return dt.datetime(2026, 11, 2, hour, minute)


# Every enquiry arrives on Monday between 08:00 and 10:30, so its Respond by is exactly
# four hours later on the same day (the shop is open 08:00-18:00): 08:00 -> 12:00,
# 08:30 -> 12:30 ... 10:30 -> 14:30.  Each has its own number, so a value on the wrong
# row shows at once.
PEOPLE = [
    ("Amina", mon(8, 0), "0772 100001"),
    ("Brian", mon(8, 30), "0772 100002"),
    ("Cissy", mon(9, 0), "0772 100003"),
    ("Dan", mon(9, 30), "0772 100004"),
    ("Esther", mon(10, 0), "0772 100005"),
]
LATE = ("Faith", mon(10, 30), "0772 100006")  # typed by the owner during a refresh


def backend(fake: FakeSheets, key: str) -> GoogleBackend:
    """A backend on the fake with a two-minute retry budget on a fake clock."""
    t = FakeTime()
    policy = RetryPolicy(total_seconds=120, sleep=t.sleep, clock=t.clock,
                         rng=random.Random(7).random)
    return GoogleBackend(fake.url(key), client=fake.client(), retry=policy)


def rows_of(people: list[tuple[str, dt.datetime, str]]) -> list[dict[str, Any]]:
    return [{"Name": n, "Received": r, "Contact": c, "Source": "WhatsApp", "Status": "pending"}
            for n, r, c in people]


# --------------------------------------------------------------------------- the sheet's state


def state(fake: FakeSheets, key: str) -> dict[str, Any]:
    """Every tab's values, charts and visibility, and the spreadsheet's own settings."""
    props = fake.sheet_properties(key, grid_data=False)
    tabs = {}
    for sheet in props["sheets"]:
        p = sheet["properties"]
        tabs[p["title"]] = (fake.get_values(key, p["title"]), len(sheet.get("charts", [])),
                            bool(p.get("hidden", False)))
    own = props.get("properties", {})
    return {"tabs": tabs, "settings": {k: own.get(k) for k in ("locale", "timeZone",
                                                                "autoRecalc")}}


@dataclass
class Scenario:
    """A sheet set up for one command, saved so each run starts from the same copy."""

    fake: FakeSheets
    key: str
    saved: Any
    run: Callable[[GoogleBackend], Any]

    def reset(self) -> None:
        """Put the saved copy back and forget requests, faults and hooks."""
        # The fake has no public snapshot call; a saved copy is much cheaper than
        # formatting a new tracker for each of the hundreds of runs.
        self.fake._server.files[self.key] = self.saved.clone()
        self.fake.clear_faults()
        self.fake.before_request(None)
        self.fake.reset_requests()


def scenario(fake: FakeSheets, key: str, run: Callable[[GoogleBackend], Any]) -> Scenario:
    return Scenario(fake, key, fake._server.files[key].clone(), run)


def tracker_with_rows() -> tuple[FakeSheets, str]:
    """A tracker refreshed an hour ago, with one enquiry typed since (blank ID)."""
    fake = FakeSheets()
    key = fake.create_spreadsheet("Kato Boutique enquiries")
    b = backend(fake, key)
    tracker.init_tracker(b)
    b.append(rows_of(PEOPLE))
    tracker.refresh(b, now=NOW - dt.timedelta(hours=1))
    b.append(rows_of([LATE]))
    return fake, key


def _refresh_scenario(_folder: Path) -> Scenario:
    fake, key = tracker_with_rows()
    return scenario(fake, key, lambda b: tracker.refresh(b, now=NOW).as_dict())


def _init_scenario(_folder: Path) -> Scenario:
    fake = FakeSheets()
    key = fake.create_spreadsheet("New tracker")
    return scenario(fake, key, lambda b: tracker.init_tracker(b))


def _add_scenario(_folder: Path) -> Scenario:
    fake, key = tracker_with_rows()
    fields = {"name": "Zawadi", "contact": "0701 234567", "source": "Instagram",
              "received": "02/11/2026 11:05", "notes": "=HYPERLINK(\"x\")"}
    return scenario(fake, key, lambda b: tracker.add_enquiry(b, fields, now=NOW))


def _import_scenario(folder: Path) -> Scenario:
    csv_path = folder / "enquiries.csv"
    csv_path.write_text("Name,Contact,Source,Received\n"
                        "Grace,0772 200001,Facebook,02/11/2026 11:10\n"
                        "Hassan,0772 200002,Walk-in,02/11/2026 11:20\n"
                        "Irene,@irene_k,TikTok,02/11/2026 11:30\n", encoding="utf-8")
    fake, key = tracker_with_rows()
    return scenario(fake, key, lambda b: tracker.import_file(b, csv_path, now=NOW))


def _sync_scenario(folder: Path) -> Scenario:
    from sheetcrm.sync import export_to_excel, sync_from_excel

    fake, key = tracker_with_rows()
    tracker.refresh(backend(fake, key), now=NOW)
    xlsx = folder / "offline.xlsx"
    export_to_excel(backend(fake, key), xlsx, now=NOW)
    # Offline: a note on Brian's row and a new enquiry.
    wb = openpyxl.load_workbook(xlsx)
    ws = wb[ENQ]
    cols = {c.value: c.column for c in ws[1]}
    ws.cell(row=3, column=cols["Notes"]).value = "Called back offline"
    wb.save(xlsx)
    ExcelBackend(xlsx).append([{"Name": "Juma", "Received": mon(11, 40),
                                "Contact": "0772 300001", "Source": "Referral"}])
    offline = xlsx.read_bytes()

    def sync(b: GoogleBackend) -> Any:
        xlsx.write_bytes(offline)
        return sync_from_excel(xlsx, b, now=NOW).as_dict()

    return scenario(fake, key, sync)


SETUPS: dict[str, Callable[[Path], Scenario]] = {
    "refresh": _refresh_scenario, "init": _init_scenario, "add": _add_scenario,
    "import": _import_scenario, "sync": _sync_scenario,
}


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Scenario]:
    """One saved sheet per command, set up the first time a test asks for it."""
    made: dict[str, Scenario] = {}

    def get(command: str) -> Scenario:
        if command not in made:
            made[command] = SETUPS[command](tmp_path_factory.mktemp(f"google-{command}"))
        return made[command]

    return get


# --------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class Fault:
    """What the fake does to a request: an HTTP status or "drop"/"timeout", n times."""

    name: str
    status: int | str
    times: int = 1
    applied: bool = False


STOPPING = [
    Fault("429 burst", 429, times=3),
    Fault("HTTP 500", 500),
    Fault("HTTP 503 twice", 503, times=2),
    Fault("dropped connection", "drop"),
    Fault("timeout", "timeout"),
    Fault("dropped after Google applied it", "drop", applied=True),
    Fault("timeout after Google applied it", "timeout", applied=True),
]
ENDLESS = [Fault("429", 429), Fault("HTTP 500", 500), Fault("HTTP 503", 503),
           Fault("dropped connection", "drop"), Fault("timeout", "timeout")]
COMMANDS = ["refresh", "init", "add", "import", "sync"]


def inject(fake: FakeSheets, index: int, fault: Fault, *, endless: bool) -> None:
    """Make request number ``index`` (0-based) fail, and what follows as the fault says."""
    counter = itertools.count()

    def hook(_request: Request) -> None:
        if next(counter) == index:
            if endless:
                fake.fail_always(status=fault.status)
            else:
                fake.fail_next(fault.times, status=fault.status, applied=fault.applied)

    fake.before_request(hook)


@dataclass
class Clean:
    result: Any
    after: dict[str, Any]
    before: dict[str, Any]
    requests: list[str]


_CLEAN: dict[int, Clean] = {}


def clean_run(sc: Scenario) -> Clean:
    """The command without faults, once per scenario: its result, requests and the sheet."""
    if id(sc) in _CLEAN:
        return _CLEAN[id(sc)]
    sc.reset()
    before = state(sc.fake, sc.key)
    result = sc.run(backend(sc.fake, sc.key))
    requests = [r.kind for r in sc.fake.requests]
    _CLEAN[id(sc)] = Clean(result, state(sc.fake, sc.key), before, requests)
    return _CLEAN[id(sc)]


@pytest.mark.parametrize("fault", STOPPING, ids=lambda f: f.name)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_fault_that_stops_is_survived_at_every_request(
        scenarios: Callable[[str], Scenario], command: str, fault: Fault) -> None:
    sc = scenarios(command)
    clean = clean_run(sc)
    assert clean.requests, "the clean run made no requests"
    failures = []
    for index in range(len(clean.requests)):
        sc.reset()
        inject(sc.fake, index, fault, endless=False)
        try:
            result = sc.run(backend(sc.fake, sc.key))
        except Exception as exc:  # any exception: reported with the request it followed
            failures.append(f"request {index} ({clean.requests[index]}): "
                            f"{type(exc).__name__}: {exc}")
            continue
        if result != clean.result:
            failures.append(f"request {index} ({clean.requests[index]}): another result")
        if state(sc.fake, sc.key) != clean.after:
            failures.append(f"request {index} ({clean.requests[index]}): the sheet differs "
                            "from a clean run")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("fault", ENDLESS, ids=lambda f: f.name)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_fault_that_never_stops_fails_clearly_and_writes_all_or_nothing(
        scenarios: Callable[[str], Scenario], command: str, fault: Fault) -> None:
    sc = scenarios(command)
    clean = clean_run(sc)
    for index in range(len(clean.requests)):
        sc.reset()
        inject(sc.fake, index, fault, endless=True)
        with pytest.raises(BackendError) as caught:
            sc.run(backend(sc.fake, sc.key))
        message = str(caught.value)
        where = f"{command}, request {index} ({clean.requests[index]})"
        # One line that says it was Google, and what to do (after the colon).
        assert "\n" not in message and "Google Sheets" in message, (where, message)
        assert ": " in message and not message.endswith(":"), (where, message)
        assert isinstance(caught.value, QuotaExceeded) == (fault.status == 429), where
        sc.fake.clear_faults()
        assert state(sc.fake, sc.key) in (clean.before, clean.after), where


# --------------------------------------------------------------------------- concurrent edits


def columns(grid: list[list[Any]]) -> dict[str, int]:
    return {str(h): i for i, h in enumerate(grid[0]) if h not in (None, "")}


def cell(row: list[Any], i: int | None) -> Any:
    return row[i] if i is not None and i < len(row) else None


OWNER = ["Received", "Name", "Contact", "Source", "Status", "First contact", "Follow-ups done",
         "Value", "Notes"]


def owner_rows(grid: list[list[Any]]) -> list[tuple[Any, ...]]:
    """The owner's values of every row, in sheet order (blank rows left out)."""
    cols = columns(grid)
    out = []
    for row in grid[1:]:
        # Google answers "" for an empty cell left of a filled one, nothing at the end.
        values = tuple(None if v == "" else v for v in (cell(row, cols.get(h)) for h in OWNER))
        if any(v is not None for v in values):
            out.append(values)
    return out


def check_rows_match_their_own_enquiry(grid: list[list[Any]], typed: set[str]) -> None:
    """Each row's Respond by and WhatsApp come from its own Received and Contact.

    A row the owner typed during the refresh (``typed``) may also still be
    waiting for the next refresh, with its computed cells blank.
    """
    cols = columns(grid)
    computed = ("Respond by", "SLA", "WhatsApp", "Problems")
    for r, row in enumerate(grid[1:], start=2):
        name = cell(row, cols["Name"])
        if name in (None, "") or (name in typed
                                  and all(cell(row, cols[h]) in (None, "") for h in computed)):
            for h in computed:
                assert cell(row, cols[h]) in (None, ""), (r, h, row)
            continue
        received = cell(row, cols["Received"])
        assert isinstance(received, float), (r, received)
        # Received + 4 business hours, all on the same Monday (see PEOPLE).
        want = received + 4 / 24
        got = cell(row, cols["Respond by"])
        assert isinstance(got, float) and abs(got - want) < 1e-6, (r, name, got, want)
        contact = str(cell(row, cols["Contact"]))
        assert cell(row, cols["WhatsApp"]) == "wa.me/256" + re.sub(r"\D", "", contact)[1:], (
            r, name)
        # Amina's 12:00 has passed at 12:15; everyone else is still due.
        state_word = str(cell(row, cols["SLA"])).split()[0].lower()
        assert state_word == ("overdue" if name == "Amina" else "due"), (r, name, state_word)
        assert cell(row, cols["Problems"]) in (None, ""), (r, name, cell(row, cols["Problems"]))


def edits(fake: FakeSheets, key: str) -> dict[str, Callable[[], None]]:
    """What the owner does on the phone, each as one call on the fake."""

    def name_col() -> int:
        return columns(fake.get_values(key, ENQ))["Name"] + 1

    def letter(header: str) -> str:
        return chr(ord("A") + columns(fake.get_values(key, ENQ))[header])

    def type_row(at: int) -> None:
        name, received, contact = LATE[0] + " T.", LATE[1], "0772 100009"
        fake.set_values(key, ENQ, f"{letter('Received')}{at}", [[received]])
        for header, value in (("Name", name), ("Contact", contact), ("Source", "Walk-in")):
            fake.set_values(key, ENQ, f"{letter(header)}{at}", [[value]])

    def first_empty() -> int:
        return len(owner_rows(fake.get_values(key, ENQ))) + 2

    def insert_and_type() -> None:
        fake.insert_rows(key, ENQ, 3)
        type_row(3)

    return {
        "types a note": lambda: fake.set_values(key, ENQ, f"{letter('Notes')}3",
                                                [["Wants the blue one"]]),
        "types a new row": lambda: type_row(first_empty()),
        "inserts a row and types in it": insert_and_type,
        "deletes a row": lambda: fake.delete_rows(key, ENQ, 3),
        "sorts by name, Z to A": lambda: fake.sort_rows(key, ENQ, column=name_col(),
                                                        reverse=True),
        "types an ID in a blank one": lambda: fake.set_values(
            key, ENQ, f"{letter('ID')}{first_empty() - 1}", [["E0100"]]),
        # Every column from Name on moves one to the right, computed ones too.
        "inserts a column": lambda: fake.insert_columns(key, ENQ, name_col()),
    }


EDITS = ["types a note", "types a new row", "inserts a row and types in it", "deletes a row",
         "sorts by name, Z to A", "types an ID in a blank one", "inserts a column"]


def ids_by_name(grid: list[list[Any]]) -> dict[str, Any]:
    cols = columns(grid)
    return {str(cell(r, cols["Name"])): cell(r, cols["ID"]) for r in grid[1:]
            if cell(r, cols["Name"]) not in (None, "")}


def edit_before(sc: Scenario, index: int, edit: str) -> dict[str, Any]:
    """Make the owner's edit just before request ``index``; returns what the sheet held then."""
    seen: dict[str, Any] = {}
    counter = itertools.count()

    def hook(_request: Request) -> None:
        if next(counter) == index:
            sc.fake.before_request(None)
            edits(sc.fake, sc.key)[edit]()
            grid = sc.fake.get_values(sc.key, ENQ)
            seen["owner"] = owner_rows(grid)
            seen["ids"] = {n: i for n, i in ids_by_name(grid).items() if i not in (None, "")}

    sc.fake.before_request(hook)
    return seen


TYPED = {LATE[0] + " T."}
#: Edits that move rows or fill a blank ID: the ones the check before writing is for.
MOVING = ["inserts a row and types in it", "deletes a row", "sorts by name, Z to A",
          "types an ID in a blank one", "inserts a column"]


def run_with_edit(sc: Scenario, index: int, edit: str, requests: list[str]
                  ) -> tuple[dict[str, Any], list[list[Any]], str]:
    """Run the scenario's command with the owner's edit just before request ``index``.

    Returns what the sheet held at the edit, the Enquiries values afterwards,
    and where the edit was, for messages.
    """
    sc.reset()
    seen = edit_before(sc, index, edit)
    sc.run(backend(sc.fake, sc.key))
    where = f"{edit} just before request {index} ({requests[index]})"
    return seen, sc.fake.get_values(sc.key, ENQ), where


def refresh_with_edit(sc: Scenario, index: int, edit: str, requests: list[str]) -> None:
    """Refresh with the owner's edit just before request ``index``, then check every row."""
    seen, grid, where = run_with_edit(sc, index, edit, requests)
    assert owner_rows(grid) == seen["owner"], where
    ids = ids_by_name(grid)
    assert all(ids[n] == i for n, i in seen["ids"].items()), (where, ids, seen["ids"])
    assert all(re.fullmatch(r"E\d{4}", str(i)) for n, i in ids.items() if n not in TYPED), (
        where, ids)
    try:
        check_rows_match_their_own_enquiry(grid, TYPED)
    except AssertionError as exc:
        raise AssertionError(f"{where}: {exc}") from None


@pytest.mark.parametrize("edit", EDITS)
def test_owner_edits_between_the_requests_of_a_refresh(
        scenarios: Callable[[str], Scenario], edit: str) -> None:
    sc = scenarios("refresh")
    requests = clean_run(sc).requests
    write = requests.index("spreadsheets.batchUpdate")
    # Every request but the write itself, which is the case below; after the
    # write comes the read of the photographs it took.
    for index in range(len(requests)):
        if index != write or edit not in MOVING:
            refresh_with_edit(sc, index, edit, requests)


@pytest.mark.parametrize("edit", MOVING)
def test_owner_edits_between_the_check_and_the_write_of_a_refresh(
        scenarios: Callable[[str], Scenario], edit: str) -> None:
    sc = scenarios("refresh")
    requests = clean_run(sc).requests
    refresh_with_edit(sc, requests.index("spreadsheets.batchUpdate"), edit, requests)


@pytest.mark.parametrize("edit", EDITS)
def test_owner_edits_between_the_requests_of_an_add(
        scenarios: Callable[[str], Scenario], edit: str) -> None:
    sc = scenarios("add")
    clean = clean_run(sc)
    added = [r for r in owner_rows(clean.after["tabs"][ENQ][0])
             if r not in owner_rows(clean.before["tabs"][ENQ][0])]
    assert len(added) == 1
    for index in range(len(clean.requests)):
        if edit in COLUMN_MOVES and clean.requests[index] == "spreadsheets.batchUpdate":
            continue  # the known gap below
        add_with_edit(sc, index, edit, clean.requests, added)


def add_with_edit(sc: Scenario, index: int, edit: str, requests: list[str],
                  added: list[tuple[Any, ...]]) -> None:
    seen, grid, where = run_with_edit(sc, index, edit, requests)
    now = owner_rows(grid)
    # Everything the owner had, plus the new enquiry once; nothing overwritten.
    assert sorted(map(repr, now)) == sorted(map(repr, seen["owner"] + added)), where


#: Edits that move columns: new rows written in that instant land in the wrong columns.
COLUMN_MOVES = ["inserts a column"]


@pytest.mark.xfail(strict=True, reason=(
    "known gap: a column inserted in the instant between an add's read and its write puts "
    "the new row's values under the wrong headers (nothing of the owner's is overwritten); "
    "see docs/reliability.md, 'What is not covered'"))
@pytest.mark.parametrize("edit", COLUMN_MOVES)
def test_a_column_inserted_at_the_instant_of_an_add_misplaces_the_new_row(
        scenarios: Callable[[str], Scenario], edit: str) -> None:
    sc = scenarios("add")
    clean = clean_run(sc)
    added = [r for r in owner_rows(clean.after["tabs"][ENQ][0])
             if r not in owner_rows(clean.before["tabs"][ENQ][0])]
    add_with_edit(sc, clean.requests.index("spreadsheets.batchUpdate"), edit, clean.requests,
                  added)


@pytest.mark.parametrize("edit", EDITS)
def test_owner_edits_between_the_requests_of_a_sync(
        scenarios: Callable[[str], Scenario], edit: str) -> None:
    sc = scenarios("sync")
    clean = clean_run(sc)
    after = owner_rows(clean.after["tabs"][ENQ][0])
    juma = [r for r in after if r[1] == "Juma"]
    assert len(juma) == 1 and any(r[1] == "Brian" and r[-1] == "Called back offline"
                                  for r in after)
    for index in range(len(clean.requests)):
        if edit in COLUMN_MOVES and clean.requests[index] == "spreadsheets.batchUpdate":
            # The new row lands under the wrong headers, as for an add (the
            # known gap above); the offline edit is still put back, which
            # test_a_column_inserted_at_the_instant_of_a_sync_puts_edits_back checks.
            continue
        seen, grid, where = run_with_edit(sc, index, edit, clean.requests)
        # The owner's rows as they were at the edit; the offline note lands on
        # Brian's own row unless the owner had typed a note there (a conflict,
        # which keeps the sheet's value); the offline enquiry is there once
        # (an edit after the write sees both already).
        want = [r[:-1] + ("Called back offline",) if r[1] == "Brian" and r[-1] is None else r
                for r in seen["owner"]]
        want += [] if juma[0] in want else juma
        assert sorted(map(repr, owner_rows(grid))) == sorted(map(repr, want)), where
        ids = ids_by_name(grid)
        assert all(ids[n] == i for n, i in seen["ids"].items()), (where, ids, seen["ids"])


def test_a_column_inserted_at_the_instant_of_a_sync_puts_edits_back(
        scenarios: Callable[[str], Scenario]) -> None:
    sc = scenarios("sync")
    clean = clean_run(sc)
    seen, grid, _ = run_with_edit(sc, clean.requests.index("spreadsheets.batchUpdate"),
                                  "inserts a column", clean.requests)
    now = owner_rows(grid)
    # The offline enquiry is the known gap (under the wrong headers); every
    # other row is the owner's, with the offline note on Brian's own row.
    kept = [r for r in now if not any(str(v) == "0772 300001" for v in r)]
    want = [r[:-1] + ("Called back offline",) if r[1] == "Brian" else r for r in seen["owner"]]
    assert sorted(map(repr, kept)) == sorted(map(repr, want))
    assert len(now) == len(kept) + 1
