"""The scenarios tab in a real browser: a small scenario made through the API is
picked in the panel; its H3 cells, ranked candidate sites and legend are drawn on the
map; a candidate shows its score breakdown; the link restores the selection."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from pydantic import SecretStr

from app.settings import Settings
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.driver import MapDriver

pytestmark = pytest.mark.browser

ADMIN_TOKEN = "browser-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
COUNTRY = "/#v=6/40.6/67/0/0"


@pytest.fixture(scope="module")
def live_server(module_sample_db: str, built_frontend: Path) -> Iterator[LiveServer]:
    """The app with an admin token: scenarios need a planner's or partner's token."""
    settings = Settings(
        database_url=module_sample_db,
        frontend_dist=built_frontend,
        admin_token=SecretStr(ADMIN_TOKEN),
    )
    with LiveServer(settings) as server:
        yield server


@pytest.fixture(scope="module")
def scenario(live_server: LiveServer) -> dict[str, Any]:
    """One region at a low resolution, run to the end; with its layers' sizes."""
    with httpx.Client(base_url=live_server.url, headers=AUTH, timeout=60) as c:
        r = c.post(
            "/api/scenarios",
            json={
                "name": "browser-su-r7",
                "region": "UZ-SU",
                "resolution": 7,
                "n_sites": 3,
            },
        )
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        end = time.monotonic() + 240
        while True:
            s = c.get(f"/api/scenarios/{sid}").json()
            if s["status"] in ("done", "failed", "cancelled"):
                break
            assert time.monotonic() < end, "scenario did not finish"
            time.sleep(0.3)
        assert s["status"] == "done", s
        layers = {
            layer: c.get(f"/api/scenarios/{sid}/results/{layer}").json()["features"]
            for layer in ("cells", "candidates", "corridors")
        }
    assert layers["cells"] and layers["candidates"]
    return {"id": sid, "name": s["name"], **layers}


def signed_in(page: Page) -> None:
    page.context.add_init_script(
        f"localStorage.setItem('quvvat.token', '{ADMIN_TOKEN}')"
    )


def drawn(page: Page) -> dict[str, Any]:
    out: dict[str, Any] = page.evaluate(
        """() => {
          const m = window.quvvat.map;
          const src = (id) => {
            const s = m.getStyle().sources[id];
            return s && s.data && s.data.features ? s.data.features.length : -1;
          };
          return {
            cells: src('scenario-cells'),
            candidates: src('scenario-candidates'),
            corridors: src('scenario-corridors'),
            layers: ['scenario-cells', 'scenario-candidates', 'scenario-corridors']
              .filter(id => m.getLayer(id)),
            drawnCells: m.queryRenderedFeatures({layers: ['scenario-cells']}).length,
            drawnCandidates: m.queryRenderedFeatures({layers: ['scenario-candidates']}).length,
          };
        }"""
    )
    return out


def wait_drawn(page: Page, n_cells: int) -> dict[str, Any]:
    page.wait_for_function(
        """(n) => {
          const s = window.quvvat && window.quvvat.map.getStyle().sources['scenario-cells'];
          return s && s.data && s.data.features && s.data.features.length === n;
        }""",
        arg=n_cells,
        timeout=30000,
    )
    page.wait_for_function(
        "() => window.quvvat.map.queryRenderedFeatures("
        "{layers: ['scenario-candidates']}).length > 0",
        timeout=20000,
    )
    return drawn(page)


def test_scenario_drawn_on_map_and_link_restores_it(
    driver: MapDriver, scenario: dict[str, Any]
) -> None:
    page = driver.page
    sid = scenario["id"]
    n_cells = len(scenario["cells"])
    n_cands = len(scenario["candidates"])
    signed_in(page)
    driver.open(COUNTRY)
    page.get_by_test_id("tab-scenarios").click()
    item = page.locator(f'[data-testid="scenario-item"][data-id="{sid}"]')
    expect(item).to_contain_text(scenario["name"])
    expect(item).to_contain_text("done")
    expect(item).to_contain_text("H3 res. 7")
    item.click()
    expect(item).to_have_attribute("aria-pressed", "true")

    d = wait_drawn(page, n_cells)
    assert d["cells"] == n_cells
    assert d["candidates"] == n_cands
    assert d["corridors"] == len(scenario["corridors"])
    assert set(d["layers"]) == {
        "scenario-cells",
        "scenario-candidates",
        "scenario-corridors",
    }
    assert d["drawnCells"] > 0 and d["drawnCandidates"] > 0
    chosen = sum(1 for f in scenario["candidates"] if f["properties"]["selected"])
    assert chosen > 0
    # Selected sites carry their rank as a label.
    page.wait_for_function(
        "() => window.quvvat.map.queryRenderedFeatures("
        "{layers: ['scenario-candidates-rank']}).length > 0"
    )
    expect(page.get_by_test_id("scenario-counts")).to_contain_text(f"{n_cells:,} cells")
    expect(page.get_by_test_id("scenario-counts")).to_contain_text(f"{chosen} selected")

    legend = page.get_by_test_id("scenario-legend")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("kWh/day")
    expect(page).to_have_url(re.compile(rf"[#&]scn={sid}(&|$)"))

    # Colour by distance to the nearest charger: legend and link follow.
    page.get_by_test_id("scenario-metric-distance").check()
    expect(legend).to_have_attribute("data-metric", "distance")
    expect(legend).to_contain_text("km")
    expect(page).to_have_url(re.compile(r"scn_by=distance"))

    # Report and exports: in the page's language, one per layer.
    expect(page.get_by_test_id("scenario-report-pdf")).to_have_attribute(
        "href", f"/api/scenarios/{sid}/report?lang=en&format=pdf"
    )
    expect(page.get_by_test_id("scenario-export-corridors")).to_have_attribute(
        "href", f"/api/scenarios/{sid}/export?layer=corridors&format=geojson"
    )
    # The export is fetched with the session's token and saved as a file.
    with page.expect_download() as dl:
        page.get_by_test_id("scenario-export-candidates").click()
    assert dl.value.suggested_filename == f"scenario_{sid}_candidates.geojson"
    saved = json.loads(Path(dl.value.path()).read_text())
    assert len(saved["features"]) == n_cands

    # Clicking the best selected site shows its score breakdown.
    driver.wait_idle()
    pos = page.evaluate(
        """() => {
          const m = window.quvvat.map;
          const f = m.queryRenderedFeatures({layers: ['scenario-candidates']})
            .filter(f => f.properties.selected)
            .sort((a, b) => a.properties.rank - b.properties.rank)[0]
            || m.queryRenderedFeatures({layers: ['scenario-candidates']})[0];
          const p = m.project(f.geometry.coordinates);
          return {x: p.x, y: p.y};
        }"""
    )
    page.get_by_test_id("map").click(position=pos)
    box = page.get_by_test_id("scenario-candidate")
    expect(box).to_be_visible()
    expect(box).to_contain_text(re.compile(r"#\d+"))
    expect(page.get_by_test_id("scenario-breakdown")).to_contain_text("Demand")
    expect(page.get_by_test_id("scenario-candidate-score")).to_contain_text(
        re.compile(r"Score: \d")
    )

    page.screenshot(path=str(ARTIFACTS / "scenario_drawn.png"))

    # The link restores the selection (and the colouring) on a fresh load.
    shared = page.url
    other = page.context.new_page()
    errors: list[str] = []
    other.on("pageerror", lambda e: errors.append(str(e)))
    other.goto(shared)
    expect(other.get_by_test_id("scenario-panel")).to_be_visible(timeout=20000)
    again = wait_drawn(other, n_cells)
    assert again["cells"] == n_cells and again["candidates"] == n_cands
    expect(
        other.locator(f'[data-testid="scenario-item"][data-id="{sid}"]')
    ).to_have_attribute("aria-pressed", "true")
    expect(other.get_by_test_id("scenario-metric-distance")).to_be_checked()
    expect(other.get_by_test_id("scenario-legend")).to_have_attribute(
        "data-metric", "distance"
    )
    other.close()
    assert errors == []

    # Unselecting clears the map and the link.
    page.locator(f'[data-testid="scenario-item"][data-id="{sid}"]').click()
    page.wait_for_function(
        "() => !window.quvvat.map.getStyle().sources['scenario-cells']"
    )
    expect(page).not_to_have_url(re.compile(r"scn="))
