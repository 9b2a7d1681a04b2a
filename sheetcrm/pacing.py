"""Keeping Google requests under the per-user quota when many trackers run together.

Google allows 60 read and 60 write requests a minute per user (a service
account is one user).  A :class:`Pacer` is shared by every tracker that uses
the same credentials: before each request it waits until sending one more
keeps the last minute's requests of that kind within the limit.  The bounded
retry (:mod:`sheetcrm.backends.retry`) stays the last line of defence.

The Google client calls :func:`before_request` before every request it sends
(each retry too).  That finds the :class:`Meter` of the tracker being run on
this thread, if any, so a single-tracker command is never paced and the client
needs no new argument.  The clock and sleep are injectable, so tests run a
whole day's quota instantly.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import threading
import time
from collections.abc import Callable, Iterator

#: The quota's window: Google counts requests per minute.
WINDOW_SECONDS = 60.0
#: Added to the window: a request is counted when sent but reaches Google a
#: little later, so two of them could otherwise land in one minute's count.
MARGIN_SECONDS = 1.0


class Pacer:
    """A sliding-window limit on reads and writes per minute, shared by threads."""

    def __init__(self, reads_per_minute: int = 60, writes_per_minute: int = 60, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 window: float = WINDOW_SECONDS + MARGIN_SECONDS) -> None:
        if reads_per_minute < 1 or writes_per_minute < 1 or window <= 0:
            raise ValueError("the limits must be at least 1 and the window positive")
        self.limits = {False: reads_per_minute, True: writes_per_minute}
        self.clock = clock
        self.sleep = sleep
        self.window = window
        self._sent: dict[bool, collections.deque[float]] = {
            False: collections.deque(), True: collections.deque()}
        self._lock = threading.Lock()

    def wait(self, write: bool = False) -> float:
        """Block until one more request of this kind stays within the limit, count it; the wait."""
        # The lock is held while sleeping: whoever waits next would wait longer anyway,
        # and holding it keeps every thread's count in one order.
        with self._lock:
            sent = self._sent[write]
            limit = self.limits[write]
            waited = 0.0
            while True:
                now = self.clock()
                while sent and sent[0] <= now - self.window:
                    sent.popleft()
                if len(sent) < limit:
                    sent.append(now)
                    return waited
                pause = sent[0] + self.window - now
                waited += pause
                self.sleep(pause)


class Meter:
    """One tracker's run: its credentials' pacer, and how many requests it sent."""

    def __init__(self, pacer: Pacer | None) -> None:
        self.pacer = pacer
        self.requests = 0
        #: Seconds this tracker spent waiting for the quota.
        self.waited = 0.0

    def before(self, write: bool) -> None:
        """Count one request and wait for the quota."""
        self.requests += 1
        if self.pacer is not None:
            self.waited += self.pacer.wait(write)

    def clock(self) -> float:
        """A clock that stands still while waiting for the quota, for the retry budget.

        The retry budget is for Google being busy or the network failing; the time
        spent waiting for this run's own turn must not use it up.
        """
        return time.monotonic() - self.waited


_current: contextvars.ContextVar[Meter | None] = contextvars.ContextVar(
    "sheetcrm_meter", default=None)


def before_request(write: bool = False) -> None:
    """Called by the Google client before each request: pace it if a run is metered."""
    meter = _current.get()
    if meter is not None:
        meter.before(write)


@contextlib.contextmanager
def metered(meter: Meter) -> Iterator[Meter]:
    """Meter (and pace) the Google requests made on this thread inside the block."""
    token = _current.set(meter)
    try:
        yield meter
    finally:
        _current.reset(token)
