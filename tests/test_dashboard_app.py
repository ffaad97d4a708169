"""The dashboard's Python side without a browser: i18n, tiles, sessions, basemap offset."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from _dashboard_project import build_project

from dashboard.i18n import LANGUAGES, MESSAGES, t
from geo.errors import InputError

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"


def test_every_message_has_chinese_and_english():
    for msg_id, texts in MESSAGES.items():
        assert len(texts) == len(LANGUAGES), msg_id
        assert all(text.strip() for text in texts), msg_id
        zh, en = texts
        assert re.search(r"[\u4e00-\u9fff]", zh) or zh == en, f"{msg_id}: zh has no Chinese"


def test_every_label_used_by_the_dashboard_exists():
    used = set()
    for path in DASHBOARD.glob("*.py"):
        if path.name in ("progress_tab.py", "auth.py", "cli.py"):
            continue  # the progress tab has its own labels
        used |= set(re.findall(r'\bt\(\s*"([a-z0-9_]+)"', path.read_text(encoding="utf-8")))
    assert used, "found no labels"
    assert used - set(MESSAGES) == set()


def test_t_fills_fields_and_rejects_unknown():
    assert t("rows", "en", n=3) == "3 rows"
    assert t("rows", "zh", n=3) == "3 行"
    with pytest.raises(KeyError):
        t("no_such_label", "zh")
    with pytest.raises(ValueError, match="unknown language"):
        t("app_title", "fr")


def test_custom_tile_url_is_checked():
    from dashboard.tiles import parse_custom

    provider = parse_custom("gcj02:https://example.org/{Z}/{X}/{Y}.png")
    assert provider.gcj02 and provider.url.startswith("https://")
    with pytest.raises(InputError, match=r"\{X\}"):
        parse_custom("https://example.org/tiles.png")
    with pytest.raises(InputError, match="http"):
        parse_custom("file:///etc/passwd/{Z}/{X}/{Y}")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return build_project(tmp_path_factory.mktemp("app") / "project", n_rooftops=300)


def test_sessions_do_not_share_filters(project):
    from dashboard.app import create_app

    first = create_app(project.path).app
    second = create_app(project.path).app
    solar1, solar2 = first.tabs_components["solar"], second.tabs_components["solar"]
    n_all = len(solar2.filtered)
    solar1.county = "420602"
    assert len(solar1.filtered) < n_all
    assert len(solar2.filtered) == n_all
    assert solar2.county == ""
    assert solar1.map is not solar2.map
    assert solar1.table is not solar2.table


def test_shortlist_name_is_sanitised_and_rows_match(project, tmp_path):
    from dashboard.app import create_app

    solar = create_app(project.path).app.tabs_components["solar"]
    solar.county = "420607"
    solar.min_kwp = 20.0
    names = {button.filename for button in solar.downloads.buttons.values()}
    assert all("/" not in n and "\\" not in n and " " not in n for n in names)
    assert any(n.endswith(".xlsx") and "襄州区" in n for n in names)
    frame = solar.shortlist()
    assert len(frame) == len(solar.filtered) > 0
    assert set(frame["county"]) == {"420607"}
    assert (frame["kwp"] >= 20.0).all()
    assert frame.geometry.notna().all()


def test_amap_basemap_shifts_layers_to_gcj02_and_tiles_only_when_chosen(project):
    from dashboard.map import SharedMap

    shared = SharedMap(project, lang="zh")
    assert shared.basemap == ""
    assert shared._tile_renderer is None
    before = np.concatenate([d["x"] for d in shared._data["counties"]])
    shared.basemap = "amap"
    after = np.concatenate([d["x"] for d in shared._data["counties"]])
    shift = np.nanmedian(after - before)
    assert 100 < abs(shift) < 1500, f"GCJ-02 shift of {shift:.0f} m is not a few hundred metres"
    shared.basemap = "osm"  # WGS84 tiles: back to unshifted coordinates
    again = np.concatenate([d["x"] for d in shared._data["counties"]])
    np.testing.assert_allclose(again, before)


def test_serve_rejects_a_folder_that_is_not_a_project(tmp_path, capsys):
    from dashboard.cli import main

    assert main(["serve", str(tmp_path), "--port", "0"]) == 2
    assert "not a project folder" in capsys.readouterr().err


def test_waste_tab_what_if_opens_new_facilities(project):
    from dashboard.app import create_app

    app = create_app(project.path).app
    waste = app.tabs_components["waste"]
    assert waste.wait(600)  # computed in the worker process: not stored for this project yet
    assert waste.routing is not None and waste.siting is None
    flows = app.map._data["flows"]
    assert flows and all(np.isfinite(d["x"]).any() for d in flows)
    tkm_before = waste.routing.totals["tkm_per_year"]
    waste.k = 1
    assert waste.wait(600)
    assert waste.siting is not None and len(waste.siting.chosen) == 1
    assert len(app.map._data["new_facilities"]) == 1
    assert waste.routing.totals["tkm_per_year"] <= tkm_before
    assert len(waste.facility_table.value) == len(waste.routing.facility_use)


def test_wind_tab_follows_hub_height(project):
    from dashboard.app import create_app

    app = create_app(project.path).app
    wind = app.tabs_components["wind"]
    assert wind.wait(600)
    assert wind.result is not None and len(wind.table.value) == len(wind.result.sites)
    energy_120 = wind.result.totals["energy_mwh_per_year"]
    wind.hub_height_m = 160
    assert wind.wait(600)
    assert wind.result.assumptions.get("hub_height_m", 160) == 160
    assert wind.result.totals["energy_mwh_per_year"] != energy_120
    assert app.map._data["wind_sites"], "sites drawn on the shared map"
