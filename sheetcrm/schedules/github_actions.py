"""A GitHub Actions workflow: install sheetcrm, write the key from a secret, refresh."""

from __future__ import annotations

from .spec import ScheduleFile, ScheduleSpec

WHERE = ".github/workflows/sheetcrm-refresh.yml"
SECRET = "SHEETCRM_GOOGLE_KEY"


def _cron_lines(spec: ScheduleSpec) -> list[tuple[str, str]]:
    """(cron, comment) pairs in UTC, which is the clock GitHub's schedules use."""
    offset = spec.utc_offset_minutes()
    groups: dict[tuple[int, int], list[int]] = {}  # (minute, day shift) -> UTC hours
    for hour in range(spec.first_hour, spec.last_hour + 1):
        total = hour * 60 - offset
        shift, minutes = divmod(total, 24 * 60)
        groups.setdefault((minutes % 60, shift), []).append(minutes // 60)
    lines = []
    for (minute, shift), hours in groups.items():
        days = _span(sorted((d + 1 + shift) % 7 for d in spec.days))
        lines.append((f"{minute} {_span(hours)} * * {days}",
                      f"{spec.hours_text()} ({spec.timezone})"))
    weekly = spec.weekly.hour * 60 + spec.weekly.minute - offset
    shift, minutes = divmod(weekly, 24 * 60)
    lines.append((f"{minutes % 60} {minutes // 60} * * {(1 + shift) % 7}",
                  f"{spec.weekly_text()} ({spec.timezone})"))
    return lines


def _span(numbers: list[int]) -> str:
    """'5-15' for a run of consecutive numbers, else '1,3,5'."""
    if len(numbers) > 1 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}-{numbers[-1]}"
    return ",".join(str(n) for n in numbers)


def render(spec: ScheduleSpec) -> list[ScheduleFile]:
    """The workflow file."""
    schedule = []
    for cron, comment in _cron_lines(spec):
        schedule += [f"    # {comment}", f'    - cron: "{cron}"']
    text = "\n".join([
        f"# Save as {WHERE} in the repository that holds {spec.config_in_repository}.",
        "# Add the Google service-account key (the whole JSON file) as a repository secret",
        f"# named {SECRET}: Settings > Secrets and variables > Actions > New repository secret.",
        "# GitHub's schedules run in UTC: the times below are converted from "
        f"{spec.timezone}.",
        "name: sheetcrm refresh",
        "on:",
        "  schedule:",
        *schedule,
        "  workflow_dispatch: {}",
        "permissions:",
        "  contents: read",
        "jobs:",
        "  refresh:",
        "    runs-on: ubuntu-latest",
        "    timeout-minutes: 30",
        "    steps:",
        "      - uses: actions/checkout@v4",
        "      - uses: actions/setup-python@v5",
        "        with:",
        '          python-version: "3.12"',
        "      - name: Install sheetcrm",
        f"        run: python -m pip install '{spec.install}'",
        "      - name: Write the Google key from the repository secret",
        "        env:",
        f"          GOOGLE_KEY: ${{{{ secrets.{SECRET} }}}}",
        "        run: |",
        "          umask 077",
        '          printf \'%s\' "$GOOGLE_KEY" > "$RUNNER_TEMP/google-key.json"',
        "      - name: Refresh every tracker",
        "        env:",
        "          GOOGLE_APPLICATION_CREDENTIALS: ${{ runner.temp }}/google-key.json",
        f"        run: sheetcrm refresh --all --config '{spec.config_in_repository}'",
        "",
    ])
    return [ScheduleFile(where=WHERE, text=text)]
