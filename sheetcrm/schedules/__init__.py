"""Ready-made schedules for ``refresh --all``: one module per kind, registered here.

Each module has ``render(spec) -> list[ScheduleFile]``.  A new kind is a new
module and one line in :data:`KINDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import InputError
from . import cron, github_actions, systemd, windows
from .spec import ScheduleFile, ScheduleSpec

__all__ = ["KINDS", "ScheduleFile", "ScheduleSpec", "installed_program", "render", "spec_for"]

#: Kind name -> its renderer.
KINDS: dict[str, Callable[[ScheduleSpec], list[ScheduleFile]]] = {
    "cron": cron.render,
    "systemd": systemd.render,
    "github-actions": github_actions.render,
    "windows": windows.render,
}


def render(kind: str, spec: ScheduleSpec) -> list[ScheduleFile]:
    """The files (or commands) that run ``refresh --all`` on the schedule in ``spec``."""
    try:
        renderer = KINDS[kind]
    except KeyError:
        raise InputError(f"There is no {kind!r} schedule: use one of {', '.join(KINDS)}") from None
    return renderer(spec)


def installed_program(argv0: str | None = None) -> str:
    """The absolute path of the installed ``sheetcrm`` program, for a schedule to run."""
    import shutil
    import sys

    first = Path(argv0 if argv0 is not None else sys.argv[0])
    if first.name.lower().startswith("sheetcrm") and first.exists():
        return str(first.resolve())
    found = shutil.which("sheetcrm")
    if found:
        return str(Path(found).resolve())
    beside = Path(sys.executable).parent / ("sheetcrm.exe" if sys.platform == "win32"
                                            else "sheetcrm")
    if beside.exists():
        return str(beside)
    raise InputError("Cannot find the installed sheetcrm program: run this command as "
                     "`sheetcrm schedule ...` from the environment sheetcrm is installed in")


def spec_for(config: Path, *, program: str | None = None, hours: str = "8-18",
             timezone: str = "Africa/Kampala", install: str = "sheetcrm") -> ScheduleSpec:
    """The schedule for a config file: absolute paths, hours from ``8-18``."""
    from .spec import parse_hours

    config = config.resolve()
    first, last = parse_hours(hours)
    return ScheduleSpec(program=program or installed_program(), config=str(config),
                        config_in_repository=_in_repository(config), first_hour=first,
                        last_hour=last, timezone=timezone, install=install)


def _in_repository(config: Path) -> str:
    """The config's path from the root of its git repository, else its name."""
    for folder in config.parents:
        if (folder / ".git").exists():
            return config.relative_to(folder).as_posix()
    return config.name
