"""Bounded retries for Google Sheets requests.

gspread 6.2.1's ``BackOffHTTPClient`` retries without bound (it was seen to
sleep for hours and end in ``RecursionError`` against a server that always
answers 429), so sheetcrm uses this policy instead: exponential backoff with
full jitter on rate limits, server errors and dropped connections, inside a
total time limit, then one plain error.

The time limit is a real bound: it covers the waits *and* the requests,
because every request's own timeout is cut to the time that is left (see
:meth:`RetryPolicy.timeout`).  A backend opens a :meth:`RetryPolicy.window`
around each operation so all of its requests share one budget.

Writes are different from reads.  A write whose reply was lost (a dropped
connection or a timeout after the request went out, or a 5xx) may have been
carried out, and sending it again could add rows twice.  For those,
:meth:`RetryPolicy.call` with ``write=True`` does not retry but raises
:class:`WriteUnsure`; the backend then reads the sheet to find out whether
the write landed.  A 429, or a connection that never opened, means Google did
nothing, so those are retried as for reads.

Sleeping, the clock and the random numbers are injectable so tests run the
whole schedule instantly.
"""

from __future__ import annotations

import contextlib
import email.utils
import math
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

import requests
from google.auth import exceptions as auth_exceptions
from gspread.exceptions import APIError
from urllib3.exceptions import NewConnectionError

from ..errors import BackendError, InputError, QuotaExceeded

T = TypeVar("T")

#: HTTP statuses worth another try: rate limit and the server-side failures
#: Google documents as transient.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

NETWORK = "network"

#: The environment variable that sets the default time limit, in seconds.
ENV_VAR = "SHEETCRM_RETRY_SECONDS"
DEFAULT_SECONDS = 120.0
#: Without a timeout a stalled connection hangs a cron job for ever.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 120.0
#: The shortest timeout a request is given, even when the budget is spent:
#: requests refuses a timeout of zero, and a first try must be possible.
MIN_REQUEST_SECONDS = 1.0


@dataclass(frozen=True)
class Failure:
    """Why a request failed, when another try may succeed."""

    kind: int | str  # an HTTP status, or NETWORK for a dropped connection or timeout
    retry_after: float | None = None
    #: False when the request certainly never reached Google (the connection
    #: was refused or never opened, or the access token could not be fetched).
    sent: bool = True

    @property
    def unsure(self) -> bool:
        """Whether a write that failed like this may still have been carried out."""
        if not self.sent:
            return False
        return self.kind == NETWORK or (isinstance(self.kind, int) and self.kind >= 500)

    def describe(self) -> str:
        """The failure in a few plain words."""
        if self.kind == 429:
            return "too many requests (HTTP 429)"
        if self.kind == NETWORK:
            return "no answer from the network"
        return f"a server error (HTTP {self.kind})"


class WriteUnsure(BackendError):
    """A write failed in a way that leaves open whether Google carried it out.

    The Google backend catches this and reads the sheet to find out; the
    message is only seen if something lets it escape.
    """

    def __init__(self, failure: Failure, what: str) -> None:
        super().__init__(
            f"Google Sheets gave {failure.describe()} while {what}, so sheetcrm cannot tell "
            "whether the change was saved: look at the sheet before running the command again"
        )
        self.failure = failure


def classify(exc: BaseException) -> Failure | None:
    """The retryable failure behind ``exc``, or None when retrying cannot help."""
    if isinstance(exc, APIError):
        status = exc.response.status_code if exc.response is not None else exc.code
        if status in RETRY_STATUSES:
            return Failure(status, _retry_after(exc.response))
        return None
    if isinstance(exc, requests.ConnectTimeout):
        return Failure(NETWORK, sent=False)
    if isinstance(exc, requests.ConnectionError):
        return Failure(NETWORK, sent=not _never_connected(exc))
    if isinstance(exc, requests.Timeout):
        return Failure(NETWORK)
    if isinstance(exc, auth_exceptions.TransportError):
        # Fetching an access token failed on the network, not on the credentials,
        # and the request itself was never sent.
        return Failure(NETWORK, sent=False)
    return None


def _never_connected(exc: requests.ConnectionError) -> bool:
    """Whether the connection failed before anything was sent (refused, no DNS)."""
    reason = exc.args[0] if exc.args else None
    # requests wraps urllib3's MaxRetryError, whose ``reason`` is the real cause.
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, NewConnectionError)


def _retry_after(response: requests.Response | None) -> float | None:
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        when = email.utils.parsedate_to_datetime(value) if value else None
        if when is None:
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def seconds_from_environment(environ: Mapping[str, str] | None = None) -> float:
    """The time limit set by SHEETCRM_RETRY_SECONDS, or the default of 120 seconds."""
    env = os.environ if environ is None else environ
    text = env.get(ENV_VAR, "").strip()
    if not text:
        return DEFAULT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise InputError(
            f"The environment variable {ENV_VAR} is {text!r}, which is not a number of "
            "seconds: set it to a whole number such as 120, or unset it"
        )
    return seconds


class RetryPolicy:
    """Exponential backoff with full jitter, bounded by a total time limit.

    The n-th wait (n = 0, 1, ...) is ``rng() * min(cap, base * 2**n)`` seconds,
    or the server's Retry-After when that is longer.  The policy gives up when
    the next wait would end after the time limit, or after ``max_tries``
    attempts.  ``total_seconds`` defaults to the SHEETCRM_RETRY_SECONDS
    environment variable, else 120.
    """

    def __init__(
        self,
        total_seconds: float | None = None,
        base: float = 1.0,
        cap: float = 32.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        max_tries: int = 30,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        if total_seconds is None:
            total_seconds = seconds_from_environment()
        if not (math.isfinite(total_seconds) and total_seconds >= 0) or base <= 0 or cap <= 0 \
                or max_tries < 1 or connect_timeout <= 0 or read_timeout <= 0:
            raise ValueError("total_seconds must be >= 0, base, cap and timeouts > 0, "
                             "max_tries >= 1")
        self.total_seconds = float(total_seconds)
        self.base = base
        self.cap = cap
        self.sleep = sleep
        self.clock = clock
        self.rng = rng
        # Full jitter may draw waits near zero; a cap on tries keeps the loop
        # finite even when the clock hardly moves.
        self.max_tries = max_tries
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._window: float | None = None  # the deadline shared by an open window
        self._deadline: float | None = None  # the deadline of the call under way

    @contextlib.contextmanager
    def window(self) -> Iterator[None]:
        """Share one time limit among every request made inside (an inner window joins)."""
        if self._window is not None:
            yield
            return
        self._window = self.clock() + self.total_seconds
        try:
            yield
        finally:
            self._window = None

    def deadline(self) -> float:
        """When the current call, window or (outside both) a new call must end."""
        if self._deadline is not None:
            return self._deadline
        if self._window is not None:
            return self._window
        return self.clock() + self.total_seconds

    def timeout(self) -> tuple[float, float]:
        """(connect, read) seconds for the next request, cut to the time that is left."""
        left = max(MIN_REQUEST_SECONDS, self.deadline() - self.clock())
        return (min(self.connect_timeout, left), min(self.read_timeout, left))

    def delay(self, attempt: int, failure: Failure | None = None) -> float:
        """How long to wait after the ``attempt``-th failure (0-based)."""
        # Cap the exponent so 2**attempt cannot overflow a float.
        ceiling = min(self.cap, self.base * 2.0 ** min(attempt, 64))
        wait = self.rng() * ceiling
        if failure is not None and failure.retry_after is not None:
            wait = max(wait, failure.retry_after)
        return wait

    def pause(self, attempt: int, failure: Failure, what: str, *, advice: str | None = None
              ) -> None:
        """Wait before try ``attempt + 2``, or give up if that would pass the time limit."""
        wait = self.delay(attempt, failure)
        if self.clock() + wait > self.deadline() or attempt + 1 >= self.max_tries:
            raise self._give_up(failure, attempt + 1, what, advice)
        self.sleep(wait)

    def call(self, fn: Callable[[], T], *, what: str, write: bool = False,
             advice: str | None = None) -> T:
        """Run ``fn``, retrying transient failures; ``what`` names the job for messages.

        Errors that retrying cannot fix are re-raised unchanged for the caller
        to translate.  When time runs out, raises :class:`QuotaExceeded` for
        429 and :class:`BackendError` otherwise, ending with ``advice`` when
        given.  With ``write``, a failure that may have left the write done
        raises :class:`WriteUnsure` at once instead of sending it again.
        """
        outer = self._deadline
        self._deadline = self.deadline()
        attempt = 0
        try:
            while True:
                try:
                    return fn()
                except Exception as exc:
                    failure = classify(exc)
                    if failure is None:
                        raise
                    if write and failure.unsure:
                        raise WriteUnsure(failure, what) from exc
                    try:
                        self.pause(attempt, failure, what, advice=advice)
                    except BackendError as give_up:
                        raise give_up from exc
                    attempt += 1
        finally:
            self._deadline = outer

    def _give_up(self, failure: Failure, tries: int, what: str, advice: str | None
                 ) -> BackendError:
        spent = _duration(self.total_seconds)
        if failure.kind == 429:
            return QuotaExceeded(
                f"Google Sheets kept answering {failure.describe()} while {what} "
                f"(gave up after {tries} tries within {spent}): "
                f"{advice or 'wait a few minutes and run the command again'}"
            )
        if failure.kind == NETWORK:
            return BackendError(
                f"Cannot reach Google Sheets while {what} (gave up after {tries} tries within "
                f"{spent}): {advice or 'check the internet connection'}"
            )
        return BackendError(
            f"Google Sheets kept answering {failure.describe()} while {what} "
            f"(gave up after {tries} tries within {spent}): {advice or 'try again later'}"
        )


def _duration(seconds: float) -> str:
    if seconds >= 120 and seconds % 60 == 0:
        return f"{int(seconds // 60)} minutes"
    if seconds == 60:
        return "1 minute"
    return f"{seconds:g} seconds"
