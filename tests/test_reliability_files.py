"""Excel faults end to end: files open elsewhere, read-only, full disk, damaged, killed saves.

Every fault must end in one plain error (a :class:`~sheetcrm.errors.SheetCRMError`,
or one ``Error:`` line from the CLI), leave the tracker byte-identical, and
keep the backups.  "Nothing lost" is checked on the file itself: the owner
cells are read straight from the sheet XML inside the .xlsx (see
:func:`xlsx_cells`), not through the backend under test.
"""

from __future__ import annotations

import datetime as dt
import errno
import gc
import io
import json
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import Result

from sheetcrm import tracker
from sheetcrm.backends.excel import BACKUP_DIR, KEEP_BACKUPS, ExcelBackend
from tests.helpers.cli import assert_one_line_error, run
from tests.helpers.xlsx import RawCell, same_columns, xlsx_columns

pytestmark = pytest.mark.slow  # killed processes, races and big trackers: a minute or more

# --------------------------------------------------------------------------- the tracker under test

NOW = "2026-11-02T10:00"
PEOPLE = [
    ("30/10/2026 15:00", "Alice A.", "0772 123456", "WhatsApp"),
    ("02/11/2026 09:00", "Bob B.", "+256 701 234567", "Instagram"),
    ("28/10/2026 09:00", "Carol C.", "0752 345678", "Walk-in"),
]
OWNER = ["Received", "Name", "Contact", "Source", "Status", "First contact", "Follow-ups done",
         "Value", "Notes", "ID"]
COMPUTED = ["Respond by", "SLA", "Next follow-up", "WhatsApp", "Problems"]


@pytest.fixture
def tracker_file(tmp_path: Path) -> Path:
    """A refreshed tracker with three enquiries and one backup, as after a week of use."""
    path = tmp_path / "tracker.xlsx"
    assert run("init", str(path)).exit_code == 0
    for received, name, contact, source in PEOPLE:
        result = run("add", str(path), "--name", name, "--contact", contact, "--source", source,
                     "--received", received, "--now", NOW)
        assert result.exit_code == 0, result.output
    assert run("refresh", str(path), "--now", NOW).exit_code == 0
    return path


def folder_state(path: Path) -> dict[str, bytes]:
    """Every file beside the tracker and in its backup folder, by name (our lock file aside)."""
    out: dict[str, bytes] = {}
    for p in sorted(path.parent.rglob("*")):
        if p.is_file() and not p.name.endswith(".sheetcrm.lock"):
            out[str(p.relative_to(path.parent))] = p.read_bytes()
    return out


def temp_files(folder: Path) -> list[str]:
    """Temporary files a save may leave (a tracker's own start with a dot and end in .tmp)."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


WRITE_COMMANDS: dict[str, Callable[[Path], list[str]]] = {
    "refresh": lambda p: ["refresh", str(p), "--now", NOW],
    "add": lambda p: ["add", str(p), "--name", "Dora D.", "--contact", "0772 555666",
                      "--received", "02/11/2026 09:30", "--now", NOW],
    "import": lambda p: ["import", str(p), str(_csv(p.parent.parent)), "--now", NOW],
}


def _csv(folder: Path) -> Path:
    path = folder / "enquiries.csv"
    path.write_text("Received,Name,Contact,Source\n02/11/2026 09:40,Eve E.,0776 567890,"
                    "WhatsApp\n", encoding="utf-8")
    return path


def assert_failed_and_untouched(result: Result, path: Path, before: dict[str, bytes],
                                *fragments: str) -> None:
    """One plain error line, and every file (tracker and backups) byte-identical."""
    assert_one_line_error(result, *fragments)
    assert folder_state(path) == before
    assert not temp_files(path.parent)


def test_these_faults_meet_the_fast_path(tracker_file: Path) -> None:
    # Every fault below is met by the CLI's default path; this proves that path is the fast
    # one for this tracker (a change making it fall back would otherwise go unnoticed).
    result = run("refresh", str(tracker_file), "--now", NOW, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["excel_path"] == "fast"
    assert not (tracker_file.parent / ".tracker.xlsx.sheetcrm.lock").exists()


# --------------------------------------------------------------------------- open elsewhere


@pytest.mark.parametrize("command", sorted(WRITE_COMMANDS))
@pytest.mark.parametrize("lock", ["~$tracker.xlsx", ".~lock.tracker.xlsx#"],
                         ids=["Excel", "LibreOffice"])
def test_a_tracker_open_in_excel_or_libreoffice_is_left_alone(tracker_file: Path, lock: str,
                                                              command: str) -> None:
    (tracker_file.parent / lock).write_text("owner,machine", encoding="utf-8")
    before = folder_state(tracker_file)
    result = run(*WRITE_COMMANDS[command](tracker_file))
    assert_failed_and_untouched(result, tracker_file, before, lock, "close it")


def test_a_read_only_tracker_is_not_replaced(tracker_file: Path) -> None:
    # The owner (or a shared drive) marked the file read-only.  Saving goes through a
    # rename, which the folder allows even so: sheetcrm must honour the file's own flag.
    tracker_file.chmod(0o444)
    before = folder_state(tracker_file)
    result = run("refresh", str(tracker_file), "--now", NOW)
    assert_failed_and_untouched(result, tracker_file, before, "read-only")
    assert stat.S_IMODE(tracker_file.stat().st_mode) == 0o444


def test_a_read_only_folder_stops_with_a_clear_message(tracker_file: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulated (tests may run as root, whom permissions do not stop): nothing can be
    # created in the tracker's folder.  The real thing, on a read-only mount, is below.
    folder = str(tracker_file.parent)
    real_open, real_mkdir = os.open, os.mkdir
    writing = os.O_CREAT | os.O_WRONLY | os.O_RDWR

    def refuse_open(file: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(file).startswith(folder) and flags & writing:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return real_open(file, flags, *args, **kwargs)

    def refuse_mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        if str(path).startswith(folder):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        real_mkdir(path, *args, **kwargs)

    (tracker_file.parent / ".tracker.xlsx.sheetcrm.lock").unlink(missing_ok=True)
    before = folder_state(tracker_file)
    monkeypatch.setattr(os, "open", refuse_open)
    monkeypatch.setattr(os, "mkdir", refuse_mkdir)
    result = run("refresh", str(tracker_file), "--now", NOW)
    monkeypatch.undo()
    assert_failed_and_untouched(result, tracker_file, before, "tracker.xlsx")


class _FullDisk(io.RawIOBase):
    """A file that takes ``room`` bytes and then answers ENOSPC, as a full disk does."""

    def __init__(self, real: Any, room: int) -> None:
        self.real = real
        self.room = room

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return int(self.real.write(data))

    def close(self) -> None:
        self.real.close()
        super().close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.mark.parametrize("step", ["write", "fsync", "backup", "replace"])
def test_a_full_disk_leaves_tracker_and_backups_as_they_were(
        tracker_file: Path, step: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulated: the disk fills up while the new file is written, flushed, backed up or
    # moved into place.  A real full disk (a tiny tmpfs) is tried below.
    def enospc(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    real_fdopen = os.fdopen

    def small_fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        return _FullDisk(real_fdopen(fd, *args, **kwargs), room=4096)

    leftovers: list[Any] = []
    before = folder_state(tracker_file)
    patch = {"write": (os, "fdopen", small_fdopen), "fsync": (os, "fsync", enospc),
             "backup": (shutil, "copy2", enospc), "replace": (os, "replace", enospc)}[step]
    monkeypatch.setattr(*patch)
    # Anything Python would print as "Exception ignored in ..." after the error line.
    monkeypatch.setattr(sys, "unraisablehook", leftovers.append)
    gc.collect()  # what earlier tests left for the collector is not this test's
    result = run("refresh", str(tracker_file), "--now", "2026-11-03T10:00")
    result.exception = result.exc_info = None  # let the failed save's objects go
    gc.collect()
    monkeypatch.undo()
    assert not leftovers, f"more than one line on the terminal: {leftovers[0].exc_value!r}"
    assert_failed_and_untouched(result, tracker_file, before, "No space left on device")
    # Once there is room again, the same refresh works.
    assert run("refresh", str(tracker_file), "--now", "2026-11-03T10:00").exit_code == 0


def _can_mount() -> bool:
    """Whether this machine lets a test mount a tmpfs in a private mount namespace."""
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            "mount -t tmpfs -o size=8k tmpfs /mnt && umount /mnt"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


ROOT = Path(__file__).resolve().parent.parent
needs_mount = pytest.mark.skipif(not _can_mount(), reason=(
    "needs `unshare -m` and tmpfs mounts (root on Linux); the simulated tests above cover "
    "the same paths"))


def _on_tmpfs(tracker_file: Path, work: Path, setup: str) -> tuple[int, str, Path]:
    """Run a refresh on a copy of the tracker's folder on its own tmpfs; returns code, stderr
    and a copy of the folder as the refresh left it."""
    mount, out = work / "mnt", work / "out"
    mount.mkdir()
    out.mkdir()
    # Room for the files as they are (tmpfs counts whole 4 KiB pages), not for a new copy.
    pages = sum(-(-p.stat().st_size // 4096) for p in tracker_file.parent.rglob("*")
                if p.is_file()) + 2
    script = f"""
        set -e
        mount -t tmpfs -o size={pages * 4096} tmpfs '{mount}'
        cp -a '{tracker_file.parent}/.' '{mount}/'
        {setup}
        set +e
        '{sys.executable}' -m sheetcrm.cli refresh '{mount}/tracker.xlsx' --now {NOW} \
            2> '{out}/stderr' > /dev/null
        echo $? > '{out}/rc'
        cp -a '{mount}' '{out}/after'
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return (int((out / "rc").read_text()), (out / "stderr").read_text(),
            out / "after" / "tracker.xlsx")


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("Error: "), stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    return lines[-1]


@needs_mount
def test_a_really_full_disk_leaves_the_tracker_as_it_was(
        tracker_file: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    before = folder_state(tracker_file)
    code, stderr, after = _on_tmpfs(tracker_file, tmp_path_factory.mktemp("tmpfs"), setup="")
    assert code == 1
    assert "No space left on device" in _one_error_line(stderr)
    assert folder_state(after) == before


@needs_mount
def test_a_really_read_only_folder_leaves_the_tracker_as_it_was(
        tracker_file: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    before = folder_state(tracker_file)
    work = tmp_path_factory.mktemp("tmpfs")
    code, stderr, after = _on_tmpfs(tracker_file, work, setup=f"mount -o remount,ro '{work}/mnt'")
    assert code == 1
    assert "tracker.xlsx" in _one_error_line(stderr)
    assert folder_state(after) == before


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "truncated to half": lambda data: data[: len(data) // 2],
    "cut to 100 bytes": lambda data: data[:100],
    "empty": lambda data: b"",
    "a text file": lambda data: b"Name,Contact\nAlice,0772 123456\n",
    "random bytes": lambda data: bytes(random.Random(3).randrange(256) for _ in range(5000)),
    "a zip that is not a workbook": lambda data: _zip({"notes.txt": b"hello"}),
    "a workbook without its sheets": lambda data: _without(data, "xl/worksheets/sheet1.xml"),
}


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return out.getvalue()


def _without(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return _zip({n: z.read(n) for n in z.namelist() if n != name})


@pytest.mark.parametrize("command", sorted(WRITE_COMMANDS))
@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_or_foreign_file_is_refused_and_left_as_it_is(tracker_file: Path, damage: str,
                                                                command: str) -> None:
    tracker_file.write_bytes(DAMAGE[damage](tracker_file.read_bytes()))
    before = folder_state(tracker_file)
    result = run(*WRITE_COMMANDS[command](tracker_file))
    assert_failed_and_untouched(result, tracker_file, before, "tracker.xlsx")


# --------------------------------------------------------------------------- backups


def test_backups_rotate_beside_the_tracker_and_keep_the_last_five(tracker_file: Path) -> None:
    folder = tracker_file.parent / BACKUP_DIR
    # Another tracker in the same folder, and a file of the owner's among the backups.
    other = tracker_file.parent / "tracker-2.xlsx"
    assert run("init", str(other)).exit_code == 0
    assert run("refresh", str(other), "--now", NOW).exit_code == 0
    others = sorted(p.name for p in folder.iterdir() if p.name.startswith("tracker-2-"))
    (folder / "my notes.txt").write_text("the owner's", encoding="utf-8")
    previous = []
    for day in range(3, 11):  # eight refreshes on eight days
        previous.append(tracker_file.read_bytes())
        assert run("refresh", str(tracker_file), "--now", f"2026-11-{day:02d}T10:00").exit_code == 0
    ours = sorted(p for p in folder.iterdir()
                  if re.fullmatch(r"tracker-\d{8}-\d{6}-\d{6}(-\d+)?\.xlsx", p.name))
    assert len(ours) == KEEP_BACKUPS == 5
    # The backups are the files as they were before each of the last five saves.
    assert [p.read_bytes() for p in ours] == previous[-5:]
    for p in ours:
        assert "Enquiries" in openpyxl.load_workbook(p, read_only=True).sheetnames
    assert (folder / "my notes.txt").exists()
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("tracker-2-")) == others


# --------------------------------------------------------------------------- killed refreshes

KILLS = 20
BIG_ROWS = 2000
BUSY_ROWS = 300


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "sheetcrm.cli", *args]


def _tracker_with(folder: Path, count: int) -> tuple[Path, Path]:
    """A tracker of ``count`` enquiries refreshed on 2 November, and a copy refreshed on the 3rd."""
    path = folder / "tracker.xlsx"
    tracker.init_tracker(ExcelBackend(path))
    rng = random.Random(5)
    start = dt.datetime(2026, 9, 1, 8)
    rows: list[dict[str, Any]] = [
        {"Received": start + dt.timedelta(minutes=rng.randrange(60 * 24 * 60)),
         "Name": f"Customer {i}", "Contact": f"0772 {100000 + i:06d}",
         "Source": rng.choice(["WhatsApp", "Facebook", "Walk-in", "Referral"]),
         "Status": rng.choice(["pending", "contacted", "converted", "lost"]),
         "Notes": "=HYPERLINK(\"x\")" if i % 97 == 0 else "n" * rng.randrange(40)}
        for i in range(count)
    ]
    ExcelBackend(path).append(rows)
    tracker.refresh(ExcelBackend(path), now=dt.datetime(2026, 11, 2, 10))
    shutil.rmtree(folder / BACKUP_DIR)
    done = folder / "done" / "tracker.xlsx"
    done.parent.mkdir()
    shutil.copy(path, done)
    tracker.refresh(ExcelBackend(done), now=dt.datetime(2026, 11, 3, 10))
    return path, done


@pytest.fixture(scope="module")
def big_tracker(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """2,000 enquiries: a refresh takes long enough to be killed at many moments."""
    return _tracker_with(tmp_path_factory.mktemp("big"), BIG_ROWS)


@pytest.fixture(scope="module")
def busy_tracker(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """300 enquiries, for commands racing each other."""
    return _tracker_with(tmp_path_factory.mktemp("busy"), BUSY_ROWS)


def _enquiries(path: Path) -> dict[str, dict[int, RawCell]]:
    return xlsx_columns(path, "Enquiries", OWNER + COMPUTED)


def test_a_refresh_killed_at_any_moment_leaves_the_old_or_the_new_tracker(
        big_tracker: tuple[Path, Path], tmp_path: Path) -> None:
    original, refreshed = big_tracker
    old_bytes = original.read_bytes()
    old_cells, new_cells = _enquiries(original), _enquiries(refreshed)
    owner = OWNER[:-1]  # the IDs were all filled on 2 November already
    assert same_columns({h: old_cells[h] for h in owner}, {h: new_cells[h] for h in owner})
    assert not same_columns(old_cells, new_cells)  # 3 November changes the SLA column
    args = ("refresh", "tracker.xlsx", "--now", "2026-11-03T10:00")

    # Measure a whole refresh and when its temporary file appears (the save starts).
    work = tmp_path / "measure"
    work.mkdir()
    shutil.copy(original, work / "tracker.xlsx")
    began, began_wall = time.monotonic(), time.time()
    proc = subprocess.Popen(_cli(*args), cwd=work, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    seen = None
    while proc.poll() is None:
        if seen is None and temp_files(work):
            seen = time.monotonic() - began
        time.sleep(0.001)
    duration = time.monotonic() - began
    assert proc.returncode == 0
    # The fast path's save can be over between two looks at the folder: the saved file
    # (the temporary file, renamed) was last written when its bytes were all in, so the
    # save began no later than that.
    written = (work / "tracker.xlsx").stat().st_mtime - began_wall
    assert 0 < written < duration, (written, duration)
    saving = min(seen, written) if seen is not None else written
    probe = ExcelBackend(work / "probe.xlsx")
    shutil.copy(original, probe.path)
    tracker.refresh(probe, now=dt.datetime(2026, 11, 3, 10))
    assert probe.last_write_path == "fast"  # the kills below meet the fast path

    # Half the kills anywhere in the run, half inside the save itself.
    rng = random.Random(2026)
    delays = sorted([rng.uniform(0, duration) for _ in range(KILLS // 2)]
                    + [rng.uniform(saving, duration) for _ in range(KILLS - KILLS // 2)])
    outcomes: dict[str, int] = {"old": 0, "new": 0, "temporary file left": 0}
    for n, delay in enumerate(delays):
        work = tmp_path / f"kill{n}"
        work.mkdir()
        path = work / "tracker.xlsx"
        shutil.copy(original, path)
        proc = subprocess.Popen(_cli(*args), cwd=work, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        where = f"kill {n} after {delay:.2f} s of {duration:.2f} s"
        if path.read_bytes() == old_bytes:
            outcome = "old"
        else:
            assert "Enquiries" in openpyxl.load_workbook(path).sheetnames, where
            assert same_columns(_enquiries(path), new_cells), where
            outcome = "new"
        left = temp_files(work)
        # The next refresh must work and tidy up after the killed one: tried once for each
        # outcome and once after a kill that left a temporary file (each costs a refresh).
        if outcomes[outcome] == 0 or (left and not outcomes["temporary file left"]):
            tracker.refresh(ExcelBackend(path), now=dt.datetime(2026, 11, 3, 10))
            assert not temp_files(work), (where, temp_files(work))
            assert same_columns(_enquiries(path), new_cells), where
        outcomes[outcome] += 1
        outcomes["temporary file left"] += bool(left)
    assert outcomes["old"] + outcomes["new"] == KILLS
    print(f"{KILLS} kills over {duration:.2f} s (save from {saving:.2f} s): {outcomes}")


# --------------------------------------------------------------------------- two at once


def _start(work: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(_cli(*args), cwd=work, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


ROUNDS = 5


def test_two_refreshes_at_once_both_finish_or_one_says_busy(
        busy_tracker: tuple[Path, Path], tmp_path: Path) -> None:
    original, refreshed = busy_tracker
    new_cells = _enquiries(refreshed)
    args = ("refresh", "tracker.xlsx", "--now", "2026-11-03T10:00", "--json")
    for n in range(ROUNDS):
        work = tmp_path / f"round{n}"
        work.mkdir()
        path = work / "tracker.xlsx"
        shutil.copy(original, path)
        procs = [_start(work, *args), _start(work, *args)]
        results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
        for out, err, code in results:
            if code != 0:
                assert code == 1 and "Another sheetcrm command is working on" in err, err
            else:
                assert json.loads(out)["now"] == "2026-11-03T10:00:00+03:00"
        assert any(code == 0 for _, _, code in results)
        assert same_columns(_enquiries(path), new_cells), f"round {n}"
        assert not temp_files(work)


def test_an_add_during_a_refresh_is_never_lost(busy_tracker: tuple[Path, Path],
                                              tmp_path: Path) -> None:
    original, _ = busy_tracker
    for n in range(ROUNDS):
        work = tmp_path / f"round{n}"
        work.mkdir()
        shutil.copy(original, work / "tracker.xlsx")
        refresh = _start(work, "refresh", "tracker.xlsx", "--now", "2026-11-03T10:00")
        time.sleep(0.05 * n)  # the add starts a little later each round
        add = _start(work, "add", "tracker.xlsx", "--name", f"Late {n}", "--contact",
                     "0772 999000", "--received", "03/11/2026 09:00", "--now", "2026-11-03T10:00")
        for proc in (refresh, add):
            _out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        names = xlsx_columns(work / "tracker.xlsx", "Enquiries", ["Name"])["Name"]
        assert sum(1 for c in names.values() if c.value == f"Late {n}") == 1, f"round {n}"
        assert len(names) == BUSY_ROWS + 1
