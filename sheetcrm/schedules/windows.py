"""Windows Task Scheduler: ``schtasks`` commands to paste into a Command Prompt."""

from __future__ import annotations

from .spec import DAY_NAMES, ScheduleFile, ScheduleSpec

#: schtasks refuses a /TR longer than this.
MAX_TASK_RUN = 261


def task_run(spec: ScheduleSpec) -> str:
    """The /TR value: the program and its arguments, paths in quotes."""
    words = [spec.program, *spec.arguments()]
    return " ".join(f'"{w}"' if (" " in w or w in (spec.program, spec.config)) else w
                    for w in words)


def _quoted_tr(spec: ScheduleSpec) -> str:
    # Inside schtasks' own quotes, each inner quote is written \".
    return '"' + task_run(spec).replace('"', '\\"') + '"'


def render(spec: ScheduleSpec) -> list[ScheduleFile]:
    """Two tasks in a "sheetcrm" folder: hourly in opening hours, weekly on Monday."""
    days = ",".join(DAY_NAMES[d][:3].upper() for d in spec.days)
    span = spec.last_hour - spec.first_hour
    lines = [
        "REM sheetcrm: paste these into a Command Prompt (not as administrator).",
        "REM Times are this computer's own clock. Each run writes one line per tracker",
        "REM to sheetcrm's log (see `sheetcrm list`).",
        f"REM {spec.hours_text()[0].upper()}{spec.hours_text()[1:]}:",
        f'schtasks /Create /F /TN "sheetcrm\\Hourly refresh" /SC WEEKLY /D {days} '
        f"/ST {spec.first_hour:02d}:00 /RI 60 /DU {span:02d}:30 /TR {_quoted_tr(spec)}",
        f"REM {spec.weekly_text()}:",
        f'schtasks /Create /F /TN "sheetcrm\\Weekly refresh" /SC WEEKLY /D MON '
        f"/ST {spec.weekly:%H:%M} /TR {_quoted_tr(spec)}",
        "REM To see them: schtasks /Query /TN \"sheetcrm\\Hourly refresh\" /V /FO LIST",
        "",
    ]
    if len(task_run(spec)) > MAX_TASK_RUN:
        lines.insert(0, f"REM Warning: the command is longer than {MAX_TASK_RUN} characters, "
                        "which schtasks refuses: move sheetcrm.toml to a shorter path.")
    return [ScheduleFile(where="Command Prompt", text="\n".join(lines))]
