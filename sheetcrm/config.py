"""The consultant's config file, ``sheetcrm.toml``: the trackers to run together, by name.

::

    # sheetcrm.toml
    [trackers.nakato]
    target = "clients/nakato.xlsx"        # relative paths are relative to this file's folder
    [trackers.wanjiru]
    target = "https://docs.google.com/spreadsheets/d/<key>/edit"
    credentials = "keys/consultant-sa.json"   # optional; otherwise the usual search

    [google]                              # optional: for a raised Google quota
    reads_per_minute = 60
    writes_per_minute = 60
    concurrency = 3

The file is found from ``--config FILE``, else ``$SHEETCRM_CONFIG``, else
``./sheetcrm.toml``, else ``sheetcrm.toml`` in the user config folder.
tomllib gives no line numbers for keys, so the file's text is also scanned
line by line to name the line of a typo, a missing target or a duplicate.
(Not to be confused with ``init --config``, a TOML of one business's settings:
see :mod:`sheetcrm.settings`.)
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

#: The file's name, in the working folder and the user config folder.
FILE_NAME = "sheetcrm.toml"
#: The environment variable naming the file.
ENV_VAR = "SHEETCRM_CONFIG"

TRACKER_KEYS = ("target", "credentials")
GOOGLE_KEYS = ("reads_per_minute", "writes_per_minute", "concurrency")
#: Google's documented per-user limits, and how many Google trackers run at once.
DEFAULT_READS_PER_MINUTE = 60
DEFAULT_WRITES_PER_MINUTE = 60
DEFAULT_CONCURRENCY = 3

EXAMPLE = """\
# sheetcrm.toml
[trackers.nakato]
target = "clients/nakato.xlsx"
[trackers.wanjiru]
target = "https://docs.google.com/spreadsheets/d/<key>/edit"
credentials = "keys/consultant-sa.json"
"""

_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_HEADER = re.compile(r"^\s*\[\s*([^\[\]]*?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\"'-]+)\s*=")


class ConfigError(InputError):
    """The config file cannot be found or used; the message names the file and line."""


@dataclass(frozen=True)
class TrackerEntry:
    """One tracker in the config: its name, where it is, and its Google key file if any."""

    name: str
    target: str
    credentials: Path | None = None
    line: int = 0


@dataclass(frozen=True)
class GoogleLimits:
    """The per-user Google quota to keep under, and how many Google trackers run at once."""

    reads_per_minute: int = DEFAULT_READS_PER_MINUTE
    writes_per_minute: int = DEFAULT_WRITES_PER_MINUTE
    concurrency: int = DEFAULT_CONCURRENCY


@dataclass(frozen=True)
class Config:
    """A loaded ``sheetcrm.toml``."""

    path: Path
    trackers: list[TrackerEntry]
    google: GoogleLimits = field(default_factory=GoogleLimits)

    def select(self, only: str | None) -> list[TrackerEntry]:
        """The trackers named in ``only`` ("a,b"), in the config's order; all when None."""
        if only is None:
            return list(self.trackers)
        wanted = [n.strip() for n in only.split(",") if n.strip()]
        known = {t.name for t in self.trackers}
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise ConfigError(
                f"--only names {', '.join(unknown)}, not in {self.path}: the trackers there "
                f"are {', '.join(sorted(known)) or 'none'}"
            )
        if not wanted:
            raise ConfigError("--only needs at least one tracker name, e.g. --only nakato,wanjiru")
        return [t for t in self.trackers if t.name in wanted]


def user_config_file() -> Path:
    """``sheetcrm.toml`` in the user config folder (e.g. ~/.config/sheetcrm)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("sheetcrm")) / FILE_NAME


def find_config(explicit: Path | None = None, *, environ: Mapping[str, str] | None = None,
                cwd: Path | None = None, user_file: Path | None = None) -> Path:
    """Where the config is: ``--config``, else $SHEETCRM_CONFIG, else ./, else the user folder."""
    env = os.environ if environ is None else environ
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"The config file {explicit} does not exist")
        return explicit
    named = env.get(ENV_VAR, "").strip()
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigError(f"{ENV_VAR} names {path}, which does not exist")
        return path
    here = (cwd or Path.cwd()) / FILE_NAME
    if here.is_file():
        return here
    user = user_file or user_config_file()
    if user.is_file():
        return user
    raise ConfigError(
        f"No {FILE_NAME} found (looked for --config, ${ENV_VAR}, ./{FILE_NAME} and {user}): "
        f"write one listing your trackers, e.g. [trackers.nakato] target = \"nakato.xlsx\""
    )


def load_config(path: Path) -> Config:
    """Read and check a config file; every mistake is one line naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the config file {path}: {exc}") from None
    lines = _scan(text, path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}: check the quotes and brackets") from None
    return _build(data, lines, path)


@dataclass
class _Lines:
    """Where things are in the file's text: what tomllib does not say."""

    tables: dict[str, int] = field(default_factory=dict)  # "trackers.nakato" -> line
    keys: dict[tuple[str, str], int] = field(default_factory=dict)  # (table, key) -> line

    def of(self, table: str, key: str | None = None) -> int:
        """The line of a table's header, or of one of its keys (0 when unknown)."""
        if key is not None and (table, key) in self.keys:
            return self.keys[(table, key)]
        return self.tables.get(table, 0)

    def first(self, name: str) -> int:
        """The line of the first table called ``name`` or inside it (``[name.x]``)."""
        found = [n for t, n in self.tables.items() if t == name or t.startswith(name + ".")]
        return min(found) if found else self.of("", name)


def _unquote(name: str) -> str:
    parts = [p.strip().strip("\"'") for p in name.split(".")]
    return ".".join(parts)


def _scan(text: str, path: Path) -> _Lines:
    """Find the table headers and keys line by line; a duplicate tracker is an error here."""
    found = _Lines()
    table = ""
    in_string = False
    for number, line in enumerate(text.splitlines(), start=1):
        # Skip the inside of multi-line strings, which may hold any text.
        if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
            in_string = not in_string
            continue
        if in_string:
            continue
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("[["):
            table = _unquote(header.group(1))
            if table in found.tables:
                what = (f"the tracker {table.split('.', 1)[1]!r}" if table.startswith("trackers.")
                        else f"[{table}]")
                raise ConfigError(
                    f"{path}, line {number}: {what} is already defined on line "
                    f"{found.tables[table]}: give each tracker its own name"
                )
            found.tables[table] = number
            continue
        key = _KEY.match(line)
        if key:
            found.keys.setdefault((table, _unquote(key.group(1))), number)
    return found


def _build(data: Mapping[str, object], lines: _Lines, path: Path) -> Config:
    for key in data:
        if key not in ("trackers", "google"):
            where = lines.first(key)
            raise ConfigError(
                f"{path}, line {where}: unknown section or key {key!r}: the file has "
                "[trackers.NAME] sections (and an optional [google] section)"
            )
    trackers_table = data.get("trackers", {})
    if not isinstance(trackers_table, Mapping) or not trackers_table:
        raise ConfigError(
            f"{path} lists no trackers: add a section such as [trackers.nakato] with "
            "target = \"nakato.xlsx\""
        )
    entries = [_tracker(name, value, lines, path) for name, value in trackers_table.items()]
    return Config(path=path, trackers=entries, google=_google(data.get("google", {}), lines, path))


def _tracker(name: str, value: object, lines: _Lines, path: Path) -> TrackerEntry:
    table = f"trackers.{name}"
    line = lines.of(table)
    if not isinstance(value, Mapping):
        raise ConfigError(f"{path}, line {lines.of('trackers', name)}: trackers.{name} must be "
                          f"a section [trackers.{name}] with a target")
    if not _NAME.match(name):
        raise ConfigError(f"{path}, line {line}: the tracker name {name!r} may use only letters, "
                          "digits, - and _ (it is typed after --only)")
    for key in value:
        if key not in TRACKER_KEYS:
            raise ConfigError(
                f"{path}, line {lines.of(table, key)}: unknown key {key!r} in [trackers.{name}]: "
                f"use {' or '.join(TRACKER_KEYS)}"
            )
    target = value.get("target")
    if target is None:
        raise ConfigError(f"{path}, line {line}: [trackers.{name}] has no target: add "
                          "target = \"clients/name.xlsx\" or the Google Sheets link")
    if not isinstance(target, str) or not target.strip():
        raise ConfigError(f"{path}, line {lines.of(table, 'target')}: the target of "
                          f"[trackers.{name}] must be a file path or a link in quotes")
    credentials = value.get("credentials")
    if credentials is not None and (not isinstance(credentials, str) or not credentials.strip()):
        raise ConfigError(f"{path}, line {lines.of(table, 'credentials')}: the credentials of "
                          f"[trackers.{name}] must be a key file's path in quotes")
    return TrackerEntry(
        name=name,
        target=_resolve_target(target.strip(), path.parent),
        credentials=_resolve(credentials.strip(), path.parent) if credentials else None,
        line=line,
    )


def _google(value: object, lines: _Lines, path: Path) -> GoogleLimits:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{path}, line {lines.of('', 'google')}: google must be a [google] "
                          "section")
    numbers: dict[str, int] = {}
    for key, number in value.items():
        if key not in GOOGLE_KEYS:
            raise ConfigError(f"{path}, line {lines.of('google', key)}: unknown key {key!r} in "
                              f"[google]: use {', '.join(GOOGLE_KEYS)}")
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ConfigError(f"{path}, line {lines.of('google', key)}: {key} must be a whole "
                              "number of at least 1")
        numbers[key] = number
    return GoogleLimits(**numbers)


def _looks_like_link(target: str) -> bool:
    return "://" in target or not Path(target).suffix


def _resolve_target(target: str, folder: Path) -> str:
    """A relative file path, relative to the config's folder; links are left alone."""
    if _looks_like_link(target):
        return target
    return str(_resolve(target, folder))


def _resolve(path_text: str, folder: Path) -> Path:
    path = Path(path_text).expanduser()
    return path if path.is_absolute() else (folder / path).absolute()
