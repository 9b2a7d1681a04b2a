"""Every error sheetcrm raises on purpose derives from :class:`SheetCRMError`.

The CLI turns these into one-line messages and a non-zero exit; anything else
is a bug.  Messages are written for the owner or consultant: one plain British
English sentence that names the file, tab, row or cell and says what to fix.
"""

from __future__ import annotations


class SheetCRMError(Exception):
    """Base class for errors that should reach the user as a plain message."""


class TrackerNotFound(SheetCRMError):
    """The file or sheet does not exist or cannot be reached."""


class NotATracker(SheetCRMError):
    """The workbook exists but is not a sheetcrm tracker (missing tab or header)."""


class SettingsError(SheetCRMError):
    """A value on the Settings tab (or in a --config file) cannot be used."""


class InputError(SheetCRMError):
    """Bad input from the command line or an import file: nothing was written."""


class TrackerBusy(SheetCRMError):
    """The tracker is open in another program or another refresh holds the lock."""


class WriteFailed(SheetCRMError):
    """Saving failed; the tracker was left as it was."""


class ConcurrentEdit(SheetCRMError):
    """The sheet changed between reading and writing; the caller may retry.

    ``landed`` is True when the write went through and only what landed on
    the wrong rows was put back: the rest of it (appended rows, say) is in
    the sheet and must not be sent again.
    """

    def __init__(self, message: str, *, landed: bool = False) -> None:
        super().__init__(message)
        self.landed = landed


class BackendError(SheetCRMError):
    """A spreadsheet service or file format failed in a way we translated."""


class AuthError(BackendError):
    """Credentials are missing, unreadable or refused."""


class QuotaExceeded(BackendError):
    """The service kept refusing after the bounded retries."""


class AccessRefused(AuthError):
    """Google accepted the credentials but refused this request (HTTP 403)."""
