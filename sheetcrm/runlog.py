"""The run log: one line per tracker per run, so a scheduled run leaves a trace.

The log rotates (1 MB, five old copies) and lives in the user's log folder
(``~/.local/state/sheetcrm/log/sheetcrm.log`` on Linux) unless ``--log-file``
says otherwise.  It records names, targets, results and counts: never a
credential (the key file's contents are never read here, and messages name
at most the key file's path).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from collections.abc import Callable
from pathlib import Path

from .outcomes import TrackerOutcome

LOG_NAME = "sheetcrm.log"
MAX_BYTES = 1_000_000
BACKUPS = 5


#: The environment variable that moves the run log (``--log-file`` wins over it).
ENV_VAR = "SHEETCRM_LOG_FILE"


def default_log_file() -> Path:
    """$SHEETCRM_LOG_FILE, else the user's log folder (~/.local/state/sheetcrm/log/ on Linux)."""
    import platformdirs

    named = os.environ.get(ENV_VAR, "").strip()
    if named:
        return Path(named).expanduser()
    return Path(platformdirs.user_log_dir("sheetcrm")) / LOG_NAME


class RunLog:
    """An open run log; :meth:`close` it when the run is over."""

    def __init__(self, path: Path | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        self.path = path or default_log_file()
        # A logger of its own, outside logging's registry: nothing else writes to it.
        self._logger = logging.Logger("sheetcrm.runs", logging.INFO)
        self._handler: logging.Handler | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(
                self.path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
        except OSError as exc:
            # A log that cannot be written must not stop the refreshes.
            if warn is not None:
                warn(f"cannot write the log file {self.path} ({exc.strerror or exc}); "
                     "carrying on without it")
            return
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S%z"))
        self._logger.addHandler(handler)
        self._handler = handler

    def record(self, action: str, outcome: TrackerOutcome) -> None:
        """One line for one tracker: what ran, on what, and how it went."""
        if outcome.ok:
            figures = (f"ok due={outcome.due} overdue={outcome.overdue} "
                       f"follow_ups_due={outcome.follow_ups_due} problems={outcome.problems}")
        else:
            figures = f"FAILED {outcome.error}"
        if outcome.last_refresh is not None:
            figures += f" last_refresh={outcome.last_refresh}"
        requests = "" if outcome.requests is None else f" requests={outcome.requests}"
        self._logger.info("%s %s (%s) %s%s", action, outcome.name, outcome.target,
                          " ".join(figures.splitlines()), requests)

    def close(self) -> None:
        """Flush and close the file."""
        if self._handler is not None:
            self._logger.removeHandler(self._handler)
            self._handler.close()
            self._handler = None
