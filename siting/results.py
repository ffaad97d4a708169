"""Compute-once analyses: each result is stored in the project and read back while current.

Every analysis here reads its inputs from the project, derives the result key from their
fingerprints and its parameters (:class:`layers.results.ResultStore`), returns the stored
result when the key is there and otherwise computes, stores and returns it.  The CLI
(``xysiting run``, ``solar``, ``route``, ``site``) and the dashboard call these functions, so
one computation serves every later reader.

=========  ==================================  =============================================
analysis   layers read (fingerprinted)         frames
=========  ==================================  =============================================
solar      rooftops                            ``rooftops`` (one row per rooftop)
waste      waste_sources, facilities, roads    ``flows``, ``unmet``, ``facility_use``
site       as waste, plus industrial_parks     ``before_*``/``after_*`` (as waste),
           (unless candidates are given)       ``candidates``, ``chosen``
=========  ==================================  =============================================

Parameters (assumptions, options, and the weather year, an OSM file or candidate sites,
each by content fingerprint) identify *which* result is asked for; the fingerprints of the
layers read decide whether a stored one is still *current*.

Progress is reported through a ``progress(fraction, message)`` callback; only the CLI
draws bars.

Why one module over 500 lines: keys, storing and loading of the four analyses must stay in
step (the same parameters give the same key everywhere), so they live together.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

import geopandas as gpd
import pandas as pd

from geo.cache import memoize
from geo.errors import InputError
from layers.fingerprint import file_fingerprint, frame_fingerprint, value_fingerprint
from layers.project import Project
from layers.results import ResultStore, StoredResult

#: Bump when an analysis' method changes so older stored results become stale.
METHOD_VERSIONS = {"solar": 2, "waste": 2, "site": 2, "wind": 1}

#: New-facility counts ``xysiting run`` keeps current for each waste kind (other k: on request).
DEFAULT_SITE_K = (1, 2)

Progress = Callable[[float, str], None]

#: Analyses stored by this module.
ANALYSES = ("solar", "wind", "waste", "site")


@dataclass(frozen=True)
class Outcome:
    """What :func:`solar`, :func:`waste` and :func:`site` return.

    Attributes
    ----------
    stored : StoredResult
        The stored result (read its frames with ``stored.read(name)``).
    reused : bool
        True when it was already stored and nothing was computed.
    """

    stored: StoredResult
    reused: bool


# -- fingerprints of inputs -------------------------------------------------------------------
def weather_fingerprint(weather) -> str:
    """Fingerprint of a :class:`siting.solar.Weather`: its hourly values, index and site."""
    site = {"latitude": weather.latitude, "longitude": weather.longitude, "altitude": weather.altitude}
    return value_fingerprint([frame_fingerprint(weather.data.reset_index()), site])


@memoize(1)
def _default_weather_fingerprint() -> str:
    from siting.solar import default_weather

    return weather_fingerprint(default_weather())


#: Layers the wind analysis reads when the project has them (the raster is required).
WIND_LAYERS = ("wind_resource", "counties", "exclusions", "rooftops", "roads", "grid", "power_plants")


def input_kinds(project: Project, analysis: str, params: Mapping) -> tuple[str, ...]:
    """The layers ``analysis`` run with ``params`` reads from ``project``."""
    if analysis == "solar":
        return ("rooftops",)
    if analysis == "wind":
        return ("wind_resource", *(k for k in WIND_LAYERS[1:] if project.has(k)))
    kinds = ("waste_sources", "facilities") + (() if params.get("osm_path") else ("roads",))
    if analysis == "site" and params.get("candidates") is None:
        kinds += ("industrial_parks",)
    return kinds


def _layer_inputs(project: Project, kinds: tuple[str, ...]) -> dict[str, str]:
    missing = [kind for kind in kinds if not project.has(kind)]
    if missing:
        msg = (
            f"project {project.path} has no {', '.join(missing)} layer; import it with "
            f"`xysiting import {project.path} --layer {missing[0]} FILE`"
        )
        raise InputError(msg)
    return {kind: project.fingerprint(kind) for kind in kinds}


def _fill_defaults(func: Callable, options: Mapping, *, skip: tuple[str, ...] = ()) -> dict:
    """``options`` completed with ``func``'s keyword defaults, so equal runs get equal keys."""
    params = {}
    for name, par in inspect.signature(func).parameters.items():
        if par.kind is not inspect.Parameter.KEYWORD_ONLY or name in skip:
            continue
        params[name] = options.get(name, par.default)
    unknown = set(options) - set(params) - set(skip)
    if unknown:
        msg = f"{func.__name__} has no option {', '.join(sorted(unknown))}"
        raise TypeError(msg)
    return params


def _label(analysis: str, params: Mapping, func: Callable | None = None) -> str:
    """``analysis`` with its identifying options and those that differ from ``func``'s defaults."""
    defaults = {}
    if func is not None:
        defaults = {n: p.default for n, p in inspect.signature(func).parameters.items()}
    shown = {
        k: v
        for k, v in params.items()
        if k in ("waste_kind", "k") or (k in defaults and k != "osm_path" and v != defaults[k])
    }
    return describe(analysis, shown)


def _open(project) -> Project:
    return project if isinstance(project, Project) else Project.open(project)


def _report(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(fraction, message)


# -- requests: which result, and under which key -------------------------------------------------
@dataclass(frozen=True)
class Request:
    """A result asked for: its analysis, parameters, the fingerprints of the layers it reads, its key."""

    analysis: str
    params: dict
    inputs: dict
    key: str


def request(project, analysis: str, options: Mapping) -> Request:
    """The :class:`Request` for ``analysis`` run with ``options`` on the project as it is now.

    Cheap: layer fingerprints are read from the project, nothing is computed.
    """
    from siting.waste import route_waste, site_new_facilities

    project = _open(project)
    if analysis == "solar":
        params = solar_params(
            weather=options.get("weather"),
            assumptions=options.get("assumptions"),
            shading=options.get("shading", True),
        )
    elif analysis == "wind":
        params = wind_params(**options)
    elif analysis in ("waste", "site"):
        func = route_waste if analysis == "waste" else site_new_facilities
        params = _waste_params(func, options, analysis)
    else:
        msg = f"unknown analysis {analysis!r}; choose from {', '.join(ANALYSES)}"
        raise InputError(msg)
    inputs = _layer_inputs(project, input_kinds(project, analysis, params))
    return Request(analysis, params, inputs, ResultStore.key(analysis, params=params, inputs=inputs))


def lookup(project, analysis: str, options: Mapping) -> StoredResult | None:
    """The current stored result for ``analysis`` with ``options``, or None (never a stale one)."""
    project = _open(project)
    return project.results.get(analysis, request(project, analysis, options).key)


def _reused(project: Project, req: Request, progress: Progress | None) -> Outcome | None:
    """The stored result of ``req`` as a reused :class:`Outcome`, or None when it must be computed."""
    hit = project.results.get(req.analysis, req.key)
    if hit is None:
        return None
    _report(progress, 1.0, "reused")
    return Outcome(hit, True)


def _stored(project: Project, req: Request, frames: Mapping, extra: Mapping, progress: Progress | None) -> Outcome:
    """Store a computed result of ``req`` and return it as a computed :class:`Outcome`."""
    stored = project.results.put(
        req.analysis, req.key, frames=frames, params=req.params, inputs=req.inputs, extra=extra
    )
    _report(progress, 1.0, "computed")
    return Outcome(stored, False)


# -- solar ----------------------------------------------------------------------------------
def solar_params(*, weather=None, assumptions=None, shading: bool = True) -> dict:
    """Parameters of a rooftop-PV run; the weather enters by its content fingerprint."""
    from siting.solar import PVAssumptions

    a = assumptions or PVAssumptions()
    fp = _default_weather_fingerprint() if weather is None else weather_fingerprint(weather)
    return {"method": METHOD_VERSIONS["solar"], "assumptions": asdict(a), "shading": bool(shading), "weather": fp}


def solar(
    project,
    *,
    weather=None,
    assumptions=None,
    shading: bool = True,
    engine: str = "pandas",
    client=None,
    partitions: int | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Rooftop PV of every rooftop (:func:`siting.solar.rooftop_potential`), stored.

    Parameters
    ----------
    project : Project or path
    weather : siting.solar.Weather, optional
        Default: the embedded Xiangyang weather year.
    assumptions : siting.solar.PVAssumptions, optional
    shading : bool
    engine : {"pandas", "dask"}
        ``"pandas"``: one frame in this process.  ``"dask"``: partition-wise on
        dask-geopandas (:mod:`siting.solar.scale`), written as a partitioned GeoParquet
        result.  Both give the same rows, so the engine is not part of the result key.
    client : distributed.Client, optional
        With ``engine="dask"``: run on this cluster (its workers must see the project
        folder); default the local threaded scheduler.
    partitions : int, optional
        With ``engine="dask"``: partitions (default one per 250,000 rooftops).
    progress : callable, optional
        ``progress(fraction, message)``.
    """
    from siting.solar import rooftop_potential

    project = _open(project)
    req = request(project, "solar", {"weather": weather, "assumptions": assumptions, "shading": shading})
    reused = _reused(project, req, progress)
    if reused is not None:
        return reused
    if engine not in ("pandas", "dask"):
        msg = f"unknown engine {engine!r}; choose pandas or dask"
        raise InputError(msg)
    label = "solar" if assumptions is None and shading else "solar (custom assumptions)"
    if engine == "dask":
        stored = _solar_dask(project, req, weather, assumptions, shading, client, partitions, label, progress)
        _report(progress, 1.0, "computed")
        return Outcome(stored, False)
    _report(progress, 0.05, "reading rooftops")
    rooftops = project.read("rooftops")
    _report(progress, 0.2, f"pvlib + shading, {len(rooftops):,} rooftops")
    result = rooftop_potential(rooftops, weather, assumptions=assumptions, shading=shading)
    _report(progress, 0.85, "storing")
    meta = dict(result.attrs.get("solar", {}))
    result.attrs = {}
    return _stored(project, req, {"rooftops": result}, {"metadata": meta, "label": label}, progress)


def _solar_dask(project, req, weather, assumptions, shading, client, partitions, label, progress) -> StoredResult:
    """The dask engine of :func:`solar`: read, compact, compute and store partition-wise.

    Intermediate GeoParquet (the Hilbert-sorted rooftops, the unranked result) is staged in
    a ``.tmp-PID-*`` folder of the results store, removed afterwards (or, after a crash, by
    the next write).
    """
    import os
    import shutil
    import uuid

    import dask

    from siting.solar import PVAssumptions, default_weather, scale

    a = assumptions or PVAssumptions()
    weather = weather or default_weather()
    folder = project.results.root / "solar"
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}-staging"
    with dask.config.set({"dataframe.shuffle.method": "tasks" if client is None else "p2p"}):
        try:
            _report(progress, 0.05, "reading rooftops partition-wise")
            ddf = scale.read_project_rooftops(project, npartitions=partitions)
            _report(progress, 0.1, f"sorting {ddf.npartitions} partitions along a Hilbert curve")
            ddf = scale.spatially_compact(ddf, staging / "rooftops", npartitions=ddf.npartitions)
            _report(progress, 0.3, f"pvlib + shading, {ddf.npartitions} partitions")
            result = scale.potential_dask(
                ddf, weather, assumptions=a, shading=shading, stage=staging / "unranked", persist=False, client=client
            )
            _report(progress, 0.8, "ranking and storing")
            return project.results.put(
                "solar",
                req.key,
                frames={"rooftops": result},
                params=req.params,
                inputs=req.inputs,
                extra={"metadata": scale.metadata(weather, a), "label": label, "engine": "dask"},
            )
        finally:
            shutil.rmtree(staging, ignore_errors=True)


# -- wind -------------------------------------------------------------------------------------------
def wind_params(*, assumptions=None, **changes) -> dict:
    """Parameters of a wind run: every field of the :class:`siting.wind.WindAssumptions` used."""
    from siting.wind import WindAssumptions

    a = (assumptions or WindAssumptions()).replace(**changes) if changes else (assumptions or WindAssumptions())
    return {"method": METHOD_VERSIONS["wind"], "assumptions": asdict(a)}


def wind(project, *, progress: Progress | None = None, assumptions=None, **changes) -> Outcome:
    """Wind sites, supply curve and potentials (:func:`siting.wind.wind_sites`), stored.

    ``changes`` are shorthand assumption changes (``hub_height_m=140, turbine="..."``).
    The per-cell rasters of the result are not stored (the stored result has empty arrays);
    they are written by ``xysiting wind --raster`` from a fresh run.
    """
    from siting.wind import wind_sites

    project = _open(project)
    options = {"assumptions": assumptions, **changes}
    req = request(project, "wind", options)
    reused = _reused(project, req, progress)
    if reused is not None:
        return reused
    _report(progress, 0.05, "exclusions, resource, sites")
    step = None if progress is None else lambda fraction, message: progress(0.05 + 0.85 * fraction, message)
    result = wind_sites(project, assumptions, progress=step, **changes)
    _report(progress, 0.9, "storing")
    frames = {
        "sites": result.sites,
        "turbines": result.turbines,
        "exclusion_table": result.exclusion_table,
        "supply_curve": result.supply_curve,
    }
    extra = {
        "totals": result.totals,
        "assumptions": result.assumptions,
        "potentials": result.potentials,
        "notes": list(result.notes),
        "label": describe("wind", {k: v for k, v in changes.items() if not isinstance(v, dict)}),
    }
    return _stored(project, req, frames, extra, progress)


def load_wind(stored: StoredResult):
    """The :class:`siting.wind.WindSitesResult` of a stored ``wind`` result (without the rasters)."""
    import numpy as np

    from siting.wind import WindAssumptions
    from siting.wind.sites import WindSitesResult

    # scalar settings come back as they were; a custom Turbine or connection classes (stored as
    # dicts) keep their defaults here: the stored frames and ``assumptions`` carry their effect
    kept = {
        k: v
        for k, v in stored.params["assumptions"].items()
        if k in WindAssumptions.__dataclass_fields__
        and not isinstance(v, list)
        and not (k == "turbine" and isinstance(v, dict))
    }
    empty = np.zeros((0, 0), dtype="float32")
    return WindSitesResult(
        sites=stored.read("sites"),
        turbines=stored.read("turbines"),
        exclusion_table=stored.read("exclusion_table"),
        availability=empty,
        grid=None,
        speed_m_s=empty,
        capacity_factor=empty,
        labels=np.zeros((0, 0), dtype="int32"),
        totals=stored.extra["totals"],
        assumptions=stored.extra["assumptions"],
        supply_curve=stored.read("supply_curve"),
        potentials=stored.extra["potentials"],
        notes=list(stored.extra["notes"]),
        settings=WindAssumptions().replace(**kept),
    )


# -- waste routing and facility siting ---------------------------------------------------------
def _waste_params(func: Callable, options: Mapping, method: str) -> dict:
    """Options completed with defaults; an OSM file and candidates enter by content fingerprint."""
    params = _fill_defaults(func, options, skip=("network", "candidates", "extra_facilities"))
    params["method"] = METHOD_VERSIONS[method]
    if options.get("osm_path"):
        try:
            params["osm_path"] = file_fingerprint(options["osm_path"])
        except OSError as exc:
            msg = f"cannot read the OSM file {options['osm_path']}: {exc.strerror or exc}; check the path"
            raise InputError(msg) from None
    if options.get("candidates") is not None:
        params["candidates"] = frame_fingerprint(options["candidates"])
    return params


def waste(project, *, waste_kind: str, progress: Progress | None = None, **options) -> Outcome:
    """Waste routing (:func:`siting.waste.route_waste`), stored per waste kind and options.

    ``options`` are :func:`siting.waste.route_waste`'s keyword options.
    """
    from siting.waste import route_waste

    project = _open(project)
    options = {**options, "waste_kind": waste_kind}
    req = request(project, "waste", options)
    reused = _reused(project, req, progress)
    if reused is not None:
        return reused
    _report(progress, 0.1, f"routing {waste_kind}")
    routing = route_waste(project, **options)
    _report(progress, 0.9, "storing")
    extra = {**_routing_extra(routing), "label": _label("waste", req.params, route_waste)}
    return _stored(project, req, _routing_frames(routing), extra, progress)


def site(project, *, waste_kind: str, k: int, progress: Progress | None = None, **options) -> Outcome:
    """New-facility siting (:func:`siting.waste.site_new_facilities`), stored per kind, k and options."""
    from siting.waste import site_new_facilities

    project = _open(project)
    options = {**options, "waste_kind": waste_kind, "k": int(k)}
    req = request(project, "site", options)
    reused = _reused(project, req, progress)
    if reused is not None:
        return reused
    _report(progress, 0.1, f"siting {k} new {waste_kind} facilities")
    result = site_new_facilities(project, **options)
    _report(progress, 0.9, "storing")
    frames = {
        **_routing_frames(result.before, prefix="before_"),
        **_routing_frames(result.after, prefix="after_"),
        "candidates": result.candidates,
        "chosen": result.chosen,
    }
    extra = {
        "before": _routing_extra(result.before),
        "after": _routing_extra(result.after),
        "gain": result.gain,
        "k": result.k,
        "waste_kind": result.waste_kind,
        "label": _label("site", req.params, site_new_facilities),
    }
    return _stored(project, req, frames, extra, progress)


def _routing_frames(routing, *, prefix: str = "") -> dict[str, gpd.GeoDataFrame]:
    return {
        f"{prefix}flows": routing.flows,
        f"{prefix}unmet": routing.unmet,
        f"{prefix}facility_use": routing.facility_use,
    }


def _routing_extra(routing) -> dict:
    return {
        "waste_kind": routing.waste_kind,
        "totals": routing.totals,
        "assumptions": routing.assumptions,
        "network_report": routing.network_report,
        "warnings": list(routing.warnings),
    }


def load_routing(stored: StoredResult, *, prefix: str = ""):
    """The :class:`siting.waste.WasteRouting` stored in a ``waste`` (or ``site``) result."""
    from siting.waste import WasteRouting

    extra = stored.extra if not prefix else stored.extra[prefix.rstrip("_")]
    return WasteRouting(
        waste_kind=extra["waste_kind"],
        flows=stored.read(f"{prefix}flows"),
        unmet=stored.read(f"{prefix}unmet"),
        facility_use=stored.read(f"{prefix}facility_use"),
        totals=extra["totals"],
        assumptions=extra["assumptions"],
        network_report=extra["network_report"],
        warnings=list(extra.get("warnings", [])),
    )


def load_siting(stored: StoredResult):
    """The :class:`siting.waste.SitingResult` stored in a ``site`` result."""
    from siting.waste import SitingResult

    return SitingResult(
        waste_kind=stored.extra["waste_kind"],
        k=int(stored.extra["k"]),
        before=load_routing(stored, prefix="before_"),
        after=load_routing(stored, prefix="after_"),
        candidates=stored.read("candidates"),
        chosen=stored.read("chosen"),
        gain=stored.extra["gain"],
    )


# -- status of what is stored -------------------------------------------------------------------
def current_key(project: Project, stored: StoredResult) -> str | None:
    """The key ``stored``'s parameters give on the project's layers today (None: cannot tell).

    The layers it read are fingerprinted again; a weather file, an OSM file or candidates
    given on the command line are parameters (chosen by the user), kept by fingerprint.
    """
    try:
        inputs = _layer_inputs(project, input_kinds(project, stored.analysis, stored.params))
    except (InputError, OSError):
        return None  # a layer it read has been deleted
    method = stored.params.get("method")
    if method != METHOD_VERSIONS.get(stored.analysis, method):
        return None
    return ResultStore.key(stored.analysis, params=stored.params, inputs=inputs)


def status_table(project) -> pd.DataFrame:
    """One row per stored result: analysis, params, key, created and ``current``/``stale``."""
    from layers.results import summary

    project = _open(project)
    entries = project.results.entries()
    keys = {(s.analysis, s.meta.get("params_id", "")): current_key(project, s) for s in entries}
    return summary(entries, keys)


# -- xysiting run ----------------------------------------------------------------------------------


def planned_runs(project, *, only: tuple[str, ...] | None = None) -> list[tuple[str, dict]]:
    """The default set of runs (analysis, options) that ``xysiting run`` keeps current."""
    from layers.schema import WASTE_KINDS

    only = tuple(only or ANALYSES)
    unknown = set(only) - set(ANALYSES)
    if unknown:
        msg = f"--only {', '.join(sorted(unknown))}: choose from {', '.join(ANALYSES)}"
        raise InputError(msg)
    project = _open(project)
    runs: list[tuple[str, dict]] = []
    if "solar" in only and project.has("rooftops"):
        runs.append(("solar", {}))
    if "wind" in only and project.has("wind_resource"):
        runs.append(("wind", {}))
    routable = all(project.has(k) for k in ("waste_sources", "facilities", "roads"))
    if "waste" in only and routable:
        runs += [("waste", {"waste_kind": kind}) for kind in WASTE_KINDS]
    if "site" in only and routable and project.has("industrial_parks"):
        runs += [("site", {"waste_kind": kind, "k": k}) for kind in WASTE_KINDS for k in DEFAULT_SITE_K]
    return runs


def run_one(project, analysis: str, options: Mapping, *, progress: Progress | None = None) -> Outcome:
    """Run one planned analysis (see :func:`planned_runs`)."""
    funcs = {"solar": solar, "wind": wind, "waste": waste, "site": site}
    return funcs[analysis](project, progress=progress, **options)


def describe(analysis: str, options: Mapping) -> str:
    """A short label for a run, e.g. ``site phosphogypsum k=2``."""
    parts = [analysis, *(str(v) if k == "waste_kind" else f"{k}={v}" for k, v in options.items())]
    return " ".join(parts)
