"""A small in-process LRU cache for expensive wind steps (reprojection, rasterised buffers)."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np


class LRU:
    """Least-recently-used mapping with a fixed number of entries (thread-safe).

    Cached arrays are made read-only by the callers, so sharing them is safe.
    """

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key):
        """The cached value or None."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
            self.misses += 1
            return None

    def put(self, key, value) -> None:
        """Store ``value``, evicting the least recently used entries beyond ``maxsize``."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._data.clear()


#: Hub-height resources on a grid (a city grid at 100 m: about 14 MB each).
RESOURCES = LRU(4)
#: Exclusion masks (a city grid at 100 m: 3.5 MB per boolean mask, 14 MB per weighted one).
MASKS = LRU(48)


def file_key(path: str | os.PathLike) -> tuple:
    """Identity of a file's current content: path, size and modification time."""
    p = Path(path).resolve()
    st = p.stat()
    return (str(p), st.st_size, st.st_mtime_ns)


def array_key(arr: np.ndarray) -> str:
    """A digest of an array's bytes and shape."""
    h = hashlib.blake2b(digest_size=16)
    h.update(str(arr.shape).encode())
    h.update(str(arr.dtype).encode())
    h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def clear_cache() -> None:
    """Forget every cached resource grid and exclusion mask."""
    RESOURCES.clear()
    MASKS.clear()
