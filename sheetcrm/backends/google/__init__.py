"""The Google Sheets backend, over gspread's low-level HTTP client.

Every operation makes a small, constant number of requests whatever the
number of rows:

* ``read``: the spreadsheet's metadata, then one ``values.batchGet`` of the
  Enquiries, Settings, Lists and meta tabs (UNFORMATTED_VALUE, SERIAL_NUMBER);
* ``apply``: one check read (the same ``values.batchGet``), one atomic
  ``spreadsheets.batchUpdate`` carrying out the plan
  :func:`sheetcrm.planner.plan_write` makes from that read, and, when the
  write addresses Enquiries rows by position, one read of the photographs it
  took (:mod:`.transaction`);
* ``create``: metadata, one read to see which tabs are empty, one batchUpdate;
* ``append``: one batchUpdate (after the read the engine does anyway).

Only after a write fails do more requests follow: metadata and one small
read to see whether the write landed, and the check read again if it did not.

The package is split by job: :mod:`.client` (requests, retries, errors,
metadata), :mod:`.requests` (pure request builders), :mod:`.render` (a new
tracker), :mod:`.execute` (a plan as requests) and :mod:`.transaction` (the
marker and the row guard).  Tab names and headers are matched trimmed and
ignoring case, as the engine and the Excel backend match them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import gspread

from ...businesstime import load_zone
from ...cells import header_key, header_positions
from ...errors import ConcurrentEdit, NotATracker, SettingsError
from ...model import CellValue, Changes, Grid, Snapshot, TabContent, trimmed
from ...planner import Plan, plan_write
from ...settings import settings_from_grid
from ...template import Template, load_template
from ..base import BackendBase
from ..retry import RetryPolicy
from .client import (
    SheetInfo,
    Sheets,
    SheetsClient,
    find_tab,
    looks_like_google,
    spreadsheet_key,
    tab_key,
)
from .execute import MAX_REQUEST_BYTES, execute, first_part, inserted, request_bytes
from .render import (
    FORMATTED_KEY,
    formatted_rows,
    grow_formats,
    plan_create,
    rows_to_format,
)
from .requests import RequestBatch, extended_value, number_format, time_zone
from .transaction import JOURNAL_TAB, Batch, State, Transaction, photograph, seal

__all__ = [
    "JOURNAL_TAB",
    "GoogleBackend",
    "SheetInfo",
    "extended_value",
    "find_tab",
    "number_format",
    "spreadsheet_key",
    "tab_key",
]

#: The tabs a read takes, by template kind.
READ_KINDS = ("enquiries", "settings", "lists", "meta", "spend")
#: What a write returns when it sent only a first part of the plan (see execute.first_part).
_PART = object()


@dataclass(frozen=True)
class _Job:
    """How one kind of write is named in messages."""

    #: "the refresh": what is being written.
    name: str
    #: What to do when whether it landed cannot be checked.
    advice: str
    #: "refreshing it": what sheetcrm was doing when the sheet changed under it.
    doing: str


_REFRESH = _Job(
    "the refresh",
    "the refresh may or may not have been saved: check the internet connection, then run the "
    "refresh again (that is safe)",
    "refreshing it (rows were added, moved or edited)",
)
_MERGE = _Job(
    "the merged changes",
    "the offline changes may or may not have been merged: check the internet connection, "
    "then look at the sheet before syncing again, or new enquiries may be added twice",
    "merging into it",
)


def _adding(enquiries: str) -> _Job:
    return _Job(
        "the new enquiries",
        "the new enquiries may or may not have been added: check the internet connection, "
        f"then look at the {enquiries} tab before adding them again",
        "adding to it",
    )


class GoogleBackend(BackendBase):
    """A tracker in a Google spreadsheet."""

    def __init__(
        self,
        spreadsheet: str,
        *,
        client: gspread.Client | None = None,
        credentials: Path | None = None,
        retry: RetryPolicy | None = None,
        account_email: str | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        """Remember where the sheet is; no request is made until it is used.

        ``retry`` bounds how long each operation keeps retrying (by default
        SHEETCRM_RETRY_SECONDS, else 120 seconds).  ``account_email`` names the
        account in the "not shared" message when ``client`` is given
        ready-made; with ``credentials`` it is read from the key file.
        ``warn`` receives the key-file permission warning.
        """
        self._warn = warn
        self._api = SheetsClient(spreadsheet_key(spreadsheet), client=client,
                                 credentials=credentials, retry=retry or RetryPolicy(),
                                 account_email=account_email, warn=warn)
        self._transaction = Transaction(self._api)
        self._sheets: Sheets | None = None
        #: The values the last read saw, by the name asked for, for the check before a write.
        self._read_grids: dict[str, Grid] | None = None

    @classmethod
    def create_spreadsheet(
        cls,
        title: str,
        *,
        client: gspread.Client | None = None,
        credentials: Path | None = None,
        retry: RetryPolicy | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> GoogleBackend:
        """Create a new, empty spreadsheet in the signed-in account's Drive (init --create).

        Works with an OAuth sign-in; Google gives service accounts no Drive
        space, so for them this stops with a message saying what to do instead.
        The request is never sent twice: if its reply is lost, the message
        says where to look for the sheet.
        """
        maker = cls("x" * 44, client=client, credentials=credentials, retry=retry, warn=warn)
        key = maker._api.create_file(title)
        backend = cls(key, client=maker._api.client, retry=retry,
                      account_email=maker._api.email, warn=warn)
        backend._api.title = title
        return backend

    @classmethod
    def looks_like_google(cls, target: str) -> bool:
        """Whether ``target`` is a Google Sheets URL or key rather than a file path."""
        return looks_like_google(target)

    @property
    def label(self) -> str:
        """The sheet's title once known, else its key."""
        return self._api.label

    @property
    def kind(self) -> str:
        """What kind of tracker this is, for people."""
        return "Google Sheets"

    @property
    def key(self) -> str:
        """The spreadsheet key."""
        return self._api.key

    @property
    def account_email(self) -> str | None:
        """The service account's address, when known."""
        return self._api.email

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy; hold ``retry.window()`` to give several operations one budget."""
        return self._api.retry

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Share one retry budget among every request made inside (an inner session joins)."""
        with self._api.retry.window():
            yield

    # ------------------------------------------------------------------ read

    def read(self, *, everything: bool = False) -> Snapshot:
        """Read the Enquiries, Settings, Lists and meta tabs (or, with ``everything``, all).

        Two requests.  With ``everything``, every tab but :data:`JOURNAL_TAB`
        is read, the template's tabs named as in the template whatever their
        case in the sheet, other tabs by their titles.
        """
        template = load_template()
        with self.session():
            sheets = self._metadata("reading the tracker")
            ordered = sorted(sheets.values(), key=lambda s: s.index)
            if everything:
                names = [_template_name(template, s.title) for s in ordered
                         if tab_key(s.title) != tab_key(JOURNAL_TAB)]
            else:
                if find_tab(sheets, template.enquiries.name) is None:
                    raise self._not_a_tracker(template)
                names = self._read_names(template, sheets)
            grids = self._api.batch_get(names, sheets, f"reading {self.label}")
        self._read_grids = grids
        return Snapshot(tabs=grids, tab_names=names if everything else [s.title for s in ordered])

    # ------------------------------------------------------------------ write

    def apply(self, changes: Changes) -> list[int]:
        """Check the sheet did not move since it was read, then write everything in one request.

        Returns the row numbers of the new enquiries.
        """
        template = load_template()
        # A refresh's History lines are a log too: only a log without rows read is a merge.
        if changes.edits or (changes.log is not None and changes.expected_ids is None):
            job = _MERGE
        elif (changes.computed or changes.id_fills or changes.tabs or changes.meta
              or changes.expected_ids is not None or changes.headers or changes.fills
              or changes.new_tabs):
            job = _REFRESH
        else:
            job = _adding(template.enquiries.name)
        return self._apply(template, changes, job, trust_read=False)

    def append(self, rows: Sequence[Mapping[str, CellValue]]) -> list[int]:
        """Insert the enquiries below the last typed row in one atomic request.

        New rows are inserted, never written over, so this plans from the
        last read when there is one rather than reading again.
        """
        if not rows:
            return []
        template = load_template()
        return self._apply(template, Changes(new_rows=list(rows)),
                           _adding(template.enquiries.name), trust_read=True)

    def _apply(self, template: Template, changes: Changes, job: _Job, *,
               trust_read: bool) -> list[int]:
        enquiries = template.enquiries.name
        read_grids = None if trust_read else self._read_grids
        log_tab = changes.log.tab if changes.log is not None else None

        def names(sheets: Sheets) -> list[str]:
            if trust_read:
                return [enquiries]
            wanted = self._read_names(template, sheets)
            extra = ([log_tab] if log_tab else []) + list(read_grids or {})
            keys = {tab_key(n) for n in wanted}
            for name in extra:
                if find_tab(sheets, name) is not None and tab_key(name) not in keys:
                    wanted.append(name)
                    keys.add(tab_key(name))
            return wanted

        computed = list(changes.computed)
        parts_sent = False

        def plan(state: State) -> Batch:
            if find_tab(state.sheets, enquiries) is None:
                raise self._not_a_tracker(template)
            if read_grids is not None:
                # The engine decided from its read: if any tab it read has changed
                # since, its decisions may be wrong (the log tab only grows).  Once
                # a part of this write has landed, its computed columns differ.
                masked = computed if parts_sent else []
                compared = [n for n in names(state.sheets)
                            if log_tab is None or tab_key(n) != tab_key(log_tab)]
                if any(trimmed(_without(read_grids.get(n, []), masked))
                       != trimmed(_without(state.grids.get(n, []), masked))
                       for n in compared):
                    self._forget()
                    raise ConcurrentEdit(f"{self.label} changed while sheetcrm was "
                                         f"{job.doing}: nothing was written")
            grid = state.grids.get(enquiries, [])
            meta = state.grids.get(template.tab("meta").name)
            formatted = formatted_rows(meta or [], template)
            # Only with the meta tab read: it says how far the formats already go.
            grow_to = (rows_to_format(len(grid) + len(changes.new_rows), formatted, template)
                       if meta is not None else None)
            wanted = changes
            if grow_to is not None:
                # Rows past the formatted ones would get no dropdowns or colours.
                wanted = replace(changes, meta={**changes.meta, FORMATTED_KEY: str(grow_to)})
            planned: Plan = plan_write(wanted, state.grids, template, self.label,
                                       existing=[s.title for s in state.sheets.values()])
            batch = RequestBatch(state.sheets)
            enq = execute(planned, batch, template.styles)
            if grow_to is not None and grid:
                batch.grow(enq, rows=grow_to, cols=enq.cols)
                grow_formats(batch, template, enq.sheet_id, list(grid[0]), formatted + 1,
                             grow_to)
            result: Any = planned.appended
            zone = self._zone_to_set(template, state)
            if zone is not None:
                batch.writes.append(time_zone(zone))
            if request_bytes(batch.requests()) > MAX_REQUEST_BYTES:
                part = first_part(planned, template.styles)
                if part is not None:
                    # Too big for one request: the first computed cells now, the rest
                    # (planned again from a fresh read) after them.
                    planned, result = part, _PART
                    batch = RequestBatch(state.sheets)
                    enq = execute(planned, batch, template.styles)
            guard = (photograph(batch, enq, planned.planned, inserted(planned))
                     if planned.positional else None)
            return seal(batch, template, result, guard)

        with self.session():
            sheets = self._sheets if self._sheets is not None else self._metadata("reading")
            if find_tab(sheets, enquiries) is None:
                raise self._not_a_tracker(template)
            if trust_read and self._read_grids is not None and enquiries in self._read_grids:
                grids = dict(self._read_grids)
            else:
                what = (f"reading {self.label}" if trust_read
                        else f"checking {self.label} before writing")
                grids = self._api.batch_get(names(sheets), sheets, what)
            while True:
                appended = self._write(job.name, job.advice, State(sheets, grids), names, plan)
                if appended is not _PART:
                    return list(appended)
                parts_sent = True
                what = f"checking {self.label} before writing the rest"
                sheets = self._metadata(what)
                grids = self._api.batch_get(names(sheets), sheets, what)

    def create(self, template: Template, contents: Mapping[str, TabContent]) -> None:
        """Format an empty spreadsheet as a tracker: three requests in all."""
        advice = ("the tracker may or may not have been set up: check the internet connection, "
                  f"then open the sheet; if it has an {template.enquiries.name!r} tab, run "
                  "`sheetcrm refresh` on it instead of `init`")

        def names(sheets: Sheets) -> list[str]:
            return [s.title for s in sheets.values()]

        def plan(state: State) -> Batch:
            batch = plan_create(template, contents, state.sheets, state.grids, self.label)
            return seal(batch, template)

        with self.session():
            sheets = self._api.metadata("opening the sheet")
            state = State(sheets, self._api.batch_get(names(sheets), sheets, "opening the sheet"))
            self._write("the new tracker", advice, state, names, plan)

    # ------------------------------------------------------------------ plumbing

    def _metadata(self, what: str) -> Sheets:
        self._sheets = self._api.metadata(what)
        return self._sheets

    def _write(self, job: str, advice: str, state: State,
               names: Callable[[Sheets], list[str]], plan: Callable[[State], Batch]) -> Any:
        try:
            return self._transaction.write(job, advice, state, names, plan)
        finally:
            self._forget()

    def _forget(self) -> None:
        # Tab ids, chart ids and the read values go stale after any write.
        self._sheets = None
        self._read_grids = None

    def _zone_to_set(self, template: Template, state: State) -> str | None:
        """The Settings tab's time zone when the spreadsheet's differs from it, else None.

        The sheet's own NOW() (the red "overdue" colour) runs in the
        spreadsheet's time zone, so it follows the Settings tab on every write
        that read Settings.  A Settings tab that does not read is left to the
        engine's own message.
        """
        grid = state.grids.get(template.tab("settings").name)
        if not grid or self._api.time_zone is None:
            return None
        try:
            zone = settings_from_grid(grid, template).timezone.strip()
        except SettingsError:
            return None
        if load_zone(zone) is None or zone == self._api.time_zone:
            return None
        return zone

    def _read_names(self, template: Template, sheets: Mapping[str, SheetInfo]) -> list[str]:
        names = [template.tab(kind).name for kind in READ_KINDS]
        return [n for n in names if find_tab(sheets, n) is not None]

    def _not_a_tracker(self, template: Template) -> NotATracker:
        return NotATracker(
            f"{self.label} is not a sheetcrm tracker: it has no {template.enquiries.name!r} tab "
            "(check the link, or run `sheetcrm init` on an empty sheet)"
        )


def _without(grid: Grid, headers: Sequence[str]) -> Grid:
    """``grid`` with the columns headed ``headers`` blanked below row 1."""
    if not headers or not grid:
        return grid
    positions = header_positions(grid[0])
    cols = {positions[k] for k in (header_key(h) for h in headers) if k in positions}
    return [grid[0]] + [[None if i in cols else v for i, v in enumerate(line)]
                        for line in grid[1:]]


def _template_name(template: Template, title: str) -> str:
    """The template's name for a tab, when it is one of the template's; else its title."""
    for tab in template.tabs:
        if tab_key(tab.name) == tab_key(title):
            return tab.name
    return title
