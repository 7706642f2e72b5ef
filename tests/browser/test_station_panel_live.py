"""The open station panel follows the live link: a simulated charge point (a real
OCPP client over a real WebSocket) changes a connector's status and the panel shows
it within 2 s without being reopened; a command's result re-reads the station; and
in 3D the station's deck.gl column is re-coloured by the same live event."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Locator, Page, Request, expect
from sqlalchemy import create_engine, text

from app.services.charge_points import password_hasher
from app.sim.charge_point import connected
from tests.browser.driver import MapDriver, StationOnScreen
from tests.browser.test_map import STATUS_RGB
from tests.browser.test_roles import (
    CP_PASSWORD,
    TECH,
    World,
    sign_in,
    world,  # noqa: F401  (the module's server, technician and operator)
)

pytestmark = pytest.mark.browser

LON, LAT = 64.012, 40.493  # open desert near Navoi: no other station within view
T = TypeVar("T")


@dataclass(frozen=True)
class Station:
    id: int
    name: str
    cp_id: str


@pytest.fixture
def driver(page: Page, world: World) -> MapDriver:  # noqa: F811
    return MapDriver(page, world.url)


@pytest.fixture(scope="module")
def station(module_sample_db: str, world: World) -> Station:  # noqa: F811
    """A station of the technician's operator, alone in view: one charge point that
    may connect (password) with two EVSEs of one connector each."""
    cp_id = "PANEL-LIVE-1"
    name = "Panel live test station"
    engine = create_engine(module_sample_db)
    with engine.begin() as conn:
        site_id = conn.execute(
            text(
                "INSERT INTO site (ext_id, name, city, operator_id, source, geom) VALUES"
                " (:e, :n, 'Navoi', :op, 'test', ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
                " RETURNING id"
            ),
            {"e": cp_id, "n": name, "op": world.operator_id, "x": LON, "y": LAT},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO charge_point (id, site_id, password_hash, security_profile,"
                " registration_status, source) VALUES (:i, :s, :h, 1, 'Accepted', 'test')"
            ),
            {"i": cp_id, "s": site_id, "h": password_hasher().hash(CP_PASSWORD)},
        )
        for evse, ctype, kw in ((1, "CCS2", 150), (2, "TYPE2", 22)):
            conn.execute(
                text(
                    "WITH e AS (INSERT INTO evse (charge_point_id, evse_id)"
                    " VALUES (:cp, :evse) RETURNING id)"
                    " INSERT INTO connector (evse_pk, connector_id, type, max_power_kw)"
                    " SELECT id, 1, :t, :kw FROM e"
                ),
                {"cp": cp_id, "evse": evse, "t": ctype, "kw": kw},
            )
    engine.dispose()
    return Station(int(site_id), name, cp_id)


class ChargePoint:
    """A simulated OCPP 1.6 charge point on its own event loop (a thread), told from
    the test what to send: boots, says both connectors are Available, then waits."""

    def __init__(self, world: World, cp_id: str) -> None:  # noqa: F811
        self.url = f"ws://{world.url.removeprefix('http://')}/ocpp"
        self.cp_id = cp_id
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._link: Any = None
        self._cp: Any = None

    def _do(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _open(self) -> None:
        self._link = connected(self.url, self.cp_id, "ocpp1.6", password=CP_PASSWORD)
        self._cp = await self._link.__aenter__()
        assert await self._cp.boot() == "Accepted"
        for connector in (1, 2):
            await self._cp.status(connector, "Available")

    def status(self, connector: int, status: str) -> None:
        """Send a StatusNotification; back once the server has answered it."""
        self._do(self._cp.status(connector, status))

    def drop(self) -> None:
        """Close the socket (the link is down)."""
        self._do(self._link.__aexit__(None, None, None))
        self._link = None

    def reopen(self) -> None:
        """Connect again: boot, both connectors Available."""
        self._do(self._open())

    def __enter__(self) -> ChargePoint:
        self.thread.start()
        self._do(self._open())
        return self

    def __exit__(self, *_: object) -> None:
        try:
            if self._link is not None:
                self._do(self._link.__aexit__(None, None, None))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            self.loop.close()


def _on_screen(driver: MapDriver, station: Station) -> StationOnScreen:
    deadline = time.monotonic() + 10
    while True:
        found = [s for s in driver.stations_on_screen() if s.id == station.id]
        if found:
            return found[0]
        assert time.monotonic() < deadline, "the station is not drawn"
        driver.page.wait_for_timeout(100)


def _connector_rows(page: Page, cp_id: str) -> tuple[Locator, Locator]:
    rows = page.get_by_test_id("connector-row")
    expect(rows).to_have_count(2)
    return (
        rows.filter(has_text=f"{cp_id} #1/1"),
        rows.filter(has_text=f"{cp_id} #2/1"),
    )


def test_open_panel_follows_live_connector_status_and_commands(
    driver: MapDriver,
    world: World,  # noqa: F811
    station: Station,
) -> None:
    page = driver.page
    driver.open(f"/#v=14/{LAT}/{LON}/0/0")
    sign_in(page, TECH, "technician")
    page.wait_for_selector('[data-testid="live-indicator"][data-state="up"]')
    with ChargePoint(world, station.cp_id) as cp:
        # The technician opens the station's panel with a click on its marker.
        s = _on_screen(driver, station)
        page.get_by_test_id("map").click(position={"x": s.x, "y": s.y})
        panel = page.get_by_test_id("station-panel")
        expect(page.get_by_test_id("station-name")).to_have_text(station.name)
        first, second = _connector_rows(page, station.cp_id)
        expect(first).to_contain_text("Available")
        expect(first).to_have_attribute("data-status", "available")
        expect(second).to_contain_text("Available")
        expect(page.get_by_test_id("station-status")).to_have_text("Available")
        # Marked, to tell afterwards that this very panel was updated in place
        # (neither closed and reopened nor drawn anew).
        panel.evaluate("el => { el.dataset.probe = 'same-panel'; }")

        # A StatusNotification from the charge point: the open panel shows it.
        sent = time.monotonic()
        cp.status(1, "Faulted")
        expect(first).to_have_attribute("data-status", "faulted", timeout=2000)
        elapsed = time.monotonic() - sent
        assert elapsed < 2.0, f"the panel took {elapsed:.2f} s"
        expect(first).to_contain_text("Faulted")
        expect(second).to_contain_text("Available")
        expect(second).to_have_attribute("data-status", "available")
        # One connector is still available: so is the station.
        expect(page.get_by_test_id("station-status")).to_have_text("Available")

        cp.status(2, "Charging")
        expect(second).to_have_attribute("data-status", "charging", timeout=2000)
        expect(second).to_contain_text("Charging")
        expect(page.get_by_test_id("station-status")).to_have_text("Charging")

        # A command: set the charge point unavailable (ChangeAvailability
        # Inoperative). Its result comes back, the station is read again, and the
        # new state shows in the same panel.
        def station_read(r: Request) -> bool:
            return r.method == "GET" and r.url.endswith(f"/api/stations/{station.id}")

        def command(button: str, label: str, status: str, shown: str) -> None:
            with page.expect_request(station_read, timeout=15000):
                page.get_by_test_id(button).click()
                expect(page.get_by_test_id("command-result")).to_have_text(
                    f"{label}: Accepted", timeout=15000
                )
            for row in (first, second):
                expect(row).to_have_attribute("data-status", status, timeout=5000)
                expect(row).to_contain_text(shown)
            expect(page.get_by_test_id("station-status")).to_have_text(shown)

        command("cmd-unavailable", "Set unavailable", "unavailable", "Unavailable")
        command("cmd-available", "Set available", "available", "Available")  # and back

        # The charge point's link drops: its connectors keep their last status,
        # shown as offline, and come back when it reconnects.
        cp.drop()
        for row in (first, second):
            expect(row).to_have_attribute("data-status", "offline", timeout=2000)
            expect(row).to_contain_text("Offline (last: Available)")
        expect(page.get_by_test_id("station-status")).to_have_text("Offline")
        cp.reopen()
        for row in (first, second):
            expect(row).to_have_attribute("data-status", "available", timeout=2000)
            expect(row).not_to_contain_text("Offline")
        expect(page.get_by_test_id("station-status")).to_have_text("Available")

        expect(panel).to_have_attribute("data-probe", "same-panel")
        expect(panel).to_have_count(1)


def _column(driver: MapDriver, s: StationOnScreen, station: Station) -> str | None:
    """The status colouring the station's deck.gl column (deck.gl picking: what is
    drawn at the foot of the marker)."""
    statuses: dict[str, str] = driver.page.evaluate(
        "([x, y]) => window.quvvat.columnStatusesAt ? window.quvvat.columnStatusesAt(x, y) : {}",
        [s.x, s.y - 3],
    )
    return statuses.get(str(station.id))


COLUMN_PROBE_PX = 30  # above the marker (150 kW: a column about 75 px high)


def _column_pixel(driver: MapDriver, s: StationOnScreen) -> tuple[int, int, int]:
    """The colour drawn on the column's body, above the marker."""
    return driver.pixel_at_station(
        StationOnScreen(s.id, s.name, s.status, s.x, s.y - COLUMN_PROBE_PX)
    )


def _hue_of(rgb: tuple[int, int, int]) -> str:
    """Which of red and green dominates (the column is shaded by deck.gl's light)."""
    r, g, _ = rgb
    return "red" if r > g + 40 else "green" if g > r + 40 else "neither"


def test_3d_column_is_recoloured_by_a_live_status(
    driver: MapDriver,
    world: World,  # noqa: F811
    station: Station,
) -> None:
    page = driver.page
    driver.open(f"/#v=14/{LAT}/{LON}/-15/55&3d=1")
    page.wait_for_function(
        "() => typeof window.quvvat.columnStatusesAt === 'function'", timeout=20000
    )
    page.wait_for_selector('[data-testid="live-indicator"][data-state="up"]')
    driver.wait_idle()
    with ChargePoint(world, station.cp_id) as cp:
        s = _on_screen(driver, station)
        deadline = time.monotonic() + 10
        while _column(driver, s, station) != "available":
            assert time.monotonic() < deadline, _column(driver, s, station)
            page.wait_for_timeout(50)
        available = _hue_of(STATUS_RGB["available"])
        assert _hue_of(_column_pixel(driver, s)) == available, _column_pixel(driver, s)

        cp.status(1, "Faulted")
        sent = time.monotonic()
        cp.status(2, "Faulted")
        while _column(driver, s, station) != "faulted":
            assert time.monotonic() - sent < 2.0, "column not re-coloured within 2 s"
            page.wait_for_timeout(50)
        # Drawn in the new colour too (not only in deck.gl's data).
        faulted = _hue_of(STATUS_RGB["faulted"])
        while _hue_of(_column_pixel(driver, s)) != faulted:
            assert time.monotonic() - sent < 2.0, _column_pixel(driver, s)
            page.wait_for_timeout(50)
