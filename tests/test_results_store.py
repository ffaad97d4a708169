"""Stored analysis results: keyed by inputs, reused while current, atomic under SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _dashboard_project import build_project

from dashboard.cli import main
from layers.project import Project
from layers.results import ResultStore
from siting import results
from siting.solar import PVAssumptions, default_weather


@pytest.fixture
def project(tmp_path) -> Project:
    return build_project(tmp_path / "p", n_rooftops=300)


def _shift_sources(project: Project, factor: float) -> None:
    sources = project.read("waste_sources")
    sources["supply_t_per_year"] = sources["supply_t_per_year"] * factor
    project.write("waste_sources", sources)


def test_layer_fingerprint_follows_content_not_time(project):
    before = project.fingerprint("waste_sources")
    project.write("waste_sources", project.read("waste_sources"))  # same content, new write
    assert project.fingerprint("waste_sources") == before
    _shift_sources(project, 1.5)
    assert project.fingerprint("waste_sources") != before


def test_result_is_reused_when_nothing_changed(project):
    first = results.waste(project, waste_kind="phosphogypsum")
    second = results.waste(project, waste_kind="phosphogypsum")
    assert not first.reused and second.reused
    assert second.stored.key == first.stored.key
    routing = results.load_routing(second.stored)
    assert routing.totals["supply_t_per_year"] == pytest.approx(first.stored.extra["totals"]["supply_t_per_year"])
    assert len(routing.flows) == first.stored.meta["rows"]["flows"]


def test_changed_input_layer_recomputes_and_stale_is_never_served(project):
    old = results.waste(project, waste_kind="phosphogypsum").stored
    supply_before = old.extra["totals"]["supply_t_per_year"]
    _shift_sources(project, 2.0)
    table = results.status_table(project)
    assert table.loc[table["key"] == old.key[:12], "status"].item() == "stale"
    fresh = results.waste(project, waste_kind="phosphogypsum")
    assert not fresh.reused and fresh.stored.key != old.key
    assert fresh.stored.extra["totals"]["supply_t_per_year"] == pytest.approx(2 * supply_before)
    assert not old.path.exists()  # superseded once the new result is complete
    assert set(results.status_table(project)["status"]) == {"current"}


def test_changed_weather_or_assumption_recomputes(project):
    base = results.solar(project)
    assert results.solar(project).reused
    assert results.solar(project, weather=default_weather()).reused  # the same weather, given explicitly
    cheaper = results.solar(project, assumptions=PVAssumptions().with_overrides(["capex_cny_per_w=2.5"]))
    assert not cheaper.reused and cheaper.stored.key != base.stored.key
    weather = default_weather()
    data = weather.data.copy()
    data[["ghi", "dni", "dhi"]] *= 0.9
    dimmer = results.solar(project, weather=type(weather)(data, weather.latitude, weather.longitude, weather.altitude))
    assert not dimmer.reused
    kwh = {o.stored.key: o.stored.read("rooftops")["kwh_per_year"].sum() for o in (base, dimmer)}
    assert kwh[dimmer.stored.key] < kwh[base.stored.key]


def test_different_options_are_different_results(project):
    one = results.site(project, waste_kind="phosphogypsum", k=1)
    two = results.site(project, waste_kind="phosphogypsum", k=2)
    assert one.stored.key != two.stored.key
    assert len(results.load_siting(two.stored).chosen) == 2
    assert results.site(project, waste_kind="phosphogypsum", k=1).reused  # k=2 did not supersede k=1


def test_put_refuses_a_key_that_does_not_match(project):
    store = project.results
    with pytest.raises(ValueError, match="does not match"):
        store.put("waste", "0" * 64, frames={}, params={"a": 1}, inputs={})


def test_cli_run_reports_reuse_and_layers_shows_status(project, capsys):
    assert main(["run", str(project.path), "--only", "waste", "--quiet"]) == 0
    assert "computed waste phosphogypsum" in capsys.readouterr().out
    assert main(["run", str(project.path), "--only", "waste", "--quiet"]) == 0
    assert "reused 2 current result(s)" in capsys.readouterr().out
    _shift_sources(project, 3.0)
    assert main(["layers", str(project.path)]) == 0
    out = capsys.readouterr().out
    assert "waste phosphogypsum" in out and "stale" in out
    assert main(["run", str(project.path), "--only", "bogus"]) == 2
    assert "--only bogus" in capsys.readouterr().err


def _complete_results(project: Project) -> list:
    """Every stored result, each read whole; fails on a half-written one."""
    store = ResultStore(project)
    found = []
    for stored in store.entries():
        for name in stored.names():
            frame = stored.read(name)
            assert len(frame) == stored.meta["rows"][name], (stored.path, name)
        found.append(stored)
    return found


def test_sigkill_during_run_leaves_old_or_new_never_a_mix(project, tmp_path):
    """Kill ``xysiting run`` at several moments; every visible result stays whole."""
    results.waste(project, waste_kind="phosphogypsum")
    old_keys = {s.key for s in ResultStore(project).entries()}
    _shift_sources(project, 1.25)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "dashboard.cli", "run", str(project.path), "--quiet"]
    for delay in (0.5, 2.0, 4.0, 6.0):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        Project.open(project.path).read("waste_sources")  # the project stays readable
        visible = _complete_results(project)
        pg = [s for s in visible if s.analysis == "waste" and s.params["waste_kind"] == "phosphogypsum"]
        assert len(pg) == 1  # the old or the new result, never none, never both half
    assert subprocess.run(cmd, env=env, capture_output=True, check=False).returncode == 0
    final = _complete_results(project)
    assert old_keys.isdisjoint({s.key for s in final})  # the stale one was replaced
    assert not list((project.path / "results").glob("*/.tmp-*"))  # orphans of killed runs removed


def test_partitioned_frames_round_trip(project):
    dask_geopandas = pytest.importorskip("dask_geopandas")
    frame = gpd.GeoDataFrame(
        {"id": [f"r{i}" for i in range(1000)], "kwh_per_year": np.arange(1000.0)},
        geometry=shapely.points(np.linspace(112, 112.1, 1000), np.full(1000, 32.0)),
        crs="EPSG:4326",
    )
    store = project.results
    inputs = {"rooftops": project.fingerprint("rooftops")}
    key = store.key("demo", params={"n": 4}, inputs=inputs)
    ddf = dask_geopandas.from_geopandas(frame, npartitions=4)
    stored = store.put(
        "demo", key, frames={"rooftops": ddf, "table": pd.DataFrame({"a": [1, 2]})}, params={"n": 4}, inputs=inputs
    )
    assert (stored.path / "rooftops").is_dir()
    back = stored.read("rooftops")
    assert isinstance(back, gpd.GeoDataFrame) and len(back) == 1000
    assert back["kwh_per_year"].sum() == frame["kwh_per_year"].sum()
    assert json.loads((stored.path / "meta.json").read_text())["rows"]["table"] == 2


def test_sessions_asking_for_the_same_what_if_share_one_computation(project):
    from concurrent.futures import Future, ThreadPoolExecutor

    from dashboard._jobs import ResultJobs
    from layers.results import StoredResult

    jobs = ResultJobs()
    options = {"waste_kind": "construction", "k": 1}
    try:
        with ThreadPoolExecutor(4) as pool:
            asked = list(pool.map(lambda _: jobs.get(project.path, "site", options), range(4)))
        assert all(isinstance(a, Future) for a in asked)
        assert len({id(a) for a in asked}) == 1  # one computation for four sessions
        outcome = asked[0].result(timeout=600)
        assert not outcome.reused
        again = jobs.get(project.path, "site", options)
        assert isinstance(again, StoredResult) and again.key == outcome.stored.key
        assert jobs.running() == 0
        assert len(project.results.entries("site")) == 1
    finally:
        jobs.shutdown()
