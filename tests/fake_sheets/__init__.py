"""An in-process fake of the Google Sheets v4 API (and the Drive v3 calls gspread makes).

It plugs into gspread through its public seam, a ``requests.Session``::

    fake = FakeSheets()
    key = fake.create_spreadsheet("Tracker")
    gc = fake.client()                      # gspread.Client on the fake
    ws = gc.open_by_key(key).sheet1

Behaviour is checked against real recordings of Google's replies by
``tests/test_fake_sheets_contract.py``; what is approximated or missing is
listed in ``docs/fake-sheets.md``.
"""

from __future__ import annotations

import datetime as dt
import json as jsonlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import gspread
import requests
from google.auth.credentials import AnonymousCredentials
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from . import _valueapi
from ._batch import Context, insert_dimension, sort_range
from ._get import render_spreadsheet, spreadsheet_url
from ._server import Reply, Route, Server, route
from ._state import ApiError, Box, Spreadsheet

__all__ = ["FakeSheets", "FakeSheetsError", "Request"]

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_STATUS_MESSAGES = {
    500: "Internal error encountered.",
    502: "The service is currently unavailable.",
    503: "The service is currently unavailable.",
    504: "The request timed out. Please try again.",
}


class FakeSheetsError(ValueError):
    """A test used the fake's direct-access helpers wrongly (unknown key, tab or range)."""


@dataclass
class Request:
    """One HTTP request the fake received."""

    method: str
    url: str
    path: str
    #: Query parameters, first value of each (``all_params`` keeps repeats such as ranges).
    params: dict[str, str]
    all_params: dict[str, list[str]]
    #: The decoded JSON body, or None.
    json: Any
    #: Short name: "spreadsheets.get", "values.batchUpdate", "drive.files.create", ...
    kind: str
    #: Spreadsheet key from the URL, if any.
    key: str | None = None
    #: A1 range from the URL for values.get/update/append/clear.
    range: str | None = None
    #: For batchUpdate: the request types in order, e.g. ["addSheet", "repeatCell"].
    batch_kinds: list[str] = field(default_factory=list)
    #: Bytes of the request body as sent (0 for none): what the request costs on the wire.
    size: int = 0


@dataclass
class _Fault:
    status: int | str
    kind: str | None
    remaining: int | None  # None: forever
    applied: bool = False


def _matches(kind_filter: str | None, kind: str) -> bool:
    if kind_filter is None:
        return True
    if kind_filter.endswith("*"):
        return kind.startswith(kind_filter[:-1])
    return kind == kind_filter


class _Adapter(BaseAdapter):
    """The transport: every https:// request on the session goes to the fake."""

    def __init__(self, fake: FakeSheets) -> None:
        super().__init__()
        self.fake = fake

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        """Answer one prepared request."""
        return self.fake._serve(request)

    def close(self) -> None:
        """Nothing to release."""


class FakeSheets:
    """A stateful fake of Google Sheets (and the Drive calls gspread makes)."""

    def __init__(
        self, *, service_account_email: str = "sheetcrm@demo-project.iam.gserviceaccount.com"
    ) -> None:
        self.service_account_email = service_account_email
        self._server = Server(service_account_email)
        self._lock = threading.RLock()
        self._faults: list[_Fault] = []
        self._hook: Callable[[Request], None] | None = None
        self.requests: list[Request] = []
        self._quota: _Quota | None = None
        self._drive_full = False

    # -------------------------------------------------------------- wiring

    def session(self) -> requests.Session:
        """A requests session whose https:// traffic is answered by this fake."""
        s = requests.Session()
        s.mount("https://", _Adapter(self))
        s.mount("http://", _Adapter(self))
        return s

    def client(self) -> gspread.Client:
        """A gspread client talking to this fake."""
        creds = AnonymousCredentials()  # type: ignore[no-untyped-call]
        return gspread.Client(auth=creds, session=self.session())

    # -------------------------------------------------------------- files

    def create_spreadsheet(
        self,
        title: str = "Untitled spreadsheet",
        *,
        shared: bool = True,
        locale: str = "en_US",
        time_zone: str = "Etc/GMT",
    ) -> str:
        """Make a new spreadsheet (as the owner would) and return its key.

        ``shared=False`` makes one the service account cannot open: the Sheets
        API answers 403 PERMISSION_DENIED and Drive answers 404, as Google does.
        ``locale`` and ``time_zone`` default to what Google gives a spreadsheet
        made through the API; an owner's own sheet may differ (en_GB, Africa/Kampala).
        """
        with self._lock:
            ss = self._server.create(title, shared=shared)
            ss.props["locale"] = locale
            ss.props["timeZone"] = time_zone
            return ss.key

    def share(self, key: str, shared: bool = True) -> None:
        """Share (or unshare) a spreadsheet with the service account."""
        with self._lock:
            self._file(key).shared = shared

    def url(self, key: str) -> str:
        """The spreadsheet's browser URL."""
        return spreadsheet_url(key)

    def keys(self) -> list[str]:
        """Keys of every spreadsheet in the fake, in creation order."""
        with self._lock:
            return list(self._server.files)

    # -------------------------------------------------------------- the owner's phone

    def get_values(
        self, key: str, tab: str, *, render: str = "UNFORMATTED_VALUE"
    ) -> list[list[Any]]:
        """The tab's values, trimmed like Google (dates as serials unless FORMATTED_VALUE)."""
        with self._lock:
            ss = self._file(key)
            sheet = self._tab(ss, tab)
            if render not in _valueapi.VALUE_RENDER:
                raise FakeSheetsError(f"Unknown render option {render!r}.")
            return _valueapi.read_box(
                ss, Box(sheet, 0, sheet.row_count, 0, sheet.col_count),
                value_render=render, datetime_render="SERIAL_NUMBER", major="ROWS",
            )

    def set_values(
        self,
        key: str,
        tab: str,
        a1_start: str,
        rows: list[list[Any]],
        *,
        input: str = "USER_ENTERED",
    ) -> None:
        """Type values into the tab from ``a1_start``, as the owner would on a phone.

        USER_ENTERED reads strings as a person typing them; RAW stores them as sent.

        ``None`` leaves a cell as it is; ``""`` empties it.  ``datetime``/``date``
        values are typed as ``2026-11-23 09:40`` / ``2026-11-23``.
        """
        if input not in _valueapi.INPUT_OPTIONS:
            raise FakeSheetsError(f"Unknown input option {input!r}.")
        typed = [[self._typed(v, input) for v in row] for row in rows]
        with self._lock:
            ss = self._file(key)
            self._tab(ss, tab)
            work = ss.clone()
            target = f"{_quote(tab)}!{a1_start}"
            try:
                _valueapi.write_values(work, target, typed, "ROWS", input)
            except ApiError as exc:
                raise FakeSheetsError(exc.message) from None
            self._server.commit(work)

    @staticmethod
    def _typed(value: Any, input: str) -> Any:
        if isinstance(value, dt.datetime):
            if input == "USER_ENTERED":
                return value.strftime("%Y-%m-%d %H:%M:%S")
            return (value.replace(tzinfo=None) - dt.datetime(1899, 12, 30)) / dt.timedelta(days=1)
        if isinstance(value, dt.date):
            if input == "USER_ENTERED":
                return value.isoformat()
            return float((value - dt.date(1899, 12, 30)).days)
        return value

    def insert_rows(self, key: str, tab: str, before_row: int, count: int = 1) -> None:
        """Insert ``count`` empty rows above 1-based ``before_row``.

        The new rows take their formats from the row pushed down, as when the
        owner inserts rows above a data row.
        """
        self._insert(key, tab, "ROWS", before_row, count)

    def insert_columns(self, key: str, tab: str, before_col: int, count: int = 1) -> None:
        """Insert ``count`` empty columns left of 1-based ``before_col``."""
        self._insert(key, tab, "COLUMNS", before_col, count)

    def _insert(self, key: str, tab: str, dimension: str, before: int, count: int) -> None:
        with self._lock:
            ss = self._file(key)
            self._tab(ss, tab)
            work = ss.clone()
            sheet = self._tab(work, tab)
            size = sheet.row_count if dimension == "ROWS" else sheet.col_count
            if not 1 <= before <= size + 1 or count < 1:
                what = "rows before row" if dimension == "ROWS" else "columns before column"
                raise FakeSheetsError(f"Cannot insert {count} {what} {before} of {tab!r}.")
            insert_dimension(work, sheet, dimension, before - 1, before - 1 + count,
                             inherit_before=False)
            self._server.commit(work)

    def delete_rows(self, key: str, tab: str, row: int, count: int = 1) -> None:
        """Delete ``count`` rows starting at 1-based ``row``."""
        with self._lock:
            ss = self._file(key)
            self._tab(ss, tab)
            work = ss.clone()
            sheet = self._tab(work, tab)
            if not 1 <= row or row - 1 + count > sheet.row_count or count < 1:
                raise FakeSheetsError(f"Cannot delete rows {row}..{row + count - 1} of {tab!r}.")
            if count >= sheet.row_count:
                raise FakeSheetsError("Google does not let you delete every row of a tab.")
            from ._batch import _shift_named

            sheet.delete("ROWS", row - 1, row - 1 + count)
            _shift_named(work, sheet, True, row - 1, row - 1 + count, insert=False)
            self._server.commit(work)

    def sort_rows(
        self, key: str, tab: str, *, column: int, first_row: int = 2, reverse: bool = False
    ) -> None:
        """Sort rows ``first_row``.. by 1-based ``column``, as Data > Sort range does."""
        with self._lock:
            ss = self._file(key)
            self._tab(ss, tab)
            work = ss.clone()
            sheet = self._tab(work, tab)
            ctx = Context(work, self._server.rng, self.service_account_email)
            sort_range(ctx, {
                "range": {"sheetId": sheet.sheet_id, "startRowIndex": first_row - 1,
                          "endRowIndex": sheet.row_count, "startColumnIndex": 0,
                          "endColumnIndex": sheet.col_count},
                "sortSpecs": [{"dimensionIndex": column - 1,
                               "sortOrder": "DESCENDING" if reverse else "ASCENDING"}],
            })
            self._server.commit(work)

    def sheet_properties(self, key: str, *, grid_data: bool = True) -> dict[str, Any]:
        """The spreadsheet resource as GET spreadsheets/<key> returns it (grid data included).

        Per-cell formats, notes and validation rules are under
        ``sheets[i]["data"][0]["rowData"]``; pass ``grid_data=False`` for
        properties, merges, rules, charts and protected ranges only.
        """
        with self._lock:
            return render_spreadsheet(
                self._file(key), include_grid_data=grid_data, ranges=[], mask=None
            )

    def cell(self, key: str, tab: str, a1: str) -> dict[str, Any]:
        """One cell as CellData (userEnteredValue, userEnteredFormat, note, dataValidation...)."""
        from ._get import render_cell

        with self._lock:
            ss = self._file(key)
            self._tab(ss, tab)
            box = ss.box(f"{_quote(tab)}!{a1}")
            stored = box.sheet.cells.get((box.row0, box.col0))
            return render_cell(stored, ss.locale) if stored else {}

    # -------------------------------------------------------------- observation and faults

    def count(self, kind: str | None = None) -> int:
        """Requests received (failed ones too), optionally of one kind ("values.*" works)."""
        with self._lock:
            return sum(1 for r in self.requests if _matches(kind, r.kind))

    def reset_requests(self) -> None:
        """Forget the requests received so far."""
        with self._lock:
            self.requests.clear()

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int | str = 429,
        kind: str | None = None,
        applied: bool = False,
    ) -> None:
        """Make the next ``n`` matching requests fail without changing anything.

        ``status`` is an HTTP code (429 quota, 500, 503...) answered with
        Google-shaped JSON, or "drop" (ConnectionError) or "timeout"
        (ReadTimeout).  ``kind`` restricts the fault to one request kind
        ("values.*" matches every values method).  ``applied=True`` models a
        lost reply instead: Google carried the request out, then the answer
        failed (a retry of a non-idempotent append would duplicate rows).
        """
        self._check_status(status)
        with self._lock:
            self._faults.append(_Fault(status, kind, n, applied))

    def fail_always(
        self, *, status: int | str = 429, kind: str | None = None, applied: bool = False
    ) -> None:
        """Make every matching request fail until :meth:`clear_faults`."""
        self._check_status(status)
        with self._lock:
            self._faults.append(_Fault(status, kind, None, applied))

    def clear_faults(self) -> None:
        """Stop injecting faults."""
        with self._lock:
            self._faults.clear()

    def quota(self, reads_per_minute: int = 60, writes_per_minute: int = 60, *,
              clock: Callable[[], float]) -> None:
        """Count Sheets requests per minute, as Google does per user, and answer 429 past it.

        One fake is one user (its service account).  Reads are GET requests,
        writes the rest; Drive requests are not counted.  A request is refused
        when the ``clock``'s last 60 seconds already hold the limit of its kind
        (refused requests are not counted); :attr:`quota_refusals` counts them.
        """
        with self._lock:
            self._quota = _Quota({False: reads_per_minute, True: writes_per_minute}, clock)

    def drive_storage_full(self, full: bool = True) -> None:
        """Answer every Drive file creation 403 storageQuotaExceeded, as Google answers a
        service account (which has no Drive storage of its own)."""
        with self._lock:
            self._drive_full = full

    @property
    def quota_refusals(self) -> int:
        """How many requests quota mode answered with 429."""
        with self._lock:
            return self._quota.refused if self._quota is not None else 0

    def before_request(self, hook: Callable[[Request], None] | None) -> None:
        """Call ``hook(request)`` before each request is applied (None removes it)."""
        with self._lock:
            self._hook = hook

    @staticmethod
    def _check_status(status: int | str) -> None:
        if isinstance(status, str):
            if status not in ("drop", "timeout"):
                raise FakeSheetsError(f"Unknown fault {status!r}: use an HTTP code, 'drop' or "
                                      "'timeout'.")
        elif not 400 <= status <= 599:
            raise FakeSheetsError(f"A fault status must be 4xx or 5xx, not {status}.")

    # -------------------------------------------------------------- internals

    def _file(self, key: str) -> Spreadsheet:
        ss = self._server.files.get(key)
        if ss is None:
            raise FakeSheetsError(f"No spreadsheet with key {key!r} in the fake.")
        return ss

    @staticmethod
    def _tab(ss: Spreadsheet, tab: str) -> Any:
        for s in ss.sheets:
            if s.title == tab:
                return s
        names = ", ".join(s.title for s in ss.sheets)
        raise FakeSheetsError(f"No tab {tab!r} in {ss.title!r} (tabs: {names}).")

    def _serve(self, prepared: requests.PreparedRequest) -> requests.Response:
        method = (prepared.method or "GET").upper()
        url = prepared.url or ""
        raw = prepared.body
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        body: Any = None
        parse_error = False
        content_type = str(prepared.headers.get("Content-Type", ""))
        if raw:
            if "json" in content_type or raw[:1] in (b"{", b"["):
                try:
                    body = jsonlib.loads(raw)
                except ValueError:
                    parse_error = True
            else:
                body = raw
        r = route(method, url)
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        all_params: dict[str, list[str]] = {}
        for k, v in query:
            all_params.setdefault(k, []).append(v)
        record = Request(
            method=method,
            url=url,
            path=unquote(parts.path),
            params={k: v[0] for k, v in all_params.items()},
            all_params=all_params,
            json=body if not isinstance(body, bytes) else None,
            kind=r.kind,
            key=r.key,
            range=r.range,
            batch_kinds=_batch_kinds(body) if r.kind == "spreadsheets.batchUpdate" else [],
            size=len(raw or b""),
        )
        with self._lock:
            self.requests.append(record)
            hook = self._hook
        if hook is not None:
            hook(record)
        with self._lock:
            if self._quota is not None and not r.kind.startswith("drive.") \
                    and not self._quota.allow(method != "GET"):
                return _response(prepared, _quota_reply(method, r, self._quota))
            if self._drive_full and r.kind == "drive.files.create":
                return _response(prepared, _STORAGE_FULL)
            fault = self._take_fault(r.kind)
            if fault is not None and fault.applied and not parse_error:
                self._server.handle(method, url, body, r)
            if fault is not None:
                if fault.status == "drop":
                    raise requests.exceptions.ConnectionError(
                        "Connection aborted: the fake dropped the connection.", request=prepared
                    )
                if fault.status == "timeout":
                    raise requests.exceptions.ReadTimeout(
                        "Read timed out (injected by the fake).", request=prepared
                    )
                assert isinstance(fault.status, int)
                reply = _fault_reply(fault.status, method, r)
            elif parse_error:
                reply = Reply(400, ApiError(
                    400, "Invalid JSON payload received. Unexpected token.", "INVALID_ARGUMENT"
                ).body())
            else:
                reply = self._server.handle(method, url, body, r)
        return _response(prepared, reply)

    def _take_fault(self, kind: str) -> _Fault | None:
        for fault in self._faults:
            if not _matches(fault.kind, kind):
                continue
            if fault.remaining is None:
                return fault
            if fault.remaining > 0:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None


@dataclass
class _Quota:
    """Per-minute counters of one user's reads and writes."""

    limits: dict[bool, int]
    clock: Callable[[], float]
    sent: dict[bool, list[float]] = field(default_factory=lambda: {False: [], True: []})
    refused: int = 0

    def allow(self, write: bool) -> bool:
        now = self.clock()
        recent = [t for t in self.sent[write] if t > now - 60.0]
        self.sent[write] = recent
        if len(recent) >= self.limits[write]:
            self.refused += 1
            return False
        recent.append(now)
        return True


_STORAGE_MESSAGE = "The user's Drive storage quota has been exceeded."
_STORAGE_FULL = Reply(403, {"error": {
    "code": 403,
    "message": _STORAGE_MESSAGE,
    "errors": [{"message": _STORAGE_MESSAGE, "domain": "usageLimits",
                "reason": "storageQuotaExceeded"}],
}})


def _quota_reply(method: str, r: Route, quota: _Quota) -> Reply:
    reply = _fault_reply(429, method, r)
    limit = quota.limits[method != "GET"]
    reply.body["error"]["details"][0]["metadata"]["quota_limit_value"] = str(limit)
    return reply


def _quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _batch_kinds(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return []
    out: list[str] = []
    for req in body.get("requests") or []:
        if isinstance(req, dict):
            out.extend(req.keys())
    return out


def _fault_reply(status: int, method: str, r: Route) -> Reply:
    if r.kind.startswith("drive."):
        reason = "rateLimitExceeded" if status in (403, 429) else "backendError"
        message = "Rate Limit Exceeded" if status in (403, 429) else "Backend Error"
        return Reply(status, {"error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "usageLimits" if status in (403, 429)
                        else "global", "reason": reason}],
        }})
    if status == 429:
        read = method == "GET"
        metric = "Read requests" if read else "Write requests"
        limit = "ReadRequestsPerMinutePerUser" if read else "WriteRequestsPerMinutePerUser"
        msg = (
            f"Quota exceeded for quota metric '{metric}' and limit '{metric} per minute per "
            "user' of service 'sheets.googleapis.com' for consumer "
            "'project_number:000000000000'."
        )
        return Reply(429, {"error": {
            "code": 429,
            "message": msg,
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "RATE_LIMIT_EXCEEDED",
                    "domain": "googleapis.com",
                    "metadata": {
                        "quota_metric": "sheets.googleapis.com/"
                                        + ("read_requests" if read else "write_requests"),
                        "quota_limit": limit,
                        "service": "sheets.googleapis.com",
                        "consumer": "projects/000000000000",
                        "quota_limit_value": "60",
                        "quota_location": "global",
                    },
                },
                {
                    "@type": "type.googleapis.com/google.rpc.Help",
                    "links": [{
                        "description": "Request a higher quota limit.",
                        "url": "https://cloud.google.com/docs/quotas/help/request_increase",
                    }],
                },
            ],
        }})
    name = _STATUS_NAMES.get(status, "UNKNOWN")
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    msg = _STATUS_MESSAGES.get(status, phrase)
    return Reply(status, {"error": {"code": status, "message": msg, "status": name}})


def _response(prepared: requests.PreparedRequest, reply: Reply) -> requests.Response:
    resp = requests.Response()
    resp.status_code = reply.status
    try:
        resp.reason = HTTPStatus(reply.status).phrase
    except ValueError:
        resp.reason = ""
    if reply.raw is not None:
        content = reply.raw
    else:
        content = jsonlib.dumps(reply.body, ensure_ascii=False, indent=2).encode("utf-8")
    resp._content = content
    resp.headers = CaseInsensitiveDict({
        "Content-Type": reply.content_type,
        "Server": "ESF",
        "Content-Length": str(len(content)),
        **reply.headers,
    })
    resp.encoding = "utf-8"
    resp.url = prepared.url or ""
    resp.request = prepared
    return resp
