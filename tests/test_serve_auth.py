"""``xysiting serve`` sign-in options (dashboard/commands/serve.py ``_auth_kwargs``)."""

from __future__ import annotations

import os

import pytest

from dashboard.commands.serve import _auth_kwargs
from geo.errors import InputError
from siting.progress import UserStore


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    monkeypatch.delenv("XYSITING_USERS", raising=False)
    monkeypatch.delenv("XYSITING_COOKIE_SECRET", raising=False)


def test_no_users_file_means_no_sign_in(tmp_path):
    assert _auth_kwargs(tmp_path, None, no_guests=False) == {}


def test_missing_users_file_or_no_guests_without_users_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"--users .*no such file"):
        _auth_kwargs(tmp_path, str(tmp_path / "absent.json"), no_guests=False)
    with pytest.raises(InputError, match="--no-guests needs a users file"):
        _auth_kwargs(tmp_path, None, no_guests=True)


def test_project_users_file_switches_sign_in_on(tmp_path, monkeypatch):
    UserStore(tmp_path / "users.json").set_user("wang", "pw-123456", "editor")
    monkeypatch.setenv("XYSITING_COOKIE_SECRET", "s" * 40)
    auth = _auth_kwargs(tmp_path, None, no_guests=False)
    assert auth["oauth_optional"] is True
    assert auth["cookie_secret"] == "s" * 40
    assert auth["auth_provider"].login_url == "/login"
    assert os.environ["XYSITING_USERS"] == str((tmp_path / "users.json").resolve())


def test_explicit_users_file_and_no_guests(tmp_path):
    users = tmp_path / "elsewhere.json"
    UserStore(users).set_user("wang", "pw-123456", "editor")
    auth = _auth_kwargs(tmp_path / "project", str(users), no_guests=True)
    assert auth["oauth_optional"] is False
    assert os.environ["XYSITING_USERS"] == str(users.resolve())  # the write path checks it
