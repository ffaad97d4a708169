"""Atomic file writes: write to a temporary file beside the target, then rename.

A reader never sees a half-written file, and a failed write leaves the old file as it was.
A full disk during the write raises :class:`DiskFullError` (an InputError: exit status 2 in
the command line) naming the file.  A writer killed mid-write leaves its temporary file
behind; :func:`remove_stale_temp_files` removes such files, and is meant to be called by
the next writer while it holds the lock every writer of the file takes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from geo.errors import InputError

#: A write that fails while less than this many bytes are free on the device is reported
#: as a full disk (GDAL and SQLite do not always pass ENOSPC on: "no such table", ...).
_NEARLY_FULL_BYTES = 1024**2
_SQLITE_SIDECARS = ("", "-journal", "-wal", "-shm")


class DiskFullError(InputError):
    """No space left on the device while writing a file; the file is unchanged."""


def _free_bytes(folder: Path) -> int | None:
    try:
        st = os.statvfs(folder)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def _at_file_size_limit(exc: BaseException, paths) -> bool:
    """True if the process has a file-size limit (RLIMIT_FSIZE) and the write hit it: one of
    ``paths`` has grown to it, or the writer reports an I/O error (SQLite rolls the file back
    and says "disk I/O error" when a write fails with EFBIG)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft == resource.RLIM_INFINITY:
        return False
    text = str(exc).lower()
    if "i/o error" in text or "file too large" in text:
        return True
    sizes = [p.stat().st_size for p in map(Path, paths) if p.is_file()]
    return any(size >= soft - _NEARLY_FULL_BYTES for size in sizes)


def is_disk_full(exc: BaseException, folder: str | os.PathLike, *, written=()) -> bool:
    """True if ``exc``, raised while writing into ``folder``, was caused by a full disk, a quota
    or the file-size limit (``written``: the files being written, to compare with that limit)."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return True
    text = str(exc).lower()
    if "no space left" in text or "disk is full" in text or "disk full" in text or "quota exceeded" in text:
        return True
    free = _free_bytes(Path(folder))
    return (free is not None and free < _NEARLY_FULL_BYTES) or _at_file_size_limit(exc, written)


def _disk_full_error(dest: Path, exc: BaseException) -> DiskFullError:
    free = _free_bytes(dest.parent)
    left = f"{free / 1024**2:.1f} MiB free" if free is not None else "free space unknown"
    what = "" if free is None or free < _NEARLY_FULL_BYTES else "the file reached the file-size limit"
    msg = (
        f"{dest}: the disk is full ({what or 'no space left on the device'}; {left}) — nothing was changed, "
        f"{dest.name} is as it was. Free some space on the disk holding {dest.parent} and run the command again"
    )
    return DiskFullError(msg)


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

    Raises
    ------
    DiskFullError
        The device filled up (ENOSPC, quota, file-size limit) during the write; the
        temporary file is removed and ``dest`` is unchanged.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    suffix = dest.suffix if suffix is None else suffix
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=f".tmp{suffix}", dir=dest.parent)
    except OSError as exc:
        if is_disk_full(exc, dest.parent):
            raise _disk_full_error(dest, exc) from exc
        raise
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as pyogrio refuse to write over an existing file
    try:
        yield tmp
        if not tmp.exists():
            msg = f"nothing was written to {tmp} for {dest}"
            raise RuntimeError(msg)
        os.replace(tmp, dest)
    except InputError:
        raise
    except Exception as exc:
        # judge while the temporary file still takes its space
        if is_disk_full(exc, dest.parent, written=[tmp, *(f"{tmp}{side}" for side in _SQLITE_SIDECARS[1:])]):
            raise _disk_full_error(dest, exc) from exc
        raise
    finally:
        for path in (tmp, *(Path(f"{tmp}{side}") for side in _SQLITE_SIDECARS[1:])):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink()


def _temp_pattern(dest: Path) -> re.Pattern:
    # names made by tempfile.mkstemp in atomic_path: ".STEM.<8 random chars>.tmpSUFFIX" (+ SQLite sidecars)
    sidecars = "|".join(re.escape(s) for s in _SQLITE_SIDECARS[1:])
    return re.compile(rf"^\.{re.escape(dest.stem)}\.[a-z0-9_]{{8}}\.tmp{re.escape(dest.suffix)}({sidecars})?$")


def remove_stale_temp_files(dest: str | os.PathLike, *, older_than: float | None = None) -> list[Path]:
    """Remove temporary files that :func:`atomic_path` left beside ``dest`` (a killed writer's).

    Call it only while holding the lock that every writer of ``dest`` holds for the whole
    write: then a temporary file of ``dest`` last modified before the lock was taken
    (``older_than``, a :func:`time.time` value; default now) belongs to no running writer.
    Files modified at or after ``older_than`` and files of other names are left alone.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    dest = Path(dest)
    cutoff = time.time() if older_than is None else float(older_than)
    pattern = _temp_pattern(dest)
    removed = []
    try:
        entries = list(os.scandir(dest.parent))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.match(entry.name):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime >= cutoff:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


def atomic_write_bytes(dest: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``dest`` atomically and return ``dest`` as a Path."""
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)
    return Path(dest)


def atomic_write_text(dest: str | os.PathLike, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``dest`` atomically and return ``dest`` as a Path."""
    return atomic_write_bytes(dest, text.encode(encoding))
