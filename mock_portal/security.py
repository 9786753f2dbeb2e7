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
  ``SECRET_KEY`` (``SEGUR_SECRET_KEY``), else a file beside the database, ``<database>.key``,
  created for its owner only (0600).
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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


def stamp(moment: datetime) -> str:
    """A time as the store keeps it for comparisons: UTC, ISO 8601, fixed width."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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


class TooManyAttempts(Exception):
    """Login refused before the password is looked at: too many recent failures."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("trop de tentatives")
        self.retry_after = retry_after
        self.message = (
            "trop de tentatives de connexion échouées : réessayez dans "
            f"{_duration(retry_after)} (le compte n'est pas bloqué, seules les tentatives sont freinées)"
        )


def _duration(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def _keys(login: str, address: str | None) -> list[tuple[str, str]]:
    keys = [("login", "login:" + login.casefold()[:200])]
    if address:
        keys.append(("address", "address:" + address))
    return keys


def check_attempts(store: Any, policy: LoginPolicy, login: str, address: str | None) -> None:
    """Raise :class:`TooManyAttempts` when this login or this address has failed too often lately."""
    now = utc_now()
    since = stamp(now - timedelta(seconds=policy.window))
    for kind, key in _keys(login, address):
        limit = policy.per_login if kind == "login" else policy.per_address
        count, oldest = store.login_failures(key, since)
        if count >= limit:
            first = datetime.fromisoformat(oldest.replace("Z", "+00:00"))
            retry = math.ceil((first + timedelta(seconds=policy.window) - now).total_seconds())
            raise TooManyAttempts(max(retry, 1))


def record_failure(store: Any, policy: LoginPolicy, login: str, address: str | None) -> None:
    now = utc_now()
    with store.transaction():
        store.forget_login_failures_before(stamp(now - timedelta(seconds=policy.window)))
        for _, key in _keys(login, address):
            store.add_login_failure(key, stamp(now))


def record_success(store: Any, login: str) -> None:
    """A login that succeeds starts its count again (the address's count goes on)."""
    with store.transaction():
        store.clear_login_failures(_keys(login, None)[0][1])


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


def portal_key(config: Any, database: Path) -> bytes:
    """The key of the sealed secrets and of the pages' session cookies: ``SECRET_KEY`` when
    configured, else the content of ``<database>.key`` (made, 0600, on first start)."""
    configured = config.get("SECRET_KEY")
    if configured:
        return str(configured).encode() if not isinstance(configured, bytes) else configured
    if str(database) in ("", ":memory:"):
        return os.urandom(32)
    path = database.with_name(database.name + ".key")
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(descriptor, "wb") as handle:
        key = base64.urlsafe_b64encode(os.urandom(32))
        handle.write(key)
    return key


def guarded_login(portal: Any, login: Any, password: Any, address: str | None, config: Any, kind: str) -> Any:
    """``portal.login`` behind the attempts' limits: 429 (``TROP_DE_TENTATIVES``, ``Retry-After``)
    past them, before the password is looked at; a failure counted, a success starts the login's
    count again."""
    from segur.mock_portal.errors import PortalError

    if not isinstance(login, str) or not isinstance(password, str):
        return portal.login(login, password)  # refused as it stands (400)
    policy = LoginPolicy.from_config(config)
    try:
        check_attempts(portal.store, policy, login, address)
    except TooManyAttempts as refused:
        raise PortalError(
            429, "TROP_DE_TENTATIVES", refused.message, headers={"Retry-After": str(refused.retry_after)}
        ) from None
    try:
        result = portal.login(login, password, ttl=float(config.get("SESSION_TTL", SESSION_TTL)), kind=kind)
    except PortalError as error:
        if error.status == 401:
            record_failure(portal.store, policy, login, address)
        raise
    record_success(portal.store, login)
    return result
