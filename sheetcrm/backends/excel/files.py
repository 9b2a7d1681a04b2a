"""The tracker as a file: lock files, stable reads, atomic saves and backups.

Nothing here knows what is inside the file; :mod:`.workbook` opens it and
:mod:`.render` and :mod:`.execute` change it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import io
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import filelock

try:
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows
    _fcntl = None  # type: ignore[assignment]

from ...errors import (
    BackendError,
    ConcurrentEdit,
    NotATracker,
    TrackerBusy,
    TrackerNotFound,
    WriteFailed,
)

BACKUP_DIR = "sheetcrm-backups"
KEEP_BACKUPS = 5

#: What identifies one version of the file: modification time, size and inode.
Stamp = tuple[int, int, int]


class TrackerFile:
    """One .xlsx tracker on disk, with sheetcrm's lock and the owner's lock files."""

    def __init__(self, path: Path, *, lock_timeout: float = 10.0,
                 keep_backups: int = KEEP_BACKUPS) -> None:
        self.path = path
        self.label = str(path)
        self._lock_timeout = lock_timeout
        self._keep_backups = keep_backups
        self._filelock = OwnLock(path.parent / f".{path.name}.sheetcrm.lock")

    # ------------------------------------------------------------ locks and checks

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold sheetcrm's own lock on this tracker (re-entrant) for a read-then-write."""
        try:
            self._filelock.acquire(self._lock_timeout)
        except filelock.Timeout:
            raise TrackerBusy(
                f"Another sheetcrm command is working on {self.label}: wait for it to finish "
                "and run the command again"
            ) from None
        except OSError as exc:
            raise WriteFailed(
                f"Could not create sheetcrm's lock file beside {self.label} "
                f"({reason(exc)}): check that the folder is writable"
            ) from exc
        try:
            yield
        finally:
            self._filelock.release()

    def check_suffix(self) -> None:
        """Refuse any file that is not an .xlsx workbook, saying what to do instead."""
        suffix = self.path.suffix.lower()
        if suffix == ".xlsx":
            return
        if suffix == ".xls":
            raise NotATracker(
                f"{self.label} is an old Excel 97-2003 file: open it in Excel or LibreOffice, "
                "save it as an Excel workbook (.xlsx) and use that file"
            )
        if suffix == ".csv":
            raise NotATracker(
                f"{self.label} is a CSV file, not a tracker: add its rows to a tracker with "
                f"`sheetcrm import tracker.xlsx {self.label}`"
            )
        if suffix in (".xlsm", ".xltm"):
            raise NotATracker(
                f"{self.label} is a macro-enabled workbook, whose macros sheetcrm would lose: "
                "use an .xlsx tracker"
            )
        raise NotATracker(f"{self.label} is not an Excel workbook: its name must end in .xlsx")

    def owner_lock(self) -> str | None:
        """The name of Excel's or LibreOffice's lock file beside the tracker, if there is one."""
        for name in (f"~${self.path.name}", f".~lock.{self.path.name}#"):
            if (self.path.parent / name).exists():
                return name
        return None

    def check_owner_locks(self) -> None:
        """Refuse while Excel or LibreOffice has the file open (their lock file exists)."""
        name = self.owner_lock()
        if name is not None:
            raise TrackerBusy(
                f"{self.label} is open in Excel or LibreOffice (lock file {name}): close it "
                "and run the command again; if it is not open, delete that lock file"
            )

    def stamp(self) -> Stamp:
        """The file's current stamp; a missing file is :class:`TrackerNotFound`."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            raise self.not_found() from None
        except OSError as exc:
            raise BackendError(f"Could not read {self.label} ({reason(exc)})") from exc
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def not_found(self) -> TrackerNotFound:
        """The error for a tracker that does not exist."""
        return TrackerNotFound(
            f"{self.label} does not exist: create one with `sheetcrm init {self.label}`"
        )

    def read(self) -> tuple[bytes, Stamp]:
        """The file's bytes and the stamp they belong to, read again if it changed meanwhile."""
        if self.path.is_dir():
            raise NotATracker(f"{self.label} is a folder, not an Excel workbook (.xlsx)")
        for _ in range(3):
            before = self.stamp()
            try:
                data = self.path.read_bytes()
            except FileNotFoundError:
                raise self.not_found() from None
            except PermissionError as exc:
                raise BackendError(
                    f"sheetcrm is not allowed to read {self.label}: check the file's permissions"
                ) from exc
            except OSError as exc:
                raise BackendError(f"Could not read {self.label} ({reason(exc)})") from exc
            if self.stamp() == before:
                return data, before
        raise ConcurrentEdit(f"{self.label} kept changing while it was read: try again")

    # ------------------------------------------------------------ saving

    def save(self, write: Callable[[BinaryIO], None], expected: Stamp | None) -> None:
        """Write the file atomically from ``write``, keeping a backup of the old one.

        ``expected`` is the stamp of the version that was read; if the file
        changed since, nothing is written (:class:`ConcurrentEdit`).
        """
        directory = self.path.parent
        tmp: str | None = None
        try:
            self._remove_stale_temp_files()
            old_mode = stat.S_IMODE(self.path.stat().st_mode) if self.path.exists() else None
            if old_mode is not None and not old_mode & 0o222:
                # A rename would replace a read-only file regardless; honour the owner's flag.
                raise WriteFailed(
                    f"{self.label} is read-only: clear its read-only setting and run the "
                    "command again"
                )
            fd, tmp = tempfile.mkstemp(prefix=self._temp_prefix(), suffix=".tmp", dir=directory)
            with os.fdopen(fd, "wb") as fh:
                # Build the whole file in memory first, so a failing disk write cannot leave
                # openpyxl's zip half-closed (it would print a traceback when collected).
                buffer = io.BytesIO()
                try:
                    write(buffer)
                except Exception as exc:  # openpyxl can fail on content it cannot serialise
                    raise WriteFailed(
                        f"Could not save {self.label} ({exc}); the file was left as it was"
                    ) from exc
                fh.write(buffer.getvalue())
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, old_mode if old_mode is not None else _default_mode())
            if expected is not None and self.stamp() != expected:
                raise ConcurrentEdit(
                    f"{self.label} changed on disk while sheetcrm was saving it: nothing was "
                    "written; run the command again"
                )
            self.check_owner_locks()  # the owner may have opened it while we worked
            backup = self._backup() if old_mode is not None else None
            try:
                os.replace(tmp, self.path)
            except OSError:
                # The old file is still in place: this backup would only push out a real one.
                if backup is not None:
                    with contextlib.suppress(OSError):
                        backup.unlink()
                raise
            tmp = None
            _fsync_dir(directory)
        except OSError as exc:
            raise WriteFailed(
                f"Could not save {self.label} ({reason(exc)}); the file was left as it was"
            ) from exc
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        with contextlib.suppress(OSError):
            self._rotate_backups()

    def _temp_prefix(self) -> str:
        return f".{self.path.name}."

    def _remove_stale_temp_files(self) -> None:
        """Delete temporary files left by a sheetcrm that was killed while saving.

        Only called under our own lock, so no other sheetcrm is writing one now.
        """
        prefix = self._temp_prefix()
        for leftover in self.path.parent.glob(f"{glob.escape(prefix)}*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()

    def _backup_pattern(self) -> re.Pattern[str]:
        return re.compile(
            re.escape(self.path.stem) + r"-\d{8}-\d{6}-\d{6}(?:-\d+)?" + re.escape(self.path.suffix)
        )

    def _backup(self) -> Path:
        folder = self.path.parent / BACKUP_DIR
        folder.mkdir(exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        target = folder / f"{self.path.stem}-{stamp}{self.path.suffix}"
        n = 1
        while target.exists():
            target = folder / f"{self.path.stem}-{stamp}-{n}{self.path.suffix}"
            n += 1
        try:
            shutil.copy2(self.path, target)
        except OSError:
            with contextlib.suppress(OSError):
                target.unlink()
            raise
        return target

    def _rotate_backups(self) -> None:
        folder = self.path.parent / BACKUP_DIR
        if not folder.is_dir():
            return
        pattern = self._backup_pattern()
        ours = sorted(p for p in folder.iterdir() if pattern.fullmatch(p.name))
        for old in ours[: max(0, len(ours) - self._keep_backups)]:
            old.unlink()


class OwnLock:
    """sheetcrm's own lock file, re-entrant, removed again when the last holder lets go.

    The file is locked with ``flock`` (as :mod:`filelock` does, so either can wait for
    the other).  Removing it on release is safe because a waiter that then gets the
    lock checks that the file it locked is still the one at the path, and starts
    again if the holder removed it meanwhile.  Where ``flock`` does not exist
    (Windows), :mod:`filelock` is used, which removes its file itself.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._count = 0
        self._fallback = None if _fcntl is not None else filelock.FileLock(str(path))

    def acquire(self, timeout: float) -> None:
        """Take the lock, waiting up to ``timeout`` seconds (:class:`filelock.Timeout`)."""
        if self._fallback is not None:
            self._fallback.acquire(timeout=timeout)
            return
        if self._count:
            self._count += 1
            return
        assert _fcntl is not None
        deadline = time.monotonic() + timeout
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                if time.monotonic() >= deadline:
                    raise filelock.Timeout(str(self.path)) from None
                time.sleep(0.05)
                continue
            if self._still_there(fd):
                self._fd, self._count = fd, 1
                return
            os.close(fd)  # the holder removed it as we waited: lock the new one

    def _still_there(self, fd: int) -> bool:
        try:
            st = os.stat(self.path)
        except OSError:
            return False
        mine = os.fstat(fd)
        return (st.st_ino, st.st_dev) == (mine.st_ino, mine.st_dev)

    def release(self) -> None:
        """Let go once; the last release removes the file, then unlocks it."""
        if self._fallback is not None:
            self._fallback.release()
            return
        if self._count == 0:
            return
        self._count -= 1
        if self._count or self._fd is None:
            return
        fd, self._fd = self._fd, None
        assert _fcntl is not None
        try:
            with contextlib.suppress(OSError):
                os.unlink(self.path)  # while still locked, so no one can have it yet
        finally:
            _fcntl.flock(fd, _fcntl.LOCK_UN)
            os.close(fd)


def reason(exc: OSError) -> str:
    """An OS error in a few words ("No space left on device")."""
    return exc.strerror or str(exc) or type(exc).__name__


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
