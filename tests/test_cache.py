"""geo.cache: the one memoisation helper (bounded LRU, content keys) and its users."""

import os
import threading

import numpy as np
import pytest

from geo.cache import array_key, file_key, memoize


def test_memoize_keeps_the_last_maxsize_results():
    calls = []

    @memoize(2)
    def double(x):
        calls.append(x)
        return [x * 2]  # a fresh object per computation

    first = double(1)
    assert double(1) is first  # served from the cache
    double(2)
    double(3)  # evicts 1, the least recently used
    assert double(1) is not first
    assert calls == [1, 2, 3, 1]
    assert double.cache_info().maxsize == 2
    double.cache_clear()
    assert double.cache_info().currsize == 0
    with pytest.raises(ValueError, match="maxsize"):
        memoize(0)


def test_memoize_with_a_key_function_and_threads():
    @memoize(4, key=lambda arr: array_key(arr))
    def total(arr):
        return float(arr.sum())

    arr = np.arange(10.0)
    results = []
    threads = [threading.Thread(target=lambda: results.append(total(arr))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [45.0] * 8
    assert total.cache_info().currsize == 1
    assert array_key(arr) != array_key(arr.astype("float32"))
    assert array_key(arr) != array_key(arr.reshape(2, 5))


def test_file_key_changes_with_the_content(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("one")
    before = file_key(path)
    assert file_key(tmp_path / "." / "a.txt") == before  # resolved path
    path.write_text("three")
    os.utime(path, ns=(before[2] + 10**9, before[2] + 10**9))
    assert file_key(path) != before


def test_point_cost_matrix_is_reused_for_the_same_network_and_points():
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    from geo.network import RoadNetwork
    from geo.snap import snap_points
    from siting.waste._inputs import cached_point_cost_matrix

    roads = gpd.GeoDataFrame(
        {"highway": ["primary", "primary"], "oneway": [False, False]},
        geometry=[LineString([(0, 0), (1000, 0)]), LineString([(1000, 0), (1000, 1000)])],
        crs="EPSG:32649",
    ).to_crs("EPSG:4326")
    network = RoadNetwork.from_lines(roads)
    points = gpd.GeoSeries([Point(10, 5), Point(990, 990)], crs="EPSG:32649").to_crs("EPSG:4326")
    snapped = snap_points(network, points, max_snap_m=100, what="test")
    first = cached_point_cost_matrix(network, snapped.iloc[[0]], snapped.iloc[[1]])
    assert cached_point_cost_matrix(network, snapped.iloc[[0]], snapped.iloc[[1]]) is first
    other = RoadNetwork.from_lines(roads)  # an equal but distinct network is not confused with it
    assert cached_point_cost_matrix(other, snapped.iloc[[0]], snapped.iloc[[1]]) is not first
    assert first.length_m[0, 0] == pytest.approx(1980, abs=30)
