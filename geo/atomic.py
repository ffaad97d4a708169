"""Atomic file writes: write to a temporary file beside the target, then rename.

A reader never sees a half-written file, and a failed write leaves the old file as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it onto ``dest`` on success.

    Parameters
    ----------
    dest : path-like
        The final file.  Its folder is created if missing.
    suffix : str, optional
        Suffix for the temporary file (drivers such as GDAL pick the format from it);
        defaults to the suffix of ``dest``.

    Yields
    ------
    pathlib.Path
        A path that does not exist yet; write the whole file there.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    suffix = dest.suffix if suffix is None else suffix
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=f".tmp{suffix}", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as pyogrio refuse to write over an existing file
    try:
        yield tmp
        if not tmp.exists():
            msg = f"nothing was written to {tmp} for {dest}"
            raise RuntimeError(msg)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            if tmp.is_dir():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                tmp.unlink()


def atomic_write_bytes(dest: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``dest`` atomically and return ``dest`` as a Path."""
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)
    return Path(dest)


def atomic_write_text(dest: str | os.PathLike, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``dest`` atomically and return ``dest`` as a Path."""
    return atomic_write_bytes(dest, text.encode(encoding))
