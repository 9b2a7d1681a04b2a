"""The ``sheetcrm`` command: thin click commands over :mod:`sheetcrm.tracker`.

Each command parses its options, calls one library function and prints.
Library errors (:class:`~sheetcrm.errors.SheetCRMError`) become one-line
``Error: ...`` messages with exit code 1; the backend reaches commands through
``ctx.obj`` so tests can hand in their own.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
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
        from .cells import date_mistake

        # 2026-11-31T10:00 is in the right form; blame the day, not the form.
        why = date_mistake(value.replace("T", " ", 1))
        raise click.BadParameter(
            f"{value!r} is not a date: {why}" if why else
            f"{value!r} is not an ISO date-time: use the form 2026-11-02T10:00"
        ) from None


FLEET_EPILOG = """\b
sheetcrm.toml lists the trackers for --all, --only, list and schedule:
  [trackers.nakato]
  target = "clients/nakato.xlsx"    # relative to the file's folder
  [trackers.wanjiru]
  target = "https://docs.google.com/spreadsheets/d/<key>/edit"
  credentials = "keys/consultant-sa.json"    # optional
It is found from --config, else $SHEETCRM_CONFIG, else ./sheetcrm.toml,
else sheetcrm.toml in your user config folder. Exit status: 0 when every
tracker succeeded, 1 when any failed, 2 for a mistake in the command.
"""


@dataclass
class FleetChoice:
    """The options that run every tracker in sheetcrm.toml instead of one TRACKER."""

    run_all: bool = False
    only: str | None = None
    config: Path | None = None
    quiet: bool = False
    log_file: Path | None = None

    @property
    def wanted(self) -> bool:
        """Whether --all or --only was given."""
        return self.run_all or self.only is not None


def trackers_config_option() -> Callable[[F], F]:
    """Where sheetcrm.toml (the list of trackers) is."""
    return click.option(
        "--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
        help="The sheetcrm.toml that lists the trackers. Default: $SHEETCRM_CONFIG, "
        "else ./sheetcrm.toml, else sheetcrm.toml in your user config folder.")


def fleet_options() -> Callable[[F], F]:
    """--all, --only, --config, --quiet and --log-file, gathered into one FleetChoice."""

    def gather(f: F) -> F:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs["fleet_choice"] = FleetChoice(
                run_all=kwargs.pop("run_all"), only=kwargs.pop("only"),
                config=kwargs.pop("config_file"), quiet=kwargs.pop("quiet"),
                log_file=kwargs.pop("log_file"))
            return f(*args, **kwargs)

        return functools.update_wrapper(wrapper, f)  # type: ignore[return-value]

    options = [
        click.option("--all", "run_all", is_flag=True,
                     help="Every tracker listed in sheetcrm.toml (see below)."),
        click.option("--only", metavar="NAME,NAME",
                     help="Only these trackers from sheetcrm.toml, e.g. --only nakato,wanjiru."),
        trackers_config_option(),
        click.option("--quiet", "-q", is_flag=True,
                     help="With --all: no progress lines while it runs (they are also "
                     "hidden when the output is not a terminal)."),
        click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path),
                     envvar="SHEETCRM_LOG_FILE",
                     help="With --all: the run log (one line per tracker per run). Default: "
                     "$SHEETCRM_LOG_FILE, else sheetcrm.log in your user log folder."),
    ]

    def apply(f: F) -> F:
        g = gather(f)
        for option in reversed(options):
            g = option(g)
        return g

    return apply


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


@cli.command(short_help="Build and refresh a demo tracker of invented enquiries.")
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


@cli.command(short_help="Create a new, empty tracker.")
@click.argument("target", metavar="[TRACKER]", required=False)
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              help="A TOML file with the business's settings (opening hours, country, "
              "SLA hours...): its keys and an example are below. Not the sheetcrm.toml "
              "list of trackers that refresh --all, report --all, list and schedule read.")
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
    empty sheet, share it with the service account's email as an editor, and
    give its link; or, signed in with `sheetcrm auth`, use --create "Title"
    and no TRACKER.

    --config seeds the Settings tab from a TOML file; afterwards the
    tracker's own Settings tab is what counts. Every key is optional; one
    left out keeps its default (Africa/Kampala, UG, UGX, 4 hours, days 2, 4
    and 7, Monday to Friday 08:00-18:00, Saturday 09:00-14:00, Sunday
    closed). The keys: business_name, timezone
    (Africa/Kampala, Africa/Nairobi, Africa/Dar_es_Salaam or Africa/Kigali),
    country (UG, KE, TZ or RW: its public holidays are closed days),
    currency, sla_hours (business hours to the first reply), follow_up_days
    (days after the first reply), extra_closed_dates and extra_open_dates
    (day first), and an [opening_hours] table of monday to sunday, each
    "08:00-18:00" or "closed". An unknown key is an error.

    \b
    Example business.toml:
      business_name = "Nakato Fashions"
      timezone = "Africa/Nairobi"
      country = "KE"
      currency = "KES"
      sla_hours = 4
      follow_up_days = [2, 4, 7]
      extra_closed_dates = ["24/12/2026"]
      extra_open_dates = []
      [opening_hours]
      monday = "08:00-18:00"
      tuesday = "08:00-18:00"
      wednesday = "08:00-18:00"
      thursday = "08:00-18:00"
      friday = "08:00-18:00"
      saturday = "09:00-14:00"
      sunday = "closed"

    Then: sheetcrm init tracker.xlsx --config business.toml
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
@click.option("--contact", default="",
              help="Phone number, email or handle. A local number (like 0772 123456) is read "
              "for the country on the tracker's Settings tab; or give the country code: "
              "+256 Uganda, +254 Kenya, +255 Tanzania, +250 Rwanda.")
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

    Only --name is needed; Received defaults to now and Status to pending.
    Source must be one of the channels on the tracker's Lists tab. Dates are
    day first. Nothing is written unless every value can be read.

    \b
    Example:
      sheetcrm add tracker.xlsx --name "Sarah N." --contact "0772 123456"
        --source WhatsApp --received "23/11/2026 09:40"
    """
    backend = app.open(target)
    row = tracker.add_enquiry(backend, fields, now=now)
    click.echo(f"Added {fields['name']} on row {row} of {backend.label}. "
               "Run `sheetcrm refresh` to update its SLA and follow-up columns.")


@cli.command("import", short_help="Append the enquiries in a CSV file to the tracker.")
@target_argument()
@click.argument("csv_file", metavar="CSV", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--allow-duplicates", is_flag=True,
              help="Also import rows with the same Received, Name and Contact as an enquiry "
              "already in the tracker (they are skipped by default).")
@click.option("--ignore-unknown", is_flag=True,
              help="Leave out columns whose header matches no column of the tracker, "
              "instead of stopping.")
@now_option()
@credentials_option()
@pass_app
def import_(app: App, target: str, csv_file: Path, allow_duplicates: bool,
            ignore_unknown: bool, now: dt.datetime | None) -> None:
    """Append the enquiries in a CSV file to the tracker.

    \b
    The CSV's first row names the columns, matched to the tracker's headers
    whatever their case: Received, Name, Contact, Source, Status, First
    contact, Follow-ups done, Value, Notes, and any column you added to the
    tracker yourself (such as Stylist). Columns may be separated by commas,
    semicolons or tabs: the command says which it found. Received and Name
    are needed on every row; dates are day first (23/11/2026 09:40).

    \b
    Example CSV:
      Received,Name,Contact,Source
      23/11/2026 09:40,Sarah N.,0772 123456,WhatsApp

    A row with the same Received, Name and Contact as an enquiry already in
    the tracker is skipped and counted, so importing a file twice adds
    nothing twice (--allow-duplicates imports it anyway). Every row is
    checked first: if any is bad, nothing is added and the error names the
    line.
    """
    backend = app.open(target)
    outcome = tracker.import_enquiries(backend, csv_file, now=now,
                                       allow_duplicates=allow_duplicates,
                                       ignore_unknown=ignore_unknown)
    for remark in outcome.remarks:
        click.echo(remark)
    if outcome.ignored:
        click.echo("Left out the columns " + ", ".join(outcome.ignored) + ".")
    rows = outcome.rows
    if rows:
        where = f"row {rows[0]}" if len(rows) == 1 else f"rows {rows[0]} to {rows[-1]}"
        click.echo(f"Imported {exporters.text.enquiries(len(rows))} into {backend.label} "
                   f"({where}).")
    else:
        click.echo(f"Imported nothing into {backend.label}.")
    if outcome.already:
        click.echo(f"{outcome.already} already in the tracker, skipped (same Received, Name "
                   "and Contact; --allow-duplicates imports them anyway).")
    if outcome.repeated:
        click.echo(f"{outcome.repeated} repeated earlier in the file, skipped.")
    if rows:
        click.echo("Run `sheetcrm refresh` next.")


@cli.command("import-whatsapp", short_help="Add the enquiries in exported WhatsApp chats.")
@target_argument()
@click.argument("chat_files", metavar="FILE...", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--business", "business", multiple=True, metavar="NAME",
              help="Your business's name as the chats show it (repeat it for each name you "
              "have used). Default: WhatsApp name on the Settings tab.")
@click.option("--date-order", type=click.Choice(["auto", "dmy", "mdy"]), default="auto",
              show_default=True,
              help="Whether the chat's dates are day-first (dmy) or month-first (mdy); auto "
              "decides from the whole file.")
@now_option()
@credentials_option()
@pass_app
def import_whatsapp(app: App, target: str, chat_files: tuple[Path, ...],
                    business: tuple[str, ...], date_order: str, now: dt.datetime | None) -> None:
    """Add the enquiries in exported WhatsApp chats to the tracker.

    On the phone, open the customer's chat, tap Export chat (Without media)
    and save or share the file: a .txt file, or a .zip holding _chat.txt.
    Give one or more of them. Each chat must be between your business and
    one customer: group chats are refused.

    The customer's first message is an enquiry (Received); your first reply
    after it is First contact. A customer writing again after 30 days of
    silence (Settings: New enquiry after days of silence) is a new enquiry.
    Name is the customer's name in the chat; Contact is their number when
    the chat shows one; Source is WhatsApp; Notes is their first message.

    Run it again with a later export of the same chat: enquiries already in
    the tracker are skipped, and only a First contact that is still blank is
    filled in. Nothing is written if any chat file cannot be read.

    \b
    Example:
      sheetcrm import-whatsapp tracker.xlsx "WhatsApp Chat with Amina.zip" \\
        --business "Kato Boutique"
    """
    from .chatimport import import_whatsapp as run_import

    backend = app.open(target)
    done = run_import(backend, chat_files, business=business, date_order=date_order, now=now)
    click.echo(done.describe(backend.label))


@cli.command(short_help="Write CSV files for HubSpot's or Zoho's import wizard.")
@target_argument()
@click.option("--to", "to", required=True, type=click.Choice(["hubspot", "zoho"]),
              help="The CRM to move to: hubspot (contacts.csv and deals.csv) or zoho "
              "(leads.csv).")
@click.option("--out", "out", required=True, metavar="FOLDER",
              type=click.Path(file_okay=False, path_type=Path),
              help="The folder to write the files into (made if missing).")
@click.option("--force", is_flag=True, help="Replace files of the same name in FOLDER.")
@now_option()
@credentials_option()
@pass_app
def migrate(app: App, target: str, to: str, out: Path, force: bool,
            now: dt.datetime | None) -> None:
    """Write the tracker as files HubSpot's or Zoho's import wizard takes as they are.

    HubSpot gets contacts.csv (every enquiry: name split into first and last,
    phone, email, lifecycle stage, lead status, create date and the channel
    as the custom property Enquiry channel) and deals.csv (converted and lost
    enquiries, with the contact's phone and email to link them). Zoho gets
    leads.csv (name, mobile, email, lead source, lead status, created time,
    and Notes as the description). The tracker itself is not changed. Files
    are UTF-8 CSV that Excel opens as they are. Then, in HubSpot: Contacts,
    Import, File from computer (contacts.csv first, then deals.csv); in Zoho:
    Leads, Import Leads, From File (add WhatsApp, TikTok and Walk-in to the
    Lead Source list first).

    \b
    Example:
      sheetcrm migrate tracker.xlsx --to hubspot --out hubspot-files
    """
    from .migrate import migrate as write_files

    backend = app.open(target)
    written = write_files(backend, to, out, force=force, now=now)
    for path, count in written.items():
        click.echo(f"Wrote {path} ({count} record{'s' if count != 1 else ''}).")
    click.echo("Next: import them with the CRM's import wizard (see docs/migrating.md).")


@cli.command(short_help="Update the SLA columns and the Today and Summary tabs.",
             epilog=FLEET_EPILOG)
@click.argument("target", metavar="[TRACKER]", required=False)
@fleet_options()
@now_option()
@json_option()
@click.option("--verbose", "-v", is_flag=True,
              help="Also say how an Excel tracker was written: by the fast writer or, when "
              "the file has a shape it does not handle, by openpyxl (and why).")
@credentials_option()
@pass_app
def refresh(app: App, target: str | None, now: dt.datetime | None, as_json: bool,
            verbose: bool, fleet_choice: FleetChoice) -> None:
    """Update the SLA, follow-up and WhatsApp columns, and the Today and Summary tabs.

    Only the columns and tabs sheetcrm owns are written; what you typed is
    never changed. Give one TRACKER, or --all (or --only) to refresh every
    tracker listed in sheetcrm.toml. It exits with 0 when done, 1 when the
    refresh failed (the one-line message says why) and 2 when the command
    itself was mistyped.

    `sheetcrm schedule cron|systemd|github-actions|windows` prints a ready
    schedule. Or add a line like the one below with `crontab -e`. Cron does
    not use your PATH, so give sheetcrm's full path (`command -v sheetcrm`
    prints it); the log goes to your home folder, where you may write.

    \b
    0 * * * * $HOME/sheetcrm/.venv/bin/sheetcrm refresh $HOME/tracker.xlsx >> $HOME/sheetcrm.log 2>&1
    """  # noqa: E501 - a crontab line must stay whole to be copied
    if _run_fleet(app, "refresh", target, fleet_choice, now, as_json):
        return
    assert target is not None
    backend = app.open(target)
    if not as_json:
        _progress(f"Refreshing {backend.label}...")
    evaluation = tracker.refresh(backend, now=now)
    _print_refresh(backend.label, evaluation, as_json, backend.details())
    if verbose and not as_json:
        _say_how_written(backend.details())


@cli.command(epilog=FLEET_EPILOG)
@click.argument("target", metavar="[TRACKER]", required=False)
@click.option("--month", metavar="YYYY-MM", help="Only this month, e.g. 2026-10.")
@fleet_options()
@now_option()
@json_option()
@credentials_option()
@pass_app
def report(app: App, target: str | None, month: str | None, now: dt.datetime | None,
           as_json: bool, fleet_choice: FleetChoice) -> None:
    """Print the monthly figures per channel. Writes nothing.

    With --all (or --only), read every tracker in sheetcrm.toml and print
    one line each: what is due, overdue and has problems.
    """
    if fleet_choice.wanted and month is not None:
        raise click.UsageError("--month works on one TRACKER, not with --all or --only")
    if _run_fleet(app, "report", target, fleet_choice, now, as_json):
        return
    assert target is not None
    backend = app.open(target)
    figures = tracker.report_figures(backend, month=month, now=now)
    if backend.notice:
        _progress(backend.notice)
    click.echo(exporters.get("json" if as_json else "text").report(
        backend.label, figures.months, figures.figures))


@cli.command(short_help="Write the monthly sales and marketing review.")
@target_argument()
@click.option("--month", metavar="YYYY-MM", help="The month to review, e.g. 2026-10 "
              "(default: the newest month with enquiries).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the review to this Markdown file instead of printing it.")
@now_option()
@credentials_option()
@pass_app
def review(app: App, target: str, month: str | None, out: Path | None,
           now: dt.datetime | None) -> None:
    """Write the monthly sales and marketing review, in Markdown. Changes nothing in the tracker.

    It follows the review's fixed agenda, with every figure taken from the
    tracker; take it to the meeting and fill in next month's targets.
    """
    from .review import save

    backend = app.open(target)
    markdown = tracker.monthly_review(backend, month=month, now=now)
    if out is None:
        click.echo(markdown, nl=False)
        return
    save(markdown, out)
    click.echo(f"Wrote the review to {out}.")


@cli.command(short_help="Add this version's tabs and columns to a tracker.")
@target_argument()
@credentials_option()
@pass_app
def upgrade(app: App, target: str) -> None:
    """Add the tabs, columns, dropdowns and settings of this version to an older tracker.

    Nothing you typed is changed: new columns go after the last one, new
    settings below the last row of the Settings tab. Run refresh afterwards.
    """
    backend = app.open(target)
    added = tracker.upgrade(backend)
    if not added:
        click.echo(f"{backend.label} is up to date: nothing to add.")
        return
    click.echo(f"Upgraded {backend.label}: added " + ", ".join(added) + ". "
               "Run `sheetcrm refresh` to fill in the new columns.")


@cli.command(short_help="Sign in with your own Google account, for sheets you own.")
@click.option("--client-secrets", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="The OAuth client file (Desktop app) downloaded from "
              "Google Cloud Console.")
def auth(client_secrets: Path) -> None:
    """Sign in with your own Google account, for sheets you own.

    Opens a browser to ask Google for access to your spreadsheets and keeps
    the sign-in on this computer, readable only by you. The client file is
    made in Google Cloud Console: APIs & Services, Credentials, Create
    credentials, OAuth client ID, Desktop app, then Download JSON. A service
    account's key file (used with --credentials) needs no sign-in.
    """
    path = google_sign_in(client_secrets)
    click.echo(f"Signed in. The sign-in is kept in {path} (readable only by you).")


@cli.command(short_help="Download a Google tracker as an Excel file for offline use.")
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


@cli.command(short_help="Bring an offline copy's changes back into Google.")
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


@cli.command("list", epilog=FLEET_EPILOG,
             short_help="List the trackers in sheetcrm.toml and their last refresh.")
@trackers_config_option()
@json_option()
@credentials_option()
@pass_app
def list_(app: App, config_file: Path | None, as_json: bool) -> None:
    """List the trackers in sheetcrm.toml: Excel or Google, and when each was last refreshed.

    The time comes from each tracker's own hidden bookkeeping tab, so it says
    whether the last scheduled refresh really reached the sheet. Writes nothing.
    """
    from . import fleet

    _, outcomes = fleet.run_from_config(
        config_file, None, fleet.FleetRun(action="list", options=app.options, opener=app.opener),
        keep_log=False)
    click.echo(exporters.get("json" if as_json else "text").trackers(outcomes))
    if not as_json:
        from .runlog import default_log_file

        click.echo(f"Scheduled runs write one line per tracker to {default_log_file()}.")
    unreadable = [o.name for o in outcomes if not o.ok]
    if unreadable:
        click.echo(f"Error: cannot read {', '.join(unreadable)}.", err=True)
        click.get_current_context().exit(1)


SCHEDULE_EPILOG = """\b
Examples:
  sheetcrm schedule cron --config ~/clients/sheetcrm.toml     # then crontab -e
  sheetcrm schedule systemd                  # a user service and timer
  sheetcrm schedule github-actions --install "git+https://github.com/you/sheetcrm"
  sheetcrm schedule windows                  # schtasks commands
\b
sheetcrm.toml lists the trackers:
  [trackers.nakato]
  target = "clients/nakato.xlsx"
  [trackers.wanjiru]
  target = "https://docs.google.com/spreadsheets/d/<key>/edit"
  credentials = "keys/consultant-sa.json"
Each run writes one line per tracker to the log (`sheetcrm list` shows where);
`sheetcrm list` shows when each tracker was last refreshed. sheetcrm exits
with 1 when a tracker failed and 2 for a mistake in the command.
"""


@cli.command(epilog=SCHEDULE_EPILOG,
             short_help="Print a ready cron, systemd, GitHub or Windows schedule.")
@click.argument("kind", type=click.Choice(["cron", "systemd", "github-actions", "windows"]))
@trackers_config_option()
@click.option("--hours", default="8-18", show_default=True, metavar="FIRST-LAST",
              callback=lambda _c, _p, v: _check_hours(v),
              help="The hours of the hourly refresh, 24-hour clock: 8-18 runs at 08:00, "
              "09:00 ... 18:00, Monday to Saturday.")
@click.option("--timezone", default="Africa/Kampala", show_default=True,
              help="The businesses' time zone (systemd and GitHub Actions, which runs in UTC).")
@click.option("--install", default="sheetcrm", show_default=True, metavar="PIP-SPEC",
              help="GitHub Actions: what `pip install` is given to install sheetcrm.")
def schedule(kind: str, config_file: Path | None, hours: str, timezone: str,
             install: str) -> None:
    """Print a ready schedule that runs `refresh --all` every hour and on Monday morning.

    KIND is cron (Linux, macOS), systemd (a Linux user timer), github-actions
    (a workflow) or windows (Task Scheduler commands). The hourly refresh keeps
    Today and the overdue flags current during opening hours; the weekly one
    runs on Monday at 07:30. Paths to sheetcrm and to sheetcrm.toml are
    absolute, so it runs as printed.
    """
    from . import schedules
    from .config import find_config, load_config

    path = find_config(config_file)
    load_config(path)  # a schedule for a config with a mistake would fail every hour
    spec = schedules.spec_for(path, hours=hours, timezone=timezone, install=install)
    click.echo("\n".join(f.text for f in schedules.render(kind, spec)), nl=False)


def _check_hours(value: str) -> str:
    from .schedules.spec import parse_hours

    try:
        parse_hours(value)
    except SheetCRMError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def _run_fleet(app: App, action: str, target: str | None, choice: FleetChoice,
               now: dt.datetime | None, as_json: bool) -> bool:
    """Run every tracker in sheetcrm.toml if --all or --only asked; False to run TARGET."""
    if not choice.wanted:
        if target is None:
            raise click.UsageError(f"give the TRACKER to {action}, or --all for every tracker "
                                   "in sheetcrm.toml")
        return False
    if target is not None:
        raise click.UsageError("give either TRACKER or --all / --only, not both")
    if choice.run_all and choice.only is not None:
        raise click.UsageError("give either --all or --only, not both")
    from . import fleet

    show = not choice.quiet and _stderr_is_terminal()

    def progress(done: int, total: int, outcome: Any) -> None:
        if show:
            _progress(f"[{done}/{total}] {outcome.name}: "
                      f"{'ok' if outcome.ok else 'failed'}")

    _, outcomes = fleet.run_from_config(
        choice.config, choice.only,
        fleet.FleetRun(action=action, now=now, options=app.options, opener=app.opener,
                       progress=progress),
        choice.log_file)
    click.echo(exporters.get("json" if as_json else "text").fleet(action, outcomes))
    failed = [o.name for o in outcomes if not o.ok]
    if failed:
        click.echo(f"Error: {len(failed)} of {len(outcomes)} trackers failed: "
                   f"{', '.join(failed)}.", err=True)
        click.get_current_context().exit(1)
    return True


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


# --------------------------------------------------------------------------- printing


def _warn(message: str) -> None:
    click.echo(f"Warning: {message}", err=True)


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _say_how_written(details: Mapping[str, str]) -> None:
    """The --verbose line: which Excel writer saved the file, and why not the fast one."""
    path = details.get("excel_path")
    if path == "fast":
        click.echo("Written by the fast writer (only sheetcrm's own cells were rewritten).",
                   err=True)
    elif path == "openpyxl":
        why = details.get("excel_fallback")
        click.echo("Written by openpyxl" + (f": the fast writer does not handle this file "
                                           f"({why})." if why else "."), err=True)


def _print_refresh(label: str, evaluation: Evaluation, as_json: bool,
                   details: Mapping[str, str] | None = None) -> None:
    click.echo(exporters.get("json" if as_json else "text").refresh(label, evaluation, details))


def main() -> None:
    """Console entry point."""
    cli(prog_name="sheetcrm")


if __name__ == "__main__":  # pragma: no cover
    main()
