"""The route panel in a real browser: plan Tashkent -> Samarkand by typed names, see
the line, the stops and the times; the shared link restores and re-plans the same
trip; an impossible trip says why and marks the sites; points can be picked on the map."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.driver import MapDriver

pytestmark = pytest.mark.browser

COUNTRY = "/#v=6/40.6/67/0/0"
PLAN_TIMEOUT_MS = 60000


def route_drawing(page: Page) -> dict[str, Any]:
    """What the map holds in its route source, and how much of the line is drawn."""
    out: dict[str, Any] = page.evaluate(
        """() => {
          const m = window.quvvat.map;
          const src = m.getStyle().sources.route;
          const feats = (src && src.data && src.data.features) || [];
          const kinds = {};
          for (const f of feats) kinds[f.properties.kind] = (kinds[f.properties.kind] || 0) + 1;
          const line = feats.find(f => f.properties.kind === 'route');
          return {
            kinds,
            lineVertices: line ? line.geometry.coordinates.length : 0,
            drawnLine: m.queryRenderedFeatures({layers: ['route-line']}).length,
            drawnPoints: m.queryRenderedFeatures({layers: ['route-points']}).length,
          };
        }"""
    )
    return out


def wait_route_drawn(page: Page) -> dict[str, Any]:
    page.wait_for_function(
        "() => window.quvvat.map.queryRenderedFeatures({layers: ['route-line']}).length > 0",
        timeout=20000,
    )
    return route_drawing(page)


def stop_names(page: Page) -> list[str]:
    return [
        s.locator("strong").inner_text()
        for s in page.get_by_test_id("route-stop").all()
    ]


def test_plan_by_names_draws_route_and_share_link_restores_it(
    driver: MapDriver,
) -> None:
    page = driver.page
    driver.open(COUNTRY)
    page.get_by_test_id("tab-route").click()
    expect(page.get_by_test_id("route-panel")).to_be_visible()
    page.get_by_test_id("route-from").fill("Tashkent")
    page.get_by_test_id("route-to").fill("Samarkand")
    # The offline geocoder suggests places while typing.
    expect(page.get_by_test_id("route-to-hits")).to_contain_text("Samarkand")
    page.get_by_test_id("route-vehicle").select_option("byd_han_ev")
    # Half a battery: the trip needs at least one charging stop.
    page.get_by_test_id("route-start-soc").fill("50")
    page.get_by_test_id("route-start-soc").press("Tab")
    page.get_by_test_id("route-plan").click()

    summary = page.get_by_test_id("route-summary")
    expect(summary).to_be_visible(timeout=PLAN_TIMEOUT_MS)
    total = page.get_by_test_id("route-total-time")
    expect(total).to_have_text(re.compile(r"\d+ h \d+ min"))
    expect(page.get_by_test_id("route-drive-time")).to_have_text(re.compile(r"\d"))
    expect(page.get_by_test_id("route-cost")).to_have_text(re.compile(r"\d.*so'm"))
    stops = page.get_by_test_id("route-stop")
    expect(stops.first).to_be_visible()
    names = stop_names(page)
    assert names and all(names)
    # Each stop: arrival and charge-to SoC, minutes and cost.
    expect(stops.first).to_contain_text(
        re.compile(r"Arrive at \d+\s%, charge to \d+\s%")
    )
    expect(stops.first).to_contain_text(re.compile(r"\d+ min"))
    expect(stops.first).to_contain_text("so'm")

    drawn = wait_route_drawn(page)
    assert drawn["kinds"].get("route") == 1
    assert drawn["lineVertices"] > 2
    assert drawn["kinds"].get("end") == 2
    assert drawn["kinds"].get("stop") == len(names)
    assert drawn["drawnPoints"] >= 2

    # The link carries the trip.
    expect(page).to_have_url(
        re.compile(r"from=Tashkent&to=Samarkand&car=byd_han_ev&soc=50")
    )
    shared = page.url
    first_total = total.inner_text()

    other = page.context.new_page()
    errors: list[str] = []
    other.on("pageerror", lambda e: errors.append(str(e)))
    other.goto(shared)
    expect(other.get_by_test_id("route-panel")).to_be_visible(timeout=20000)
    expect(other.get_by_test_id("route-from")).to_have_value("Tashkent")
    expect(other.get_by_test_id("route-to")).to_have_value("Samarkand")
    expect(other.get_by_test_id("route-vehicle")).to_have_value("byd_han_ev")
    expect(other.get_by_test_id("route-start-soc")).to_have_value("50")
    expect(other.get_by_test_id("route-total-time")).to_have_text(
        first_total, timeout=PLAN_TIMEOUT_MS
    )
    assert stop_names(other) == names
    again = wait_route_drawn(other)
    assert again["lineVertices"] == drawn["lineVertices"]
    other.close()
    assert errors == []


def test_impossible_trip_explains_and_marks_sites(driver: MapDriver) -> None:
    page = driver.page
    # A 12 kWh battery cannot cross to Nukus (state from the URL alone).
    driver.open(
        COUNTRY + "&from=Tashkent&to=Nukus&car=byd_han_ev&soc=90&min_soc=10&kwh=12"
    )
    expect(page.get_by_test_id("route-battery")).to_have_value("12")
    box = page.get_by_test_id("route-impossible")
    expect(box).to_be_visible(timeout=PLAN_TIMEOUT_MS)
    expect(box).to_contain_text(re.compile(r"\d+ km between .+ and .+"))
    expect(page.get_by_test_id("route-summary")).to_have_count(0)
    page.wait_for_function(
        "() => (window.quvvat.map.getStyle().sources.route.data.features || []).length > 0"
    )
    drawn = route_drawing(page)
    assert drawn["kinds"].get("gap") == 1
    sites = page.get_by_test_id("route-site").count()
    assert (
        drawn["kinds"].get("planned", 0) + drawn["kinds"].get("candidate", 0) == sites
    )


def test_points_picked_on_the_map(driver: MapDriver) -> None:
    page = driver.page
    driver.open("/#v=11/41.31/69.27/0/0")
    driver.wait_idle()
    page.get_by_test_id("tab-route").click()
    page.get_by_test_id("route-pick-from").click()
    expect(page.get_by_test_id("route-pick-hint")).to_be_visible()
    m = page.get_by_test_id("map")
    box = m.bounding_box()
    assert box is not None
    m.click(position={"x": box["width"] * 0.35, "y": box["height"] * 0.5})
    # Picking A moves on to B.
    expect(page.get_by_test_id("route-pick-to")).to_have_attribute(
        "aria-pressed", "true"
    )
    m.click(position={"x": box["width"] * 0.65, "y": box["height"] * 0.45})
    expect(page.get_by_test_id("route-pick-hint")).to_have_count(0)
    expect(page.get_by_test_id("route-from")).to_have_value(
        re.compile(r"^41\.\d+, 69\.\d+$")
    )
    expect(page.get_by_test_id("route-to")).to_have_value(
        re.compile(r"^41\.\d+, 69\.\d+$")
    )
    expect(page).to_have_url(re.compile(r"from=69\.\d+%2C41\.\d+"))
    page.get_by_test_id("route-plan").click()
    expect(page.get_by_test_id("route-total-time")).to_have_text(
        re.compile(r"\d+ min"), timeout=PLAN_TIMEOUT_MS
    )
    expect(page.get_by_test_id("route-no-stops")).to_be_visible()
