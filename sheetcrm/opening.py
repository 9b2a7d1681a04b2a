"""Opening a tracker from what a user types: a file path, a Google Sheets link or key.

The one place that knows which backend serves which kind of target, so the
CLI (and, later, a config of many trackers) never names a backend class.
Backends are imported only when needed: gspread takes a while to import and
an Excel user never needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .backends.base import Backend
from .errors import InputError

#: File suffixes of spreadsheets sheetcrm cannot keep a tracker in, and what to do.
_NOT_TRACKERS = (".xls", ".csv", ".ods", ".numbers")


@dataclass
class OpenOptions:
    """How to open a tracker: the user's choices that apply to every kind."""

    #: Google service-account key file (JSON); None for the usual search.
    credentials: Path | None = None
    #: How long Google requests keep retrying; None for the default.
    retry_seconds: float | None = None
    #: Replace an existing file when creating one.
    force: bool = False
    #: Where warnings go (a key file readable by others, say).
    warn: Callable[[str], None] | None = None
    #: The clock Google's retry budget is measured on; None for the usual one.
    #: ``refresh --all`` gives one that leaves out the time spent waiting for the quota.
    retry_clock: Callable[[], float] | None = None


def is_google(target: str) -> bool:
    """Whether ``target`` is a Google Sheets link or key rather than a file path."""
    from .backends.google import GoogleBackend

    return GoogleBackend.looks_like_google(target)


def open_tracker(target: str, options: OpenOptions | None = None) -> Backend:
    """The backend for a file path (``.xlsx``) or a Google Sheets link or key.

    Nothing is read yet: a missing file or an unshared sheet is reported by
    the first operation.
    """
    options = options or OpenOptions()
    lowered = target.strip().lower()
    if lowered.endswith((".xlsx", ".xlsm")):
        from .backends.excel import ExcelBackend

        return ExcelBackend(Path(target), force=options.force)
    if lowered.endswith(_NOT_TRACKERS):
        raise InputError(
            f"{target}: sheetcrm works with Excel .xlsx files and Google Sheets; "
            "save the file as .xlsx first"
        )
    if is_google(target):
        from .backends.google import GoogleBackend
        from .backends.retry import RetryPolicy

        retry = (RetryPolicy(total_seconds=options.retry_seconds) if options.retry_clock is None
                 else RetryPolicy(total_seconds=options.retry_seconds, clock=options.retry_clock))
        return GoogleBackend(target, credentials=options.credentials, warn=options.warn,
                             retry=retry)
    raise InputError(
        f"{target} is neither an .xlsx file nor a Google Sheets link: give a path ending in "
        ".xlsx or the sheet's address from the browser"
    )


def create_google_sheet(title: str, options: OpenOptions | None = None) -> Backend:
    """A new, empty Google spreadsheet in the signed-in account's Drive, ready for ``init``."""
    from .backends.google import GoogleBackend
    from .backends.retry import RetryPolicy

    options = options or OpenOptions()
    return GoogleBackend.create_spreadsheet(
        title, credentials=options.credentials, warn=options.warn,
        retry=RetryPolicy(total_seconds=options.retry_seconds))


def google_sign_in(client_secrets: Path) -> Path:
    """Sign in to Google in a browser and keep the sign-in; returns where it is kept."""
    from .backends.google_auth import login

    return login(client_secrets)
