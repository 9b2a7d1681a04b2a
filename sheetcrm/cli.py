"""The ``sheetcrm`` command: thin click commands over :mod:`sheetcrm.tracker`.

Each command parses its options, calls one library function and prints.
Library errors (:class:`~sheetcrm.errors.SheetCRMError`) become one-line
``Error: ...`` messages with exit code 1; the backend reaches commands through
``ctx.obj`` so tests can hand in their own.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__, tracker
from .backends.base import Backend
from .errors import InputError, SheetCRMError
from .sla import format_minutes
from .summary import MonthFigures
from .views import month_label

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class App:
    """What every command shares: how to open a tracker from a TARGET argument."""

    credentials: Path | None = None
    retry_seconds: float | None = None
    opener: Callable[[str, App], Backend] | None = None
    force: bool = False

    def open(self, target: str) -> Backend:
        """The backend for a file path or a Google Sheets link."""
        if self.opener is not None:
            return self.opener(target, self)
        return open_backend(target, credentials=self.credentials, force=self.force,
                            retry_seconds=self.retry_seconds)


def open_backend(target: str, *, credentials: Path | None = None, force: bool = False,
                 retry_seconds: float | None = None) -> Backend:
    """An Excel backend for ``*.xlsx``, a Google one for a sheet link or key."""
    lowered = target.lower()
    if lowered.endswith((".xlsx", ".xlsm")):
        from .backends.excel import ExcelBackend

        return ExcelBackend(Path(target), force=force)
    if lowered.endswith((".xls", ".csv", ".ods", ".numbers")):
        raise InputError(
            f"{target}: sheetcrm works with Excel .xlsx files and Google Sheets; "
            "save the file as .xlsx first"
        )
    from .backends.google import GoogleBackend

    if GoogleBackend.looks_like_google(target):
        from .backends.retry import RetryPolicy

        return GoogleBackend(target, credentials=credentials, warn=_warn,
                             retry=RetryPolicy(total_seconds=retry_seconds))
    raise InputError(
        f"{target} is neither an .xlsx file nor a Google Sheets link: give a path ending in "
        ".xlsx or the sheet's address from the browser"
    )


pass_app = click.make_pass_decorator(App, ensure=True)


class SheetCRMGroup(click.Group):
    """Turns library errors into one-line messages instead of tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, translating :class:`SheetCRMError`."""
        try:
            return super().invoke(ctx)
        except SheetCRMError as exc:
            raise click.ClickException(str(exc)) from None


# --------------------------------------------------------------------------- shared options


def target_argument() -> Callable[[F], F]:
    """The tracker: a .xlsx path or a Google Sheets link or key."""
    return click.argument("target", metavar="TRACKER")


def credentials_option() -> Callable[[F], F]:
    """Where the Google key file is and how long to retry; ignored for Excel trackers."""

    def callback(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
        if value is not None:
            ctx.ensure_object(App).credentials = value

    def retry_callback(ctx: click.Context, _param: click.Parameter, value: float | None) -> None:
        if value is not None:
            ctx.ensure_object(App).retry_seconds = value

    credentials = click.option(
        "--credentials",
        type=click.Path(dir_okay=False, path_type=Path),
        expose_value=False,
        callback=callback,
        help="Google service-account key file (JSON). Default: $GOOGLE_APPLICATION_CREDENTIALS, "
        "then ~/.config/gspread/service_account.json, then a `sheetcrm auth` login.",
    )
    retry = click.option(
        "--retry-seconds",
        type=click.FloatRange(min=1),
        expose_value=False,
        callback=retry_callback,
        metavar="SECONDS",
        help="How long to keep retrying when Google is busy or the network drops, before "
        "giving up. Default: $SHEETCRM_RETRY_SECONDS, else 120.",
    )

    def both(f: F) -> F:
        return credentials(retry(f))

    return both


def now_option() -> Callable[[F], F]:
    """Pretend it is another moment (for tests, demos and catching up)."""
    return click.option(
        "--now",
        "now",
        metavar="DATETIME",
        callback=_parse_now,
        help="Work as if it were this moment, e.g. 2026-11-02T10:00 (the tracker's "
        "local time unless an offset is given). Default: the current time.",
    )


def json_option() -> Callable[[F], F]:
    """Print JSON for scripts instead of text for people."""
    return click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON object for scripts instead of a summary.")


def _parse_now(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date-time: use the form 2026-11-02T10:00"
        ) from None


# --------------------------------------------------------------------------- commands


@click.group(cls=SheetCRMGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sheetcrm")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Keep a customer-enquiry tracker in Excel or Google Sheets.

    sheetcrm flags enquiries not answered within the SLA (4 business hours by
    default), schedules follow-ups on days 2, 4 and 7 after the first reply,
    and writes a monthly Summary with conversion by channel.

    TRACKER is an .xlsx file or a Google Sheets link. Start with
    `sheetcrm demo`, then `sheetcrm init tracker.xlsx`.
    """
    ctx.ensure_object(App)


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path),
                default="demo-tracker.xlsx")
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@now_option()
@json_option()
@pass_app
def demo(app: App, path: Path, force: bool, now: dt.datetime | None, as_json: bool) -> None:
    """Build a demo tracker with about 60 invented enquiries, refresh it and show the summary.

    The enquiries are those of an invented Kampala boutique over the last
    three months. Open PATH (default demo-tracker.xlsx) in Excel or
    LibreOffice to see the Today, Summary and Enquiries tabs.
    """
    from .demo import build_demo

    app.force = force
    backend = app.open(str(path))
    evaluation = build_demo(backend, now=now, progress=_progress)
    _print_refresh(backend.label, evaluation, as_json)


@cli.command()
@click.argument("target", metavar="[TRACKER]", required=False)
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              help="A TOML file with the business's settings (opening hours, country, "
              "SLA hours...). See docs/cli.md.")
@click.option("--force", is_flag=True, help="Replace an existing .xlsx file.")
@click.option("--create", "title", metavar="TITLE",
              help="Create a new Google sheet with this title in your own Drive (needs "
              "`sheetcrm auth` first) instead of formatting one you made.")
@credentials_option()
@pass_app
def init(app: App, target: str | None, config: Path | None, force: bool,
         title: str | None) -> None:
    """Create a new, empty tracker.

    For Excel, TRACKER is the new file's path. For Google Sheets, create an
    empty sheet, share it with the service account's email, and give its
    link; or, signed in with `sheetcrm auth`, use --create "Title" and no
    TRACKER. See docs/google-setup.md.
    """
    settings = None
    if config is not None:
        from .settings import settings_from_toml

        settings = settings_from_toml(config)
    app.force = force
    if title is not None:
        if target is not None:
            raise click.UsageError("give either TRACKER or --create TITLE, not both")
        from .backends.google import GoogleBackend
        from .backends.retry import RetryPolicy

        backend: Backend = GoogleBackend.create_spreadsheet(
            title, credentials=app.credentials, warn=_warn,
            retry=RetryPolicy(total_seconds=app.retry_seconds))
    elif target is None:
        raise click.UsageError("give the TRACKER to create: a .xlsx path or a Google Sheets link")
    else:
        backend = app.open(target)
    tracker.init_tracker(backend, settings)
    click.echo(f"Created the tracker {backend.label}.")
    click.echo("Type enquiries on its Enquiries tab (or use `sheetcrm add`), "
               "then run `sheetcrm refresh`.")


@cli.command()
@target_argument()
@click.option("--name", required=True, help="The customer's name.")
@click.option("--contact", default="", help='Phone number, email or handle, e.g. "0772 123456".')
@click.option("--source", default="", help="Where it came from: WhatsApp, Facebook, Walk-in...")
@click.option("--received", default="", metavar="DATETIME",
              help='When it arrived, day first: "23/11/2026 09:40". Default: now.')
@click.option("--status", default="", help="pending (default), contacted, converted or lost.")
@click.option("--first-contact", default="", metavar="DATETIME",
              help="When you first replied, if you already have.")
@click.option("--value", default="", help="What the sale is worth, e.g. 250000.")
@click.option("--notes", default="", help="Anything worth remembering.")
@now_option()
@credentials_option()
@pass_app
def add(app: App, /, target: str, now: dt.datetime | None, **fields: str) -> None:
    """Add one enquiry to the tracker.

    Example: sheetcrm add tracker.xlsx --name "Sarah N." --contact "0772 123456"
    --source WhatsApp --received "23/11/2026 09:40"
    """
    backend = app.open(target)
    row = tracker.add_enquiry(backend, fields, now=now)
    click.echo(f"Added {fields['name']} on row {row} of {backend.label}. "
               "Run `sheetcrm refresh` to update its SLA and follow-up columns.")


@cli.command("import")
@target_argument()
@click.argument("csv_file", metavar="CSV", type=click.Path(dir_okay=False, path_type=Path))
@now_option()
@credentials_option()
@pass_app
def import_(app: App, target: str, csv_file: Path, now: dt.datetime | None) -> None:
    """Append the enquiries in a CSV file to the tracker.

    The CSV's first row names the columns, matched to the tracker's headers
    whatever their case: Received, Name, Contact, Source, Status, First
    contact, Follow-ups done, Value, Notes. Every row is checked first: if any
    is bad, nothing is added and the error names the line.
    """
    backend = app.open(target)
    rows = tracker.import_csv(backend, csv_file, now=now)
    where = f"row {rows[0]}" if len(rows) == 1 else f"rows {rows[0]} to {rows[-1]}"
    click.echo(f"Imported {_enquiries(len(rows))} into {backend.label} ({where}). "
               "Run `sheetcrm refresh` next.")


@cli.command()
@target_argument()
@now_option()
@json_option()
@credentials_option()
@pass_app
def refresh(app: App, target: str, now: dt.datetime | None, as_json: bool) -> None:
    """Update the SLA, follow-up and WhatsApp columns, and the Today and Summary tabs.

    Only the columns and tabs sheetcrm owns are written; what you typed is
    never changed. Run it from cron every hour or every week (see
    docs/scheduling.md).
    """
    backend = app.open(target)
    if not as_json:
        _progress(f"Refreshing {backend.label}...")
    evaluation = tracker.refresh(backend, now=now)
    _print_refresh(backend.label, evaluation, as_json)


@cli.command()
@target_argument()
@click.option("--month", metavar="YYYY-MM", help="Only this month, e.g. 2026-10.")
@now_option()
@json_option()
@credentials_option()
@pass_app
def report(app: App, target: str, month: str | None, now: dt.datetime | None,
           as_json: bool) -> None:
    """Print the monthly figures per channel. Writes nothing."""
    backend = app.open(target)
    months = tracker.report(backend, month=month, now=now)
    if as_json:
        click.echo(json.dumps({"months": [m.as_dict() for m in months]}, indent=2))
        return
    if not months:
        click.echo(f"{backend.label} has no dated enquiries yet.")
    for m in months:
        _print_month(m)


@cli.command()
@click.option("--client-secrets", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="The OAuth client file (Desktop app) downloaded from "
              "Google Cloud Console.")
def auth(client_secrets: Path) -> None:
    """Sign in with your own Google account, for sheets you own.

    Opens a browser to ask Google for access to your spreadsheets and keeps
    the sign-in on this computer, readable only by you. Service accounts do
    not need this: see docs/google-setup.md.
    """
    from .backends.google_auth import login

    path = login(client_secrets)
    click.echo(f"Signed in. The sign-in is kept in {path} (readable only by you).")


@cli.command()
@target_argument()
@click.argument("path", metavar="XLSX", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace XLSX if it exists.")
@now_option()
@credentials_option()
@pass_app
def export(app: App, target: str, path: Path, force: bool, now: dt.datetime | None) -> None:
    """Download a Google tracker as an Excel file for offline use.

    The copy is a complete tracker (every tab, Settings included) that
    `sheetcrm refresh` works on like any other. Bring offline changes back
    with `sheetcrm sync XLSX TRACKER`.
    """
    from .backends.google import GoogleBackend
    from .sync import export_to_excel

    backend = app.open(target)
    if not isinstance(backend, GoogleBackend):
        raise InputError(f"{target} is not a Google Sheets link: export copies a Google "
                         "tracker to Excel")
    _progress(f"Exporting {backend.label}...")
    export_to_excel(backend, path, now=now, force=force)
    click.echo(f"Saved an offline copy of {backend.label} as {path}.")


@cli.command()
@click.argument("path", metavar="XLSX", type=click.Path(dir_okay=False, path_type=Path))
@target_argument()
@now_option()
@json_option()
@credentials_option()
@pass_app
def sync(app: App, path: Path, target: str, now: dt.datetime | None, as_json: bool) -> None:
    """Bring enquiries added or edited in an offline copy back into the Google sheet.

    Rows are matched by ID. A cell changed both in the sheet and offline since
    the export is a conflict: the sheet keeps its value, and both values are
    listed on the sheet's Conflicts tab and here. Nothing is deleted.
    """
    from .backends.google import GoogleBackend
    from .sync import sync_from_excel

    backend = app.open(target)
    if not isinstance(backend, GoogleBackend):
        raise InputError(f"{target} is not a Google Sheets link: sync merges an offline copy "
                         "back into its Google tracker")
    result = sync_from_excel(path, backend, now=now)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
        return
    click.echo(f"Synced {path} into {backend.label}: {_enquiries(result.added)} added, "
               f"{result.updated} updated ({result.cells_updated} cells), "
               f"{len(result.conflicts)} conflicts.")
    for c in result.conflicts:
        click.echo(f"  Conflict on {c.id}, {c.column}: the sheet has {c.sheet_text}, "
                   f"the offline copy {c.offline_text}; the sheet's value was kept.")
    if result.renumbered:
        click.echo(f"  {result.renumbered} added rows were given new IDs because theirs were "
                   "already taken in the sheet.")


# --------------------------------------------------------------------------- printing


def _warn(message: str) -> None:
    click.echo(f"Warning: {message}", err=True)


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _print_refresh(label: str, evaluation: tracker.Evaluation, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(evaluation.as_dict(), indent=2))
        return
    e = evaluation
    click.echo(f"Refreshed {label} as at {e.now:%d/%m/%Y %H:%M} ({e.settings.timezone}).")
    click.echo(f"  {_enquiries(len(e.rows))}: {e.count('due')} due, {e.count('overdue')} overdue, "
               f"{e.count('met')} met, {e.count('missed')} missed, "
               f"{e.count('unknown')} unknown.")
    click.echo(f"  Follow-ups due today or earlier: {e.follow_ups_due}.")
    if e.rows_with_problems:
        click.echo(f"  Rows with problems: {e.rows_with_problems} (see the Problems column).")
    if e.months:
        m = e.months[0]
        t = m.total
        line = (f"  {month_label(m.month)}: {_enquiries(t.enquiries)}, {t.converted} converted "
                f"({_pct(t.conversion_rate)}), {_pct(t.sla_met_rate)} answered within the SLA, "
                f"{m.sla_breaches} SLA breaches")
        click.echo(line + (": escalate." if m.escalate else "."))


def _print_month(m: MonthFigures) -> None:
    click.echo(f"{month_label(m.month)}")
    header = (f"  {'Channel':<14}{'Enq':>5}{'Cont':>6}{'Conv':>6}{'Lost':>6}{'Open':>6}"
              f"{'Conv%':>7}{'SLA%':>7}{'Median':>9}{'Value won':>14}")
    click.echo(header)
    for ch in [*m.channels, m.total]:
        median = ch.median_response_minutes
        click.echo(
            f"  {ch.source[:14]:<14}{ch.enquiries:>5}{ch.contacted:>6}{ch.converted:>6}"
            f"{ch.lost:>6}{ch.open:>6}{_pct(ch.conversion_rate):>7}{_pct(ch.sla_met_rate):>7}"
            f"{format_minutes(median) if median is not None else '-':>9}"
            f"{ch.value_won:>14,.0f}"
        )
    flag = " (3 or more: escalate)" if m.escalate else ""
    click.echo(f"  SLA breaches: {m.sla_breaches}{flag}")
    click.echo("")


def _enquiries(count: int) -> str:
    return "1 enquiry" if count == 1 else f"{count} enquiries"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def main() -> None:
    """Console entry point."""
    cli(prog_name="sheetcrm")


if __name__ == "__main__":  # pragma: no cover
    main()
