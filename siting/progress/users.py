"""Who may edit progress records: a users file of names, roles and salted password hashes.

The file (by default ``DIR/users.json`` beside the project's GeoPackage) looks like::

    {"users": {"wang": {"role": "editor", "password": "scrypt$16384$8$1$<salt hex>$<hash hex>"},
               "li":   {"role": "viewer", "password": "scrypt$..."}}}

Passwords are never stored: each is hashed with :func:`hashlib.scrypt` and a random 16-byte
salt, and compared in constant time; checking an unknown user costs the same scrypt as a
known one.  New passwords follow :func:`check_password_policy` (at least
:data:`MIN_PASSWORD_LENGTH` characters, not the user name).  The file is written
atomically and readable by its owner only (0600).  Roles are ``editor`` (may add records) and ``viewer``
(reads only).  The write path (:func:`siting.progress.store.add_records`) checks the role
here, on the server, for every write — hiding the form is only a convenience.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from geo.atomic import atomic_path
from geo.errors import InputError

ROLES = ("editor", "viewer")
USERS_FILE = "users.json"
GUEST = "guest"  # an anonymous reader of a server with sign-in (dashboard.auth.session_user)
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_LENGTH = 10


class NotAuthorisedError(PermissionError):
    """The user is not signed in, unknown, or not an editor."""


def check_password_policy(username: str, password: str) -> str:
    """The password to store for ``username``, or :class:`InputError` saying what to change.

    Trailing ``\\r``/``\\n`` (from ``--password-stdin`` or a pasted line) are stripped; the
    rest must be at least :data:`MIN_PASSWORD_LENGTH` characters and differ from the user
    name (ignoring case and surrounding spaces).
    """
    password = password.rstrip("\r\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        msg = (
            f"the password for {username!r} has {len(password)} character(s); use at least "
            f"{MIN_PASSWORD_LENGTH} (a passphrase of a few words is easiest to remember)"
        )
        raise InputError(msg)
    if password.strip().casefold() == username.strip().casefold():
        msg = f"the password for {username!r} must not be the user name; choose another"
        raise InputError(msg)
    return password


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password``: ``scrypt$N$r$p$salt$hash`` (hex)."""
    if not password:
        msg = "a password must not be empty"
        raise InputError(msg)
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True if ``password`` matches the ``stored`` hash (constant-time comparison)."""
    try:
        algo, n, r, p, salt_hex, hash_hex = stored.split("$")
        if algo != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt_hex),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(hash_hex) // 2,
        )
    except (ValueError, AttributeError):
        return False
    return hmac.compare_digest(digest.hex(), hash_hex)


def write_private_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically, readable and writable by the owner only (0600).

    The temporary file is created with mode 0600, so the content is never readable by
    others, not even for a moment.
    """
    with atomic_path(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    return Path(path)


@functools.cache
def _dummy_hash() -> str:
    """A hash with the same cost parameters as real ones, for unknown users (made once)."""
    return hash_password(secrets.token_hex(16))


class UserStore:
    """The users file: read roles, check passwords, add or change users.

    Parameters
    ----------
    path : path-like
        The JSON file; it need not exist yet (then nobody is an editor).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    @classmethod
    def for_project(cls, project, users_path: str | os.PathLike | None = None) -> UserStore:
        """The users file given (the server passes its ``--users FILE``), else ``DIR/users.json``."""
        return cls(Path(project.path) / USERS_FILE if users_path is None else users_path)

    def _load(self) -> dict[str, dict]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            msg = f"users file {self.path} is not valid JSON ({exc}); fix or recreate it"
            raise InputError(msg) from None
        users = data.get("users") if isinstance(data, dict) else None
        if not isinstance(users, dict):
            msg = f'users file {self.path} needs an object {{"users": {{name: {{role, password}}}}}}'
            raise InputError(msg)
        return users

    def users(self) -> dict[str, str]:
        """Username → role."""
        return {name: str(info.get("role", "")) for name, info in self._load().items()}

    def role(self, username: str | None) -> str | None:
        """The role of ``username`` (``"editor"``/``"viewer"``), or None if unknown.

        ``"guest"`` never has a role: Panel names anonymous visitors so from an unsigned
        cookie, which any browser can set.
        """
        if not username or username == GUEST:
            return None
        info = self._load().get(username)
        role = info.get("role") if isinstance(info, dict) else None
        return role if role in ROLES else None

    def verify(self, username: str, password: str) -> bool:
        """True if ``username`` exists and ``password`` is theirs.

        An unknown user, ``guest`` or an empty password is checked against a dummy hash of
        the same cost, so the answer takes as long as for a known user.  CPU-bound (scrypt,
        about 50 ms): a server calls it off its event loop.
        """
        info = self._load().get(username) if username != GUEST else None
        stored = str(info.get("password", "")) if isinstance(info, dict) else ""
        if not stored.startswith("scrypt$") or not password:
            verify_password(password or "-", _dummy_hash())  # same work, answer is no
            return False
        return verify_password(password, stored)

    def set_user(self, username: str, password: str, role: str) -> None:
        """Add ``username`` or change their password and role; the file is rewritten atomically."""
        if role not in ROLES:
            msg = f"unknown role {role!r}; choose one of {', '.join(ROLES)}"
            raise InputError(msg)
        if not username or any(ch in username for ch in "\x00\n\r\t") or username == GUEST:
            msg = f"invalid username {username!r}: use a non-empty name without control characters, not 'guest'"
            raise InputError(msg)
        password = check_password_policy(username, password)
        users = self._load()
        users[username] = {"role": role, "password": hash_password(password)}
        write_private_text(self.path, json.dumps({"users": users}, ensure_ascii=False, indent=2))

    def require_editor(self, username: str | None) -> str:
        """Return ``username`` if it is an editor; raise :class:`NotAuthorisedError` otherwise."""
        role = self.role(username)
        if role == "editor":
            return str(username)
        if not username:
            msg = "sign in as an editor to add progress records"
        elif role is None:
            msg = (
                f"user {username!r} is not in the users file {self.path}; an administrator adds "
                f"editors with `xysiting progress DIR --add-user NAME --role editor`"
            )
        else:
            msg = f"user {username!r} is a {role}; only editors may add progress records"
        raise NotAuthorisedError(msg)
