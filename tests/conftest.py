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
