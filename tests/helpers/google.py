"""Google Sheets for the tests: backends on the fake Sheets API, and fake credentials."""

from __future__ import annotations

from typing import Any

from sheetcrm import tracker
from sheetcrm.backends.google import GoogleBackend
from sheetcrm.backends.retry import RetryPolicy
from tests.fake_sheets import FakeSheets


def sheet_backend(fake: FakeSheets, title: str = "Tracker",
                  **kw: Any) -> tuple[GoogleBackend, str]:
    """A backend (not yet initialised) on a new spreadsheet of ``fake``, and its key.

    ``kw`` goes to :class:`GoogleBackend` (``retry``, ``account_email``...); the
    client is the fake's unless one is given.
    """
    key = fake.create_spreadsheet(title)
    kw.setdefault("client", fake.client())
    return GoogleBackend(fake.url(key), **kw), key


def google_tracker(fake: FakeSheets | None = None,
                   title: str = "Tracker") -> tuple[FakeSheets, str, GoogleBackend]:
    """A new, initialised tracker on the fake Sheets API whose retries never sleep."""
    fake = fake or FakeSheets()
    backend, key = sheet_backend(fake, title, retry=RetryPolicy(sleep=lambda _s: None))
    tracker.init_tracker(backend)
    return fake, key, backend


def private_key_pem() -> str:
    """A fresh 2048-bit RSA private key in PEM (PKCS#8), as a service-account key holds."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def oauth_credentials(token: str = "access", refresh_token: str = "SECRET-refresh",
                      client_id: str = "id", client_secret: str = "secret") -> Any:
    """A signed-in user's OAuth credentials, as the browser sign-in returns them."""
    from google.oauth2.credentials import Credentials

    return Credentials(  # type: ignore[no-untyped-call]
        token=token, refresh_token=refresh_token, client_id=client_id,
        client_secret=client_secret, token_uri="https://oauth2.googleapis.com/token")
