"""Sign-in and hardening of the served dashboard (``xysiting serve``).

:func:`serve_kwargs` returns the keyword arguments for :func:`panel.serve` that make the
server safe to share on a network, with or without a users file:

* **Signed Bokeh sessions.**  Session ids and tokens are signed with a server secret
  (``sign_sessions``); a client can never choose a session id: a request carrying
  ``bokeh-session-id`` / ``bokeh-token`` (argument) or ``Bokeh-Session-Id`` (header) is
  refused with 403, so every page load gets a fresh session of its own.
* **No cookie in the session token.**  The token embedded in the page (readable by any
  script on it) carries no cookie and only a few harmless headers (``include_cookies=[]``,
  ``include_headers``).  The user is resolved on the server from the sign-in cookie and
  handed to the app by :func:`session_user`, never read from a cookie inside the session.
* **Server-side sign-ins** (:class:`SignInTable`).  The sign-in cookie holds only a random
  nonce, signed and valid for one day; the table maps it to the user.  Logout deletes the
  entry, so the old cookie is dead everywhere.  Every HTTP request *and* every websocket
  connection is checked against the table, and a websocket may only attach to a session
  built for the same user.
* **Login throttling** (:class:`LoginRateLimiter`): at most 10 attempts per user and
  address, 30 per address and 100 per user in a minute; successful ones are not counted.
  Passwords are checked with scrypt in a thread pool, off the event loop; unknown users
  cost the same scrypt as known ones (:meth:`siting.progress.users.UserStore.verify`).
* **Headers**: ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'`` on every
  response (:class:`SecurityHeaders`); Panel's ``/components/`` route asks for sign-in like
  the app itself.

The secret comes from the caller (``$XYSITING_COOKIE_SECRET`` in the CLI) or is generated
once and kept in ``DIR/.server_secret`` (mode 0600), so sign-ins survive restarts.  The
login page (``dashboard/templates/login.html``) follows the UI language (``?lang=zh|en``, else
the browser's ``Accept-Language``, else the server's ``--lang``).  Without a users file there is no ``/login`` at all.

Serve with::

    import panel as pn
    from dashboard.auth import serve_kwargs, session_user
    kwargs = serve_kwargs(project_dir, users_path=project_dir / "users.json")
    pn.serve({"/": lambda: make_app(user=session_user())}, port=5006, **kwargs)

Why one module over 500 lines: the secret, the sign-in table, the rate limiter, the auth
provider and its handlers form one security boundary that must be read and reviewed together.
"""

from __future__ import annotations

import collections
import concurrent.futures
import hashlib
import hmac
import json
import logging
import math
import os
import secrets
import threading
import time
from pathlib import Path
from urllib.parse import quote

import jinja2
import panel as pn
from bokeh.server.auth_provider import AuthProvider
from bokeh.util.token import check_token_signature, get_session_id
from panel.io.server import AuthenticatedStaticFileHandler, ComponentResourceHandler
from tornado.ioloop import IOLoop
from tornado.web import HTTPError, OutputTransform, RequestHandler, create_signed_value, decode_signed_value
from tornado.websocket import WebSocketHandler

from geo.errors import InputError
from siting.progress.users import GUEST, UserStore, write_private_text

log = logging.getLogger(__name__)

COOKIE_NAME = "xysiting_signin"
SIGNIN_MAX_AGE_DAYS = 1
SECRET_FILE = ".server_secret"
SIGNINS_FILE = ".signins.json"
ANONYMOUS = "anonymous"  # the Bokeh "current user" when sign-in is off (no users file)
REQUEST_USER_ATTR = "xysiting_user"  # set on the tornado request that opens a session
# headers a session may see (pn.state.headers); never Cookie or Authorization
TOKEN_HEADERS = ("Host", "User-Agent", "Accept-Language", "Referer", "Origin")
_CLIENT_SESSION_ARGS = ("bokeh-session-id", "bokeh-token")
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_TEXT = {  # the login and logout pages, (zh, en)
    "title": ("襄阳选址图集", "Xiangyang siting atlas"),
    "subtitle": ("登录后可新增规划进展记录", "Sign in to add planning progress records"),
    "heading": ("登录", "Sign in"),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "submit": ("登录", "Sign in"),
    "guest": ("不登录，以访客身份浏览", "Continue as a guest (read only)"),
    "bad": ("用户名或密码不正确。", "Wrong user name or password."),
    "throttled": (
        "登录失败次数过多，请 {seconds} 秒后再试。",
        "Too many failed sign-ins; try again in {seconds} s.",
    ),
    "logged_out_heading": ("已退出", "Signed out"),
    "logged_out": ("您已退出登录，此浏览器中的登录凭据已作废。", "You are signed out; this browser's sign-in is void."),
    "again": ("重新登录", "Sign in again"),
    "to_app": ("返回图集", "Back to the atlas"),
    "other_lang": ("English", "中文"),
}


def _text(lang: str) -> dict[str, str]:
    i = 0 if lang == "zh" else 1
    return {key: pair[i] for key, pair in _TEXT.items()}


# -- secrets ---------------------------------------------------------------------------


def server_secret(project_dir: str | os.PathLike, *, secret: str | None = None) -> bytes:
    """The server's master secret: ``secret`` if given, else ``DIR/.server_secret``.

    The file is created on first use with 48 random bytes (URL-safe text), mode 0600,
    atomically (two servers starting at once agree on one secret).

    Raises
    ------
    InputError
        A given secret shorter than 32 characters, or a secret file others may read.
    """
    if secret:
        if len(secret) < 32:
            msg = (
                f"the cookie secret has {len(secret)} characters; use at least 32 random ones "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
            raise InputError(msg)
        return secret.encode("utf-8")
    path = Path(project_dir) / SECRET_FILE
    if not path.exists():
        tmp = path.with_name(f"{SECRET_FILE}.{secrets.token_hex(6)}.tmp")
        try:
            write_private_text(tmp, secrets.token_urlsafe(48))
            os.link(tmp, path)  # atomic create-if-absent
        except FileExistsError:
            pass
        except OSError as exc:
            msg = (
                f"cannot keep the server secret in {path} ({exc.strerror}); make the project folder "
                "writable or set XYSITING_COOKIE_SECRET to 32 or more random characters"
            )
            raise InputError(msg) from None
        finally:
            tmp.unlink(missing_ok=True)
    if path.stat().st_mode & 0o077:
        msg = f"{path} is readable by other users; run 'chmod 600 {path}' or delete it to make a new one"
        raise InputError(msg)
    value = path.read_text(encoding="utf-8").strip()
    if len(value) < 32:
        msg = f"{path} holds no usable secret; delete it and a new one is made"
        raise InputError(msg)
    return value.encode("utf-8")


def derive_key(secret: bytes, purpose: str) -> str:
    """A key for one purpose (``"cookie"``, ``"bokeh-session"``) derived from the master secret."""
    return hmac.new(secret, purpose.encode("utf-8"), hashlib.sha256).hexdigest()


# -- server-side sign-ins ----------------------------------------------------------------


class SignInTable:
    """Live sign-ins: SHA-256 of the cookie nonce → user and issue time (Unix seconds).

    Kept in memory and persisted to ``path`` (mode 0600, atomic) so sign-ins survive a
    restart with the same secret; only nonce hashes are stored.  Entries older than
    ``max_age_s`` are void and dropped on the next write.

    Parameters
    ----------
    path : path-like
    max_age_s : float
        Lifetime of a sign-in, seconds (default one day, the cookie's lifetime).
    """

    def __init__(self, path: str | os.PathLike, *, max_age_s: float = SIGNIN_MAX_AGE_DAYS * 86400.0):
        self.path = Path(path)
        self.max_age_s = max_age_s
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[str, float]] = {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            self._entries = {k: (str(v[0]), float(v[1])) for k, v in raw.get("signins", {}).items()}
        except (OSError, ValueError, TypeError, AttributeError, IndexError):
            self._entries = {}  # absent or damaged: everyone signs in again

    @staticmethod
    def _key(nonce: str) -> str:
        return hashlib.sha256(nonce.encode("utf-8")).hexdigest()

    def _save(self) -> None:
        now = time.time()
        self._entries = {k: v for k, v in self._entries.items() if now - v[1] < self.max_age_s}
        try:
            write_private_text(self.path, json.dumps({"signins": self._entries}))
        except OSError as exc:  # sign-ins still work; they end when the server stops
            log.warning("cannot save sign-ins to %s (%s); they last until the server stops", self.path, exc)

    def issue(self, user: str) -> str:
        """Record a new sign-in of ``user``; return its nonce (the cookie's content)."""
        nonce = secrets.token_urlsafe(32)
        with self._lock:
            self._entries[self._key(nonce)] = (user, time.time())
            self._save()
        return nonce

    def user_for(self, nonce: str) -> str | None:
        """The user signed in with ``nonce``, or None if unknown, logged out or expired."""
        entry = self._entries.get(self._key(nonce))
        if entry is None or time.time() - entry[1] >= self.max_age_s:
            return None
        return entry[0]

    def revoke(self, nonce: str) -> None:
        """Void the sign-in ``nonce`` (logout)."""
        with self._lock:
            if self._entries.pop(self._key(nonce), None) is not None:
                self._save()


class LoginRateLimiter:
    """Sliding one-minute windows of login attempts per (user, address), address and user.

    :meth:`acquire` records an attempt before the password is checked (so a burst of
    parallel requests is bounded too); :meth:`forgive` takes a successful one back.

    Parameters
    ----------
    per_user_address, per_address, per_user : int
        Attempts allowed in ``window_s`` seconds.
    window_s : float
    """

    def __init__(
        self, *, per_user_address: int = 10, per_address: int = 30, per_user: int = 100, window_s: float = 60.0
    ):
        self.limits = {"pair": per_user_address, "address": per_address, "user": per_user}
        self.window_s = window_s
        self._hits: dict[tuple, collections.deque] = {}
        self._lock = threading.Lock()

    def _keys(self, user: str, address: str) -> list[tuple]:
        return [("pair", user, address), ("address", address), ("user", user)]

    def acquire(self, user: str, address: str) -> float:
        """Record an attempt and return 0, or return the seconds to wait (nothing recorded)."""
        now = time.monotonic()
        with self._lock:
            if len(self._hits) > 10_000:  # drop idle windows so memory stays bounded
                self._hits = {k: q for k, q in self._hits.items() if q and now - q[-1] < self.window_s}
            wait = 0.0
            for key in self._keys(user, address):
                q = self._hits.setdefault(key, collections.deque())
                while q and now - q[0] >= self.window_s:
                    q.popleft()
                if len(q) >= self.limits[key[0]]:
                    wait = max(wait, self.window_s - (now - q[0]))
            if wait:
                return wait
            for key in self._keys(user, address):
                self._hits[key].append(now)
            return 0.0

    def forgive(self, user: str, address: str) -> None:
        """Take back the latest attempt of ``user`` from ``address`` (it succeeded)."""
        with self._lock:
            for key in self._keys(user, address):
                q = self._hits.get(key)
                if q:
                    q.pop()


# -- the auth provider -------------------------------------------------------------------


class SiteAuth(AuthProvider):
    """Bokeh auth provider of ``xysiting serve``: sign-in (when users exist) and session rules.

    Parameters
    ----------
    users_path : path-like or None
        The users file; None switches sign-in off (no ``/login``, everyone reads).
    signins : SignInTable or None
        Server-side sign-ins (required with ``users_path``).
    cookie_key : str
        Key signing the sign-in cookie.
    allow_guests : bool
        With users: anonymous visitors read as ``guest`` (True) or must sign in (False).
    lang : {"zh", "en"}
        Default language of the login page.
    """

    def __init__(
        self,
        *,
        users_path: str | os.PathLike | None,
        signins: SignInTable | None,
        cookie_key: str,
        allow_guests: bool = True,
        lang: str = "zh",
        limiter: LoginRateLimiter | None = None,
    ):
        self.users = UserStore(users_path) if users_path is not None else None
        if self.users is not None and signins is None:
            msg = "sign-in needs a SignInTable"
            raise ValueError(msg)
        self.signins = signins
        self.cookie_key = cookie_key
        self.allow_guests = allow_guests
        self.lang = lang
        self.limiter = limiter or LoginRateLimiter()
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="xysiting-login")
        super().__init__()

    # Bokeh's hooks
    @property
    def get_user(self):
        return self._current_user

    @property
    def login_url(self) -> str:
        return "/login" if self.users is not None else "/"

    @property
    def login_handler(self):
        return LoginHandler if self.users is not None else None

    @property
    def logout_url(self) -> str | None:
        return "/logout" if self.users is not None else None

    @property
    def logout_handler(self):
        return LogoutHandler if self.users is not None else None

    # resolution
    def signed_in_user(self, handler: RequestHandler) -> str | None:
        """The user of the request's sign-in cookie if it is valid, live and still in the users file."""
        if self.users is None:
            return None
        raw = handler.get_cookie(COOKIE_NAME)
        if not raw:
            return None
        nonce = decode_signed_value(self.cookie_key, COOKIE_NAME, raw, max_age_days=SIGNIN_MAX_AGE_DAYS)
        if nonce is None:
            return None  # forged, tampered or older than a day
        user = self.signins.user_for(nonce.decode("utf-8"))
        if user is None or self.users.role(user) is None:
            return None  # logged out, expired or removed from the users file
        return user

    def _current_user(self, handler: RequestHandler) -> str | None:
        """Bokeh's ``get_user``: the user name, ``guest``, ``anonymous`` or None (sign in first)."""
        request = handler.request
        is_ws = isinstance(handler, WebSocketHandler)
        if not is_ws:
            _refuse_client_session_ids(request)
        if self.users is None:
            user, current = None, ANONYMOUS
        else:
            user = self.signed_in_user(handler)
            if user is None and self.allow_guests:
                user = GUEST
            current = user
        if is_ws and current is not None and not _session_built_for(handler, user):
            log.warning("refusing a websocket to a session built for another user (%s)", request.remote_ip)
            return None
        setattr(request, REQUEST_USER_ATTR, user)
        return current

    def check_password(self, username: str, password: str):
        """A future of :meth:`UserStore.verify`, computed in the login thread pool."""
        return IOLoop.current().run_in_executor(self.executor, self.users.verify, username, password)

    def set_signin_cookie(self, handler: RequestHandler, user: str) -> None:
        nonce = self.signins.issue(user)
        value = create_signed_value(self.cookie_key, COOKIE_NAME, nonce).decode("ascii")
        handler.set_cookie(
            COOKIE_NAME, value, expires_days=SIGNIN_MAX_AGE_DAYS, httponly=True, samesite="Lax", path="/"
        )

    def sign_out(self, handler: RequestHandler) -> None:
        raw = handler.get_cookie(COOKIE_NAME)
        if raw:
            # a valid signature of any age: the nonce is ours, void it
            nonce = decode_signed_value(self.cookie_key, COOKIE_NAME, raw, max_age_days=3650)
            if nonce is not None:
                self.signins.revoke(nonce.decode("utf-8"))
        handler.clear_cookie(COOKIE_NAME, path="/")


def _refuse_client_session_ids(request) -> None:
    """403 for a request that names a Bokeh session: ids are the server's to choose."""
    if any(name in (request.arguments or {}) for name in _CLIENT_SESSION_ARGS) or "Bokeh-Session-Id" in (
        request.headers
    ):
        raise HTTPError(403, reason="session ids are chosen by the server")


def _session_built_for(handler, user: str | None) -> bool:
    """True unless the websocket's token names a live session built for another user."""
    protocols = [p.strip() for p in handler.request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
    if len(protocols) != 2:
        return True  # Bokeh refuses the connection itself
    app = handler.application
    token = protocols[1]
    try:
        if not check_token_signature(token, secret_key=app.secret_key, signed=app.sign_sessions):
            return False
        session = handler.application_context.get_session(get_session_id(token))
    except Exception:  # no such live session: it is built for this request's user
        return True
    context = session.document.session_context
    built_for = getattr(context.request, REQUEST_USER_ATTR, None) if context is not None else None
    return built_for == user


def session_user() -> str | None:
    """The user the current Bokeh session was opened for, resolved by the server.

    A user name, ``"guest"`` (anonymous reader with sign-in on) or None (sign-in off, or
    outside a served session).  Never read from a cookie inside the session.
    """
    doc = pn.state.curdoc
    context = doc.session_context if doc is not None else None
    request = context.request if context is not None else None
    return getattr(request, REQUEST_USER_ATTR, None) if request is not None else None


# -- pages -------------------------------------------------------------------------------


def _safe_next(value: str | None) -> str:
    """A same-site path to go to after sign-in (never another host)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def accepted_language(header: str) -> str | None:
    """The UI language (``zh`` or ``en``) a browser's ``Accept-Language`` header prefers, or None.

    ``"zh-CN,zh;q=0.9,en;q=0.8"`` → ``"zh"``; ``"en-US,en;q=0.9"`` → ``"en"``; ``"fr"`` → None.
    Entries are ranked by their ``q`` (1 when absent), ties in the order given.
    """
    ranked = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in ("zh", "en") and q > 0:
            ranked.append((-q, position, primary))
    return min(ranked)[2] if ranked else None


class _Page(RequestHandler):
    """Shared rendering of the login and logout pages."""

    @property
    def provider(self) -> SiteAuth:
        return self.application.auth_provider

    def _lang(self) -> str:
        """``?lang=zh|en``, else the browser's first choice of the two (``Accept-Language``),
        else the server's ``--lang``."""
        lang = self.get_argument("lang", None)
        if lang in ("zh", "en"):
            return lang
        preferred = accepted_language(self.request.headers.get("Accept-Language", ""))
        if preferred:
            return preferred
        return self.provider.lang if self.provider.lang in ("zh", "en") else "zh"

    def _render(self, template: str, *, status: int = 200, **fields) -> None:
        lang = self._lang()
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'",
        )
        other = "en" if lang == "zh" else "zh"
        page = _TEMPLATES.get_template(template).render(
            lang=lang,
            html_lang="zh-CN" if lang == "zh" else "en",
            text=_text(lang),
            other_lang_url=f"{self.request.path}?lang={other}&next={quote(fields.get('next_url', '/'))}",
            allow_guests=self.provider.allow_guests,
            **fields,
        )
        self.finish(page)


class LoginHandler(_Page):
    """``/login``: the form (GET) and the password check (POST, throttled, off the event loop)."""

    def get(self) -> None:
        self._form()

    def _form(self, error: str = "", status: int = 200) -> None:
        self._render(
            "login.html",
            status=status,
            error=error,
            next_url=_safe_next(self.get_argument("next", "/")),
            xsrf=self.xsrf_form_html(),
            username=self.get_argument("username", "") if self.request.method == "POST" else "",
        )

    async def post(self) -> None:
        self.check_xsrf_cookie()
        provider = self.provider
        username = self.get_argument("username", "")[:200]
        password = self.get_argument("password", "")[:1000]
        address = self.request.remote_ip or "?"
        wait = provider.limiter.acquire(username, address)
        if wait:
            self.set_header("Retry-After", str(math.ceil(wait)))
            self._form(_text(self._lang())["throttled"].format(seconds=math.ceil(wait)), status=429)
            return
        if not await provider.check_password(username, password):
            self._form(_text(self._lang())["bad"], status=401)
            return
        provider.limiter.forgive(username, address)
        provider.set_signin_cookie(self, username)
        self.redirect(_safe_next(self.get_argument("next", "/")))


class LogoutHandler(_Page):
    """``/logout``: voids the sign-in on the server and in the browser."""

    def get(self) -> None:
        self.provider.sign_out(self)
        self._render("logout.html", next_url="/")


class ComponentHandler(AuthenticatedStaticFileHandler, ComponentResourceHandler):
    """Panel's ``/components/<module>/...`` resources, for signed-in visitors (or guests)."""


class SecurityHeaders(OutputTransform):
    """Adds framing protection and no-sniffing to every response of the server."""

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        headers["X-Frame-Options"] = "DENY"
        headers["X-Content-Type-Options"] = "nosniff"
        headers.setdefault("Referrer-Policy", "same-origin")
        csp = headers.get("Content-Security-Policy")
        if not csp:
            headers["Content-Security-Policy"] = "frame-ancestors 'none'"
        elif "frame-ancestors" not in csp:
            headers["Content-Security-Policy"] = f"{csp}; frame-ancestors 'none'"
        return status_code, headers, chunk


def serve_kwargs(
    project_dir: str | os.PathLike,
    *,
    users_path: str | os.PathLike | None = None,
    allow_guests: bool = True,
    secret: str | None = None,
    lang: str = "zh",
) -> dict:
    """Keyword arguments for :func:`panel.serve`: signed sessions, sign-in, headers.

    Parameters
    ----------
    project_dir : path-like
        The served project; keeps ``.server_secret`` and ``.signins.json`` (both 0600).
    users_path : path-like, optional
        The users file that switches sign-in on (``DIR/users.json``; see ``xysiting progress
        DIR --add-user``).  None: no sign-in, no ``/login``.
    allow_guests : bool
        With sign-in: anonymous visitors read as ``guest`` (True) or must sign in (False).
    secret : str, optional
        Master secret (at least 32 characters) for cookies and session ids; default the
        project's ``.server_secret``, made on first use.
    lang : {"zh", "en"}
        Default language of the login page.
    """
    project_dir = Path(project_dir)
    master = server_secret(project_dir, secret=secret)
    cookie_key = derive_key(master, "cookie")
    users = Path(users_path).resolve() if users_path is not None else None
    provider = SiteAuth(
        users_path=users,
        signins=SignInTable(project_dir / SIGNINS_FILE) if users is not None else None,
        cookie_key=cookie_key,
        allow_guests=allow_guests,
        lang=lang,
    )
    return {
        "auth_provider": provider,
        "cookie_secret": cookie_key,
        "sign_sessions": True,
        "secret_key": derive_key(master, "bokeh-session").encode("ascii"),
        "generate_session_ids": True,
        "include_cookies": [],
        "include_headers": list(TOKEN_HEADERS),
        "transforms": [SecurityHeaders],
        "extra_patterns": [(r"/components/(.*)", ComponentHandler, {})],
    }
