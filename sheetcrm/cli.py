"""The ``sheetcrm`` command: thin click commands over :mod:`sheetcrm.tracker`.

Each command parses its options, calls one library function and prints.
Library errors (:class:`~sheetcrm.errors.SheetCRMError`) become one-line
``Error: ...`` messages with exit code 1; the backend reaches commands through
``ctx.obj`` so tests can hand in their own.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__, exporters, tracker
from .backends.base import Backend
from .errors import SheetCRMError
from .opening import OpenOptions, create_google_sheet, google_sign_in, open_tracker
from .results import Evaluation

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class App:
    """What every command shares: how to open a tracker from a TRACKER argument.

    ``opener`` is the seam tests use to hand in their own backends.
    """

    options: OpenOptions = field(default_factory=lambda: OpenOptions(warn=_warn))
    opener: Callable[[str, OpenOptions], Backend] = open_tracker

    def open(self, target: str) -> Backend:
        """The backend for a file path or a Google Sheets link."""
        return self.opener(target, self.options)


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
            ctx.ensure_object(App).options.credentials = value

    def retry_callback(ctx: click.Context, _param: click.Parameter, value: float | None) -> None:
        if value is not None:
            ctx.ensure_object(App).options.retry_seconds = value

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

    app.options.force = force
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
    app.options.force = force
    if title is not None:
        if target is not None:
            raise click.UsageError("give either TRACKER or --create TITLE, not both")
        backend = create_google_sheet(title, app.options)
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
    rows = tracker.import_file(backend, csv_file, now=now)
    where = f"row {rows[0]}" if len(rows) == 1 else f"rows {rows[0]} to {rows[-1]}"
    click.echo(f"Imported {exporters.text.enquiries(len(rows))} into {backend.label} ({where}). "
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
    _print_refresh(backend.label, evaluation, as_json, backend.details())


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
    if backend.notice:
        _progress(backend.notice)
    click.echo(exporters.get("json" if as_json else "text").report(backend.label, months))


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
    path = google_sign_in(client_secrets)
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
    from .sync import export_to_excel

    backend = app.open(target)
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
    from .sync import sync_from_excel

    backend = app.open(target)
    result = sync_from_excel(path, backend, now=now)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
        return
    click.echo(f"Synced {path} into {backend.label}: "
               f"{exporters.text.enquiries(result.added)} added, "
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


def _print_refresh(label: str, evaluation: Evaluation, as_json: bool,
                   details: Mapping[str, str] | None = None) -> None:
    click.echo(exporters.get("json" if as_json else "text").refresh(label, evaluation, details))


def main() -> None:
    """Console entry point."""
    cli(prog_name="sheetcrm")


if __name__ == "__main__":  # pragma: no cover
    main()
