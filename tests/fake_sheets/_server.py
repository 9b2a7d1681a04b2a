"""Routing HTTP requests to the fake Sheets v4 and Drive v3 methods."""

from __future__ import annotations

import csv
import io
import random
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from . import _valueapi as values
from ._batch import batch_update
from ._fields import MaskError, parse_mask, select
from ._get import render_spreadsheet
from ._schema import check, check_mask, check_query
from ._state import (
    DEFAULT_COLS,
    DEFAULT_ROWS,
    ApiError,
    Box,
    Sheet,
    Spreadsheet,
    bad_request,
    now_rfc3339,
)

SHEETS_HOST = "sheets.googleapis.com"
DRIVE_HOST = "www.googleapis.com"
SHEETS_MIME = "application/vnd.google-apps.spreadsheet"

_KEY_CHARS = string.ascii_letters + string.digits + "-_"


@dataclass
class Route:
    """What a URL asks for: a short kind name and the ids in the path."""

    kind: str
    key: str | None = None
    range: str | None = None
    extra: str | None = None


@dataclass
class Reply:
    """An HTTP reply: status, JSON body (or raw bytes) and content type."""

    status: int
    body: Any = None
    raw: bytes | None = None
    content_type: str = "application/json; charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)


def route(method: str, url: str) -> Route:
    """Classify a request URL (without applying it)."""
    parts = urlsplit(url)
    path = parts.path
    if parts.netloc == SHEETS_HOST and path.startswith("/v4/spreadsheets"):
        rest = path[len("/v4/spreadsheets"):]
        if rest in ("", "/"):
            return Route("spreadsheets.create" if method == "POST" else "unknown")
        rest = rest[1:]
        if "/" not in rest:
            if rest.endswith(":batchUpdate"):
                return Route("spreadsheets.batchUpdate", unquote(rest[: -len(":batchUpdate")]))
            if ":" in rest:
                return Route("unknown", unquote(rest.split(":")[0]))
            return Route("spreadsheets.get" if method == "GET" else "unknown", unquote(rest))
        key, sub = rest.split("/", 1)
        key = unquote(key)
        if sub in ("values:batchGet", "values:batchUpdate", "values:batchClear"):
            return Route("values." + sub.split(":")[1], key)
        if sub.startswith("values/"):
            raw = sub[len("values/"):]
            for suffix, kind in ((":append", "values.append"), (":clear", "values.clear")):
                if raw.endswith(suffix):
                    return Route(kind, key, unquote(raw[: -len(suffix)]))
            kind = {"GET": "values.get", "PUT": "values.update"}.get(method, "unknown")
            return Route(kind, key, unquote(raw))
        m = re.match(r"^sheets/(\d+):copyTo$", sub)
        if m:
            return Route("sheets.copyTo", key, extra=m.group(1))
        return Route("unknown", key)
    if parts.netloc == DRIVE_HOST:
        if path.startswith("/upload/drive/v2/files/"):
            return Route("drive.files.import", unquote(path.rsplit("/", 1)[1]))
        if path.startswith("/drive/v3/files"):
            rest = path[len("/drive/v3/files"):].strip("/")
            if not rest:
                return Route({"POST": "drive.files.create", "GET": "drive.files.list"}.get(
                    method, "unknown"))
            bits = rest.split("/")
            key = unquote(bits[0])
            if len(bits) == 1:
                return Route({"GET": "drive.files.get", "DELETE": "drive.files.delete",
                              "PATCH": "drive.files.update"}.get(method, "unknown"), key)
            sub = bits[1]
            if sub == "copy" and method == "POST":
                return Route("drive.files.copy", key)
            if sub == "export" and method == "GET":
                return Route("drive.files.export", key)
            if sub == "comments" and method == "GET":
                return Route("drive.comments.list", key)
            if sub == "permissions":
                if len(bits) == 3:
                    return Route("drive.permissions.delete" if method == "DELETE" else "unknown",
                                 key, extra=unquote(bits[2]))
                return Route({"GET": "drive.permissions.list",
                              "POST": "drive.permissions.create"}.get(method, "unknown"), key)
        return Route("unknown")
    return Route("unknown")


def _drive_not_found(key: str) -> ApiError:
    msg = f"File not found: {key}."
    return ApiError(404, msg, "NOT_FOUND", drive={
        "message": msg, "domain": "global", "reason": "notFound",
        "location": "fileId", "locationType": "parameter",
    })


def _drive_bad(msg: str, reason: str = "badRequest") -> ApiError:
    return ApiError(400, msg, "INVALID_ARGUMENT",
                    drive={"message": msg, "domain": "global", "reason": reason})


def _params(query: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in query:
        out.setdefault(k, v)
    return out


def _true(value: str | None) -> bool:
    return (value or "").lower() == "true"


class Server:
    """The fake Google: spreadsheets by key, and the methods that act on them."""

    def __init__(self, email: str, seed: int = 20240601) -> None:
        self.email = email
        self.rng = random.Random(seed)
        self.files: dict[str, Spreadsheet] = {}

    # -------------------------------------------------------------- files

    def new_key(self) -> str:
        """A spreadsheet key shaped like Google's (44 characters)."""
        while True:
            key = "1" + "".join(self.rng.choice(_KEY_CHARS) for _ in range(43))
            if key not in self.files:
                return key

    def create(self, title: str, *, shared: bool = True, key: str | None = None) -> Spreadsheet:
        """A new spreadsheet as Google makes one: en_US, Etc/GMT, one 1000x26 Sheet1."""
        key = key or self.new_key()
        sheet = Sheet(props={
            "sheetId": 0,
            "title": "Sheet1",
            "index": 0,
            "sheetType": "GRID",
            "gridProperties": {"rowCount": DEFAULT_ROWS, "columnCount": DEFAULT_COLS},
        })
        ss = Spreadsheet(
            key=key,
            props={"title": title, "locale": "en_US", "autoRecalc": "ON_CHANGE",
                   "timeZone": "Etc/GMT"},
            sheets=[sheet],
            shared=shared,
        )
        self.files[key] = ss
        return ss

    def spreadsheet(self, key: str | None) -> Spreadsheet:
        """The spreadsheet for a Sheets API call: 404 if unknown, 403 if not shared with us."""
        ss = self.files.get(key or "")
        if ss is None:
            raise ApiError(404, "Requested entity was not found.", "NOT_FOUND")
        if not ss.shared:
            raise ApiError(403, "The caller does not have permission", "PERMISSION_DENIED")
        return ss

    def drive_file(self, key: str | None) -> Spreadsheet:
        """The file for a Drive call: Drive reports files we cannot see as not found."""
        ss = self.files.get(key or "")
        if ss is None or not ss.shared:
            raise _drive_not_found(key or "")
        return ss

    def commit(self, new: Spreadsheet) -> None:
        """Swap in a changed copy and stamp the modification time."""
        new.modified = now_rfc3339()
        self.files[new.key] = new

    # -------------------------------------------------------------- dispatch

    def handle(self, method: str, url: str, body: Any, route_: Route) -> Reply:
        """Apply one request; errors come back as Google-shaped replies."""
        query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
        params = _params(query)
        try:
            return self._dispatch(method, route_, params, query, body)
        except ApiError as exc:
            return Reply(exc.code, exc.body())

    def _dispatch(
        self,
        method: str,
        r: Route,
        params: dict[str, str],
        query: list[tuple[str, str]],
        body: Any,
    ) -> Reply:
        kind = r.kind
        if not kind.startswith("drive.") and kind != "unknown":
            check_query(kind, query)
        if body is not None and not isinstance(body, (dict, bytes)):
            raise bad_request("Invalid JSON payload received. Expected an object.")
        jbody: dict[str, Any] = body if isinstance(body, dict) else {}
        if kind == "spreadsheets.get":
            ss = self.spreadsheet(r.key)
            mask = None
            if params.get("fields"):
                try:
                    mask = parse_mask(params["fields"])
                except MaskError:
                    raise bad_request(f"Invalid field selection {params['fields']}") from None
                bad = check_mask("Spreadsheet", mask, "")
                if bad is not None:
                    raise bad_request(f"Invalid field selection {bad}")
            ranges = [v for k, v in query if k == "ranges"]
            return Reply(200, render_spreadsheet(
                ss, include_grid_data=_true(params.get("includeGridData")),
                ranges=ranges, mask=mask))
        if kind == "spreadsheets.create":
            return self._sheets_create(jbody)
        if kind == "spreadsheets.batchUpdate":
            ss = self.spreadsheet(r.key)
            new, reply = batch_update(ss, jbody, self.rng, self.email)
            self.commit(new)
            return Reply(200, reply)
        if kind == "values.get":
            ss = self.spreadsheet(r.key)
            return Reply(200, values.value_range(ss, r.range or "", params))
        if kind == "values.batchGet":
            ss = self.spreadsheet(r.key)
            ranges = [v for k, v in query if k == "ranges"]
            out: dict[str, Any] = {"spreadsheetId": ss.key}
            if ranges:
                out["valueRanges"] = [values.value_range(ss, t, params) for t in ranges]
            return Reply(200, out)
        if kind in ("values.update", "values.append", "values.clear", "values.batchUpdate",
                    "values.batchClear"):
            ss = self.spreadsheet(r.key)
            check({"values.update": "ValueRange", "values.append": "ValueRange",
                   "values.batchUpdate": "BatchUpdateValuesRequest",
                   "values.batchClear": "BatchClearValuesRequest"}.get(kind, "ValueRange"),
                  jbody if kind != "values.clear" else {},
                  # Google binds a values.update or append body to the field "data".
                  "data" if kind in ("values.update", "values.append") else "")
            work = ss.clone()
            if kind == "values.update":
                reply = values.values_update(work, r.range or "", params, jbody)
            elif kind == "values.append":
                reply = values.values_append(work, r.range or "", params, jbody)
            elif kind == "values.clear":
                reply = values.values_clear(work, r.range or "")
            elif kind == "values.batchUpdate":
                reply = values.values_batch_update(work, jbody)
            else:
                reply = values.values_batch_clear(work, jbody)
            self.commit(work)
            return Reply(200, reply)
        if kind == "sheets.copyTo":
            return self._copy_to(r, jbody)
        if kind.startswith("drive."):
            return self._drive(kind, r, params, body)
        raise ApiError(404, "Method not found.", "NOT_FOUND")

    # -------------------------------------------------------------- sheets extras

    def _sheets_create(self, body: Mapping[str, Any]) -> Reply:
        props = body.get("properties") or {}
        ss = self.create(str(props.get("title") or "Untitled spreadsheet"))
        for key in ("locale", "timeZone", "autoRecalc"):
            if key in props:
                ss.props[key] = props[key]
        if body.get("sheets"):
            from ._batch import Context, add_sheet

            ctx = Context(ss, self.rng, self.email)
            first = True
            specs: list[dict[str, Any]] = list(body["sheets"])
            for spec in specs:
                sp = dict(spec.get("properties") or {})
                if first:
                    sp.setdefault("sheetId", 0)
                    ss.sheets = []
                    first = False
                add_sheet(ctx, {"properties": sp})
        return Reply(200, render_spreadsheet(ss, include_grid_data=False, ranges=[], mask=None))

    def _copy_to(self, r: Route, body: Mapping[str, Any]) -> Reply:
        ss = self.spreadsheet(r.key)
        source = ss.sheet_by_id(int(r.extra or 0))
        if source is None:
            raise ApiError(404, "Requested entity was not found.", "NOT_FOUND")
        dest = self.spreadsheet(str(body.get("destinationSpreadsheetId") or ""))
        work = dest.clone()
        new = source.clone()
        taken = {s.sheet_id for s in work.sheets}
        sid = self.rng.randrange(1, 2**31 - 1)
        while sid in taken:
            sid = self.rng.randrange(1, 2**31 - 1)
        title = f"Copy of {source.title}"
        n = 2
        while work.sheet_by_title(title) is not None:
            title = f"Copy {n} of {source.title}"
            n += 1
        new.props.update({"sheetId": sid, "title": title})
        work.sheets.append(new)
        work.reindex()
        self.commit(work)
        return Reply(200, dict(new.props))

    # -------------------------------------------------------------- drive

    def _drive_meta(self, ss: Spreadsheet) -> dict[str, Any]:
        return {
            "kind": "drive#file",
            "id": ss.key,
            "name": ss.title,
            "mimeType": SHEETS_MIME,
            "createdTime": ss.created,
            "modifiedTime": ss.modified,
        }

    def _drive_fields(self, meta: dict[str, Any], fields: str | None, default: list[str]) -> Any:
        if not fields:
            return {k: meta[k] for k in default if k in meta}
        try:
            return select(meta, parse_mask(fields))
        except MaskError:
            raise _drive_bad(f"Invalid field selection {fields}", "invalidParameter") from None

    def _drive(self, kind: str, r: Route, params: dict[str, str], body: Any) -> Reply:
        basic = ["kind", "id", "name", "mimeType"]
        jbody: dict[str, Any] = body if isinstance(body, dict) else {}
        if kind == "drive.files.create":
            mime = jbody.get("mimeType")
            if mime != SHEETS_MIME:
                raise _drive_bad(
                    f"The fake Drive API only creates Google Sheets files, not {mime!r}."
                )
            ss = self.create(str(jbody.get("name") or "Untitled spreadsheet"))
            return Reply(200, self._drive_fields(self._drive_meta(ss), params.get("fields"),
                                                 basic))
        if kind == "drive.files.list":
            return Reply(200, self._drive_list(params))
        if kind == "drive.files.get":
            ss = self.drive_file(r.key)
            return Reply(200, self._drive_fields(self._drive_meta(ss), params.get("fields"),
                                                 basic))
        if kind == "drive.files.delete":
            self.drive_file(r.key)
            del self.files[r.key or ""]
            return Reply(204, raw=b"", content_type="text/html")
        if kind == "drive.files.update":
            ss = self.drive_file(r.key)
            work = ss.clone()
            if "name" in jbody:
                work.props["title"] = str(jbody["name"])
            self.commit(work)
            return Reply(200, self._drive_fields(self._drive_meta(work), params.get("fields"),
                                                 basic))
        if kind == "drive.files.copy":
            ss = self.drive_file(r.key)
            copy_ = ss.clone()
            copy_.key = self.new_key()
            copy_.props["title"] = str(jbody.get("name") or f"Copy of {ss.title}")
            copy_.created = copy_.modified = now_rfc3339()
            copy_.permissions = []
            self.files[copy_.key] = copy_
            return Reply(200, self._drive_fields(self._drive_meta(copy_), params.get("fields"),
                                                 basic))
        if kind == "drive.files.export":
            ss = self.drive_file(r.key)
            mime = params.get("mimeType", "")
            if mime != "text/csv":
                raise _drive_bad(
                    f"The fake Drive API only exports text/csv, not {mime!r}."
                )
            return Reply(200, raw=self._csv(ss), content_type="text/csv")
        if kind == "drive.comments.list":
            self.drive_file(r.key)
            return Reply(200, {"comments": []})
        if kind == "drive.permissions.list":
            ss = self.drive_file(r.key)
            return Reply(200, {"kind": "drive#permissionList", "permissions": ss.permissions})
        if kind == "drive.permissions.create":
            ss = self.drive_file(r.key)
            perm = {
                "kind": "drive#permission",
                "id": str(self.rng.randrange(10**19, 10**20)),
                "type": jbody.get("type"),
                "role": jbody.get("role"),
            }
            if jbody.get("emailAddress"):
                perm["emailAddress"] = jbody["emailAddress"]
            ss.permissions.append(perm)
            return Reply(200, perm)
        if kind == "drive.permissions.delete":
            ss = self.drive_file(r.key)
            before = len(ss.permissions)
            ss.permissions = [p for p in ss.permissions if p["id"] != r.extra]
            if len(ss.permissions) == before:
                raise _drive_not_found(str(r.extra))
            return Reply(204, raw=b"", content_type="text/html")
        if kind == "drive.files.import":
            raise _drive_bad("The fake Drive API does not support CSV import.")
        raise ApiError(404, "Method not found.", "NOT_FOUND")

    def _drive_list(self, params: dict[str, str]) -> dict[str, Any]:
        q = params.get("q", "")
        files = [ss for ss in self.files.values() if ss.shared]
        m = re.search(r'mimeType\s*=\s*"([^"]*)"', q)
        if m and m.group(1) != SHEETS_MIME:
            files = []
        m = re.search(r'name\s*=\s*"((?:[^"\\]|\\.)*)"', q)
        if m:
            name = m.group(1).replace('\\"', '"')
            files = [ss for ss in files if ss.title == name]
        files.sort(key=lambda ss: ss.modified, reverse=True)
        metas = [self._drive_meta(ss) for ss in files]
        listing: dict[str, Any] = {
            "kind": "drive#fileList",
            "incompleteSearch": False,
            "files": metas,
        }
        fields = params.get("fields")
        if not fields:
            return {
                "kind": "drive#fileList",
                "incompleteSearch": False,
                "files": [{k: f[k] for k in ("kind", "id", "name", "mimeType")} for f in metas],
            }
        try:
            result = select(listing, parse_mask(fields))
        except MaskError:
            raise _drive_bad(f"Invalid field selection {fields}", "invalidParameter") from None
        assert isinstance(result, dict)
        return result

    def _csv(self, ss: Spreadsheet) -> bytes:
        sheet = ss.sheets[0]
        rows = values.read_box(
            ss, Box(sheet, 0, sheet.row_count, 0, sheet.col_count),
            value_render="FORMATTED_VALUE", datetime_render="SERIAL_NUMBER", major="ROWS",
        )
        width = max((len(r) for r in rows), default=0)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        for row in rows:
            writer.writerow(row + [""] * (width - len(row)))
        return buf.getvalue().rstrip("\r\n").encode("utf-8")
