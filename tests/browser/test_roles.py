"""Who may do what, in a real browser, on a writable copy of the sample: signing in
and out, the station panel (connectors, tariff, last sessions, energy per day), the
operator commands a technician sends to a simulated charge point (and a client or
an anonymous visitor neither sees nor may send), and the sessions view (filter,
sort, CSV export of exactly the rows shown)."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from pydantic import SecretStr
from sqlalchemy import create_engine, text

from app.services.charge_points import password_hasher
from app.settings import Settings
from app.sim.charge_point import connected
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.driver import MapDriver

pytestmark = pytest.mark.browser

ADMIN_TOKEN = "browser-admin-token-roles-0123456789"
PASSWORD = "Str0ng!Passw0rd"
TECH = "tech.roles@example.uz"
CLIENT = "driver.roles@example.uz"
ADMIN = "admin.roles@example.uz"
CP_PASSWORD = "correct-horse-battery-staple"
TARIFF = "Roles test tariff"
TASHKENT_OFFSET = timedelta(hours=5)  # Asia/Tashkent, no DST


@dataclass(frozen=True)
class World:
    url: str
    db: str
    site_id: int
    site_name: str
    cp_id: str  # the station's only charge point (the technician's operator)
    other_cp_id: str  # another station of the same operator
    foreign_cp_id: str  # a station of another operator
    operator_id: int


def _api(server: LiveServer, method: str, path: str, token: str, **kw: Any) -> Any:
    r = httpx.request(
        method,
        server.url + path,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        **kw,
    )
    assert r.status_code in (200, 201), r.text
    return r.json()


def _sessions(conn: Any, cp_id: str, rows: list[tuple[float, int]]) -> None:
    """Completed sessions on ``cp_id``: (days ago, Wh) each, 1 h long, 2,500 so'm/kWh."""
    now = datetime.now(UTC)
    for i, (days_ago, wh) in enumerate(rows):
        start = now - timedelta(days=days_ago)
        conn.execute(
            text(
                "INSERT INTO transaction (charge_point_id, transaction_uid, evse_id,"
                " connector_id, id_tag, status, started_at, stopped_at, meter_start_wh,"
                " meter_stop_wh, energy_wh, cost_uzs) VALUES (:cp, :uid, 1, 1, 'TAG1',"
                " 'completed', :s, :e, 0, :wh, :wh, :cost)"
            ),
            {
                "cp": cp_id,
                "uid": f"T-{cp_id}-{i}",
                "s": start,
                "e": start + timedelta(hours=1),
                "wh": wh,
                "cost": wh * 5 // 2,
            },
        )


@pytest.fixture(scope="module")
def world(module_sample_db: str, built_frontend: Path) -> Iterator[World]:
    engine = create_engine(module_sample_db)
    with engine.begin() as conn:
        # A Tashkent station with one charge point; another station of its operator;
        # a station of another operator.
        site_id, name, op, cp_id = conn.execute(
            text(
                "SELECT s.id, s.name, s.operator_id, min(cp.id) FROM site s"
                " JOIN charge_point cp ON cp.site_id = s.id"
                " WHERE s.city = 'Tashkent' AND s.operator_id IS NOT NULL"
                " GROUP BY s.id HAVING count(*) = 1 ORDER BY s.id LIMIT 1"
            )
        ).one()
        other_cp = conn.execute(
            text(
                "SELECT min(cp.id) FROM charge_point cp JOIN site s ON s.id = cp.site_id"
                " WHERE s.operator_id = :op AND s.id <> :s"
            ),
            {"op": op, "s": site_id},
        ).scalar_one()
        foreign_cp = conn.execute(
            text(
                "SELECT min(cp.id) FROM charge_point cp JOIN site s ON s.id = cp.site_id"
                " WHERE s.operator_id <> :op"
            ),
            {"op": op},
        ).scalar_one()
        conn.execute(
            text(
                "UPDATE charge_point SET password_hash = :h, security_profile = 1,"
                " registration_status = 'Accepted' WHERE id = :i"
            ),
            {"i": cp_id, "h": password_hasher().hash(CP_PASSWORD)},
        )
        # Six sessions in the last fortnight (two on one day) and one older.
        _sessions(
            conn,
            cp_id,
            [
                (0.1, 12_000),
                (1.3, 30_500),
                (1.5, 8_000),
                (3.2, 45_200),
                (5.4, 21_000),
                (9.0, 15_000),
                (20.0, 50_000),
            ],
        )
        # One at 01:30 in Tashkent two days ago: the day before in UTC.
        late = (
            datetime.combine(
                (datetime.now(UTC) + TASHKENT_OFFSET).date() - timedelta(days=2),
                datetime.min.time(),
                tzinfo=UTC,
            )
            + timedelta(hours=1, minutes=30)
            - TASHKENT_OFFSET
        )
        late_days_ago = (datetime.now(UTC) - late) / timedelta(days=1)
        _sessions(
            conn,
            other_cp,
            [(0.5, 7_000), (2.5, 64_000), (4.5, 3_000), (late_days_ago, 4_321)],
        )
        _sessions(conn, foreign_cp, [(0.7, 11_000), (1.7, 9_000)])
    engine.dispose()
    settings = Settings(
        database_url=module_sample_db,
        frontend_dist=built_frontend,
        admin_token=SecretStr(ADMIN_TOKEN),
    )
    with LiveServer(settings) as server:
        for email, role, ops in (
            (TECH, "technician", [op]),
            (CLIENT, "client", []),
            (ADMIN, "admin", []),
        ):
            _api(
                server,
                "POST",
                "/api/users",
                ADMIN_TOKEN,
                json={
                    "email": email,
                    "password": PASSWORD,
                    "role": role,
                    "operator_ids": ops,
                },
            )
        yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        _api(
            server,
            "POST",
            "/api/tariffs",
            ADMIN_TOKEN,
            json={
                "name": TARIFF,
                "operator_id": op,
                "valid_from": yesterday,
                "energy_uzs_per_kwh": 2500,
                "session_fee_uzs": 1000,
            },
        )
        yield World(
            server.url,
            module_sample_db,
            int(site_id),
            str(name),
            str(cp_id),
            str(other_cp),
            str(foreign_cp),
            int(op),
        )


@pytest.fixture
def driver(page: Page, world: World) -> MapDriver:
    return MapDriver(page, world.url)


def token_of(world: World, email: str) -> str:
    r = httpx.post(
        f"{world.url}/api/auth/token",
        data={"grant_type": "password", "username": email, "password": PASSWORD},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    tok: str = r.json()["access_token"]
    return tok


def sign_in(page: Page, email: str, role: str) -> None:
    page.get_by_test_id("login").click()
    page.get_by_test_id("login-username").fill(email)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-dialog")).to_have_count(0)
    expect(page.get_by_test_id("user-role")).to_have_attribute("data-role", role)


def open_station(driver: MapDriver, world: World) -> None:
    """Find the station by name in the search box and open its panel."""
    page = driver.page
    page.get_by_test_id("search").fill("")
    page.get_by_test_id("search").fill(world.site_name)
    hit = page.get_by_test_id("search-results").get_by_role(
        "button", name=re.compile(rf"^{re.escape(world.site_name)}\b")
    )
    expect(hit).to_have_count(1)
    hit.click()
    expect(page.get_by_test_id("station-name")).to_have_text(world.site_name)
    expect(page.get_by_test_id("connector-row").first).to_be_visible()


def open_home(driver: MapDriver) -> None:
    driver.open("/#v=11/41.3/69.27/0/0")


# --------------------------------------------------------------------- login


def _fake_jwt(claims: dict[str, Any]) -> str:
    def part(d: dict[str, Any]) -> str:
        raw = base64.urlsafe_b64encode(json.dumps(d).encode()).decode()
        return raw.rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def test_sign_in_shows_the_servers_error_then_who_is_signed_in_and_signs_out(
    driver: MapDriver, world: World
) -> None:
    page = driver.page
    open_home(driver)
    page.get_by_test_id("login").click()
    page.get_by_test_id("login-username").fill(TECH)
    page.get_by_test_id("login-password").fill("not-the-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_have_text(
        "Sign-in failed: incorrect e-mail/phone or password"
    )
    expect(page.get_by_test_id("user-role")).to_have_count(0)

    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-dialog")).to_have_count(0)
    user = page.get_by_test_id("user-role")
    expect(user).to_have_attribute("data-role", "technician")
    expect(page.get_by_test_id("user-name")).to_have_text(TECH)
    expect(user).to_contain_text("Signed in as technician")
    expect(page.get_by_test_id("login")).to_have_count(0)
    # Remembered across a reload.
    page.reload()
    expect(page.get_by_test_id("user-name")).to_have_text(TECH)
    token = page.evaluate("() => localStorage.getItem('quvvat.token')")
    me = httpx.get(
        world.url + "/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert me.status_code == 200 and me.json()["email"] == TECH

    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login")).to_be_visible()
    expect(page.get_by_test_id("user-role")).to_have_count(0)
    assert page.evaluate("() => localStorage.getItem('quvvat.token')") is None
    # Signing out ends the login session on the server: the token is refused.
    deadline = time.monotonic() + 5
    while True:
        me = httpx.get(
            world.url + "/api/me",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        if me.status_code == 401 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert me.status_code == 401, me.text


def test_an_expired_token_signs_the_user_out_instead_of_breaking_the_panel(
    driver: MapDriver, world: World
) -> None:
    """The API refuses every request that carries an expired token, even public
    ones: the app must drop it, not send it with each request."""
    page = driver.page
    expired = _fake_jwt(
        {"sub": "1", "role": "technician", "typ": "access", "exp": 1_600_000_000}
    )
    page.add_init_script(f"localStorage.setItem('quvvat.token', '{expired}')")
    open_home(driver)
    expect(page.get_by_test_id("login")).to_be_visible()
    expect(page.get_by_test_id("user-role")).to_have_count(0)
    open_station(driver, world)
    expect(page.get_by_test_id("station-details-error")).to_have_count(0)
    expect(page.get_by_test_id("station-commands")).to_have_count(0)


# ------------------------------------------------------------- what roles see


def test_anonymous_visitor_and_client_see_no_commands_and_the_api_refuses_them(
    driver: MapDriver, world: World
) -> None:
    page = driver.page
    open_home(driver)
    open_station(driver, world)
    panel = page.get_by_test_id("station-panel")
    # The public panel: connectors and tariff, no operator data, no commands.
    expect(page.get_by_test_id("station-tariff")).to_contain_text(TARIFF)
    expect(page.get_by_test_id("station-commands")).to_have_count(0)
    expect(page.get_by_test_id("station-sessions")).to_have_count(0)
    expect(panel).not_to_contain_text("not available")
    expect(page.get_by_test_id("sessions")).to_have_count(0)
    r = httpx.post(
        f"{world.url}/charge-points/{world.cp_id}/reset", json={"type": "soft"}
    )
    assert r.status_code == 401, r.text
    assert httpx.get(f"{world.url}/sessions").status_code == 401

    page.get_by_test_id("station-panel").get_by_role("button", name="Close").click()
    sign_in(page, CLIENT, "client")
    expect(page.get_by_test_id("user-name")).to_have_text(CLIENT)
    open_station(driver, world)
    expect(page.get_by_test_id("station-tariff")).to_contain_text(TARIFF)
    expect(page.get_by_test_id("station-commands")).to_have_count(0)
    expect(page.get_by_test_id("station-sessions")).to_have_count(0)
    expect(panel).not_to_contain_text("not available")
    # No sessions view either (a driver's own sessions are in the cabinet).
    expect(page.get_by_test_id("sessions")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "roles_client_station.png"))
    auth = {"Authorization": f"Bearer {token_of(world, CLIENT)}"}
    for path, body in (
        (f"/charge-points/{world.cp_id}/reset", {"type": "soft"}),
        (f"/charge-points/{world.cp_id}/remote-start", {"id_tag": "X"}),
        (f"/charge-points/{world.cp_id}/availability", {"operative": False}),
    ):
        r = httpx.post(world.url + path, json=body, headers=auth)
        assert r.status_code == 403, (path, r.text)
    assert httpx.get(f"{world.url}/sessions", headers=auth).status_code == 403


# ------------------------------------------------------------- station panel


def _expected_days(db: str, cp_id: str) -> dict[str, int]:
    """Energy per Tashkent day of the last 14 days (as the chart groups them)."""
    engine = create_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT started_at, energy_wh FROM transaction WHERE charge_point_id = :c"
            ),
            {"c": cp_id},
        ).all()
    engine.dispose()
    now = datetime.now(UTC)
    days = {
        (now + TASHKENT_OFFSET - timedelta(days=i)).date().isoformat(): 0
        for i in range(14)
    }
    for started, wh in rows:
        key = (started + TASHKENT_OFFSET).date().isoformat()
        if key in days:
            days[key] += int(wh or 0)
    return days


def test_station_panel_shows_connectors_tariff_last_sessions_and_energy_chart(
    driver: MapDriver, world: World
) -> None:
    page = driver.page
    engine = create_engine(world.db)
    with engine.connect() as conn:
        connectors = conn.execute(
            text(
                "SELECT e.evse_id, c.connector_id, c.type, c.max_power_kw, c.status"
                " FROM connector c JOIN evse e ON e.id = c.evse_pk"
                " WHERE e.charge_point_id = :c ORDER BY 1, 2"
            ),
            {"c": world.cp_id},
        ).all()
        newest = [
            int(i)
            for (i,) in conn.execute(
                text(
                    "SELECT id FROM transaction WHERE charge_point_id = :c"
                    " ORDER BY started_at DESC LIMIT 5"
                ),
                {"c": world.cp_id},
            )
        ]
    engine.dispose()
    assert connectors
    open_home(driver)
    sign_in(page, TECH, "technician")
    open_station(driver, world)

    rows = page.get_by_test_id("connector-row")
    expect(rows).to_have_count(len(connectors))
    for i, (evse, conn_id, ctype, kw, status) in enumerate(connectors):
        row = rows.nth(i)
        expect(row).to_contain_text(f"{world.cp_id} #{evse}/{conn_id}")
        expect(row).to_contain_text(str(ctype).replace("_", " "))
        expect(row).to_contain_text(f"{float(kw):g}\u00a0kW")
        expect(row).to_contain_text(str(status))

    expect(page.get_by_test_id("station-tariff")).to_have_text(
        f"{TARIFF}: 2,500\u00a0so'm per kWh · session fee 1,000\u00a0so'm"
    )

    # The five newest sessions, newest first, with their energy and cost.
    shown = page.get_by_test_id("station-session")
    expect(shown).to_have_count(5)
    ids = [int(x) for x in shown.evaluate_all("rs => rs.map(r => r.dataset.sessionId)")]
    assert ids == newest
    expect(shown.first).to_contain_text("12\u00a0kWh")
    expect(shown.first).to_contain_text("30,000\u00a0so'm")

    # The chart: one bar per day of the last 14 (Tashkent days), heights in
    # proportion to the energy of that day; older sessions are left out.
    expected = _expected_days(world.db, world.cp_id)
    bars = page.get_by_test_id("energy-bar")
    expect(bars).to_have_count(14)
    drawn = bars.evaluate_all(
        """bs => bs.map(b => [b.dataset.day, Number(b.dataset.wh),
             b.querySelector('.bar').getBoundingClientRect().height,
             b.getBoundingClientRect().height])"""
    )
    assert {d: wh for d, wh, _, _ in drawn} == expected
    assert sum(expected.values()) == 12_000 + 30_500 + 8_000 + 45_200 + 21_000 + 15_000
    top = max(expected.values())
    tallest = max(h for _, _, h, _ in drawn)
    assert tallest > 20, drawn
    for day, wh, h, _ in drawn:
        assert abs(h - tallest * wh / top) <= 1.5, (day, wh, h)
    page.get_by_test_id("station-panel").screenshot(
        path=str(ARTIFACTS / "roles_station_panel.png")
    )


# ------------------------------------------------------------------ commands


@dataclass
class SimPoint:
    """A simulated charge point kept connected (on its own loop) until ``done``."""

    url: str
    cp_id: str
    ready: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    async def _run(self) -> None:
        async with connected(
            self.url, self.cp_id, "ocpp1.6", password=CP_PASSWORD
        ) as cp:
            await cp.boot()
            for evse in (1, 2):
                await cp.status(evse, "Available")
            self.ready.set()
            await asyncio.to_thread(self.done.wait, 120)

    def run(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as e:  # handed to the test thread
            self.error = e
            self.ready.set()


def _wait_session(
    world: World, status: str, session_id: int | None = None
) -> dict[str, Any]:
    """The newest session of the station's charge point once it has ``status``."""
    engine = create_engine(world.db)
    try:
        deadline = time.monotonic() + 15
        while True:
            with engine.connect() as conn:
                row = (
                    conn.execute(
                        text(
                            "SELECT id, status, id_tag, stop_reason FROM transaction"
                            " WHERE charge_point_id = :c AND (CAST(:i AS bigint) IS NULL OR id = :i)"
                            " ORDER BY started_at DESC LIMIT 1"
                        ),
                        {"c": world.cp_id, "i": session_id},
                    )
                    .mappings()
                    .first()
                )
            if row is not None and row["status"] == status:
                return dict(row)
            assert time.monotonic() < deadline, f"no {status} session: {row}"
            time.sleep(0.1)
    finally:
        engine.dispose()


def _result(page: Page, button: str, expected: str) -> None:
    page.get_by_test_id(f"cmd-{button}").click()
    expect(page.get_by_test_id("command-result")).to_have_text(expected, timeout=15000)


def test_technician_sends_commands_and_sees_their_results(
    driver: MapDriver, world: World
) -> None:
    page = driver.page
    open_home(driver)
    sign_in(page, TECH, "technician")
    open_station(driver, world)
    commands = page.get_by_test_id("station-commands")
    expect(commands).to_be_visible()
    expect(commands).to_contain_text(world.cp_id)
    for c in ("remoteStart", "remoteStop", "reset", "available", "unavailable"):
        expect(page.get_by_test_id(f"cmd-{c}")).to_be_enabled()
    expect(page.get_by_test_id("sessions")).to_be_visible()

    # Not connected: the API's clear answer, shown in the panel.
    _result(
        page,
        "reset",
        f"Reset failed: charge point {world.cp_id} is offline; the command was not sent",
    )

    sim = SimPoint(f"ws://{world.url.removeprefix('http://')}/ocpp", world.cp_id)
    thread = threading.Thread(target=sim.run, daemon=True)
    thread.start()
    try:
        assert sim.ready.wait(30)
        assert sim.error is None, sim.error
        status = page.get_by_test_id("station-status")
        expect(status).to_have_text("Available", timeout=5000)
        _result(page, "reset", "Reset: Accepted")
        # Unavailable: accepted, and the charge point's new status arrives live.
        _result(page, "unavailable", "Set unavailable: Accepted")
        expect(status).to_have_text("Unavailable", timeout=5000)
        _result(page, "available", "Set available: Accepted")
        expect(status).to_have_text("Available", timeout=5000)
        # A remote start begins a session; remote stop finds and ends it.
        _result(page, "remoteStart", "Remote start: Accepted")
        started = _wait_session(world, "active")
        assert started["id_tag"] == "OPERATOR"
        _result(page, "remoteStop", "Remote stop: Accepted")
        stopped = _wait_session(world, "completed", started["id"])
        assert stopped["stop_reason"] == "Remote"
        page.get_by_test_id("station-panel").screenshot(
            path=str(ARTIFACTS / "roles_commands.png")
        )
        assert sim.error is None, sim.error
    finally:
        sim.done.set()
        thread.join(timeout=30)


# ------------------------------------------------------------- sessions view


def _scope_sessions(world: World) -> list[dict[str, Any]]:
    """Sessions the technician may see (their operator's), newest first."""
    engine = create_engine(world.db)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT t.id, t.charge_point_id, t.started_at, t.energy_wh, t.cost_uzs"
                " FROM transaction t JOIN charge_point cp ON cp.id = t.charge_point_id"
                " JOIN site s ON s.id = cp.site_id WHERE s.operator_id = :op"
                " ORDER BY t.started_at DESC"
            ),
            {"op": world.operator_id},
        ).mappings()
        out = [dict(r) for r in rows]
    engine.dispose()
    return out


def _shown_ids(page: Page) -> list[int]:
    ids = page.get_by_test_id("sessions-row").evaluate_all(
        "rs => rs.map(r => Number(r.dataset.sessionId))"
    )
    return [int(i) for i in ids]


def _export(page: Page, tmp_path: Path) -> list[dict[str, str]]:
    with page.expect_download() as info:
        page.get_by_test_id("sessions-export").click()
    d = info.value
    assert d.suggested_filename.endswith(".csv")
    path = tmp_path / d.suggested_filename
    d.save_as(path)
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_sessions_view_filters_sorts_and_exports_what_it_shows(
    driver: MapDriver, world: World, tmp_path: Path
) -> None:
    page = driver.page
    truth = _scope_sessions(world)
    mine = {world.cp_id, world.other_cp_id}
    assert {r["charge_point_id"] for r in truth} == mine
    open_home(driver)
    sign_in(page, TECH, "technician")
    page.get_by_test_id("sessions").click()
    view = page.get_by_test_id("sessions-view")
    expect(view).to_be_visible()
    rows = page.get_by_test_id("sessions-row")
    expect(rows).to_have_count(len(truth))
    # Newest first; only the technician's operator (not the foreign station).
    assert _shown_ids(page) == [r["id"] for r in truth]
    expect(view).not_to_contain_text(world.foreign_cp_id)

    # Filter by charge point.
    page.get_by_test_id("sessions-filter").fill(world.other_cp_id)
    other = [r for r in truth if r["charge_point_id"] == world.other_cp_id]
    expect(rows).to_have_count(len(other))
    assert _shown_ids(page) == [r["id"] for r in other]

    # Sort by energy: largest first, then smallest first.
    page.get_by_test_id("sessions-filter").fill("")
    expect(rows).to_have_count(len(truth))
    page.get_by_test_id("sessions-sort-energy_wh").click()
    by_energy = sorted(truth, key=lambda r: r["energy_wh"] or 0, reverse=True)
    shown = _shown_ids(page)
    energy = {r["id"]: r["energy_wh"] or 0 for r in truth}
    assert [energy[i] for i in shown] == [r["energy_wh"] or 0 for r in by_energy]
    expect(rows.first).to_contain_text("64\u00a0kWh")
    page.get_by_test_id("sessions-sort-energy_wh").click()
    shown = _shown_ids(page)
    assert [energy[i] for i in shown] == sorted(energy[i] for i in shown)

    # A period: the last three Tashkent days.
    today = (datetime.now(UTC) + TASHKENT_OFFSET).date()
    since = (today - timedelta(days=2)).isoformat()
    page.get_by_test_id("sessions-from").fill(since)
    recent = [
        r
        for r in truth
        if (r["started_at"] + TASHKENT_OFFSET).date().isoformat() >= since
    ]
    assert 0 < len(recent) < len(truth)
    # The day is Tashkent's, as the table shows it (not the UTC date of the API's
    # timestamp): the session at 01:30 on the first day is in.
    assert any(r["energy_wh"] == 4_321 for r in recent)
    expect(rows).to_have_count(len(recent))
    expect(view).to_contain_text("4.3\u00a0kWh")

    # The CSV holds exactly the rows shown, in the order shown.
    shown = _shown_ids(page)
    exported = _export(page, tmp_path)
    assert [int(r["id"]) for r in exported] == shown
    by_id = {r["id"]: r for r in truth}
    for row in exported:
        t = by_id[int(row["id"])]
        assert row["charge_point_id"] == t["charge_point_id"]
        for col in ("energy_wh", "cost_uzs"):
            assert (int(row[col]) if row[col] else None) == t[col], (col, row, t)
        assert datetime.fromisoformat(row["started_at"]) == t["started_at"]
    page.screenshot(path=str(ARTIFACTS / "roles_sessions_view.png"))


def test_an_admin_sees_every_operators_sessions_and_the_commands(
    driver: MapDriver, world: World
) -> None:
    page = driver.page
    engine = create_engine(world.db)
    with engine.connect() as conn:
        everything = [
            int(i)
            for (i,) in conn.execute(
                text("SELECT id FROM transaction ORDER BY started_at DESC")
            )
        ]
    engine.dispose()
    open_home(driver)
    sign_in(page, ADMIN, "admin")
    page.get_by_test_id("sessions").click()
    expect(page.get_by_test_id("sessions-row")).to_have_count(len(everything))
    assert _shown_ids(page) == everything
    expect(page.get_by_test_id("sessions-view")).to_contain_text(world.foreign_cp_id)
    page.get_by_test_id("sessions-view").get_by_role("button", name="Close").click()
    open_station(driver, world)
    expect(page.get_by_test_id("station-commands")).to_be_visible()
    expect(page.get_by_test_id("station-session")).to_have_count(5)
