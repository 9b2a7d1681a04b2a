"""A crontab fragment (Linux, macOS): paste it into ``crontab -e``."""

from __future__ import annotations

import shlex

from .spec import ScheduleFile, ScheduleSpec


def command(spec: ScheduleSpec) -> str:
    """The command, quoted for the shell; % is special in a crontab line, so it is escaped."""
    words = [spec.program, *spec.arguments()]
    return " ".join(shlex.quote(w) for w in words).replace("%", "\\%")


def _days(days: tuple[int, ...]) -> str:
    # cron counts Sunday as 0; sheetcrm counts Monday as 0.
    cron_days = sorted((d + 1) % 7 for d in days)
    if len(cron_days) > 1 and cron_days == list(range(cron_days[0], cron_days[-1] + 1)):
        return f"{cron_days[0]}-{cron_days[-1]}"
    return ",".join(str(d) for d in cron_days)


def render(spec: ScheduleSpec) -> list[ScheduleFile]:
    """Two crontab lines: hourly in opening hours, weekly on Monday morning."""
    run = command(spec)
    text = "\n".join([
        "# sheetcrm: refresh every tracker in the config file.",
        "# Add these lines with `crontab -e`, as the user who holds the Google key.",
        "# Times are this computer's own clock. Each run writes one line per tracker",
        "# to sheetcrm's log (see `sheetcrm list`); no redirection is needed.",
        f"# {spec.hours_text()[0].upper()}{spec.hours_text()[1:]}:",
        f"0 {spec.first_hour}-{spec.last_hour} * * {_days(spec.days)} {run}",
        f"# {spec.weekly_text()}:",
        f"{spec.weekly.minute} {spec.weekly.hour} * * 1 {run}",
        "",
    ])
    return [ScheduleFile(where="crontab -e", text=text)]
