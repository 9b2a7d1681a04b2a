"""Bounded retries for Google Sheets requests.

gspread 6.2.1's ``BackOffHTTPClient`` retries without bound (it was seen to
sleep for hours and end in ``RecursionError`` against a server that always
answers 429), so sheetcrm uses this policy instead: exponential backoff with
full jitter on rate limits, server errors and dropped connections, inside a
total time limit, then one plain error.

Sleeping, the clock and the random numbers are injectable so tests run the
whole schedule instantly.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests
from google.auth import exceptions as auth_exceptions
from gspread.exceptions import APIError

from ..errors import BackendError, QuotaExceeded

T = TypeVar("T")

#: HTTP statuses worth another try: rate limit and the server-side failures
#: Google documents as transient.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

NETWORK = "network"


@dataclass(frozen=True)
class Failure:
    """Why a request failed, when another try may succeed."""

    kind: int | str  # an HTTP status, or NETWORK for a dropped connection or timeout
    retry_after: float | None = None

    def describe(self) -> str:
        """The failure in a few plain words."""
        if self.kind == 429:
            return "too many requests (HTTP 429)"
        if self.kind == NETWORK:
            return "no answer from the network"
        return f"a server error (HTTP {self.kind})"


def classify(exc: BaseException) -> Failure | None:
    """The retryable failure behind ``exc``, or None when retrying cannot help."""
    if isinstance(exc, APIError):
        status = exc.response.status_code if exc.response is not None else exc.code
        if status in RETRY_STATUSES:
            return Failure(status, _retry_after(exc.response))
        return None
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return Failure(NETWORK)
    if isinstance(exc, auth_exceptions.TransportError):
        # Fetching an access token failed on the network, not on the credentials.
        return Failure(NETWORK)
    return None


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


class RetryPolicy:
    """Exponential backoff with full jitter, bounded by a total time limit.

    The n-th wait (n = 0, 1, ...) is ``rng() * min(cap, base * 2**n)`` seconds,
    or the server's Retry-After when that is longer.  The policy gives up when
    the next wait would end after ``total_seconds`` from the first attempt,
    or after ``max_tries`` attempts.
    """

    def __init__(
        self,
        total_seconds: float = 120.0,
        base: float = 1.0,
        cap: float = 32.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        max_tries: int = 30,
    ) -> None:
        if total_seconds < 0 or base <= 0 or cap <= 0 or max_tries < 1:
            raise ValueError("total_seconds must be >= 0, base and cap > 0, max_tries >= 1")
        self.total_seconds = total_seconds
        self.base = base
        self.cap = cap
        self.sleep = sleep
        self.clock = clock
        self.rng = rng
        # Full jitter may draw waits near zero; a cap on tries keeps the loop
        # finite even when the clock hardly moves.
        self.max_tries = max_tries

    def delay(self, attempt: int, failure: Failure | None = None) -> float:
        """How long to wait after the ``attempt``-th failure (0-based)."""
        # Cap the exponent so 2**attempt cannot overflow a float.
        ceiling = min(self.cap, self.base * 2.0 ** min(attempt, 64))
        wait = self.rng() * ceiling
        if failure is not None and failure.retry_after is not None:
            wait = max(wait, failure.retry_after)
        return wait

    def call(self, fn: Callable[[], T], *, what: str) -> T:
        """Run ``fn``, retrying transient failures; ``what`` names the job for messages.

        Errors that retrying cannot fix are re-raised unchanged for the caller
        to translate.  When time runs out, raises :class:`QuotaExceeded` for
        429 and :class:`BackendError` otherwise.
        """
        start = self.clock()
        attempt = 0
        while True:
            try:
                return fn()
            except Exception as exc:
                failure = classify(exc)
                if failure is None:
                    raise
                wait = self.delay(attempt, failure)
                out_of_time = self.clock() - start + wait > self.total_seconds
                if out_of_time or attempt + 1 >= self.max_tries:
                    raise self._give_up(failure, attempt + 1, what) from exc
                self.sleep(wait)
                attempt += 1

    def _give_up(self, failure: Failure, tries: int, what: str) -> BackendError:
        spent = _duration(self.total_seconds)
        if failure.kind == 429:
            return QuotaExceeded(
                f"Google Sheets kept answering {failure.describe()} while {what} "
                f"(gave up after {tries} tries within {spent}): wait a few minutes and run the "
                "command again"
            )
        if failure.kind == NETWORK:
            return BackendError(
                f"Cannot reach Google Sheets while {what} (gave up after {tries} tries within "
                f"{spent}): "
                "check the internet connection"
            )
        return BackendError(
            f"Google Sheets kept answering {failure.describe()} while {what} "
            f"(gave up after {tries} tries within {spent}): try again later"
        )


def _duration(seconds: float) -> str:
    if seconds >= 120 and seconds % 60 == 0:
        return f"{int(seconds // 60)} minutes"
    if seconds == 60:
        return "1 minute"
    return f"{seconds:g} seconds"
