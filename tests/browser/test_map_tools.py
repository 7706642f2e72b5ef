"""The map's tools in a real browser, with the sample data (read only, one server
for the module): the 3D toggle (tilt and deck.gl columns), measuring a distance,
exporting the view to PNG, the planned-stations time slider, layer opacity and
"zoom to layer"."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.browser.conftest import ARTIFACTS, Account
from tests.browser.driver import MapDriver, StationOnScreen
from tests.browser.test_map import STATUS_RGB, TASHKENT, close

pytestmark = pytest.mark.browser

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
COUNTRY = "#v=5.2/41.4/64.5/0/0"


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance of two (lon, lat) points, mean Earth radius (IUGG)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def isolated(stations: list[StationOnScreen], gap: float = 14) -> list[StationOnScreen]:
    """Markers away from the panels' edges with no neighbour within ``gap`` px."""
    return [
        s
        for s in stations
        if 380 < s.x < 900
        and 80 < s.y < 600
        and all(abs(o.x - s.x) + abs(o.y - s.y) > gap for o in stations if o.id != s.id)
    ]


def map_state(driver: MapDriver) -> dict[str, Any]:
    state: dict[str, Any] = driver.page.evaluate(
        """() => { const m = window.quvvat.map;
          return {pitch: m.getPitch(), bearing: m.getBearing(), zoom: m.getZoom(),
                  bounds: m.getBounds().toArray(),
                  columns: typeof window.quvvat.columnsAt === 'function'}; }"""
    )
    return state


def test_3d_toggle_tilts_the_map_and_draws_columns_then_back_to_2d(
    driver: MapDriver,
) -> None:
    page = driver.page
    driver.open("/" + TASHKENT)
    driver.wait_idle()
    toggle = page.get_by_test_id("toggle-3d")
    expect(toggle).to_have_text("3D")
    assert map_state(driver)["pitch"] == 0
    assert not map_state(driver)["columns"]

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(toggle).to_have_text("2D")
    expect(page).to_have_url(re.compile(r"3d=1"))
    page.wait_for_function(
        "() => window.quvvat.map.getPitch() > 50 && !window.quvvat.map.isMoving()"
        " && typeof window.quvvat.columnsAt === 'function'",
        timeout=20000,
    )
    driver.wait_idle()
    state = map_state(driver)
    assert 50 < state["pitch"] <= 70
    assert state["bearing"] != 0  # tilted and rotated

    # The columns are really drawn: deck.gl's picking finds, at the foot of a
    # station's marker, that station's column (a 3D column stands on it).
    stations = isolated(driver.stations_on_screen(), gap=30)
    assert len(stations) >= 3, "too few stations in view"
    hits = {
        s.id: page.evaluate("([x, y]) => window.quvvat.columnsAt(x, y)", [s.x, s.y - 3])
        for s in stations[:8]
    }
    found = [sid for sid, ids in hits.items() if sid in ids]
    assert len(found) >= min(3, len(hits)), hits
    page.screenshot(path=str(ARTIFACTS / "map_3d_columns.png"))

    toggle.click()
    expect(toggle).to_have_text("3D")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    page.wait_for_function(
        "() => window.quvvat.map.getPitch() === 0 && !window.quvvat.map.isMoving()",
        timeout=20000,
    )
    state = map_state(driver)
    assert state["bearing"] == 0
    assert not state["columns"]
    expect(page).not_to_have_url(re.compile(r"3d=1"))


def test_measure_two_points_shows_their_great_circle_distance(
    driver: MapDriver,
) -> None:
    page = driver.page
    # Tashkent (Amir Timur square) to Chirchiq centre: about 31 km.
    a, b = (69.2797, 41.3111), (69.5823, 41.4689)
    driver.open_map("/#v=10/41.39/69.43/0/0&l=regions")
    driver.wait_idle()
    page.get_by_test_id("measure").click()
    result = page.get_by_test_id("measure-result")
    expect(result).to_contain_text("Click on the map to measure")
    box = page.get_by_test_id("map").bounding_box()
    assert box is not None
    clicked = []
    for p in (a, b):
        xy = page.evaluate(
            "(p) => { const q = window.quvvat.map.project(p); return [q.x, q.y]; }",
            list(p),
        )
        page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
        # Where the click landed, as the map reads it back.
        clicked.append(
            page.evaluate(
                "(xy) => window.quvvat.map.unproject(xy).toArray()",
                [round(xy[0]), round(xy[1])],
            )
        )
    expect(result).to_contain_text("Distance:")
    shown = re.search(r"Distance:\s*([\d.,]+)\s*km", result.inner_text())
    assert shown, result.inner_text()
    km = float(shown.group(1).replace(",", ""))
    truth = haversine_m(a, b) / 1000
    assert 30 < truth < 32
    # One pixel at zoom 10 is ~115 m here; the text has one decimal.
    assert abs(km - truth) < 0.3, (km, truth)
    assert abs(km - haversine_m(clicked[0], clicked[1]) / 1000) <= 0.051
    # The measured line is drawn between the two points (on the next frame the
    # map renders: wait for it rather than ask at once).
    page.wait_for_function(
        "() => window.quvvat.map.queryRenderedFeatures({layers: ['measure-line']})"
        ".length >= 1",
        timeout=5000,
    )
    # A double-click adds its point and ends the line: later clicks add nothing.
    c = (69.43, 41.25)
    xy = page.evaluate(
        "(p) => { const q = window.quvvat.map.project(p); return [q.x, q.y]; }",
        list(c),
    )
    page.mouse.dblclick(box["x"] + xy[0], box["y"] + xy[1])
    expect(result).to_have_attribute("data-done", "true")
    total = (haversine_m(a, b) + haversine_m(b, c)) / 1000
    page.wait_for_function(
        "(t) => { const el = document.querySelector('[data-testid=measure-result]');"
        " const m = /([\\d.,]+)\\s*km/.exec(el.textContent);"
        " return m && Math.abs(Number(m[1].replace(/,/g, '')) - t) < 0.3; }",
        arg=total,
    )
    ended = result.inner_text()
    page.mouse.click(box["x"] + 100, box["y"] + 100)
    page.wait_for_timeout(300)
    expect(result).to_have_text(ended)
    # Stop: the result box goes away and a click selects again.
    page.get_by_test_id("measure").click()
    expect(result).to_have_count(0)


def test_export_png_downloads_a_png_of_the_map_view(
    driver: MapDriver, tmp_path: Path
) -> None:
    page = driver.page
    driver.open("/" + TASHKENT)
    driver.wait_idle()
    alone = isolated(driver.stations_on_screen())
    assert alone
    with page.expect_download() as info:
        page.get_by_test_id("export-png").click()
    download = info.value
    assert download.suggested_filename == "quvvat-map.png"
    path = tmp_path / "map.png"
    download.save_as(path)
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    img = Image.open(io.BytesIO(data)).convert("RGB")
    size = page.evaluate(
        "() => { const c = window.quvvat.map.getCanvas();"
        " const r = c.getBoundingClientRect();"
        " return [c.width, c.height, Math.round(r.width), Math.round(r.height),"
        " window.devicePixelRatio]; }"
    )
    assert img.size == (size[0], size[1])
    assert img.size == (
        round(size[2] * size[4]),
        round(size[3] * size[4]),
    )
    # It is the current view: the stations are where the screen shows them, in
    # their status colours, and the attribution is burnt in at the bottom right.
    ratio = size[4]
    for s in alone[:3]:
        px = img.getpixel((round(s.x * ratio), round(s.y * ratio)))
        assert isinstance(px, tuple)
        assert close((px[0], px[1], px[2]), STATUS_RGB[s.status]), (s, px)
    corner = img.getpixel((img.size[0] - 3, img.size[1] - 9))
    assert isinstance(corner, tuple) and min(corner) > 200, corner
    colours = img.getcolors(1 << 20)
    assert colours is not None and len(colours) > 50  # a map, not a blank canvas
    img.save(ARTIFACTS / "map_export.png")


def _planned(driver: MapDriver) -> dict[str, int]:
    """Planned stations drawn on screen: name -> year."""
    rows: list[list[Any]] = driver.page.evaluate(
        """() => window.quvvat.map.queryRenderedFeatures({layers: ['planned-points']})
             .map(f => [String(f.id ?? f.properties.name), f.properties.year])"""
    )
    return {str(k): int(y) for k, y in rows}


def test_time_slider_shows_the_planned_stations_of_each_year(
    driver: MapDriver, module_sample_db: str
) -> None:
    page = driver.page
    engine = create_engine(module_sample_db)
    with engine.connect() as conn:
        per_year: dict[int, int] = {
            int(y): int(n)
            for y, n in conn.execute(
                text("SELECT year, count(*) FROM planned_site GROUP BY year")
            )
        }
    engine.dispose()
    driver.open_map("/" + COUNTRY + "&l=planned,regions")
    driver.wait_idle()
    slider = page.get_by_test_id("year-slider")
    expect(slider).to_have_value("2035")
    expect(page.get_by_test_id("timeline")).to_contain_text("up to 2035")
    assert slider.get_attribute("min") == "2025"
    assert slider.get_attribute("max") == "2035"

    seen: dict[int, dict[str, int]] = {2035: _planned(driver)}
    for year in (2028, 2025, 2031):
        slider.fill(str(year))
        expect(page.get_by_test_id("timeline")).to_contain_text(f"up to {year}")
        expect(page).to_have_url(re.compile(rf"year={year}"))
        page.wait_for_timeout(200)
        driver.wait_idle()
        seen[year] = _planned(driver)
    for year, drawn in seen.items():
        assert drawn, year
        assert max(drawn.values()) == year, (year, sorted(set(drawn.values())))
        # The whole country is in view: all planned up to the year, and no later.
        expected = sum(n for y, n in per_year.items() if y <= year)
        assert len(drawn) >= 0.95 * expected, (year, len(drawn), expected)
        assert len(drawn) <= expected
    assert len(seen[2025]) < len(seen[2028]) < len(seen[2031]) < len(seen[2035])
    assert set(seen[2025]) <= set(seen[2028]) <= set(seen[2031]) <= set(seen[2035])

    # Hiding the planned layer hides the slider.
    page.get_by_test_id("layer-toggle-planned").uncheck()
    expect(page.get_by_test_id("timeline")).to_have_count(0)


def test_layer_opacity_fades_the_stations(driver: MapDriver) -> None:
    page = driver.page
    driver.open("/" + TASHKENT + "&l=stations")
    driver.wait_idle()
    alone = isolated(driver.stations_on_screen())
    assert alone
    target = alone[0]
    opaque = driver.pixel_at_station(target)
    assert close(opaque, STATUS_RGB[target.status])
    page.get_by_test_id("layer-opacity-stations").fill("15")
    expect(page).to_have_url(re.compile(r"l=stations%3A15|l=stations:15"))
    page.wait_for_timeout(200)
    driver.wait_idle()
    faded = driver.pixel_at_station(target)
    # Mostly the (light) background now, a little of the status colour.
    assert not close(faded, STATUS_RGB[target.status]), faded
    assert sum(faded) > sum(opaque) + 150, (opaque, faded)
    opacity = page.evaluate(
        "() => window.quvvat.map.getPaintProperty('stations-points', 'circle-opacity')"
    )
    assert abs(opacity - 0.15) < 0.01
    page.get_by_test_id("layer-opacity-stations").fill("100")
    page.wait_for_timeout(200)
    driver.wait_idle()
    assert close(driver.pixel_at_station(target), STATUS_RGB[target.status])


def test_zoom_to_layer_fits_the_layer_in_view(
    driver: MapDriver, module_sample_db: str, technician: Account
) -> None:
    page = driver.page
    engine = create_engine(module_sample_db)
    with engine.connect() as conn:
        x0, y0, x1, y1 = conn.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM"
                " (SELECT ST_Extent(geom) AS e FROM district) s"
            )
        ).one()
    engine.dispose()
    driver.open("/" + TASHKENT)
    driver.wait_idle()
    before = map_state(driver)
    zoom = page.get_by_test_id("layer-zoom-districts")
    expect(zoom).to_be_enabled()
    zoom.click()
    page.wait_for_function("() => !window.quvvat.map.isMoving()")
    after = map_state(driver)
    assert after["zoom"] < before["zoom"] - 2
    (vx0, vy0), (vx1, vy1) = after["bounds"]
    # The whole layer is in view ...
    assert vx0 <= x0 and vy0 <= y0 and vx1 >= x1 and vy1 >= y1, (after, (x0, y0))
    # ... and fills it (fitted, not merely zoomed out).
    assert (x1 - x0) / (vx1 - vx0) > 0.6 or (y1 - y0) / (vy1 - vy0) > 0.6
    # A hidden layer has no zoom button; showing it offers one (substations: staff).
    driver.sign_in(technician.email, technician.password, technician.role)
    expect(page.get_by_test_id("layer-zoom-substations")).to_have_count(0)
    page.get_by_test_id("layer-toggle-substations").check()
    expect(page.get_by_test_id("layer-zoom-substations")).to_be_visible()
