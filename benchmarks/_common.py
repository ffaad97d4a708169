"""Helpers shared by the benchmark scripts: timing, peak memory, synthetic footprints."""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys

import geopandas as gpd
import numpy as np
import shapely


def synthetic_footprints(n: int, *, seed: int = 0, centre=(112.14, 32.03)) -> gpd.GeoDataFrame:
    """``n`` rectangular building footprints around ``centre`` (WGS84), vectorised.

    Sizes 8–60 m a side, scattered over about 60 × 60 km; labelled ``source = synthetic``.
    """
    rng = np.random.default_rng(seed)
    lon = centre[0] + rng.uniform(-0.32, 0.32, n)
    lat = centre[1] + rng.uniform(-0.27, 0.27, n)
    half_w = rng.uniform(4, 30, n) / (2 * 94_500)  # metres → degrees of longitude at 32° N
    half_h = rng.uniform(4, 30, n) / (2 * 110_900)
    geoms = shapely.box(lon - half_w, lat - half_h, lon + half_w, lat + half_h)
    use = rng.choice(
        ["residential", "industrial", "commercial", "public", "rural_home", "government"],
        n,
        p=[0.5, 0.15, 0.1, 0.08, 0.15, 0.02],
    )
    return gpd.GeoDataFrame(
        {
            "id": np.char.add("b", np.arange(n).astype(str)),
            "use_class": use,
            "height_m": rng.uniform(3, 60, n).round(1),
            "roof_type": "flat",
            "source": "synthetic",
        },
        geometry=geoms,
        crs=4326,
    )


def run_child(module: str, *args: str) -> dict:
    """Run ``python -m MODULE --child ARGS`` in a fresh Python and return its JSON result line.

    The module's ``--child`` branch does the timed work and ends with :func:`print_result`.
    """
    out = subprocess.run([sys.executable, "-m", module, "--child", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_result(result: dict) -> None:
    """Print a child's result as one JSON line, with its peak resident memory (MiB) added."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({**result, "peak_rss_mib": peak}))


def summarise(name: str, runs: list[dict]) -> None:
    """Print median wall time and peak memory of ``runs`` (dicts with seconds, peak_rss_mib)."""
    seconds = [r["seconds"] for r in runs]
    peak = max(r["peak_rss_mib"] for r in runs)
    print(
        f"{name}: median {statistics.median(seconds):.2f} s over {len(runs)} runs "
        f"(min {min(seconds):.2f}, max {max(seconds):.2f}); peak memory {peak:.0f} MiB"
    )


__all__ = ["print_result", "run_child", "summarise", "synthetic_footprints"]
