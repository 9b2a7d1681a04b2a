"""A systemd user service and timer (Linux): no root needed."""

from __future__ import annotations

from .spec import DAY_NAMES, ScheduleFile, ScheduleSpec

NAME = "sheetcrm-refresh"
FOLDER = "~/.config/systemd/user"


def _quoted(word: str) -> str:
    """One ExecStart word: % and $ are special in unit files; quotes keep spaces."""
    word = word.replace("%", "%%").replace("$", "$$")
    if any(c in word for c in " \t\"'\\"):
        return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return word


def _days(days: tuple[int, ...]) -> str:
    short = [DAY_NAMES[d][:3] for d in days]
    if len(days) > 1 and list(days) == list(range(days[0], days[-1] + 1)):
        return f"{short[0]}..{short[-1]}"
    return ",".join(short)


def render(spec: ScheduleSpec) -> list[ScheduleFile]:
    """The service (what to run) and the timer (when)."""
    service = "\n".join([
        f"# Save as {FOLDER}/{NAME}.service",
        "[Unit]",
        "Description=Refresh every sheetcrm tracker in the config file",
        "",
        "[Service]",
        "Type=oneshot",
        "ExecStart=" + " ".join(_quoted(w) for w in [spec.program, *spec.arguments()]),
        "",
    ])
    timer = "\n".join([
        f"# Save as {FOLDER}/{NAME}.timer, then run:",
        "#   systemctl --user daemon-reload",
        f"#   systemctl --user enable --now {NAME}.timer",
        "#   loginctl enable-linger \"$USER\"   # so it runs while you are logged out",
        "[Unit]",
        "Description=Refresh the sheetcrm trackers in opening hours and on Monday morning",
        "",
        "[Timer]",
        f"# {spec.hours_text()}, {spec.timezone}",
        f"OnCalendar={_days(spec.days)} *-*-* {spec.first_hour:02d}..{spec.last_hour:02d}:00:00 "
        f"{spec.timezone}",
        f"# {spec.weekly_text()}, {spec.timezone}",
        f"OnCalendar=Mon *-*-* {spec.weekly:%H:%M}:00 {spec.timezone}",
        "# Catch up after the computer was off.",
        "Persistent=true",
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
    ])
    return [ScheduleFile(where=f"{FOLDER}/{NAME}.service", text=service),
            ScheduleFile(where=f"{FOLDER}/{NAME}.timer", text=timer)]
