"""Domain driver for the map app: what a user does and sees, in map terms."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image
from playwright.sync_api import Page, expect


@dataclass(frozen=True)
class StationOnScreen:
    id: int
    name: str
    status: str
    x: float
    y: float


class MapDriver:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    def open(self, path: str = "/", timeout_ms: int = 20000) -> None:
        self.page.goto(self.base_url + path)
        self.wait_for_stations(timeout_ms)

    def open_map(self, path: str, timeout_ms: int = 20000) -> None:
        """Open a view that may show no stations (their layer off): wait for the map."""
        self.page.goto(self.base_url + path)
        self.page.wait_for_function(
            "() => window.quvvat && window.quvvat.map.loaded()", timeout=timeout_ms
        )

    def sign_in(self, username: str, password: str, role: str) -> None:
        """Sign in with the top bar's dialog and wait until the app shows the role."""
        self.page.get_by_test_id("login").click()
        self.page.get_by_test_id("login-username").fill(username)
        self.page.get_by_test_id("login-password").fill(password)
        self.page.get_by_test_id("login-submit").click()
        expect(self.page.get_by_test_id("login-dialog")).to_have_count(0)
        expect(self.page.get_by_test_id("user-role")).to_have_attribute(
            "data-role", role
        )

    def wait_for_stations(self, timeout_ms: int = 20000) -> None:
        self.page.wait_for_function(
            "() => window.quvvat && window.quvvat.firstStationsAt !== null",
            timeout=timeout_ms,
        )

    def wait_idle(self) -> None:
        self.page.wait_for_function(
            "() => window.quvvat && window.quvvat.map.loaded()", timeout=20000
        )

    def stations_on_screen(self) -> list[StationOnScreen]:
        """Unclustered station markers drawn in the viewport, with screen positions."""
        rows: list[dict[str, Any]] = self.page.evaluate(
            """() => {
              const m = window.quvvat.map;
              return m.queryRenderedFeatures({layers: ['stations-points']}).map(f => {
                const p = m.project(f.geometry.coordinates);
                return {id: f.id, name: f.properties.name, status: f.properties.status,
                        x: p.x, y: p.y};
              });
            }"""
        )
        return [StationOnScreen(**r) for r in rows]

    def clusters_on_screen(self) -> int:
        n: int = self.page.evaluate(
            "() => window.quvvat.map.queryRenderedFeatures("
            "{layers: ['stations-clusters']}).length"
        )
        return n

    def pixel_at_station(self, s: StationOnScreen) -> tuple[int, int, int]:
        """The colour drawn at the centre of a station marker (from a screenshot)."""
        box = self.page.get_by_test_id("map").bounding_box()
        assert box is not None
        png = self.page.screenshot(
            clip={
                "x": box["x"] + s.x - 1,
                "y": box["y"] + s.y - 1,
                "width": 3,
                "height": 3,
            }
        )
        r, g, b = Image.open(io.BytesIO(png)).convert("RGB").getpixel((1, 1))  # type: ignore[misc]
        return int(r), int(g), int(b)

    def fly_to(self, lon: float, lat: float, zoom: float) -> None:
        self.page.evaluate(
            "([lon, lat, z]) => window.quvvat.map.jumpTo({center: [lon, lat], zoom: z})",
            [lon, lat, zoom],
        )
        self.wait_idle()

    def choose_language(self, lang: str) -> None:
        self.page.get_by_test_id("lang-select").select_option(lang)
        self.page.wait_for_function(f"() => document.documentElement.lang === '{lang}'")

    def ui_texts(self) -> dict[str, str]:
        """Text of every labelled control (test id -> text), for language checks."""
        texts: dict[str, str] = self.page.evaluate(
            """() => {
              const out = {};
              const els = document.querySelectorAll(
                '.toolbar button, .tabs button, .layer-head span, .legend li, h2, h3,'
                + ' [data-testid="live-indicator"], [data-testid="login"],'
                + ' .timeline label, .field, legend');
              els.forEach((el, i) => {
                const key = (el.getAttribute('data-testid') || el.className || el.tagName)
                  + ':' + i;
                out[key] = el.textContent.trim();
              });
              return out;
            }"""
        )
        return texts

    def messages(self) -> list[str]:
        return [m.inner_text() for m in self.page.get_by_test_id("message").all()]
