"""Finding and loading Google credentials, and the ``sheetcrm auth`` sign-in.

Two kinds of credentials work:

* a service-account key file (JSON), the documented path for a cron job: the
  owner shares the sheet with the service account's email address;
* an OAuth token for the owner's own Google account, saved by ``sheetcrm
  auth`` (the desktop sign-in flow) with owner-only permissions.

Nothing here prints or logs a secret: messages name files, never contents.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import gspread
from google.auth.credentials import Credentials

from ..errors import AuthError
from .retry import CONNECT_TIMEOUT, READ_TIMEOUT

log = logging.getLogger("sheetcrm.google")

SCOPES = (
    "https://www.googleapis.com/auth/spreadsheets",
    # drive.file lets an OAuth login create a new sheet (init --create) and
    # touch only the files sheetcrm made or was given.
    "https://www.googleapis.com/auth/drive.file",
)
ENV_VAR = "GOOGLE_APPLICATION_CREDENTIALS"
#: (connect, read) seconds: without a timeout a stalled connection hangs a cron job for ever.
#: The Google backend cuts each request's timeout to its retry budget (see retry.py).
TIMEOUT = (CONNECT_TIMEOUT, READ_TIMEOUT)

CredentialKind = Literal["service_account", "oauth"]


def gspread_default_path(home: Path | None = None) -> Path:
    """Where gspread looks for a service-account key by default."""
    return (home or Path.home()) / ".config" / "gspread" / "service_account.json"


def token_path(home: Path | None = None) -> Path:
    """Where ``sheetcrm auth`` saves the owner's sign-in."""
    return (home or Path.home()) / ".config" / "sheetcrm" / "token.json"


@dataclass(frozen=True)
class LoadedCredentials:
    """Credentials ready for gspread, and where they came from."""

    credentials: Credentials
    path: Path
    kind: CredentialKind
    #: The service account's address (to name when a sheet is not shared with it).
    email: str | None = None


def find_credentials_file(
    explicit: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> Path:
    """The credentials file to use: --credentials, the environment, gspread's default, a login."""
    env = os.environ if environ is None else environ
    if explicit is not None:
        if not Path(explicit).is_file():
            raise AuthError(
                f"The credentials file {explicit} does not exist: check the path given to "
                "--credentials"
            )
        return Path(explicit)
    from_env = env.get(ENV_VAR, "").strip()
    if from_env:
        if not Path(from_env).is_file():
            raise AuthError(
                f"{ENV_VAR} names {from_env}, which does not exist: correct the variable or "
                "unset it"
            )
        return Path(from_env)
    for candidate in (gspread_default_path(home), token_path(home)):
        if candidate.is_file():
            return candidate
    raise AuthError(
        "No Google credentials found: pass --credentials KEY.json, set "
        f"{ENV_VAR} to the key file, or save the key as {gspread_default_path(home)} "
        "(or sign in with your own Google account using `sheetcrm auth`)"
    )


def _warn_if_shared(path: Path, warn: Callable[[str], None]) -> None:
    if os.name == "nt":  # POSIX permission bits mean nothing on Windows
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn(
            f"The credentials file {path} can be read by other users of this computer: "
            f"run `chmod 600 {path}` so only you can read it"
        )


def load_credentials(
    path: Path, *, warn: Callable[[str], None] | None = None
) -> LoadedCredentials:
    """Read a service-account key or a saved sign-in; errors name the file, never its contents."""
    from google.oauth2 import credentials as user_credentials
    from google.oauth2 import service_account

    _warn_if_shared(path, warn or log.warning)
    not_a_key = AuthError(
        f"The credentials file {path} is not a Google key file (JSON): download the key "
        "again from Google Cloud Console"
    )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        # A spreadsheet or picture given by mistake: it was read, it is just not a key.
        raise not_a_key from None
    except FileNotFoundError:
        raise AuthError(
            f"The credentials file {path} does not exist: check the path"
        ) from None
    except PermissionError:
        raise AuthError(
            f"You may not read the credentials file {path}: ask whoever made it to let you, "
            "or use your own key"
        ) from None
    except OSError as exc:
        raise AuthError(f"Cannot read the credentials file {path} ({exc.strerror})") from None
    try:
        info: Any = json.loads(text)
    except ValueError:
        info = None
    if not isinstance(info, dict):
        raise not_a_key
    if "installed" in info or "web" in info:
        raise AuthError(
            f"{path} is an OAuth client file, not a key: run `sheetcrm auth --client-secrets "
            f"{path}` to sign in with it, or use a service-account key"
        )
    if info.get("type") == "service_account":
        try:
            creds = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=list(SCOPES)
            )
        except Exception:  # a vendor error could quote the key: never pass it on
            raise AuthError(
                f"The service-account key in {path} is incomplete or damaged: create a new "
                "key in Google Cloud Console and download it again"
            ) from None
        return LoadedCredentials(creds, path, "service_account", info.get("client_email"))
    if "refresh_token" in info:
        try:
            user = user_credentials.Credentials.from_authorized_user_info(  # type: ignore[no-untyped-call]
                info, list(SCOPES)
            )
        except Exception:
            raise AuthError(
                f"The saved sign-in in {path} is incomplete: run `sheetcrm auth` again"
            ) from None
        return LoadedCredentials(user, path, "oauth", None)
    raise AuthError(
        f"The credentials file {path} is neither a service-account key nor a saved sign-in: "
        "download a service-account key (JSON) from Google Cloud Console"
    )


def build_client(
    explicit: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
    warn: Callable[[str], None] | None = None,
) -> tuple[gspread.Client, LoadedCredentials]:
    """A gspread client from the first credentials found; makes no request."""
    loaded = load_credentials(
        find_credentials_file(explicit, environ=environ, home=home), warn=warn
    )
    client = gspread.Client(auth=loaded.credentials)
    client.set_timeout(TIMEOUT)
    return client, loaded


def save_token(credentials: Any, path: Path | None = None) -> Path:
    """Save an OAuth sign-in readable by its owner only (0600), replacing any earlier one."""
    target = path or token_path()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = json.loads(credentials.to_json())
    data["type"] = "authorized_user"
    # Written to a private temporary file and renamed, so no moment exists at
    # which the token is on disk with looser permissions or half-written.
    fd, tmp = tempfile.mkstemp(prefix=".token-", dir=target.parent)
    try:
        os.chmod(tmp, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    os.chmod(target, 0o600)
    return target


def login(
    client_secrets: Path,
    *,
    token: Path | None = None,
    run: Callable[[Any], Any] | None = None,
) -> Path:
    """Sign in with the owner's Google account in a browser and save the token.

    ``client_secrets`` is the OAuth client file ("Desktop app") downloaded from
    Google Cloud Console.  ``run`` performs the flow (tests pass a stub); by
    default it opens a browser and waits on a local port.
    """
    from google_auth_oauthlib.flow import InstalledAppFlow

    if not Path(client_secrets).is_file():
        raise AuthError(
            f"The OAuth client file {client_secrets} does not exist: download it from Google "
            "Cloud Console (APIs & Services, Credentials, OAuth client ID, Desktop app)"
        )
    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), scopes=SCOPES)
    except Exception:
        raise AuthError(
            f"{client_secrets} is not an OAuth client file for a desktop app: download it "
            "again from Google Cloud Console"
        ) from None
    runner = run or (lambda f: f.run_local_server(port=0, open_browser=True))
    try:
        creds = runner(flow)
    except Exception:
        raise AuthError(
            "Google sign-in did not finish: run `sheetcrm auth` again and allow access in "
            "the browser"
        ) from None
    return save_token(creds, token)
