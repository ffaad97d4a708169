"""Shared fixtures: the real data in ../shared/data when present, small projects."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("XYSITING_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real-data folder; skipped when absent (outside CI)."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the shared data folder at {SHARED_DATA}")
        pytest.skip(f"shared data folder {SHARED_DATA} not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def default_project_dir(tmp_path_factory) -> Path:
    """The embedded Xiangyang default project, built once per test session through the CLI.

    Tests must treat it as read-only (copy it with ``shutil.copytree`` before changing it).
    """
    from dashboard.cli import main

    path = tmp_path_factory.mktemp("default") / "xiangyang"
    assert main(["init", str(path), "--quiet"]) == 0
    return path


@pytest.fixture(autouse=True)
def _users_env_stays_in_its_test(monkeypatch):
    """``serve_auth_kwargs`` exports ``$XYSITING_USERS`` for the server's write path; undo it after
    each test so later tests (and the projects they build) use their own ``DIR/users.json``.

    (``monkeypatch.delenv(..., raising=False)`` of an unset variable records nothing, so a test
    that deletes it and then calls code that sets it would leak the value.)
    """
    monkeypatch.setenv("XYSITING_USERS", "")
    monkeypatch.delenv("XYSITING_USERS")
