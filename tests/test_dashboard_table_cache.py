"""The dashboard's rooftop table kept beside a stored rooftop-PV result (Arrow, memory-mapped).

``xysiting run`` writes it, a server start reads it instead of decoding the GeoParquet
result; it must equal the decoded table, and a torn file or one made for another result is
never used.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dashboard_project import build_project


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    from dashboard.cli import main

    project = build_project(tmp_path_factory.mktemp("table_cache") / "project", n_rooftops=500)
    assert main(["run", str(project.path), "--only", "solar", "--quiet"]) == 0
    return project


def _stored(project):
    from dashboard import _solar_data

    stored = _solar_data.stored_result(project)
    assert stored is not None
    return stored


def test_run_keeps_the_table_beside_the_result_and_it_equals_the_decoded_one(project):
    from dashboard import _solar_data

    stored = _stored(project)
    path = stored.path / _solar_data.TABLE_CACHE
    assert path.is_file()  # written by `xysiting run`
    decoded = _solar_data._decode_stored_table(stored)
    cached = _solar_data._read_table_cache(stored)
    assert cached is not None
    pd.testing.assert_frame_equal(cached, decoded)
    assert cached.attrs == decoded.attrs and cached.attrs["solar"]["result_key"] == stored.key[:12]
    assert list(cached["county"].cat.categories) == sorted(cached["county"].cat.categories)
    assert not cached["kwp"].to_numpy().flags.writeable  # memory-mapped, shared read-only
    # nothing in the result's own frames changed
    assert stored.names() == ["rooftops"] or "rooftops" in stored.names()


def _replace(path: Path, data: bytes) -> None:
    """Replace ``path`` by a new file (never rewritten in place: readers memory-map it)."""
    tmp = path.with_name(path.name + ".test")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def test_a_torn_or_foreign_cache_is_never_used(project):
    from dashboard import _solar_data

    stored = _stored(project)
    path = stored.path / _solar_data.TABLE_CACHE
    good = path.read_bytes()
    decoded = _solar_data._decode_stored_table(stored)
    try:
        _replace(path, good[: len(good) // 2])  # torn
        assert _solar_data._read_table_cache(stored) is None
        pd.testing.assert_frame_equal(_solar_data.read_stored_table(stored), decoded)  # decoded, rewritten
        assert _solar_data._read_table_cache(stored) is not None

        # a table made for another result (another key) is ignored
        table = pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()
        meta = dict(table.schema.metadata)
        meta[b"xysiting_table"] = meta[b"xysiting_table"].replace(stored.key.encode(), b"0" * len(stored.key))
        other = table.slice(0, 3).replace_schema_metadata(meta)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_file(sink, other.schema) as writer:
            writer.write_table(other)
        _replace(path, sink.getvalue().to_pybytes())
        assert _solar_data._read_table_cache(stored) is None
        assert len(_solar_data.read_stored_table(stored)) == len(decoded)
    finally:
        _replace(path, good)
