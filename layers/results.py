"""Analysis results stored in the project, keyed by a content hash of what they read.

Layout inside a project folder::

    DIR/results/ANALYSIS/KEY/
        meta.json               analysis, key, params, inputs (name → fingerprint), created, extra
        NAME.parquet            one GeoParquet (or Parquet) file per result frame, or
        NAME/part.N.parquet     a partitioned GeoParquet dataset (the dask engine)
    DIR/results/ANALYSIS/.tmp-PID-*     a write in progress, or left by a killed writer

``KEY`` is the SHA-256 of the analysis name, its parameters (assumptions, weather, options)
and the fingerprints of every input (:mod:`layers.fingerprint`).  A result is written into a
temporary folder and becomes visible by one ``rename`` of the whole folder, with
``meta.json`` written last, so a reader sees either a complete result or none, and a
crash mid-write leaves the previous result readable.  A stored result whose key differs
from the key its parameters give on today's inputs is *stale*: :meth:`ResultStore.get` is
always asked with today's key, so a stale result is never served as current.

Why GeoParquet files and not GeoPackage layers: the project's GeoPackage is replaced
whole on every write (that is what makes layer imports atomic), which for a million-row
result would copy gigabytes per analysis; result folders are written once, never
modified, and swapped by a rename.  GeoParquet is columnar (the dashboard reads the five
columns it draws of a million rooftops in well under a second), is what dask-geopandas
writes partition-wise for a province, and keeps WGS84 geometries and dtypes exactly.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq

from geo.errors import InputError
from layers.fingerprint import canonical_json, value_fingerprint

RESULTS_DIR = "results"
META_NAME = "meta.json"
_TMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class StoredResult:
    """One stored result: its folder and ``meta.json``.

    Attributes
    ----------
    analysis : str
        ``solar``, ``wind``, ``waste``, ``site``, ...
    key : str
        SHA-256 hex digest of analysis, params and input fingerprints.
    path : pathlib.Path
        The result folder.
    meta : dict
        ``params``, ``inputs``, ``created`` (UTC ISO time) and ``extra`` (totals,
        assumptions and whatever the analysis keeps beside its frames).
    """

    analysis: str
    key: str
    path: Path
    meta: dict

    @property
    def params(self) -> dict:
        """The parameters the result was computed with."""
        return self.meta.get("params", {})

    @property
    def extra(self) -> dict:
        """Totals, assumptions and other values stored beside the frames."""
        return self.meta.get("extra", {})

    def names(self) -> list[str]:
        """Names of the stored frames."""
        return list(self.meta.get("frames", []))

    def read(self, name: str, *, columns: list[str] | None = None) -> pd.DataFrame:
        """Read frame ``name`` (a GeoDataFrame when it was stored with geometry)."""
        if name not in self.names():
            msg = f"result {self.analysis}/{self.key[:12]} has no frame {name!r}; it has {', '.join(self.names())}"
            raise InputError(msg)
        path = _frame_path(self.path, name)
        geometry = _geometry_column(path)
        if geometry is not None and (columns is None or geometry in columns):
            return gpd.read_parquet(path, columns=columns)
        return pd.read_parquet(path, columns=columns)  # attributes only: no geometry asked for

    def read_dask(self, name: str, *, columns: list[str] | None = None):
        """Frame ``name`` as a lazy dask(-geo)pandas frame, one partition per stored part.

        For results of the dask engine (a partitioned GeoParquet folder) nothing is read
        until computed, partition by partition; a single-file frame is opened the same way.
        """
        import dask.dataframe as dd
        import dask_geopandas

        if name not in self.names():
            msg = f"result {self.analysis}/{self.key[:12]} has no frame {name!r}; it has {', '.join(self.names())}"
            raise InputError(msg)
        path = _frame_path(self.path, name)
        geometry = _geometry_column(path)
        if geometry is not None and (columns is None or geometry in columns):
            return dask_geopandas.read_parquet(str(path), columns=columns)
        return dd.read_parquet(str(path), columns=columns)


class ResultStore:
    """The results of one project (``DIR/results``); see the module docstring."""

    def __init__(self, project):
        self.project = project
        self.root = Path(project.path) / RESULTS_DIR

    # -- keys ---------------------------------------------------------------------------
    @staticmethod
    def key(analysis: str, *, params: Mapping, inputs: Mapping[str, str]) -> str:
        """The key of ``analysis`` run with ``params`` on inputs with these fingerprints."""
        return value_fingerprint({"analysis": analysis, "params": dict(params), "inputs": dict(inputs)})

    # -- reading --------------------------------------------------------------------------
    def get(self, analysis: str, key: str) -> StoredResult | None:
        """The complete result stored under ``key``, or None."""
        folder = self.root / analysis / key
        meta_path = folder / META_NAME
        if not meta_path.is_file():
            return None
        return StoredResult(analysis, key, folder, json.loads(meta_path.read_text(encoding="utf-8")))

    def entries(self, analysis: str | None = None) -> list[StoredResult]:
        """Every complete stored result (of ``analysis``, or of all), oldest first."""
        if not self.root.is_dir():
            return []
        folders = [self.root / analysis] if analysis else sorted(p for p in self.root.iterdir() if p.is_dir())
        out = []
        for folder in folders:
            if not folder.is_dir():
                continue
            for sub in folder.iterdir():
                if sub.name.startswith(_TMP_PREFIX):
                    continue
                stored = self.get(folder.name, sub.name)
                if stored is not None:
                    out.append(stored)
        return sorted(out, key=lambda s: (s.analysis, s.meta.get("created", "")))

    # -- writing --------------------------------------------------------------------------
    def put(
        self,
        analysis: str,
        key: str,
        *,
        frames: Mapping[str, object],
        params: Mapping,
        inputs: Mapping[str, str],
        extra: Mapping | None = None,
    ) -> StoredResult:
        """Store a result atomically and return it; an existing result of ``key`` is kept.

        Parameters
        ----------
        analysis, key : str
            Where to store (``key`` from :meth:`key`).
        frames : mapping of str to DataFrame, GeoDataFrame or dask collection
            Result frames; dask(-geo)pandas collections are written partition-wise.
        params, inputs : mapping
            Stored in ``meta.json``; together with ``analysis`` they give ``key``.
        extra : mapping, optional
            JSON-serialisable values kept beside the frames (totals, assumptions).

        After the write, results of the same analysis and parameters under other keys
        (stale: their inputs have changed since) are removed, and so are temporary
        folders left by writers that no longer run.
        """
        if key != self.key(analysis, params=params, inputs=inputs):
            msg = f"result key {key[:12]} does not match analysis {analysis!r}, its params and inputs"
            raise ValueError(msg)
        existing = self.get(analysis, key)
        if existing is not None:
            return existing
        folder = self.root / analysis
        folder.mkdir(parents=True, exist_ok=True)
        _remove_orphans(folder)
        tmp = folder / f"{_TMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            rows = {}
            for name, frame in frames.items():
                rows[name] = _write_frame(frame, _frame_path(tmp, name))
            meta = {
                "analysis": analysis,
                "key": key,
                "params": json.loads(canonical_json(params)),
                "params_id": value_fingerprint(params),
                "inputs": dict(inputs),
                "frames": list(frames),
                "rows": rows,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "extra": json.loads(canonical_json(extra or {})),
            }
            (tmp / META_NAME).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
            try:
                os.rename(tmp, folder / key)
            except OSError:
                if self.get(analysis, key) is None:  # not a concurrent writer of the same key
                    raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        stored = self.get(analysis, key)
        self._remove_superseded(stored)
        return stored

    def _remove_superseded(self, current: StoredResult) -> None:
        params_id = current.meta.get("params_id")
        for stored in self.entries(current.analysis):
            if stored.key != current.key and stored.meta.get("params_id") == params_id:
                shutil.rmtree(stored.path, ignore_errors=True)

    def delete(self, analysis: str | None = None) -> int:
        """Remove every stored result (of ``analysis``); return how many were removed."""
        removed = self.entries(analysis)
        for stored in removed:
            shutil.rmtree(stored.path, ignore_errors=True)
        return len(removed)


def summary(entries: Iterable[StoredResult], current_keys: Mapping[tuple[str, str], str]) -> pd.DataFrame:
    """One row per stored result with its status: ``current`` or ``stale``.

    ``current_keys`` maps (analysis, params_id) to the key those params give on today's
    inputs (:func:`siting.results.current_key`); a result whose key differs is stale.
    """
    rows = []
    for stored in entries:
        now = current_keys.get((stored.analysis, stored.meta.get("params_id", "")))
        rows.append(
            {
                "analysis": stored.extra.get("label", stored.analysis),
                "key": stored.key[:12],
                "created": stored.meta.get("created", ""),
                "status": "current" if now == stored.key else "stale",
            }
        )
    return pd.DataFrame(rows, columns=["analysis", "key", "created", "status"])


def _frame_path(folder: Path, name: str) -> Path:
    if not name.replace("_", "").isalnum():
        msg = f"result frame name {name!r} must be letters, digits and underscores"
        raise ValueError(msg)
    part_dir = folder / name
    return part_dir if part_dir.is_dir() else folder / f"{name}.parquet"


def _write_frame(frame, path: Path) -> int:
    """Write one frame (or a dask collection, partition-wise) and return its row count."""
    if hasattr(frame, "npartitions"):  # a dask(-geopandas) collection: one file per partition
        folder = path.with_suffix("")
        frame.to_parquet(folder, write_index=False)
        return sum(pq.read_metadata(part).num_rows for part in folder.glob("*.parquet"))
    frame.to_parquet(path, index=False)
    return len(frame)


def _geometry_column(path: Path) -> str | None:
    """The primary geometry column of a GeoParquet file or dataset, or None for plain Parquet."""
    first = next(iter(sorted(path.glob("*.parquet"))), None) if path.is_dir() else path
    if first is None:
        return None
    geo = (pq.read_schema(first).metadata or {}).get(b"geo")
    return json.loads(geo).get("primary_column", "geometry") if geo else None


def _remove_orphans(folder: Path) -> None:
    """Remove temporary folders of writers that no longer run (killed mid-write)."""
    for tmp in folder.glob(f"{_TMP_PREFIX}*"):
        pid = tmp.name[len(_TMP_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists but belongs to someone else, or the platform cannot tell
    return True
