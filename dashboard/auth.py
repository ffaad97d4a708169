"""Sign-in for the dashboard against the project's users file (salted scrypt hashes).

Panel's own ``basic_auth`` compares plain-text passwords from a JSON file; this module
plugs a login handler that checks :class:`siting.progress.users.UserStore` instead, into
Panel's :class:`panel.auth.BasicAuthProvider` (the ``/login`` and ``/logout`` pages, the
signed ``user`` cookie).  Inside a session, :attr:`panel.state.user` then names the
signed-in user (``"guest"`` for an anonymous reader when guests are allowed); the progress
tab reads it and the write path (:func:`siting.progress.store.add_records`) checks that
user's role in the users file on the server.

Serve with::

    import panel as pn
    from dashboard.auth import serve_auth_kwargs
    pn.serve({"/": app}, port=5006, **serve_auth_kwargs(project_dir / "users.json"))
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from panel.auth import BasicAuthProvider, BasicLoginHandler

from siting.progress.users import UserStore


def auth_provider(users_path: str | os.PathLike, *, guest_endpoints: list[str] | None = None) -> BasicAuthProvider:
    """A Panel auth provider whose login page checks passwords against ``users_path``."""
    store = UserStore(users_path)

    class UsersFileLoginHandler(BasicLoginHandler):
        """The ``/login`` POST handler: constant-time scrypt check against the users file."""

        def _validate(self, username: str, password: str) -> bool:
            return store.verify(username, password)

    class UsersFileAuthProvider(BasicAuthProvider):
        """Panel's basic-auth pages, with :class:`UsersFileLoginHandler`."""

        @property
        def login_handler(self):
            UsersFileLoginHandler._login_endpoint = self._login_endpoint
            UsersFileLoginHandler._login_template = self._login_template
            return UsersFileLoginHandler

    return UsersFileAuthProvider(guest_endpoints=guest_endpoints)


def serve_auth_kwargs(
    users_path: str | os.PathLike, *, allow_guests: bool = True, cookie_secret: str | None = None
) -> dict:
    """Keyword arguments for :func:`panel.serve` that switch sign-in on.

    Parameters
    ----------
    users_path : path-like
        The users file (``DIR/users.json``; see ``xysiting progress DIR --add-user``).
        Also exported as ``$XYSITING_USERS`` so the write path checks the same file.
    allow_guests : bool
        True: anonymous visitors read the dashboard as ``guest`` (viewers) and sign in at
        ``/login`` to edit.  False: everyone must sign in first.
    cookie_secret : str, optional
        Secret signing the ``user`` cookie; ``$XYSITING_COOKIE_SECRET`` or a random one
        (sessions then end when the server restarts).
    """
    users_path = Path(users_path).resolve()
    os.environ["XYSITING_USERS"] = str(users_path)
    secret = cookie_secret or os.environ.get("XYSITING_COOKIE_SECRET") or secrets.token_urlsafe(32)
    return {"auth_provider": auth_provider(users_path), "cookie_secret": secret, "oauth_optional": allow_guests}
