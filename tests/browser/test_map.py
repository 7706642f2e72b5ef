"""The map app in a real browser: loads, draws, filters, speaks four languages,
embeds without login and turns bad input into a message."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Page, Response, expect
from sqlalchemy import create_engine, text

from tests.browser.conftest import Account
from tests.browser.driver import MapDriver

pytestmark = pytest.mark.browser

TASHKENT = "#v=12/41.3/69.27/0/0"
# STATUS_COLORS of frontend/src/lib/status.ts.
STATUS_RGB = {
    "available": (0x1A, 0x98, 0x50),
    "charging": (0x2C, 0x7B, 0xB6),
    "faulted": (0xD7, 0x19, 0x1C),
    "unavailable": (0xFD, 0xAE, 0x61),
    "offline": (0x6B, 0x6B, 0x6B),
    "unknown": (0xB8, 0xB8, 0xB8),
}


def close(a: tuple[int, int, int], b: tuple[int, int, int], tol: int = 40) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def test_page_loads_and_draws_stations_in_their_status_colour(
    driver: MapDriver, module_sample_db: str
) -> None:
    driver.open("/" + TASHKENT)
    driver.wait_idle()
    stations = driver.stations_on_screen()
    assert len(stations) > 20
    engine = create_engine(module_sample_db)
    with engine.connect() as conn:
        truth: dict[int, str] = {
            int(k): str(v)
            for k, v in conn.execute(
                text("SELECT site_id, status FROM station_summary")
            )
        }
    engine.dispose()
    assert all(s.status == truth[s.id] for s in stations)
    # A marker drawn alone (no neighbour within 12 px) shows its status colour.
    alone = [
        s
        for s in stations
        if 50 < s.x < 900
        and 50 < s.y < 600
        and all(abs(o.x - s.x) + abs(o.y - s.y) > 12 for o in stations if o.id != s.id)
    ]
    assert alone
    for s in alone[:5]:
        assert close(driver.pixel_at_station(s), STATUS_RGB[s.status]), s
    expect(driver.page.get_by_test_id("attribution")).to_contain_text("OpenStreetMap")
    expect(driver.page.get_by_test_id("attribution")).to_contain_text("GeoNames")
    expect(driver.page.get_by_test_id("attribution")).to_contain_text("Open Charge Map")


def test_low_zoom_shows_clusters(driver: MapDriver) -> None:
    driver.open("/#v=5.5/41.4/64.5/0/0")
    driver.wait_idle()
    assert driver.clusters_on_screen() > 3


def test_demo_layers_are_labelled_demo(driver: MapDriver, technician: Account) -> None:
    driver.open("/" + TASHKENT)
    # Parcels are offered to staff only.
    driver.sign_in(technician.email, technician.password, technician.role)
    expect(driver.page.get_by_test_id("layer-demo-stations")).to_be_visible()
    expect(driver.page.get_by_test_id("layer-demo-planned")).to_be_visible()
    expect(driver.page.get_by_test_id("layer-demo-parcels")).to_be_visible()


def test_status_filter_hides_stations(driver: MapDriver) -> None:
    driver.open("/" + TASHKENT)
    driver.wait_idle()
    assert driver.stations_on_screen()
    before = driver.stations_on_screen()
    assert {s.status for s in before} - {"faulted"}
    driver.page.get_by_test_id("tab-filters").click()
    driver.page.get_by_test_id("filter-status-faulted").check()
    expect(driver.page).to_have_url(re.compile(r"status=faulted"))
    driver.page.wait_for_timeout(300)
    driver.wait_idle()
    after = driver.stations_on_screen()
    assert after
    assert {s.status for s in after} == {"faulted"}
    assert len(after) < len(before)


def test_language_switch_changes_every_label_and_is_remembered(
    driver: MapDriver,
) -> None:
    driver.open("/" + TASHKENT + "&l=stations,planned,roads,regions")
    driver.choose_language("en")
    english = driver.ui_texts()
    assert len(english) > 20
    same_everywhere = {"2D", "3D"}
    for lang in ("ru", "uz", "de"):
        driver.choose_language(lang)
        texts = driver.ui_texts()
        assert texts.keys() == english.keys()
        unchanged = [
            k
            for k in english
            if texts[k] == english[k] and texts[k] not in same_everywhere
        ]
        # German shares a few words and power classes with English.
        allowed = (
            {
                "Live",
                "Status",
                "Filter",
                "Offline",
                "Region",
                "DC 50–149 kW",
                "HPC 150–299 kW",
            }
            if lang == "de"
            else set()
        )
        assert [k for k in unchanged if texts[k] not in allowed] == [], lang
        assert not any(
            re.fullmatch(r"[a-z]+(\.[a-zA-Z_]+)+", t) for t in texts.values()
        )
    driver.choose_language("ru")
    driver.page.reload()
    driver.wait_for_stations()
    expect(driver.page.get_by_test_id("tab-layers")).to_have_text("Слои")


def test_embed_works_without_login_and_reports_bad_params(driver: MapDriver) -> None:
    driver.open("/embed?lang=ru&region=UZ-TK&bbox=abc")
    expect(driver.page.get_by_test_id("login")).to_have_count(0)
    expect(driver.page.get_by_test_id("live-indicator")).to_be_visible()
    expect(driver.page.get_by_test_id("attribution")).to_contain_text("OpenStreetMap")
    expect(driver.page.get_by_test_id("message")).to_contain_text("bbox=abc")
    driver.wait_idle()
    center = driver.page.evaluate("() => window.quvvat.map.getCenter().toArray()")
    assert 68.9 < center[0] < 69.6
    assert 41.1 < center[1] < 41.5


def test_a_rejected_search_shows_a_message_not_a_broken_page(driver: MapDriver) -> None:
    driver.open("/" + TASHKENT)
    driver.page.get_by_test_id("search").fill("x" * 150)
    expect(driver.page.get_by_test_id("message").first).to_contain_text(
        "String should have at most 100 characters"
    )
    expect(driver.page.get_by_test_id("map")).to_be_visible()


def test_embed_snippet_is_offered(driver: MapDriver) -> None:
    driver.open("/" + TASHKENT)
    driver.page.get_by_test_id("embed").click()
    snippet = driver.page.get_by_test_id("embed-snippet").input_value()
    assert snippet.startswith("<iframe src=")
    assert f"{driver.base_url}/embed?lang=" in snippet


def test_share_link_restores_view_layers_and_filters(
    driver: MapDriver, technician: Account
) -> None:
    driver.open(
        "/#v=10.5/41.31/69.25/20/30&l=stations:60,parcels&connector=CCS2&min_kw=50"
    )
    # Parcels are drawn for staff only: the link's layer shows once they sign in.
    driver.sign_in(technician.email, technician.password, technician.role)
    driver.wait_idle()
    state = driver.page.evaluate(
        """() => { const m = window.quvvat.map; return {z: m.getZoom(),
             b: m.getBearing(), p: m.getPitch(),
             parcels: m.getLayoutProperty('parcels-fill', 'visibility'),
             roads: m.getLayoutProperty('roads-line', 'visibility'),
             op: m.getPaintProperty('stations-points', 'circle-opacity'),
             tiles: m.getSource('stations').tiles[0]}; }"""
    )
    assert abs(state["z"] - 10.5) < 0.01
    assert abs(state["b"] - 20) < 0.5
    assert abs(state["p"] - 30) < 0.5
    assert state["parcels"] == "visible"
    assert state["roads"] == "none"
    assert abs(state["op"] - 0.6) < 0.01
    assert "connector_type=CCS2" in state["tiles"]
    assert "min_power_kw=50" in state["tiles"]
    driver.page.get_by_test_id("tab-filters").click()
    expect(driver.page.get_by_test_id("filter-connector")).to_have_value("CCS2")


def test_unknown_station_id_is_a_clear_404(driver: MapDriver) -> None:
    r = driver.page.request.get(driver.base_url + "/api/stations/987654321")
    assert r.status == 404
    assert r.json() == {
        "detail": "station 987654321 not found",
        "code": "station_not_found",
    }


RESTRICTED = ("parcels", "substations", "grid_lines", "candidates")
RESTRICTED_TILE = re.compile(r"/tiles/(parcels|substations|grid_lines|candidates)/")


@dataclass
class TileLog:
    """Every vector tile the page asked for: URL, status, Authorization header."""

    seen: list[tuple[str, int, str | None]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def record(self, page: Page) -> None:
        def on_response(r: Response) -> None:
            if "/tiles/" in r.url and ".pbf" in r.url:
                auth = r.request.all_headers().get("authorization")
                self.seen.append((r.url, r.status, auth))

        page.on("response", on_response)
        page.on("requestfailed", lambda r: self.failed.append(r.url))
        page.on(
            "console",
            lambda m: self.console.append(m.text) if m.type == "error" else None,
        )

    def restricted(self) -> list[tuple[str, int, str | None]]:
        return [t for t in self.seen if RESTRICTED_TILE.search(t[0])]


def test_restricted_layers_are_for_staff_and_their_tiles_carry_the_token(
    driver: MapDriver, technician: Account
) -> None:
    page = driver.page
    log = TileLog()
    log.record(page)
    # A shared link that turns every restricted layer on, opened by a visitor.
    hashed = "&l=stations,parcels,substations,grid_lines,candidates"
    driver.open("/" + TASHKENT + hashed)
    driver.wait_idle()
    expect(page.get_by_test_id("layer-stations")).to_be_visible()
    for layer in RESTRICTED:
        expect(page.get_by_test_id(f"layer-{layer}")).to_have_count(0)
    assert (
        page.evaluate(
            "() => ['parcels-fill', 'substations-points', 'grid-lines', 'candidates-points']"
            ".filter(id => window.quvvat.map.getLayer(id))"
        )
        == []
    )
    # Not asked for, so no 401 in the console; the link itself is left as it was.
    assert log.restricted() == []
    assert [t for t in log.seen if t[1] >= 400] == []
    assert log.failed == [] and log.console == [], (log.failed, log.console)
    assert driver.messages() == []
    assert "parcels" in page.url and "substations" in page.url
    # Public tiles go without a token (there is none).
    assert log.seen and all(t[2] is None for t in log.seen)

    driver.sign_in(technician.email, technician.password, technician.role)
    for layer in RESTRICTED:
        expect(page.get_by_test_id(f"layer-{layer}")).to_be_visible()
    # Switch substations off and on again, then show where they are.
    toggle = page.get_by_test_id("layer-toggle-substations")
    expect(toggle).to_be_checked()
    toggle.uncheck()
    expect(page.get_by_test_id("layer-zoom-substations")).to_have_count(0)
    toggle.check()
    zoom = page.get_by_test_id("layer-zoom-substations")
    expect(zoom).to_be_enabled()
    zoom.click()
    page.wait_for_function("() => !window.quvvat.map.isMoving()")
    driver.wait_idle()
    page.wait_for_function(
        "() => window.quvvat.map.queryRenderedFeatures("
        "{layers: ['substations-points']}).length > 0",
        timeout=20000,
    )
    token = page.evaluate("() => localStorage.getItem('quvvat.token')")
    substations = [t for t in log.restricted() if "/tiles/substations/" in t[0]]
    assert substations
    assert all(t[1] == 200 for t in substations), substations
    assert all(t[2] == f"Bearer {token}" for t in substations), substations
    assert [t for t in log.seen if t[1] >= 400] == []
    assert log.console == [] and driver.messages() == []

    # Signing out takes them away again, without asking for their tiles.
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login")).to_be_visible()
    for layer in RESTRICTED:
        expect(page.get_by_test_id(f"layer-{layer}")).to_have_count(0)
    assert (
        page.evaluate("() => window.quvvat.map.getLayer('substations-points')") is None
    )
    before = len(log.restricted())
    driver.fly_to(69.27, 41.3, 11)
    assert len(log.restricted()) == before
    assert [t for t in log.seen if t[1] >= 400] == []
    assert log.console == []
