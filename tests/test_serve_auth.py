"""``xysiting serve`` sign-in options and the pieces of :mod:`dashboard.auth` (no server)."""

from __future__ import annotations

import os
import stat

import pytest

from dashboard.auth import LoginRateLimiter, SignInTable, serve_kwargs, server_secret
from dashboard.commands.serve import _users_path
from geo.errors import InputError
from siting.progress import UserStore


def test_no_users_file_means_no_sign_in(tmp_path):
    assert _users_path(tmp_path, None, no_guests=False) is None
    kwargs = serve_kwargs(tmp_path)  # sessions are signed and chosen by the server regardless
    provider = kwargs["auth_provider"]
    assert provider.users is None and provider.login_handler is None and provider.logout_handler is None
    assert kwargs["sign_sessions"] is True and kwargs["include_cookies"] == []
    assert "Cookie" not in kwargs["include_headers"]


def test_missing_users_file_or_no_guests_without_users_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"--users .*no such file"):
        _users_path(tmp_path, str(tmp_path / "absent.json"), no_guests=False)
    with pytest.raises(InputError, match="--no-guests needs a users file"):
        _users_path(tmp_path, None, no_guests=True)


def test_project_users_file_switches_sign_in_on(tmp_path):
    UserStore(tmp_path / "users.json").set_user("wang", "pw-1234567", "editor")
    users = _users_path(tmp_path, None, no_guests=False)
    assert users == (tmp_path / "users.json").resolve()
    provider = serve_kwargs(tmp_path, users_path=users)["auth_provider"]
    assert provider.login_url == "/login" and provider.allow_guests
    assert provider.users.path == users  # passed as an argument, no environment variable
    assert "XYSITING_USERS" not in os.environ


def test_explicit_users_file_and_no_guests(tmp_path):
    users = tmp_path / "elsewhere.json"
    UserStore(users).set_user("wang", "pw-1234567", "editor")
    path = _users_path(tmp_path / "project", str(users), no_guests=True)
    provider = serve_kwargs(tmp_path, users_path=path, allow_guests=False)["auth_provider"]
    assert provider.users.path == users.resolve() and not provider.allow_guests


def test_secret_is_made_once_private_and_reused(tmp_path):
    first = serve_kwargs(tmp_path)["secret_key"]
    path = tmp_path / ".server_secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert serve_kwargs(tmp_path)["secret_key"] == first  # same secret after a restart
    assert server_secret(tmp_path, secret="g" * 40) == b"g" * 40
    assert serve_kwargs(tmp_path, secret="g" * 40)["secret_key"] != first
    with pytest.raises(InputError, match="at least 32"):
        server_secret(tmp_path, secret="short")
    path.chmod(0o644)
    with pytest.raises(InputError, match="readable by other users"):
        server_secret(tmp_path)


def test_password_policy_when_adding_users(tmp_path):
    store = UserStore(tmp_path / "users.json")
    with pytest.raises(InputError, match="at least 10"):
        store.set_user("wang", "short-pw", "editor")
    with pytest.raises(InputError, match="must not be the user name"):
        store.set_user("wangxiaoming", "WangXiaoMing", "editor")
    store.set_user("wang", "long-enough-pw\r\n", "editor")  # as read by --password-stdin on Windows
    assert store.verify("wang", "long-enough-pw")
    assert not store.verify("wang", "long-enough-pw\r\n")
    with pytest.raises(InputError, match="at least 10"):
        store.set_user("li", "123456789\r\n", "viewer")  # 9 characters once stripped
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_sign_ins_are_revoked_expire_and_survive_a_restart(tmp_path):
    table = SignInTable(tmp_path / ".signins.json")
    nonce = table.issue("wang")
    assert table.user_for(nonce) == "wang" and table.user_for("made-up") is None
    assert SignInTable(tmp_path / ".signins.json").user_for(nonce) == "wang"  # restart
    assert nonce not in (tmp_path / ".signins.json").read_text()  # only hashes at rest
    assert stat.S_IMODE((tmp_path / ".signins.json").stat().st_mode) == 0o600
    table.revoke(nonce)
    assert table.user_for(nonce) is None
    assert SignInTable(tmp_path / ".signins.json").user_for(nonce) is None
    short = SignInTable(tmp_path / "short.json", max_age_s=0.0)
    assert short.user_for(short.issue("wang")) is None


def test_rate_limiter_counts_per_user_and_address():
    limiter = LoginRateLimiter(per_user_address=3, per_address=5, per_user=4, window_s=60)
    assert [limiter.acquire("wang", "a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("wang", "a") > 0  # 4th from the same address
    assert limiter.acquire("wang", "b") == 0.0  # another address still may
    limiter.forgive("wang", "b")  # it was the right password
    assert limiter.acquire("li", "a") == 0.0 and limiter.acquire("zhao", "a") == 0.0
    assert limiter.acquire("qian", "a") > 0  # 5 from address a
    assert limiter.acquire("wang", "c") == 0.0  # 4th of wang overall (one forgiven)
    assert limiter.acquire("wang", "d") > 0  # 5th of wang overall
