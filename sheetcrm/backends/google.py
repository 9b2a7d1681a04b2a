"""The Google Sheets backend, over gspread's low-level HTTP client.

Every operation makes a small, constant number of requests whatever the
number of rows:

* ``read``: the spreadsheet's metadata, then one ``values.batchGet`` of the
  Enquiries, Settings, Lists and meta tabs (UNFORMATTED_VALUE, SERIAL_NUMBER);
* ``apply``: one check read (the same ``values.batchGet``), one atomic
  ``spreadsheets.batchUpdate`` that writes the computed columns, ID fills,
  owned tabs (created when missing) and meta together, and one read of the
  photographs that write took (below);
* ``create``: metadata, one read to see which tabs are empty, one batchUpdate;
* ``append``: one batchUpdate (after the read the engine does anyway).

Only after a write fails do more requests follow: metadata and one small
read to see whether the write landed, and the check read again if it did not.

Values are written with ``updateCells``: a ``stringValue`` is never parsed, so
owner text that starts with ``=``, ``+``, ``-`` or ``@`` stays text.  Only a
:class:`~sheetcrm.model.Formula` becomes a ``formulaValue``.

Requests go through :class:`~sheetcrm.backends.retry.RetryPolicy`, so any
``gspread.Client`` works (tests pass one wired to a fake API), and every vendor
error leaves as a :mod:`sheetcrm.errors` exception with one plain sentence.
Each operation shares one retry budget, and each request's timeout is cut to
what is left of it.

A write is never sent twice blindly.  Each batchUpdate also puts a new
random marker in the note of cell A1 of the hidden meta tab.  The batch is
atomic, so when a write's reply is lost (or Google answers 5xx) the backend
reads that note: if it holds the marker, the write landed; if not, nothing of
it did, and the write is planned again from what the sheet now holds and
sent.  The marker is a note rather than a value so that it never shows in a
read: two refreshes with nothing new leave the same values.

The Sheets API has no conditional write, so a row the owner inserts,
deletes or sorts in the instant between the check read and the write would
move the rows under it.  A write that addresses Enquiries cells by position
(a refresh, or a sync's edits) therefore starts and ends with a copyPaste of
that tab's values into the hidden tab ``sheetcrm check``: being in the same
atomic batch, the first photograph is exactly what the write landed on.  One
read of both photographs then shows whether every row was the enquiry the
write was planned for (:mod:`.rowguard`).  If not, each cell written on the
wrong row is put back as it was, by a write checked the same way, and
:class:`~sheetcrm.errors.ConcurrentEdit` sends the caller back to a fresh
read.

Tab names and headers are matched trimmed and ignoring case, as the engine
and the Excel backend match them.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import gspread
import requests
from google.auth import exceptions as auth_exceptions
from gspread.exceptions import APIError, NoValidUrlKeyFound
from gspread.utils import absolute_range_name, extract_id_from_url

from ..cells import header_key, header_positions, text_of, to_serial
from ..errors import (
    AuthError,
    BackendError,
    ConcurrentEdit,
    InputError,
    NotATracker,
    SheetCRMError,
    TrackerNotFound,
    WriteFailed,
)
from ..model import (
    Cell,
    CellValue,
    Changes,
    Chart,
    Formula,
    Grid,
    Snapshot,
    TabContent,
    ids_match,
)
from ..settings import setting_cell, setting_row
from ..template import Column, Style, Tab, Template, column_letter, load_template
from .retry import RetryPolicy, WriteUnsure
from .rowguard import IDENTITY_KEYS, Box, Restore, judge

T = TypeVar("T")

READ_PARAMS: dict[str, str] = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "SERIAL_NUMBER",
    "majorDimension": "ROWS",
}
#: The tabs a read takes, by template kind.
READ_KINDS = ("enquiries", "settings", "lists", "meta")
#: Fields written on a computed or owned cell: value and look, nothing else.
CELL_FIELDS = "userEnteredValue,userEnteredFormat"
LOCALE = "en_GB"
DEFAULT_TIMEZONE = "Africa/Kampala"
#: A new tab's minimum grid, as Google makes one: room for the owner to add rows.
MIN_ROWS = 200
MIN_COLS = 26
CHART_SIZE = (480, 300)  # pixels: readable on a phone, two fit a laptop screen
#: Where the marker of the last batch written lives: the note of A1 on the meta tab.
MARKER_FIELDS = "sheets/data/rowData/values/note"

#: Hidden tab where each write that addresses Enquiries rows by position
#: photographs that tab just before and just after itself (see rowguard).
JOURNAL_TAB = "sheetcrm check"
#: Spare columns between the two photographs, and spare rows below them, so
#: that rows or columns the owner adds in the same instant still fit.
JOURNAL_GAP = 5
JOURNAL_MARGIN = 100
#: How many times cells written on the wrong rows are put back before giving up.
RESTORE_ROUNDS = 4

_URL = re.compile(r"^https?://docs\.google\.com/spreadsheets/", re.IGNORECASE)
_KEY = re.compile(r"^[A-Za-z0-9_-]{25,}$")
_DRIVE_FILES = "https://www.googleapis.com/drive/v3/files"


def spreadsheet_key(target: str) -> str:
    """The spreadsheet key from a full URL or a bare key."""
    target = target.strip()
    if _URL.match(target):
        try:
            return str(extract_id_from_url(target))
        except NoValidUrlKeyFound:
            raise InputError(
                f"{target} does not contain a spreadsheet key: copy the whole address from "
                "the browser while the sheet is open"
            ) from None
    if _KEY.match(target):
        return target
    raise InputError(
        f"{target!r} is neither a Google Sheets link nor a spreadsheet key: copy the address "
        "from the browser while the sheet is open"
    )


@dataclass
class SheetInfo:
    """What the metadata says about one tab."""

    sheet_id: int
    title: str
    index: int
    rows: int
    cols: int
    hidden: bool = False
    chart_ids: list[int] = field(default_factory=list)


#: Tab title, trimmed and case-folded -> the tab.
Sheets = dict[str, SheetInfo]


def tab_key(name: str) -> str:
    """A tab name as tabs are matched: trimmed, ignoring case."""
    return name.strip().casefold()


def find_tab(sheets: Mapping[str, SheetInfo], name: str) -> SheetInfo | None:
    """The tab called ``name`` (trimmed, ignoring case), if there is one."""
    return sheets.get(tab_key(name))


@dataclass
class _State:
    """The sheet as a write is planned from it: its tabs and the values of some of them."""

    sheets: Sheets
    #: Requested tab name (a template name, or a title) -> values.
    grids: dict[str, Grid]


@dataclass
class _Guard:
    """What a write that addresses Enquiries rows by position needs to check itself."""

    #: The Enquiries values the write was planned from.
    planned: Grid
    enq_id: int
    #: Columns given to each photograph: the "after" one starts at this offset.
    width: int
    #: The Enquiries cells the write addresses, positions as planned.
    touched: list[Box]
    #: (start, count) of rows the write inserts, if any.
    inserted: tuple[int, int] | None
    #: The tabs as the write left them, for planning a put-back.
    sheets: Sheets
    #: 0 for the write itself, 1 for the first put-back, and so on.
    depth: int = 0


@dataclass
class _Batch:
    """One planned batchUpdate, its marker, and what the operation returns if it lands."""

    requests: list[dict[str, Any]]
    marker: str
    result: Any = None
    guard: _Guard | None = None


class GoogleBackend:
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
        self.key = spreadsheet_key(spreadsheet)
        self._client = client
        self._credentials = credentials
        self._retry = retry or RetryPolicy()
        self._email = account_email
        self._warn = warn
        self._title: str | None = None
        self._sheets: Sheets | None = None
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
        what = f"creating the Google sheet {title!r}"
        try:
            with maker._retry.window():
                data = maker._call(what, lambda http: http.request(
                    "post", _DRIVE_FILES,
                    json={"name": title, "mimeType": "application/vnd.google-apps.spreadsheet"},
                    params={"supportsAllDrives": True},
                ).json(), write=True)
        except WriteUnsure as exc:
            raise BackendError(
                f"Google gave {exc.failure.describe()} while {what}, so sheetcrm cannot tell "
                f"whether the sheet was made: look in your Google Drive for {title!r}; if it is "
                "there, run `sheetcrm init` with its link, otherwise run this command again"
            ) from None
        except AuthError:
            if maker.account_email:
                raise AuthError(
                    f"The service account {maker.account_email} cannot create sheets of its own: "
                    "create an empty sheet at https://sheets.new, share it with that address "
                    "as an editor and run `sheetcrm init` with its link"
                ) from None
            raise AuthError(
                f"Google refused to create the sheet {title!r}: enable the Google Drive API for "
                "your project and run `sheetcrm auth` again"
            ) from None
        if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
            raise BackendError(
                f"Google Drive gave an unexpected answer while {what}: look in your Google "
                f"Drive for {title!r}; if it is there, run `sheetcrm init` with its link"
            )
        backend = cls(str(data["id"]), client=maker._client, retry=retry,
                      account_email=maker._email, warn=warn)
        backend._title = title
        return backend

    @classmethod
    def looks_like_google(cls, target: str) -> bool:
        """Whether ``target`` is a Google Sheets URL or key rather than a file path."""
        target = target.strip()
        if _URL.match(target):
            return True
        return bool(_KEY.match(target)) and not Path(target).suffix

    @property
    def label(self) -> str:
        """The sheet's title once known, else its key."""
        return f"Google sheet {self._title!r}" if self._title else f"Google sheet {self.key}"

    @property
    def account_email(self) -> str | None:
        """The service account's address, when known."""
        return self._email

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy; hold ``retry.window()`` to give several operations one budget."""
        return self._retry

    # ------------------------------------------------------------------ plumbing

    def _http(self) -> Any:
        if self._client is None:
            from .google_auth import build_client

            self._client, loaded = build_client(self._credentials, warn=self._warn)
            self._email = self._email or loaded.email
        if self._email is None:
            auth = getattr(self._client.http_client, "auth", None)
            email = getattr(auth, "service_account_email", None)
            self._email = email if isinstance(email, str) else None
        return self._client.http_client

    def _call(self, what: str, fn: Callable[[Any], T], *, write: bool = False,
              advice: str | None = None) -> T:
        """Run one API request with bounded retries; translate every vendor error.

        With ``write``, a failure that may have left the write done raises
        :class:`WriteUnsure` for the caller to check, rather than a retry.
        """
        try:
            http = self._http()

            def attempt() -> T:
                # Each try may only take what is left of the budget.
                http.set_timeout(self._retry.timeout())
                return fn(http)

            return self._retry.call(attempt, what=what, write=write, advice=advice)
        except SheetCRMError:
            raise
        except APIError as exc:
            raise self._api_error(exc, what) from None
        except auth_exceptions.RefreshError:
            raise AuthError(
                f"Google refused the credentials{self._credentials_name()} while {what}: the "
                "key may have been deleted or the sign-in withdrawn; create a new key or run "
                "`sheetcrm auth` again"
            ) from None
        except auth_exceptions.GoogleAuthError:
            raise AuthError(
                f"The Google credentials{self._credentials_name()} could not be used while "
                f"{what}: download a new service-account key"
            ) from None
        except requests.RequestException:
            raise BackendError(
                f"Cannot reach Google Sheets while {what}: check the internet connection"
            ) from None

    def _credentials_name(self) -> str:
        return f" in {self._credentials}" if self._credentials else ""

    def _api_error(self, exc: APIError, what: str) -> SheetCRMError:
        status = exc.response.status_code if exc.response is not None else exc.code
        message = str(exc.error.get("message", "")) if isinstance(exc.error, Mapping) else ""
        reason = str(exc.error.get("status", "")) if isinstance(exc.error, Mapping) else ""
        if status == 404:
            return TrackerNotFound(
                f"No Google sheet with the key {self.key} exists (or it was deleted): copy the "
                "link again from the browser's address bar"
            )
        if status == 403:
            lowered = message.lower()
            if "has not been used" in lowered or "is disabled" in lowered or (
                reason == "PERMISSION_DENIED" and "api" in lowered and "enable" in lowered
            ):
                return AuthError(
                    "The Google Sheets API is not enabled for the Google Cloud project of these "
                    "credentials: enable it under APIs & Services, Library, Google Sheets API"
                )
            if self._email:
                return AuthError(
                    f"The sheet is not shared with {self._email}: open it in Google Sheets, "
                    "click Share and add that address as an editor"
                )
            return AuthError(
                f"Google refused access to the sheet {self.key}: open it in Google Sheets, "
                "click Share and add the account sheetcrm uses as an editor"
            )
        if status == 401:
            return AuthError(
                f"Google did not accept the credentials{self._credentials_name()}: create a new "
                "service-account key or run `sheetcrm auth` again"
            )
        if status == 400 and what.startswith("writing"):
            return WriteFailed(
                f"Google Sheets refused the changes to {self.label} ({message.rstrip('.')}); "
                "nothing was written: run the command again, and report it if it keeps failing"
            )
        return BackendError(
            f"Google Sheets answered HTTP {status} while {what} ({message.rstrip('.')}): "
            "run the command again later"
        )

    def _metadata(self, what: str, advice: str | None = None) -> Sheets:
        data = self._call(what, lambda http: http.fetch_sheet_metadata(self.key), advice=advice)
        props = data.get("properties", {})
        self._title = str(props.get("title") or self.key)
        sheets: Sheets = {}
        for position, sheet in enumerate(data.get("sheets", [])):
            p = sheet.get("properties", {})
            grid = p.get("gridProperties", {})
            charts = [int(c["chartId"]) for c in sheet.get("charts", []) if "chartId" in c]
            info = SheetInfo(
                sheet_id=int(p.get("sheetId", 0)),
                title=str(p.get("title", "")),
                index=int(p.get("index", position)),
                rows=int(grid.get("rowCount", 1000)),
                cols=int(grid.get("columnCount", 26)),
                hidden=bool(p.get("hidden", False)),
                chart_ids=charts,
            )
            sheets.setdefault(tab_key(info.title), info)
        self._sheets = sheets
        return sheets

    def _batch_get(self, names: Sequence[str], sheets: Mapping[str, SheetInfo], what: str,
                   advice: str | None = None) -> dict[str, Grid]:
        """The values of the tabs ``names`` that exist, keyed by the name asked for."""
        found = [(n, info) for n in names if (info := find_tab(sheets, n)) is not None]
        if not found:
            return {}
        ranges = [absolute_range_name(info.title) for _, info in found]
        data = self._call(
            what, lambda http: http.values_batch_get(self.key, list(ranges), dict(READ_PARAMS)),
            advice=advice,
        )
        value_ranges = data.get("valueRanges", [])
        grids: dict[str, Grid] = {}
        for i, (name, _) in enumerate(found):
            grids[name] = _grid_of(value_ranges[i] if i < len(value_ranges) else {})
        return grids

    def _state(self, names: Callable[[Sheets], list[str]], what: str,
               advice: str | None = None) -> _State:
        """Fresh metadata and the values of the tabs ``names`` picks: two requests."""
        sheets = self._metadata(what, advice)
        return _State(sheets, self._batch_get(names(sheets), sheets, what, advice))

    def _write(self, job: str, advice: str, state: _State,
               names: Callable[[Sheets], list[str]],
               plan: Callable[[_State], _Batch]) -> Any:
        """Send the batch ``plan`` makes from ``state``; never twice blindly.

        After a failure that may have left the batch done, the sheet is read
        again: the batch's marker on the meta tab means it landed; otherwise
        it is planned again, after the usual wait, from the sheet as it now
        is, and sent.  ``job`` names the change for messages ("the
        refresh"); ``advice`` says what to do when that check cannot be made.
        """
        meta = load_template().tab("meta").name
        what = f"writing {job} to {self.label}"
        attempt = 0
        try:
            while True:
                batch = plan(state)
                try:
                    if batch.requests:
                        self._call(what, functools.partial(_send_batch, self.key,
                                                           batch.requests), write=True)
                    self._settle(job, advice, batch)
                    return batch.result
                except WriteUnsure as exc:
                    failure = exc.failure
                check = f"checking whether {job} reached {self.label}"
                sheets = self._metadata(check, advice)
                if self._marker(sheets, meta, check, advice) == batch.marker:
                    self._settle(job, advice, batch)
                    return batch.result
                self._retry.pause(attempt, failure, what)
                attempt += 1
                state = _State(sheets, self._batch_get(names(sheets), sheets, check, advice))
        finally:
            self._forget()

    def _forget(self) -> None:
        # Tab ids, chart ids and the read values go stale after any write.
        self._sheets = None
        self._read_grids = None

    def _read_names(self, template: Template, sheets: Mapping[str, SheetInfo]) -> list[str]:
        names = [template.tab(kind).name for kind in READ_KINDS]
        return [n for n in names if find_tab(sheets, n) is not None]

    def _not_a_tracker(self, template: Template) -> NotATracker:
        return NotATracker(
            f"{self.label} is not a sheetcrm tracker: it has no {template.enquiries.name!r} tab "
            "(check the link, or run `sheetcrm init` on an empty sheet)"
        )

    def _marker(self, sheets: Sheets, meta: str, what: str, advice: str) -> str | None:
        """The marker of the last batch that landed, from the meta tab: one request."""
        info = find_tab(sheets, meta)
        if info is None:
            return None
        params = {"ranges": f"{absolute_range_name(info.title)}!A1", "fields": MARKER_FIELDS}
        data = self._call(what, lambda http: http.fetch_sheet_metadata(self.key, params),
                          advice=advice)
        try:
            note = data["sheets"][0]["data"][0]["rowData"][0]["values"][0].get("note")
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
        return note if isinstance(note, str) else None

    def _seal(self, plan: _Plan, template: Template, result: Any = None,
              guard: _Guard | None = None) -> _Batch:
        """The batch with a new marker for it on the meta tab (created when missing)."""
        marker = uuid.uuid4().hex
        info = plan.sheet(template.tab("meta").name, rows=1, cols=1, hidden=True)
        plan.writes.append({
            "updateCells": {
                "start": {"sheetId": info.sheet_id, "rowIndex": 0, "columnIndex": 0},
                "rows": [{"values": [{"note": marker}]}],
                "fields": "note",
            }
        })
        return _Batch(plan.requests(), marker, result, guard)

    # ------------------------------------------------------------------ row guard

    def _photograph(self, plan: _Plan, enq: SheetInfo, planned: Grid,
                    inserted: tuple[int, int] | None = None, depth: int = 0) -> _Guard:
        """Make the batch photograph Enquiries first and last (values only), into JOURNAL_TAB.

        The batch is atomic, so the first photograph is exactly what its writes
        land on and the last exactly what they leave; :meth:`_settle` compares
        them with ``planned``.  Call this after every write is planned.
        """
        width = enq.cols + JOURNAL_GAP
        rows = enq.rows + JOURNAL_MARGIN
        info = plan.sheet(JOURNAL_TAB, rows=rows, cols=2 * width, hidden=True)
        source = {"sheetId": enq.sheet_id}  # the whole tab, however big it is by then

        def photograph(col0: int) -> dict[str, Any]:
            # One cell: a destination smaller than the source takes all of it,
            # where a bigger one would repeat it.
            return {"copyPaste": {
                "source": source,
                "destination": {"sheetId": info.sheet_id, "startRowIndex": 0,
                                "endRowIndex": 1, "startColumnIndex": col0,
                                "endColumnIndex": col0 + 1},
                "pasteType": "PASTE_VALUES",
            }}

        plan.writes[:0] = [_clear(info.sheet_id, 0, info.rows, 0, info.cols), photograph(0)]
        plan.writes.append(photograph(width))
        return _Guard(planned=[list(r) for r in planned], enq_id=enq.sheet_id, width=width,
                      touched=list(plan.touched), inserted=inserted, sheets=plan.sheets,
                      depth=depth)

    def _read_journal(self, guard: _Guard, what: str, advice: str) -> tuple[Grid, Grid]:
        """The two photographs a guarded batch took: one request."""
        def columns(first: int, last: int) -> str:
            return absolute_range_name(
                JOURNAL_TAB, f"{column_letter(first)}:{column_letter(last)}")

        ranges = [columns(1, guard.width), columns(guard.width + 1, 2 * guard.width)]
        data = self._call(
            what, lambda http: http.values_batch_get(self.key, ranges, dict(READ_PARAMS)),
            advice=advice,
        )
        found = data.get("valueRanges", [])
        before, after = (_grid_of(found[i] if i < len(found) else {}) for i in range(2))
        return before, after

    def _settle(self, job: str, advice: str, batch: _Batch) -> None:
        """Check a guarded batch landed on the rows it was planned for; put back what did not.

        Returns when every row was where the plan expected.  Otherwise puts
        back each cell the batch changed on a row (or under a header) that was
        not the one planned, itself a guarded write, then raises
        :class:`ConcurrentEdit` so the caller starts again from a fresh read.
        """
        guard = batch.guard
        if guard is None:
            return
        template = load_template()
        what = f"checking that {job} landed on the right rows of {self.label}"
        before, after = self._read_journal(guard, what, advice)
        verdict = judge(
            guard.planned, before, after, guard.touched,
            identity_headers=[template.column(k).header for k in IDENTITY_KEYS],
            inserted=guard.inserted,
        )
        if verdict.clean and not verdict.restores:
            return
        if verdict.restores:
            if guard.depth >= RESTORE_ROUNDS:
                raise BackendError(self._restore_failed(template, verdict.restores, guard))
            fixed = self._plan_restore(template, guard, after, verdict.restores)
            self._write("the cells it put back", advice, _State(guard.sheets, {}),
                        lambda sheets: [], lambda state: fixed)
        moved = verdict.moved_rows
        where = ("the header row" if not moved else f"row {moved[0]}" if len(moved) == 1
                 else "rows " + ", ".join(str(r) for r in moved[:5])
                 + (" and more" if len(moved) > 5 else ""))
        raise ConcurrentEdit(
            f"{self.label} changed while sheetcrm was writing {job} ({where} changed at that "
            "instant): anything written on the wrong row was put back; run it again",
            landed=True,
        )

    def _plan_restore(self, template: Template, guard: _Guard, after: Grid,
                      restores: Sequence[Restore]) -> _Batch:
        plan = _Plan(guard.sheets)
        enq = next((s for s in plan.sheets.values() if s.sheet_id == guard.enq_id), None)
        if enq is None:
            raise SheetCRMError("sheetcrm lost track of the Enquiries tab while putting cells back")
        by_col: dict[int, list[Restore]] = {}
        for r in restores:
            by_col.setdefault(r.col, []).append(r)
        for col, cells in sorted(by_col.items()):
            cells.sort(key=lambda r: r.row)
            run: list[Restore] = []
            for cell in [*cells, None]:
                if run and (cell is None or cell.row != run[-1].row + 1):
                    plan.touch(run[0].row, run[-1].row + 1, col, col + 1)
                    plan.writes.append(_update_cells(
                        enq.sheet_id, run[0].row, col, [[Cell(r.value)] for r in run],
                        template.styles, fields="userEnteredValue"))
                    run = []
                if cell is not None:
                    run.append(cell)
        guard = self._photograph(plan, enq, after, depth=guard.depth + 1)
        return self._seal(plan, template, guard=guard)

    def _restore_failed(self, template: Template, restores: Sequence[Restore],
                        guard: _Guard) -> str:
        cells = ", ".join(f"{column_letter(r.col + 1)}{r.row + 1}" for r in restores[:5])
        more = f" and {len(restores) - 5} more" if len(restores) > 5 else ""
        return (
            f"{self.label} kept changing while sheetcrm was putting back cells it had written "
            f"on the wrong rows of the {template.enquiries.name} tab: check {cells}{more}; the "
            f"tab as it was is photographed in columns A to {column_letter(guard.width)} of the "
            f"hidden tab {JOURNAL_TAB!r}"
        )

    # ------------------------------------------------------------------ read

    def read(self) -> Snapshot:
        """Read the Enquiries, Settings, Lists and meta tabs: two requests."""
        template = load_template()
        with self._retry.window():
            sheets = self._metadata("reading the tracker")
            if find_tab(sheets, template.enquiries.name) is None:
                raise self._not_a_tracker(template)
            grids = self._batch_get(self._read_names(template, sheets), sheets,
                                    f"reading {self.label}")
        self._read_grids = grids
        ordered = sorted(sheets.values(), key=lambda s: s.index)
        return Snapshot(tabs=grids, tab_names=[s.title for s in ordered])

    def read_all(self) -> Snapshot:
        """Every tab's values (for an export): two requests.

        The template's tabs are named as in the template, whatever their case
        in the sheet; other tabs keep their titles.
        """
        template = load_template()
        with self._retry.window():
            sheets = self._metadata("reading the tracker")
            names = [_template_name(template, s.title)
                     for s in sorted(sheets.values(), key=lambda s: s.index)
                     if tab_key(s.title) != tab_key(JOURNAL_TAB)]
            grids = self._batch_get(names, sheets, f"reading {self.label}")
        return Snapshot(tabs=grids, tab_names=names)

    # ------------------------------------------------------------------ apply

    def apply(self, changes: Changes) -> None:
        """Check the sheet did not move since it was read, then write everything in one request."""
        template = load_template()
        enquiries = template.enquiries.name
        read_grids = self._read_grids
        advice = ("the refresh may or may not have been saved: check the internet connection, "
                  "then run the refresh again (that is safe)")

        def names(sheets: Sheets) -> list[str]:
            return self._read_names(template, sheets)

        def plan(state: _State) -> _Batch:
            if find_tab(state.sheets, enquiries) is None:
                raise self._not_a_tracker(template)
            return self._plan_apply(template, state, changes, read_grids, names(state.sheets))

        with self._retry.window():
            sheets = self._sheets if self._sheets is not None else self._metadata("reading")
            if find_tab(sheets, enquiries) is None:
                raise self._not_a_tracker(template)
            state = _State(sheets, self._batch_get(names(sheets), sheets,
                                                   f"checking {self.label} before writing"))
            self._write("the refresh", advice, state, names, plan)

    def _plan_apply(
        self,
        template: Template,
        state: _State,
        changes: Changes,
        read_grids: Mapping[str, Grid] | None,
        names: Sequence[str],
    ) -> _Batch:
        enquiries = template.enquiries.name
        check = state.grids
        grid = check.get(enquiries, [])
        columns = _header_index(grid[0] if grid else [])
        id_header = template.column("id").header
        id_col = columns.get(_norm(id_header))
        if id_col is None:
            raise NotATracker(
                f"{self.label}: row 1 of the {enquiries} tab has no {id_header!r} column: put "
                "the header back, spelt exactly like that"
            )
        ids_now = [_at(row, id_col) for row in grid[1:]]
        moved = not ids_match(changes.expected_ids, ids_now)
        if not moved and read_grids is not None:
            moved = any(
                _trimmed(read_grids.get(n, [])) != _trimmed(check.get(n, [])) for n in names
            )
        if moved:
            self._forget()
            raise ConcurrentEdit(
                f"{self.label} changed while sheetcrm was refreshing it (rows were added, moved "
                "or edited): nothing was written"
            )

        plan = _Plan(state.sheets)
        enq = plan.find(enquiries)
        styles = template.styles
        self._plan_computed(plan, enq, grid, columns, changes.computed, styles)
        for row, new_id in sorted(changes.id_fills.items()):
            if row >= 2 and _blank(_at(grid[row - 1], id_col) if row - 1 < len(grid) else None):
                plan.writes.append(_update_cells(enq.sheet_id, row - 1, id_col, [[Cell(new_id)]],
                                                 styles, fields="userEnteredValue"))
                plan.touch(row - 1, row, id_col, id_col + 1)
        for name, content in changes.tabs.items():
            self._plan_owned_tab(plan, name, content, styles, hidden=False)
        if changes.meta:
            _plan_meta(plan, template.tab("meta").name, check.get(template.tab("meta").name, []),
                       changes.meta, styles)
        return self._seal(plan, template, guard=self._photograph(plan, enq, grid))

    def _plan_computed(
        self,
        plan: _Plan,
        enq: SheetInfo,
        grid: Grid,
        columns: dict[str, int],
        computed: Mapping[str, Sequence[Cell]],
        styles: Mapping[str, Style],
    ) -> None:
        used_cols = max((len(r) for r in grid), default=0)
        next_col = used_cols
        places: dict[str, int] = {}
        for header in computed:
            col = columns.get(_norm(header))
            if col is None:
                col = next_col
                next_col += 1
                plan.writes.append(_update_cells(enq.sheet_id, 0, col, [[Cell(header, "header")]],
                                                 styles))
                plan.touch(0, 1, col, col + 1)
            places[header] = col
        longest = max((len(c) for c in computed.values()), default=0)
        plan.grow(enq, rows=1 + longest, cols=next_col)
        used_rows = len(grid)
        for header, cells in computed.items():
            col = places[header]
            if cells:
                plan.writes.append(
                    _update_cells(enq.sheet_id, 1, col, [[c] for c in cells], styles)
                )
                plan.touch(1, 1 + len(cells), col, col + 1)
            # Rows below the computed ones may still show an old value (a row
            # was deleted since the last refresh): clear their values only.
            start = 1 + len(cells)
            if used_rows > start:
                plan.writes.append(_clear(enq.sheet_id, start, used_rows, col, col + 1))
                plan.touch(start, used_rows, col, col + 1)

    def _plan_owned_tab(
        self,
        plan: _Plan,
        name: str,
        content: TabContent,
        styles: Mapping[str, Style],
        *,
        hidden: bool,
    ) -> None:
        height = len(content.rows)
        width = max((len(r) for r in content.rows), default=0)
        info = plan.sheet(name, rows=height, cols=width, hidden=hidden,
                          freeze_rows=content.freeze_rows)
        for chart_id in info.chart_ids:
            plan.writes.append({"deleteEmbeddedObject": {"objectId": chart_id}})
        rows_total = max(info.rows, height)
        cols_total = max(info.cols, width)
        plan.writes.append(
            _update_cells(info.sheet_id, 0, 0, content.rows, styles,
                          fields=CELL_FIELDS + ",note", end_row=rows_total, end_col=cols_total)
        )
        if not plan.is_new(name):
            plan.writes.append(_freeze(info.sheet_id, content.freeze_rows, 0))
        for col, width_chars in sorted(content.widths.items()):
            plan.writes.append(_width(info.sheet_id, col - 1, width_chars))
        for chart in content.charts:
            plan.writes.append(_add_chart(info.sheet_id, chart))

    # ------------------------------------------------------------------ append

    def append(self, rows: Sequence[Mapping[str, CellValue]]) -> list[int]:
        """Insert the enquiries below the last used row in one atomic request."""
        if not rows:
            return []
        template = load_template()
        enquiries = template.enquiries.name
        advice = ("the new enquiries may or may not have been added: check the internet "
                  f"connection, then look at the {enquiries} tab before adding them again")

        def names(sheets: Sheets) -> list[str]:
            return [enquiries]

        def plan(state: _State) -> _Batch:
            if find_tab(state.sheets, enquiries) is None:
                raise self._not_a_tracker(template)
            batch = _Plan(state.sheets)
            numbers = self._plan_append(batch, template, batch.find(enquiries),
                                        state.grids.get(enquiries, []), rows)
            return self._seal(batch, template, numbers)

        with self._retry.window():
            sheets = self._sheets if self._sheets is not None else self._metadata("reading")
            if find_tab(sheets, enquiries) is None:
                raise self._not_a_tracker(template)
            if self._read_grids is not None and enquiries in self._read_grids:
                grids = self._read_grids
            else:
                grids = self._batch_get(names(sheets), sheets, f"reading {self.label}")
            numbers: list[int] = self._write("the new enquiries", advice,
                                             _State(sheets, dict(grids)), names, plan)
        return numbers

    def _plan_append(
        self,
        plan: _Plan,
        template: Template,
        enq: SheetInfo,
        grid: Grid,
        rows: Sequence[Mapping[str, CellValue]],
    ) -> list[int]:
        header = grid[0] if grid else []
        columns = _header_index(header)
        for row in rows:
            for key in row:
                if _norm(key) not in columns:
                    raise InputError(
                        f"{self.label}: the {template.enquiries.name} tab has no {key!r} "
                        "column: put the header back on row 1, spelt exactly like that"
                    )
        computed = {_norm(c.header) for c in template.computed_columns()}
        typed = [i for i, h in enumerate(header) if _norm(h) not in computed]
        last = 1
        for r, line in enumerate(grid[1:], start=2):
            if any(not _blank(_at(line, i)) for i in typed):
                last = r
        width = max(len(header), max((columns[_norm(k)] + 1 for r in rows for k in r), default=0))
        cells: list[list[Cell]] = []
        for record in rows:
            new_row = [Cell(None) for _ in range(width)]
            for key, value in record.items():
                new_row[columns[_norm(key)]] = Cell(value)
            cells.append(new_row)
        plan.grow(enq, rows=0, cols=width)
        # Inserting fresh rows (rather than writing into the empty ones) means
        # a row the owner typed since the read is pushed down, never overwritten.
        plan.writes.append({
            "insertDimension": {
                "range": {"sheetId": enq.sheet_id, "dimension": "ROWS",
                          "startIndex": last, "endIndex": last + len(rows)},
                "inheritFromBefore": last > 1,
            }
        })
        enq.rows += len(rows)
        styles = template.styles
        plan.writes.append(
            _update_cells(enq.sheet_id, last, 0, cells, styles, fields="userEnteredValue")
        )
        # A date-time needs a date format to show as one; set it on those cells only.
        for i, new_line in enumerate(cells):
            for col, new_cell in enumerate(new_line):
                kind = _default_style(new_cell.value)
                if kind is not None:
                    plan.writes.append(_update_cells(
                        enq.sheet_id, last + i, col, [[Cell(new_cell.value, style=kind)]], styles,
                        fields="userEnteredFormat.numberFormat",
                    ))
        return list(range(last + 1, last + 1 + len(rows)))

    # ------------------------------------------------------------------ merge (sync)

    def merge(
        self,
        edits: Mapping[tuple[int, str], CellValue],
        new_rows: Sequence[Mapping[str, CellValue]] = (),
        *,
        log_tab: str | None = None,
        log_header: Sequence[str] = (),
        log_rows: Sequence[Sequence[CellValue]] = (),
    ) -> list[int]:
        """Write owner cells, append rows and log lines in one atomic request (for sync).

        ``edits`` maps (row number, Enquiries header) to a value, as of the
        last :meth:`read`; if the sheet changed since, raises ConcurrentEdit
        and writes nothing.  ``log_rows`` go below the last row of ``log_tab``
        (created with ``log_header`` when missing).  Returns the appended rows.
        """
        if self._read_grids is None or self._sheets is None:
            raise SheetCRMError("GoogleBackend.merge needs a read() first")
        template = load_template()
        read_grids = self._read_grids
        advice = ("the offline changes may or may not have been merged: check the internet "
                  "connection, then look at the sheet before syncing again, or new enquiries "
                  "may be added twice")

        def names(sheets: Sheets) -> list[str]:
            read = self._read_names(template, sheets)
            if log_tab and find_tab(sheets, log_tab) is not None \
                    and tab_key(log_tab) not in {tab_key(n) for n in read}:
                read.append(log_tab)
            return read

        def plan(state: _State) -> _Batch:
            return self._plan_merge(template, state, read_grids, names(state.sheets), edits,
                                    new_rows, log_tab, log_header, log_rows)

        with self._retry.window():
            sheets = self._sheets
            state = _State(sheets, self._batch_get(names(sheets), sheets,
                                                   f"checking {self.label} before writing"))
            numbers: list[int] = self._write("the merged changes", advice, state, names, plan)
        return numbers

    def _plan_merge(
        self,
        template: Template,
        state: _State,
        read_grids: Mapping[str, Grid],
        names: Sequence[str],
        edits: Mapping[tuple[int, str], CellValue],
        new_rows: Sequence[Mapping[str, CellValue]],
        log_tab: str | None,
        log_header: Sequence[str],
        log_rows: Sequence[Sequence[CellValue]],
    ) -> _Batch:
        enquiries = template.enquiries.name
        check = state.grids
        compared = [n for n in names if log_tab is None or tab_key(n) != tab_key(log_tab)]
        if find_tab(state.sheets, enquiries) is None or any(
                _trimmed(read_grids.get(n, [])) != _trimmed(check.get(n, [])) for n in compared):
            self._forget()
            raise ConcurrentEdit(
                f"{self.label} changed while sheetcrm was merging into it: nothing was written"
            )
        grid = check[enquiries]
        columns = _header_index(grid[0] if grid else [])
        plan = _Plan(state.sheets)
        enq = plan.find(enquiries)
        styles = template.styles
        for (row, header), value in sorted(edits.items(), key=lambda e: (e[0][0], e[0][1])):
            col = columns.get(_norm(header))
            if col is None or row < 2:
                raise InputError(
                    f"{self.label}: the {enquiries} tab has no {header!r} column: put the "
                    "header back on row 1, spelt exactly like that"
                )
            plan.writes.append(_update_cells(enq.sheet_id, row - 1, col, [[Cell(value)]],
                                             styles, fields="userEnteredValue"))
            plan.touch(row - 1, row, col, col + 1)
        numbers = self._plan_append(plan, template, enq, grid, new_rows) if new_rows else []
        inserted = (numbers[0] - 1, len(numbers)) if numbers else None
        if log_tab and log_rows:
            existing = _trimmed(check.get(log_tab, []))
            lines = [list(r) for r in log_rows]
            start = len(existing)
            if not existing:
                lines.insert(0, list(log_header))
            width = max(len(r) for r in lines)
            info = plan.sheet(log_tab, rows=start + len(lines), cols=width, hidden=False)
            cells = [[Cell(v, style="header" if not existing and i == 0 else None) for v in r]
                     for i, r in enumerate(lines)]
            plan.writes.append(_update_cells(info.sheet_id, start, 0, cells, styles))
        guard = self._photograph(plan, enq, grid, inserted) if edits else None
        return self._seal(plan, template, numbers, guard)

    # ------------------------------------------------------------------ create

    def create(self, template: Template, contents: Mapping[str, TabContent]) -> None:
        """Format an empty spreadsheet as a tracker: three requests in all."""
        advice = ("the tracker may or may not have been set up: check the internet connection, "
                  f"then open the sheet; if it has an {template.enquiries.name!r} tab, run "
                  "`sheetcrm refresh` on it instead of `init`")

        def names(sheets: Sheets) -> list[str]:
            return [s.title for s in sheets.values()]

        def plan(state: _State) -> _Batch:
            return self._plan_create(template, contents, state)

        with self._retry.window():
            state = self._state(names, "opening the sheet")
            self._write("the new tracker", advice, state, names, plan)

    def _plan_create(self, template: Template, contents: Mapping[str, TabContent],
                     state: _State) -> _Batch:
        sheets = state.sheets
        existing = {tab_key(n): g for n, g in state.grids.items()}
        template_keys = {tab_key(t.name) for t in template.tabs}
        template_names = [t.name for t in template.tabs] + [
            n for n in contents if tab_key(n) not in template_keys
        ]
        for name in template_names:
            info = find_tab(sheets, name)
            if info is not None and _trimmed(existing.get(tab_key(name), [])):
                raise InputError(
                    f"{self.label} already has a tab called {info.title!r} with data, so "
                    "sheetcrm will not set it up again: use an empty sheet for a new tracker, or "
                    "run `sheetcrm refresh` on this one"
                )
        plan = _Plan(sheets)
        styles = template.styles
        tabs_by_key = {tab_key(t.name): t for t in template.tabs}
        for position, name in enumerate(template_names):
            tab = tabs_by_key.get(tab_key(name))
            if tab is not None and tab.kind == "enquiries":
                self._plan_enquiries(plan, template, tab, contents, position)
                continue
            content = _content_for(contents, name) or TabContent(rows=[])
            hidden = tab.hidden if tab is not None else False
            height = max(len(content.rows) + 100, MIN_ROWS)
            width = max(max((len(r) for r in content.rows), default=0) + 2, MIN_COLS)
            info = plan.sheet(name, rows=height, cols=width, hidden=hidden,
                              freeze_rows=content.freeze_rows, index=position, exact=True)
            if content.rows:
                plan.writes.append(_update_cells(info.sheet_id, 0, 0, content.rows, styles,
                                                 fields=CELL_FIELDS))
            for col, width_chars in sorted(content.widths.items()):
                plan.writes.append(_width(info.sheet_id, col - 1, width_chars))
            for chart in content.charts:
                plan.writes.append(_add_chart(info.sheet_id, chart))
        # The blank first tab of a new spreadsheet ("Sheet1") goes; tabs with data stay.
        names_kept = {tab_key(n) for n in template_names}
        for key, info in sheets.items():
            if key not in names_kept and not _trimmed(existing.get(key, [])):
                plan.deletes.append({"deleteSheet": {"sheetId": info.sheet_id}})
        timezone = _setting_text(contents, template, "timezone") or DEFAULT_TIMEZONE
        plan.writes.append({
            "updateSpreadsheetProperties": {
                "properties": {"locale": LOCALE, "timeZone": timezone, "autoRecalc": "HOUR"},
                "fields": "locale,timeZone,autoRecalc",
            }
        })
        return self._seal(plan, template)

    def _plan_enquiries(
        self,
        plan: _Plan,
        template: Template,
        tab: Tab,
        contents: Mapping[str, TabContent],
        position: int,
    ) -> None:
        columns = tab.columns
        rows = template.rows
        info = plan.sheet(tab.name, rows=rows + 1, cols=max(len(columns), MIN_COLS),
                          hidden=tab.hidden, freeze_rows=tab.freeze_rows,
                          freeze_cols=tab.freeze_cols, index=position, exact=True)
        sid = info.sheet_id
        styles = template.styles
        header_cells = [
            {**_cell_data(Cell(c.header, "header"), styles), **({"note": c.note} if c.note else {})}
            for c in columns
        ]
        plan.writes.append({
            "updateCells": {
                "start": {"sheetId": sid, "rowIndex": 0, "columnIndex": 0},
                "rows": [{"values": header_cells}],
                "fields": "userEnteredValue,userEnteredFormat,note",
            }
        })
        data = {"sheetId": sid, "startRowIndex": 1, "endRowIndex": rows + 1}
        for i, col in enumerate(columns):
            plan.writes.append(_width(sid, i, col.width))
            fmt = _format(styles.get(col.style) if col.style else None)
            if fmt:
                plan.writes.append({
                    "repeatCell": {
                        "range": {**data, "startColumnIndex": i, "endColumnIndex": i + 1},
                        "cell": {"userEnteredFormat": fmt},
                        "fields": "userEnteredFormat",
                    }
                })
            rule = _validation(col, i)
            if rule is not None:
                plan.writes.append({
                    "setDataValidation": {
                        "range": {**data, "startColumnIndex": i, "endColumnIndex": i + 1},
                        "rule": rule,
                    }
                })
            if col.role == "computed":
                plan.writes.append({
                    "addProtectedRange": {
                        "protectedRange": {
                            "range": {"sheetId": sid, "startColumnIndex": i,
                                      "endColumnIndex": i + 1},
                            "description": f"{col.header}: written by sheetcrm on every refresh",
                            "warningOnly": True,
                        }
                    }
                })
        plan.writes.append({
            "addProtectedRange": {
                "protectedRange": {
                    "range": {"sheetId": sid, "startRowIndex": 0, "endRowIndex": 1},
                    "description": "Headers: sheetcrm finds each column by its name",
                    "warningOnly": True,
                }
            }
        })
        letters = {c.key: column_letter(i + 1) for i, c in enumerate(columns)}
        sla_ref = _sla_reference(contents, template)
        for n, cf in enumerate(tab.conditional_formats):
            formula = template.cf_formula(cf, letters, 2, sla_ref)
            plan.writes.append({
                "addConditionalFormatRule": {
                    "index": n,
                    "rule": {
                        "ranges": [{**data, "startColumnIndex": 0,
                                    "endColumnIndex": len(columns)}],
                        "booleanRule": {
                            "condition": {"type": "CUSTOM_FORMULA",
                                          "values": [{"userEnteredValue": "=" + formula}]},
                            "format": _cf_format(styles.get(cf.style)),
                        },
                    },
                }
            })


# ---------------------------------------------------------------------- planning


class _Plan:
    """The requests of one batchUpdate, with tab creation and resizing first."""

    def __init__(self, sheets: Mapping[str, SheetInfo]) -> None:
        # Copies: planning grows grids, and a failed write must leave the cache true.
        self.sheets: Sheets = {tab_key(info.title): replace(info, chart_ids=list(info.chart_ids))
                               for info in sheets.values()}
        self.structure: list[dict[str, Any]] = []
        self.writes: list[dict[str, Any]] = []
        self.deletes: list[dict[str, Any]] = []
        #: Enquiries cells addressed by position, for the row guard.
        self.touched: list[Box] = []
        self._new: set[str] = set()
        self._next_id = max((s.sheet_id for s in sheets.values()), default=0) + 1

    def touch(self, row0: int, row1: int, col0: int, col1: int) -> None:
        """Record that the batch writes Enquiries cells [row0, row1) x [col0, col1)."""
        if row1 > row0 and col1 > col0:
            self.touched.append(Box(row0, row1, col0, col1))

    def is_new(self, name: str) -> bool:
        """Whether this batch adds the tab."""
        return tab_key(name) in self._new

    def find(self, name: str) -> SheetInfo:
        """The tab called ``name`` (trimmed, ignoring case), which must exist or be planned."""
        info = find_tab(self.sheets, name)
        if info is None:
            raise SheetCRMError(f"sheetcrm planned a write to a tab {name!r} that does not exist")
        return info

    def sheet(
        self,
        name: str,
        *,
        rows: int,
        cols: int,
        hidden: bool,
        freeze_rows: int = 0,
        freeze_cols: int = 0,
        index: int | None = None,
        exact: bool = False,
    ) -> SheetInfo:
        """The tab ``name``, added (or, with ``exact``, reshaped) so it holds rows x cols."""
        grid = {
            "rowCount": max(rows, 1),
            "columnCount": max(cols, 1),
            "frozenRowCount": freeze_rows,
            "frozenColumnCount": freeze_cols,
        }
        info = find_tab(self.sheets, name)
        if info is None:
            sheet_id = self._next_id
            self._next_id += 1
            if not exact:
                grid["rowCount"] = max(rows + 100, MIN_ROWS)
                grid["columnCount"] = max(cols + 2, MIN_COLS)
            props: dict[str, Any] = {"sheetId": sheet_id, "title": name, "hidden": hidden,
                                     "gridProperties": grid}
            if index is not None:
                props["index"] = index
            self.structure.append({"addSheet": {"properties": props}})
            info = SheetInfo(sheet_id, name, index if index is not None else len(self.sheets),
                             grid["rowCount"], grid["columnCount"], hidden)
            self.sheets[tab_key(name)] = info
            self._new.add(tab_key(name))
        elif exact:
            props = {"sheetId": info.sheet_id, "hidden": hidden, "gridProperties": grid}
            fields = ["hidden", "gridProperties"]
            if index is not None:
                props["index"] = index
                fields.append("index")
            self.structure.append({
                "updateSheetProperties": {"properties": props, "fields": ",".join(fields)}
            })
            info.rows, info.cols, info.hidden = grid["rowCount"], grid["columnCount"], hidden
        else:
            self.grow(info, rows=rows, cols=cols)
        return info

    def grow(self, info: SheetInfo, *, rows: int, cols: int) -> None:
        """Append rows or columns so the tab's grid holds rows x cols."""
        if rows > info.rows:
            self.structure.append(_append_dimension(info.sheet_id, "ROWS", rows - info.rows))
            info.rows = rows
        if cols > info.cols:
            self.structure.append(_append_dimension(info.sheet_id, "COLUMNS", cols - info.cols))
            info.cols = cols

    def requests(self) -> list[dict[str, Any]]:
        """Every request in a safe order."""
        return self.structure + self.writes + self.deletes


def _append_dimension(sheet_id: int, dimension: str, length: int) -> dict[str, Any]:
    return {"appendDimension": {"sheetId": sheet_id, "dimension": dimension, "length": length}}


def _freeze(sheet_id: int, rows: int, cols: int) -> dict[str, Any]:
    return {
        "updateSheetProperties": {
            "properties": {"sheetId": sheet_id,
                           "gridProperties": {"frozenRowCount": rows, "frozenColumnCount": cols}},
            "fields": "gridProperties.frozenRowCount,gridProperties.frozenColumnCount",
        }
    }


def _width(sheet_id: int, col0: int, chars: float) -> dict[str, Any]:
    # Template widths are Excel character widths; 7 px a character plus padding.
    return {
        "updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": "COLUMNS",
                      "startIndex": col0, "endIndex": col0 + 1},
            "properties": {"pixelSize": round(chars * 7 + 5)},
            "fields": "pixelSize",
        }
    }


def _update_cells(
    sheet_id: int,
    row0: int,
    col0: int,
    rows: Sequence[Sequence[Cell]],
    styles: Mapping[str, Style],
    *,
    fields: str = CELL_FIELDS,
    end_row: int | None = None,
    end_col: int | None = None,
) -> dict[str, Any]:
    """An updateCells request; with end_row/end_col, cells of the range not in rows are cleared."""
    body: dict[str, Any] = {
        "rows": [{"values": [_cell_data(c, styles) for c in line]} for line in rows],
        "fields": fields,
    }
    if end_row is None or end_col is None:
        body["start"] = {"sheetId": sheet_id, "rowIndex": row0, "columnIndex": col0}
    else:
        body["range"] = {"sheetId": sheet_id, "startRowIndex": row0, "endRowIndex": end_row,
                         "startColumnIndex": col0, "endColumnIndex": end_col}
    return {"updateCells": body}


def _clear(sheet_id: int, row0: int, row1: int, col0: int, col1: int) -> dict[str, Any]:
    return {
        "updateCells": {
            "range": {"sheetId": sheet_id, "startRowIndex": row0, "endRowIndex": row1,
                      "startColumnIndex": col0, "endColumnIndex": col1},
            "fields": "userEnteredValue",
        }
    }


# ---------------------------------------------------------------------- cells


def extended_value(value: CellValue | Formula) -> dict[str, Any] | None:
    """The Sheets ExtendedValue for a cell value; None for an empty cell.

    Text is always a stringValue, which Sheets never parses: only a
    :class:`Formula` becomes a formula.
    """
    if value is None or value == "":
        return None
    if isinstance(value, Formula):
        return {"formulaValue": value.text}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return {"stringValue": str(value)}
        return {"numberValue": value}
    if isinstance(value, dt.time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        return {"numberValue": seconds / 86400}
    if isinstance(value, dt.datetime | dt.date):
        # The core hands over local wall-clock time; to_serial takes it as it reads.
        return {"numberValue": to_serial(value)}
    return {"stringValue": str(value)}


def _default_style(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    return None


_DEFAULT_FORMATS = {"datetime": "dd/mm/yyyy hh:mm", "date": "dd/mm/yyyy", "time": "hh:mm"}


def _cell_data(cell: Cell, styles: Mapping[str, Style]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    value = extended_value(cell.value)
    if value is not None:
        data["userEnteredValue"] = value
    style = styles.get(cell.style) if cell.style else None
    fmt = _format(style)
    if "numberFormat" not in fmt:
        kind = _default_style(cell.value)
        if kind is not None:
            fmt["numberFormat"] = number_format(_DEFAULT_FORMATS[kind])
    if cell.link:
        text = dict(fmt.get("textFormat", {}))
        text["link"] = {"uri": cell.link}
        fmt["textFormat"] = text
    if fmt:
        data["userEnteredFormat"] = fmt
    return data


def number_format(code: str) -> dict[str, str]:
    """An Excel number format code as a Sheets NumberFormat."""
    lowered = code.lower()
    if code == "@":
        return {"type": "TEXT", "pattern": "@"}
    if "%" in code:
        kind = "PERCENT"
    elif ("y" in lowered or "d" in lowered) and "h" in lowered:
        kind = "DATE_TIME"
    elif "y" in lowered or "d" in lowered:
        kind = "DATE"
    elif "h" in lowered or "s" in lowered:
        kind = "TIME"
    else:
        kind = "NUMBER"
    return {"type": kind, "pattern": code}


def colour(hex_colour: str) -> dict[str, float]:
    """#RRGGBB as a Sheets Color (0-1 floats)."""
    h = hex_colour.lstrip("#")
    return {k: round(int(h[i:i + 2], 16) / 255, 4) for k, i in (("red", 0), ("green", 2),
                                                                ("blue", 4))}


def _format(style: Style | None) -> dict[str, Any]:
    if style is None:
        return {}
    fmt: dict[str, Any] = {}
    text: dict[str, Any] = {}
    if style.bold:
        text["bold"] = True
    if style.italic:
        text["italic"] = True
    if style.underline:
        text["underline"] = True
    if style.size:
        text["fontSize"] = int(style.size)
    if style.font_colour:
        text["foregroundColor"] = colour(style.font_colour)
    if text:
        fmt["textFormat"] = text
    if style.fill:
        fmt["backgroundColor"] = colour(style.fill)
    if style.wrap:
        fmt["wrapStrategy"] = "WRAP"
    if style.number_format:
        fmt["numberFormat"] = number_format(style.number_format)
    return fmt


def _cf_format(style: Style | None) -> dict[str, Any]:
    # A conditional format may only set colours, bold, italic and strikethrough.
    fmt = _format(style)
    out: dict[str, Any] = {}
    if "backgroundColor" in fmt:
        out["backgroundColor"] = fmt["backgroundColor"]
    text = {k: v for k, v in fmt.get("textFormat", {}).items()
            if k in ("bold", "italic", "foregroundColor")}
    if text:
        out["textFormat"] = text
    return out


def _validation(col: Column, index: int) -> dict[str, Any] | None:
    v = col.validation
    if v is None:
        return None
    rule: dict[str, Any]
    if v.kind == "list" and v.source:
        source = v.source if v.source.startswith("=") else "=" + v.source
        rule = {"condition": {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": source}]},
                "showCustomUi": True}
    elif v.kind == "list":
        rule = {"condition": {"type": "ONE_OF_LIST",
                              "values": [{"userEnteredValue": x} for x in v.values]},
                "showCustomUi": True}
    else:
        cell = f"{column_letter(index + 1)}2"
        lo = v.min if v.min is not None else 0
        checks = [f"ISNUMBER({cell})", f"{cell}=INT({cell})", f"{cell}>={lo}"]
        if v.max is not None:
            checks.append(f"{cell}<={v.max}")
        rule = {
            "condition": {"type": "CUSTOM_FORMULA",
                          "values": [{"userEnteredValue": f"=AND({','.join(checks)})"}]},
            "inputMessage": f"A whole number from {lo} to {v.max}" if v.max is not None
            else f"A whole number from {lo}",
        }
    # Not strict: a wrong value gets a warning triangle, never a lost entry.
    rule["strict"] = False
    return rule


def _add_chart(sheet_id: int, chart: Chart) -> dict[str, Any]:
    def block(col: int) -> dict[str, Any]:
        return {"sheetId": sheet_id, "startRowIndex": chart.first_row - 1,
                "endRowIndex": chart.last_row, "startColumnIndex": col - 1, "endColumnIndex": col}

    bar = chart.kind == "bar"
    value_axis = "BOTTOM_AXIS" if bar else "LEFT_AXIS"
    axes: list[dict[str, Any]] = []
    if chart.y_axis_title:
        axes.append({"position": value_axis, "title": chart.y_axis_title})
    spec = {
        "title": chart.title,
        "basicChart": {
            "chartType": "BAR" if bar else "LINE",
            "legendPosition": "BOTTOM_LEGEND",
            "axis": axes,
            "headerCount": 1,
            "domains": [{"domain": {"sourceRange": {"sources": [block(chart.first_col)]}}}],
            "series": [
                {"series": {"sourceRange": {"sources": [block(c)]}}, "targetAxis": value_axis}
                for c in range(chart.first_col + 1, chart.last_col + 1)
            ],
        },
    }
    position = {
        "overlayPosition": {
            "anchorCell": {"sheetId": sheet_id, "rowIndex": chart.anchor_row - 1,
                           "columnIndex": chart.anchor_col - 1},
            "widthPixels": CHART_SIZE[0],
            "heightPixels": CHART_SIZE[1],
        }
    }
    return {"addChart": {"chart": {"spec": spec, "position": position}}}


# ---------------------------------------------------------------------- helpers


def _send_batch(key: str, body: list[dict[str, Any]], http: Any) -> Any:
    return http.batch_update(key, {"requests": body})


def _norm(value: Any) -> str:
    return header_key(value)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _at(row: Sequence[CellValue], i: int) -> CellValue:
    return row[i] if i < len(row) else None


def _header_index(header: Sequence[CellValue]) -> dict[str, int]:
    return header_positions(header)


def _grid_of(value_range: Mapping[str, Any]) -> Grid:
    """The values of one ValueRange, trimmed, with None for an empty cell.

    Google answers "" for an empty cell left of a filled one; the other
    backends say None, and the core should not see the difference.
    """
    return _trimmed([[None if v == "" else v for v in row]
                     for row in value_range.get("values", [])])


def _trimmed(grid: Grid) -> list[list[CellValue]]:
    rows = [list(r) for r in grid]
    for r in rows:
        while r and (r[-1] is None or r[-1] == ""):
            r.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _template_name(template: Template, title: str) -> str:
    """The template's name for a tab, when it is one of the template's; else its title."""
    for tab in template.tabs:
        if tab_key(tab.name) == tab_key(title):
            return tab.name
    return title


def _content_for(contents: Mapping[str, TabContent], name: str) -> TabContent | None:
    """The content given for the tab ``name`` (trimmed, ignoring case)."""
    if name in contents:
        return contents[name]
    return next((c for n, c in contents.items() if tab_key(n) == tab_key(name)), None)


def _plan_meta(plan: _Plan, name: str, grid: Grid, updates: Mapping[str, str],
               styles: Mapping[str, Style]) -> None:
    """Set ``updates`` on the meta tab: a known key's value in place, a new key below the rest.

    Only those cells are written, so other keys on the tab (and any a
    concurrent command wrote) are left as they are.
    """
    rows: dict[str, int] = {}
    for i, row in enumerate(grid):
        key = text_of(_at(row, 0))
        if key and key not in rows:
            rows[key] = i
    next_row = len(grid)
    writes: list[tuple[int, int, list[list[Cell]]]] = []
    for key, value in updates.items():
        if key in rows:
            writes.append((rows[key], 1, [[Cell(value)]]))
        else:
            writes.append((next_row, 0, [[Cell(key), Cell(value)]]))
            next_row += 1
    info = plan.sheet(name, rows=next_row, cols=2, hidden=True)
    for row0, col0, cells in writes:
        plan.writes.append(_update_cells(info.sheet_id, row0, col0, cells, styles,
                                         fields="userEnteredValue"))


def _setting_text(contents: Mapping[str, TabContent], template: Template, key: str
                  ) -> str | None:
    """A setting's text on the Settings tab about to be written, if it has one."""
    content = _content_for(contents, template.tab("settings").name)
    row0 = setting_row(template, key) - 1
    if content is None or row0 >= len(content.rows) or len(content.rows[row0]) < 2:
        return None
    value = content.rows[row0][1].value
    return value.strip() if isinstance(value, str) and value.strip() else None


def _sla_reference(contents: Mapping[str, TabContent], template: Template) -> str:
    """The SLA hours cell for a conditional format, through INDIRECT.

    Sheets conditional formats cannot refer to another tab directly; INDIRECT
    with the address as text is the documented way round.
    """
    settings_tab = template.tab("settings")
    if _content_for(contents, settings_tab.name) is None:
        # No Settings content: fall back to the template default so the rule still works.
        spec = next((s for s in settings_tab.settings if s.key == "sla_hours"), None)
        return str(spec.default if spec else 4)
    address = setting_cell(template, "sla_hours", tab=absolute_range_name(settings_tab.name))
    return f'INDIRECT("{address}")'
