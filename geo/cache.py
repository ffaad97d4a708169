"""The atlas's one cache helper: bounded, thread-safe memoisation keyed by content.

Library code (``geo``, ``layers``, ``siting``) remembers expensive, read-only results with
:func:`memoize` — a least-recently-used cache from ``cachetools`` behind a lock — keyed by
what identifies the inputs: :func:`file_key` for a file's current content, :func:`array_key`
for an array's bytes.  The dashboard uses ``pn.cache`` for the same purpose.  Cached values
are shared between callers (and dashboard sessions), so they must be treated as read-only.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

import cachetools
import cachetools.keys
import numpy as np

__all__ = ["array_key", "file_key", "memoize"]


def memoize(maxsize: int, *, key: Callable[..., object] | None = None) -> Callable:
    """Decorator: remember the results of the last ``maxsize`` distinct calls.

    Parameters
    ----------
    maxsize : int
        Number of results kept; the least recently used is dropped first.
    key : callable, optional
        Maps the call's arguments to a hashable key (default: the arguments themselves,
        which must then be hashable).  Use :func:`file_key` / :func:`array_key` inside it
        for files and arrays.

    Returns
    -------
    callable
        A decorator.  The decorated function has ``cache_clear()`` and ``cache_info()``.
        Thread-safe: two threads asking for the same missing key may both compute it, and
        the first result stored is kept.
    """
    if int(maxsize) < 1:
        msg = f"maxsize must be at least 1, got {maxsize!r}"
        raise ValueError(msg)
    return cachetools.cached(
        cachetools.LRUCache(maxsize=int(maxsize)),
        key=key or cachetools.keys.hashkey,
        lock=threading.RLock(),
        info=True,
    )


def file_key(path: str | os.PathLike) -> tuple[str, int, int]:
    """Identity of a file's current content: resolved path, size (bytes) and mtime (ns)."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    return (str(resolved), stat.st_size, stat.st_mtime_ns)


def array_key(arr: np.ndarray) -> str:
    """A digest of an array's shape, dtype and bytes."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(str(arr.shape).encode())
    digest.update(str(arr.dtype).encode())
    digest.update(np.ascontiguousarray(arr).tobytes())
    return digest.hexdigest()
