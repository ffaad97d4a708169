"""The URL sync without a browser: values a session refuses are rewritten to what it shows.

Uses Panel's own :class:`panel.io.location.Location` (what ``pn.state.location`` is in a
served session); the browser round trip is tested in ``test_browser_shell``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from _dashboard_project import build_project
from panel.io.location import Location

from dashboard.app import DashboardApp, _apply_loosely, _ensure_extensions, sync_url


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return build_project(tmp_path_factory.mktemp("url") / "project", n_rooftops=200)


def _app(project, search: str) -> tuple[DashboardApp, Location]:
    """A session's app opened with ``search``, synced and loaded as ``create_app`` does when served."""
    _ensure_extensions()
    app = DashboardApp(project)
    location = Location(search=search)
    sync_url(app, location)
    assert location.search == search  # the page's own address is kept until the page shows
    app.load()
    app.settle_url(location=location)
    app.settle_url(*app.tabs_components.values(), location=location)
    return app, location


def test_refused_url_values_are_dropped_and_rewritten(project):
    search = "?tab=nowhere&lang=en&county=999999&min_kwp=abc&zoom=nowhere&waste=construction&hub=7"
    app, location = _app(project, search)
    solar, waste, wind = (app.tabs_components[name] for name in ("solar", "waste", "wind"))
    assert (app.tab, app.lang) == ("solar", "en")
    assert (solar.county, solar.min_kwp, app.map.county) == ("", 0.0, "")
    default, _ = _app(project, "")
    assert len(solar.filtered) == len(default.tabs_components["solar"].filtered) > 0  # not the 0 rows of 999999
    assert waste.waste_kind == "construction"  # a good value next to bad ones is kept
    assert wind.hub_height_m == wind.param.hub_height_m.default
    query = dict(parse_qsl(location.search.lstrip("?"), keep_blank_values=True))
    assert query["tab"] == "solar" and query["lang"] == "en" and query["waste"] == "construction"
    assert query.get("county", "") == "" and query.get("zoom", "") == ""
    assert float(query["min_kwp"]) == 0.0 and int(query["hub"]) == wind.param.hub_height_m.default


def test_good_url_values_are_kept_as_written(project):
    search = "?tab=waste&lang=en&county=420602&min_kwp=20&zoom=420607"
    app, location = _app(project, search)
    solar = app.tabs_components["solar"]
    assert (app.tab, app.lang, solar.county, solar.min_kwp, app.map.county) == ("waste", "en", "420602", 20.0, "420607")
    assert location.search == search  # 20 and 20.0 name the same value: nothing rewritten


def test_apply_loosely_returns_what_it_refused(project):
    _ensure_extensions()
    app = DashboardApp(project)
    refused = _apply_loosely(app.tabs_components["solar"], {"county": 420602, "min_kwp": "abc", "min_yield": 900})
    assert refused == {"min_kwp": "abc"}
    solar = app.tabs_components["solar"]
    assert (solar.county, solar.min_yield) == ("420602", 900)
