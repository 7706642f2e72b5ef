"""Live status in the browser: a simulated charge point (a real OCPP client over a
real WebSocket) changes status and its marker re-colours within 2 s, no reload."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import create_engine, text

from app.services.charge_points import password_hasher
from app.sim.charge_point import connected
from tests.browser.conftest import LiveServer
from tests.browser.driver import MapDriver
from tests.browser.test_map import STATUS_RGB, close

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple"
LON, LAT = 64.012, 40.493  # open desert near Navoi: no other station within view


@dataclass
class Scenario:
    """Steps of the charge point, run on its own event loop in a thread."""

    url: str
    cp_id: str
    ready: threading.Event = field(default_factory=threading.Event)
    go: threading.Event = field(default_factory=threading.Event)
    sent: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    sent_at: float = 0.0
    error: BaseException | None = None

    async def _run(self) -> None:
        async with connected(self.url, self.cp_id, "ocpp1.6", password=PASSWORD) as cp:
            await cp.boot()
            await cp.status(1, "Available")
            await cp.status(2, "Available")
            self.ready.set()
            await asyncio.to_thread(self.go.wait, 60)
            self.sent_at = time.monotonic()
            await cp.status(1, "Faulted")
            await cp.status(2, "Faulted")
            self.sent.set()
            await asyncio.to_thread(self.done.wait, 60)

    def run(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as e:  # handed to the test thread, which re-raises
            self.error = e
            self.ready.set()
            self.sent.set()


@pytest.fixture
def lonely_station(module_sample_db: str) -> Iterator[tuple[int, str]]:
    """A station with one charge point that may connect (password), alone in view."""
    cp_id = f"LIVE-{uuid.uuid4().hex[:8]}"
    engine = create_engine(module_sample_db)
    with engine.begin() as conn:
        site_id = conn.execute(
            text(
                "INSERT INTO site (ext_id, name, city, source, geom) VALUES"
                " (:e, 'Live test station', 'Navoi', 'test',"
                " ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"
            ),
            {"e": cp_id, "x": LON, "y": LAT},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO charge_point (id, site_id, password_hash, security_profile,"
                " registration_status, source) VALUES (:i, :s, :h, 1, 'Accepted', 'test')"
            ),
            {"i": cp_id, "s": site_id, "h": password_hasher().hash(PASSWORD)},
        )
    engine.dispose()
    yield int(site_id), cp_id


def _marker(driver: MapDriver, site_id: int) -> tuple[int, int, int] | None:
    found = [s for s in driver.stations_on_screen() if s.id == site_id]
    return driver.pixel_at_station(found[0]) if found else None


def test_status_from_a_charge_point_recolours_its_marker_within_2_s(
    driver: MapDriver, live_server: LiveServer, lonely_station: tuple[int, str]
) -> None:
    site_id, cp_id = lonely_station
    scenario = Scenario(f"ws://127.0.0.1:{live_server.port}/ocpp", cp_id)
    thread = threading.Thread(target=scenario.run, daemon=True)
    driver.open(f"/#v=14/{LAT}/{LON}/0/0")
    driver.page.wait_for_selector('[data-testid="live-indicator"][data-state="up"]')
    thread.start()
    try:
        assert scenario.ready.wait(30)
        assert scenario.error is None, scenario.error
        # Available on both EVSEs: green, without reloading the page.
        deadline = time.monotonic() + 10
        while not close(_marker(driver, site_id) or (0, 0, 0), STATUS_RGB["available"]):
            assert time.monotonic() < deadline, "marker never turned available"
            driver.page.wait_for_timeout(50)

        scenario.go.set()
        assert scenario.sent.wait(30)
        assert scenario.error is None, scenario.error
        while not close(_marker(driver, site_id) or (0, 0, 0), STATUS_RGB["faulted"]):
            assert time.monotonic() - scenario.sent_at < 2.0, (
                "not re-coloured within 2 s"
            )
            driver.page.wait_for_timeout(50)
        elapsed = time.monotonic() - scenario.sent_at
        assert elapsed < 2.0
        applied = driver.page.evaluate(f"() => window.quvvat.liveApplied[{site_id}]")
        assert applied == "faulted"
    finally:
        scenario.go.set()
        scenario.done.set()
        thread.join(timeout=30)
