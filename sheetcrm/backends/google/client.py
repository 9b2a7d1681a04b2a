"""The Sheets and Drive API client: requests with bounded retries, errors in plain words.

Requests go through :class:`~sheetcrm.backends.retry.RetryPolicy`, so any
``gspread.Client`` works (tests pass one wired to a fake API), and every
vendor error leaves as a :mod:`sheetcrm.errors` exception with one plain
sentence.  Each request's timeout is cut to what is left of the shared budget.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import gspread
import requests
from google.auth import exceptions as auth_exceptions
from gspread.exceptions import APIError, NoValidUrlKeyFound
from gspread.utils import absolute_range_name, extract_id_from_url

from ...errors import (
    AccessRefused,
    AuthError,
    BackendError,
    InputError,
    SheetCRMError,
    TrackerNotFound,
    WriteFailed,
)
from ...model import Grid, trimmed
from ...pacing import before_request
from ..retry import RetryPolicy, WriteUnsure

T = TypeVar("T")

READ_PARAMS: dict[str, str] = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "SERIAL_NUMBER",
    "majorDimension": "ROWS",
}

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


def looks_like_google(target: str) -> bool:
    """Whether ``target`` is a Google Sheets URL or key rather than a file path."""
    target = target.strip()
    if _URL.match(target):
        return True
    return bool(_KEY.match(target)) and not Path(target).suffix


# --------------------------------------------------------------------------- metadata


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


def grid_of(value_range: Mapping[str, Any]) -> Grid:
    """The values of one ValueRange, trimmed, with None for an empty cell.

    Google answers "" for an empty cell left of a filled one; the other
    backends say None, and the core should not see the difference.
    """
    return trimmed([[None if v == "" else v for v in row]
                    for row in value_range.get("values", [])])


# --------------------------------------------------------------------------- the client


class SheetsClient:
    """One spreadsheet's API requests, each with bounded retries and plain errors."""

    def __init__(
        self,
        key: str,
        *,
        client: gspread.Client | None,
        credentials: Path | None,
        retry: RetryPolicy,
        account_email: str | None,
        warn: Callable[[str], None] | None,
    ) -> None:
        """Remember how to reach the sheet; the gspread client is built on first use."""
        self.key = key
        self.client = client
        self.credentials = credentials
        self.retry = retry
        self.email = account_email
        self.warn = warn
        self.title: str | None = None
        #: The spreadsheet's time zone as the last metadata read gave it (None before one).
        self.time_zone: str | None = None

    @property
    def label(self) -> str:
        """The sheet's title once known, else its key."""
        return f"Google sheet {self.title!r}" if self.title else f"Google sheet {self.key}"

    def http(self) -> Any:
        """gspread's HTTP client, built from the credentials the first time."""
        if self.client is None:
            from ..google_auth import build_client

            self.client, loaded = build_client(self.credentials, warn=self.warn)
            self.email = self.email or loaded.email
        if self.email is None:
            auth = getattr(self.client.http_client, "auth", None)
            email = getattr(auth, "service_account_email", None)
            self.email = email if isinstance(email, str) else None
        return self.client.http_client

    def call(self, what: str, fn: Callable[[Any], T], *, write: bool = False,
             advice: str | None = None) -> T:
        """Run one API request with bounded retries; translate every vendor error.

        With ``write``, a failure that may have left the write done raises
        :class:`WriteUnsure` for the caller to check, rather than a retry.
        """
        try:
            http = self.http()

            def attempt() -> T:
                before_request(write)  # keeps many trackers under Google's per-user quota
                # Each try may only take what is left of the budget.
                http.set_timeout(self.retry.timeout())
                return fn(http)

            return self.retry.call(attempt, what=what, write=write, advice=advice)
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
        return f" in {self.credentials}" if self.credentials else ""

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
                return AccessRefused(
                    "The Google Sheets API is not enabled for the Google Cloud project of these "
                    "credentials: enable it under APIs & Services, Library, Google Sheets API"
                )
            if self.email:
                return AccessRefused(
                    f"The sheet is not shared with {self.email}: open it in Google Sheets, "
                    "click Share and add that address as an editor"
                )
            return AccessRefused(
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

    # ------------------------------------------------------------------ requests

    def metadata(self, what: str, advice: str | None = None) -> Sheets:
        """Every tab's properties and charts (and the sheet's title): one request."""
        data = self.call(what, lambda http: http.fetch_sheet_metadata(self.key), advice=advice)
        props = data.get("properties", {})
        self.title = str(props.get("title") or self.key)
        self.time_zone = str(props["timeZone"]) if props.get("timeZone") else None
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
        return sheets

    def batch_get(self, names: Sequence[str], sheets: Mapping[str, SheetInfo], what: str,
                  advice: str | None = None) -> dict[str, Grid]:
        """The values of the tabs ``names`` that exist, keyed by the name asked for."""
        found = [(n, info) for n in names if (info := find_tab(sheets, n)) is not None]
        if not found:
            return {}
        grids = self.values([absolute_range_name(info.title) for _, info in found], what, advice)
        return {name: grids[i] for i, (name, _) in enumerate(found)}

    def values(self, ranges: Sequence[str], what: str, advice: str | None = None) -> list[Grid]:
        """The values of A1 ``ranges``, one grid each: one values.batchGet."""
        data = self.call(
            what, lambda http: http.values_batch_get(self.key, list(ranges), dict(READ_PARAMS)),
            advice=advice,
        )
        found = data.get("valueRanges", [])
        return [grid_of(found[i] if i < len(found) else {}) for i in range(len(ranges))]

    def note(self, tab: str, what: str, advice: str) -> str | None:
        """The note on cell A1 of the tab titled ``tab``: one request."""
        params = {"ranges": f"{absolute_range_name(tab)}!A1",
                  "fields": "sheets/data/rowData/values/note"}
        data = self.call(what, lambda http: http.fetch_sheet_metadata(self.key, params),
                         advice=advice)
        try:
            note = data["sheets"][0]["data"][0]["rowData"][0]["values"][0].get("note")
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
        return note if isinstance(note, str) else None

    def batch_update(self, body: list[dict[str, Any]], what: str) -> None:
        """Send one atomic batchUpdate; raises :class:`WriteUnsure` if it may have landed."""
        self.call(what, lambda http: http.batch_update(self.key, {"requests": body}), write=True)

    def create_file(self, title: str) -> str:
        """Create an empty spreadsheet in the signed-in account's Drive; its key.

        Never sent twice: if the reply is lost, the message says where to look.
        """
        what = f"creating the Google sheet {title!r}"
        try:
            with self.retry.window():
                data = self.call(what, lambda http: http.request(
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
        except AccessRefused:
            # Only a refusal of the request itself is about Drive; missing, unreadable or
            # rejected credentials keep the message every other command gives for them.
            if self.email:
                raise AuthError(
                    f"The service account {self.email} cannot create sheets of its own: "
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
        return str(data["id"])
