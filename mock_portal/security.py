"""How the mock portal keeps its secrets and its sessions: when a session ends, how passwords are
checked, how many login attempts it takes, and how a secret it must show (the new editor's
password in the credentials mail) is kept sealed in the database.

- Sessions: a token is random (256 bits); only its SHA-256 is stored; it ends ``SESSION_TTL``
  seconds after login by the real clock (the mock's own clock, which a trainer moves by years,
  has no say), or at logout. The web pages have their own sessions: the cookie of a browser
  carries a page token that the API does not take.
- Passwords: hashed by Werkzeug (scrypt); an unknown login is checked against a hash of the same
  cost, so that known and unknown logins take the same time.
- Login attempts: at most ``LOGIN_FAILURES_PER_LOGIN`` failures per login and
  ``LOGIN_FAILURES_PER_ADDRESS`` per client address within ``LOGIN_WINDOW`` seconds (real clock);
  past them, 429 with a French message and ``Retry-After``, whatever the password.
- Sealed secrets: Fernet (AES-128-CBC and HMAC-SHA256) with a key kept out of the database:
  ``SECRET_KEY`` (``SEGUR_SECRET_KEY``), else a key file made for its owner only (0600): beside
  an SQLite file, ``<database>.key``; for PostgreSQL, in the user's configuration folder
  (:func:`key_file`). The secrets sealed: a new editor's password in its credentials mail, and
  the gestionnaire's token (kept so that a restart, or another process on the same database,
  answers to the same one).

The rules are applied by the accounts service (:mod:`segur.mock_portal.services.accounts`); this
module holds what they are made of and knows neither HTTP nor the store.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

#: defaults of the app's configuration (``SEGUR_*`` environment variables override them)
SESSION_TTL = 8 * 3600
LOGIN_WINDOW = 15 * 60
LOGIN_FAILURES_PER_LOGIN = 5
LOGIN_FAILURES_PER_ADDRESS = 20

API = "api"
PAGE = "page"


def utc_now() -> datetime:
    """The real time (sessions and login attempts never follow the mock's clock)."""
    return datetime.now(UTC)


# --------------------------------------------------------------------------- passwords


def hash_password(password: str) -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password)


@cache
def _decoy() -> str:
    """A hash of the same kind and cost as an editor's, of a password nobody knows."""
    return hash_password(secrets.token_urlsafe(16))


def password_matches(stored: str | None, password: str) -> bool:
    """Whether ``password`` is the one ``stored`` hashes; with no stored hash (an unknown login),
    the same work is done on a decoy and the answer is no."""
    from werkzeug.security import check_password_hash

    matches = check_password_hash(stored if stored is not None else _decoy(), password)
    return stored is not None and matches


# --------------------------------------------------------------------------- login attempts


@dataclass(frozen=True)
class LoginPolicy:
    window: float = LOGIN_WINDOW
    per_login: int = LOGIN_FAILURES_PER_LOGIN
    per_address: int = LOGIN_FAILURES_PER_ADDRESS

    @classmethod
    def from_config(cls, config: Any) -> LoginPolicy:
        return cls(
            float(config.get("LOGIN_WINDOW", LOGIN_WINDOW)),
            int(config.get("LOGIN_FAILURES_PER_LOGIN", LOGIN_FAILURES_PER_LOGIN)),
            int(config.get("LOGIN_FAILURES_PER_ADDRESS", LOGIN_FAILURES_PER_ADDRESS)),
        )

    def keys(self, login: str, address: str | None) -> list[tuple[str, int]]:
        """The keys a login attempt is counted under, each with its limit: the login (folded), and
        the client's address when known."""
        keys = [("login:" + login.casefold()[:200], self.per_login)]
        if address:
            keys.append(("address:" + address, self.per_address))
        return keys


def too_many_attempts_message(retry_after: int) -> str:
    minutes = max(1, -(-retry_after // 60))
    return (
        f"trop de tentatives de connexion échouées : réessayez dans {minutes} minute{'s' if minutes > 1 else ''} "
        "(le compte n'est pas bloqué, seules les tentatives sont freinées)"
    )


@dataclass(frozen=True)
class Settings:
    """What the services need of the app's configuration for sessions and secrets."""

    sealer: Sealer
    session_ttl: float = SESSION_TTL
    policy: LoginPolicy = LoginPolicy()

    @classmethod
    def from_config(cls, config: Any, sealer: Sealer) -> Settings:
        return cls(sealer, float(config.get("SESSION_TTL", SESSION_TTL)), LoginPolicy.from_config(config))


# --------------------------------------------------------------------------- sealed secrets

_SEALED = re.compile(r"\[scellé:([A-Za-z0-9_=-]+)\]")


class Sealer:
    """Seals a secret into text kept in the database, and opens it again for whoever may read it."""

    def __init__(self, key: bytes) -> None:
        self._key = base64.urlsafe_b64encode(hashlib.sha256(key).digest())

    def _fernet(self) -> Any:
        from cryptography.fernet import Fernet  # imported when a secret is sealed or read

        return Fernet(self._key)

    def seal(self, secret: str) -> str:
        return f"[scellé:{self._fernet().encrypt(secret.encode()).decode()}]"

    def reveal(self, text: str) -> str:
        """``text`` with each sealed secret opened (one sealed with another key stays unreadable)."""
        if "[scellé:" not in text:
            return text
        from cryptography.fernet import InvalidToken

        fernet = self._fernet()

        def opened(found: re.Match[str]) -> str:
            try:
                return str(fernet.decrypt(found.group(1).encode()).decode())
            except InvalidToken:
                return "[secret illisible : la clé du portail a changé]"

        return _SEALED.sub(opened, text)

    def open(self, text: str) -> str | None:
        """The secret of a text that is one sealed secret, or None (not one, or another key's)."""
        found = _SEALED.fullmatch(text)
        if found is None:
            return None
        from cryptography.fernet import InvalidToken

        try:
            return str(self._fernet().decrypt(found.group(1).encode()).decode())
        except InvalidToken:
            return None


def key_file(database: str) -> Path | None:
    """Where the portal's key is kept when ``SECRET_KEY`` is not configured: beside an SQLite
    file, ``<database>.key``; for a PostgreSQL database, in the user's configuration folder
    (``$XDG_CONFIG_HOME/segur``, else ``~/.config/segur``), one file per server and database
    (every process of this user on this host shares it; on several hosts, configure
    SEGUR_SECRET_KEY). None for a database in memory."""
    if "://" not in database:
        if database in ("", ":memory:"):
            return None
        path = Path(database).expanduser()
        return path.with_name(path.name + ".key")
    from sqlalchemy.engine import make_url

    url = make_url(database)
    place = f"{url.get_backend_name()}://{url.username or ''}@{url.host or ''}:{url.port or ''}/{url.database or ''}"
    place += str(url.query.get("host", ""))  # a Unix socket's folder
    folder = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "segur"
    return folder / f"mock-{hashlib.sha256(place.encode()).hexdigest()[:16]}.key"


def portal_key(config: Any, database: str | Path) -> bytes:
    """The key of the sealed secrets and of the pages' session cookies: ``SECRET_KEY`` when
    configured, else the content of the key file (:func:`key_file`, made 0600 on first start)."""
    configured = config.get("SECRET_KEY")
    if configured:
        return str(configured).encode() if not isinstance(configured, bytes) else configured
    path = key_file(str(database))
    if path is None:
        return os.urandom(32)
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # written whole under a name of its own, then linked in place: a process starting at the same
    # time finds either no file or the whole key, and the first link wins
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(base64.urlsafe_b64encode(os.urandom(32)))
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    return path.read_bytes()
