"""The driver's cabinet on a phone-sized screen, against a real server with a simulated
OCPP 1.6 charge point: sign up (the server's errors shown), link an RFID card, pick the
station from favourites, start a charge, watch energy and cost grow, stop it, find the
priced session under "My sessions", download its PDF receipt, read it in Russian."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect
from sqlalchemy import create_engine, text

from app.services.charge_points import password_hasher
from app.sim.charge_point import connected
from tests.browser.cabinet_helpers import shot, sign_in, submit_login, tr
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple"  # the charge point's (OCPP basic auth)
DRIVER_PASSWORD = "Kabinet!2026-haydovchi"
PHONE: ViewportSize = {"width": 390, "height": 844}
CARD_UID = "04a2:b3c4:d5e6"  # typed as printed; the server keeps 04A2B3C4D5E6


def digits(s: str) -> int:
    """A formatted whole number ("1 234 so'm", "1,234 so'm") as int."""
    return int(re.sub(r"\D", "", s))


def _kwh(wh: int) -> str:
    """Energy as the English page writes it: one decimal at most ("1.7 kWh", "2 kWh")."""
    value = (Decimal(wh) / 1000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value:,f}".removesuffix(".0") + "\u00a0kWh"


def pdf_title(pdf: bytes) -> str:
    """The document title of a PDF written by fpdf2 (a hex UTF-16 or a literal string)."""
    m = re.search(rb"/Title\s*<([0-9A-Fa-f]+)>", pdf)
    if m:
        return bytes.fromhex(m.group(1).decode()).decode("utf-16")
    m = re.search(rb"/Title\s*\((.*?)\)", pdf)
    return m.group(1).decode("latin-1") if m else ""


@dataclass
class SimChargePoint:
    """A charge point on its own event loop in a thread: boots, reports its two EVSEs
    available, and while a session runs sends a meter value every second (one minute
    of charging at 50 kW each: about 0.83 kWh)."""

    url: str
    cp_id: str
    ready: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    id_tags: list[str] = field(default_factory=list)
    ticks: int = 0
    error: BaseException | None = None

    async def _run(self) -> None:
        async with connected(self.url, self.cp_id, "ocpp1.6", password=PASSWORD) as cp:
            assert await cp.boot() == "Accepted"
            await cp.status(1, "Available")
            await cp.status(2, "Available")
            self.ready.set()
            while not self.done.is_set():
                for s in list(cp.sessions.values()):
                    if s.tx_id is None or s.stop_requested:
                        continue
                    if s.id_tag not in self.id_tags:
                        self.id_tags.append(s.id_tag)
                    await cp.meter_tick(s, 60)
                    self.ticks += 1
                await asyncio.sleep(1.0)

    def run(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as e:  # handed to the test thread, which re-raises
            self.error = e
            self.ready.set()


@pytest.fixture
def station(module_sample_db: str) -> Iterator[tuple[int, str, str]]:
    """A station with one charge point (two CCS2 EVSEs) that may connect: as provisioned."""
    suffix = uuid.uuid4().hex[:8]
    cp_id, name = f"CAB-{suffix}", f"Cabinet test station {suffix}"
    engine = create_engine(module_sample_db)
    with engine.begin() as conn:
        site_id = conn.execute(
            text(
                "INSERT INTO site (ext_id, name, city, source, geom) VALUES"
                " (:e, :n, 'Toshkent', 'test', ST_SetSRID(ST_MakePoint(69.24, 41.31),"
                " 4326)) RETURNING id"
            ),
            {"e": cp_id, "n": name},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO charge_point (id, site_id, password_hash, security_profile,"
                " registration_status, source) VALUES (:i, :s, :h, 1, 'Accepted', 'test')"
            ),
            {"i": cp_id, "s": site_id, "h": password_hasher().hash(PASSWORD)},
        )
        for evse in (1, 2):
            pk = conn.execute(
                text(
                    "INSERT INTO evse (charge_point_id, evse_id) VALUES (:i, :e)"
                    " RETURNING id"
                ),
                {"i": cp_id, "e": evse},
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO connector (evse_pk, connector_id, type, max_power_kw)"
                    " VALUES (:p, 1, 'CCS2', 50)"
                ),
                {"p": pk},
            )
    engine.dispose()
    yield int(site_id), cp_id, name


@pytest.fixture
def sim(
    live_server: LiveServer, station: tuple[int, str, str]
) -> Iterator[SimChargePoint]:
    cp = SimChargePoint(f"ws://127.0.0.1:{live_server.port}/ocpp", station[1])
    thread = threading.Thread(target=cp.run, daemon=True)
    thread.start()
    try:
        assert cp.ready.wait(30), "the simulated charge point did not boot"
        assert cp.error is None, cp.error
        yield cp
    finally:
        cp.done.set()
        thread.join(timeout=30)
    assert cp.error is None, cp.error


@pytest.fixture
def phone(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A phone: 390x844 CSS pixels, touch, English browser; page errors fail the test."""
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        accept_downloads=True,
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    shot(page, request.node.name)
    context.close()
    assert errors == [], f"uncaught errors in the page: {errors}"


def _fits_the_screen(page: Page) -> None:
    """Nothing is wider than the phone: no sideways scrolling."""
    wide = page.evaluate(
        """() => [document.documentElement.scrollWidth,
                  document.querySelector('.cabinet').scrollWidth]"""
    )
    assert max(wide) <= PHONE["width"], wide


def _register(page: Page, email: str, password: str) -> None:
    page.get_by_test_id("auth-email").fill(email)
    page.get_by_test_id("auth-password").fill(password)
    page.get_by_test_id("auth-submit").click()


def _wait_figure(card: Locator, test_id: str, timeout_s: float = 30) -> int:
    """Wait until the figure ``test_id`` in ``card`` shows a non-zero number."""
    loc = card.get_by_test_id(test_id)
    deadline = datetime.now(UTC) + timedelta(seconds=timeout_s)
    while True:
        shown = loc.inner_text()
        if re.search(r"[1-9]", shown):
            return digits(shown)
        assert datetime.now(UTC) < deadline, f"{test_id} stayed at {shown!r}"
        card.page.wait_for_timeout(250)


def test_a_driver_charges_from_the_phone_and_gets_a_receipt(
    phone: Page,
    live_server: LiveServer,
    station: tuple[int, str, str],
    sim: SimChargePoint,
) -> None:
    site_id, cp_id, site_name = station
    page = phone
    email = f"driver-{uuid.uuid4().hex[:8]}@example.uz"
    page.goto(f"{live_server.url}/cabinet?lang=en")

    # --- Sign up: the server's reasons are shown, in the driver's language.
    page.get_by_test_id("auth-to-register").click()
    _register(page, email, "abc12345")
    error = page.get_by_test_id("auth-error")
    expect(error).to_contain_text(tr("en", "cabinet.error.weak_password"))
    expect(error).to_contain_text("at least 10 characters")
    shot(page, "cabinet-signup-error")
    _fits_the_screen(page)
    _register(page, email, DRIVER_PASSWORD)
    expect(page.get_by_test_id("cabinet")).to_be_visible()
    expect(page.get_by_test_id("cabinet-user")).to_have_text(email)

    # Signing up twice with one e-mail is refused by name; signing in works.
    page.get_by_test_id("cabinet-logout").click()
    page.get_by_test_id("auth-to-register").click()
    _register(page, email, DRIVER_PASSWORD)
    expect(page.get_by_test_id("auth-error")).to_contain_text(
        tr("en", "cabinet.error.duplicate_email")
    )
    page.get_by_test_id("auth-to-login").click()
    sign_in(page, email.upper(), DRIVER_PASSWORD)
    token = page.evaluate("() => localStorage.getItem('quvvat.token')")
    api = httpx.Client(
        base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}
    )

    # --- Charging needs a card: the charge screen says so; link one.
    expect(page.get_by_test_id("charge-no-token")).to_be_visible()
    page.get_by_test_id("tab-tokens").click()
    expect(page.get_by_test_id("tokens-empty")).to_be_visible()
    page.get_by_test_id("token-uid").fill("not-hex")
    page.get_by_test_id("token-link").click()
    expect(page.get_by_test_id("token-error")).to_contain_text(
        tr("en", "cabinet.error.invalid_uid")
    )
    page.get_by_test_id("token-uid").fill(CARD_UID)
    page.get_by_test_id("token-link").click()
    expect(page.get_by_test_id("token-linked")).to_contain_text("04A2B3C4D5E6")
    rows = page.get_by_test_id("token-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("04A2B3C4D5E6")
    expect(rows.first).to_contain_text(tr("en", "cabinet.tokens.rfid"))
    _fits_the_screen(page)

    # --- The station becomes a favourite; its connectors are offered for charging.
    page.get_by_test_id("tab-favourites").click()
    expect(page.get_by_test_id("favourites-empty")).to_be_visible()
    page.get_by_test_id("favourite-search").fill(site_name)
    page.get_by_test_id("favourite-search").press("Enter")
    page.get_by_test_id("favourite-add").first.click()
    fav = page.get_by_test_id("favourite-row")
    expect(fav).to_have_count(1)
    expect(fav).to_have_attribute("data-site-id", str(site_id))
    fav.get_by_test_id("favourite-charge").click()
    connectors = page.get_by_test_id("charge-connectors").get_by_role("button")
    expect(connectors).to_have_count(2)
    connectors.filter(
        has_text=f"{cp_id} · {tr('en', 'cabinet.charge.connector')} 1 "
    ).click()
    expect(page.get_by_test_id("charge-cp")).to_have_value(cp_id)
    expect(page.get_by_test_id("charge-connector")).to_have_value("1")
    page.get_by_test_id("charge-token").select_option(index=1)  # the RFID card

    # --- Start: the charge point begins a session with the card; it shows live.
    page.get_by_test_id("start-charge").click()
    live = page.get_by_test_id("live-session")
    expect(live).to_have_count(1, timeout=30_000)
    expect(live).to_have_attribute("data-status", "charging")
    expect(live.get_by_test_id("live-status")).to_have_text(
        tr("en", "cabinet.charge.state.charging")
    )
    session_id = int(live.get_attribute("data-session-id") or 0)
    running_cost = _wait_figure(live, "cost")
    assert _wait_figure(live, "energy") > 0
    assert sim.id_tags == ["04A2B3C4D5E6"]  # started with the linked card
    expect(live.get_by_test_id("cost")).to_contain_text("so'm")
    # The figures keep growing with the meter values (polled, no reload).
    expect(live.get_by_test_id("cost")).not_to_have_text(
        live.get_by_test_id("cost").inner_text(), timeout=15_000
    )
    assert digits(live.get_by_test_id("cost").inner_text()) > 0
    shot(page, "cabinet-charging")
    _fits_the_screen(page)

    # --- Stop: the session completes, priced.
    page.get_by_test_id("stop-charge").click()
    expect(live).to_have_attribute("data-status", "completed", timeout=30_000)
    final = api.get(f"/api/me/sessions/{session_id}").json()
    assert final["status"] == "completed" and final["price"]["final"] is True
    assert final["cost_uzs"] >= running_cost > 0
    assert digits(live.get_by_test_id("cost").inner_text()) == final["cost_uzs"]

    # --- My sessions: the session, its energy and cost as the API priced it.
    page.get_by_test_id("tab-sessions").click()
    row = page.locator(f'[data-testid="session-row"][data-session-id="{session_id}"]')
    expect(row).to_have_attribute("data-status", "completed")
    expect(row.get_by_test_id("cost")).to_contain_text("so'm")
    assert digits(row.get_by_test_id("cost").inner_text()) == final["cost_uzs"]
    expect(row.get_by_test_id("energy")).to_have_text(_kwh(final["energy_wh"]))
    # The date filter: nothing started tomorrow (Tashkent); today has it.
    tomorrow = (datetime.now(UTC) + timedelta(hours=5, days=1)).date().isoformat()
    page.get_by_test_id("sessions-from").fill(tomorrow)
    expect(page.get_by_test_id("sessions-empty")).to_be_visible()
    page.get_by_test_id("sessions-from").fill("")
    expect(row).to_be_visible()

    # --- The receipt is a PDF about this session.
    with page.expect_download() as dl:
        row.get_by_test_id("receipt").click()
    path = dl.value.path()
    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert pdf_title(pdf).endswith(f"#{session_id}"), pdf_title(pdf)
    assert "receipt" in pdf_title(pdf)
    _fits_the_screen(page)

    # --- In Russian: the tabs, the state and the currency.
    page.get_by_test_id("lang-select").select_option("ru")
    page.wait_for_function("() => document.documentElement.lang === 'ru'")
    expect(page.get_by_test_id("tab-sessions")).to_have_text(
        tr("ru", "cabinet.tab.sessions")
    )
    expect(page.get_by_test_id("tab-charge")).to_have_text(
        tr("ru", "cabinet.tab.charge")
    )
    expect(row).to_contain_text(tr("ru", "cabinet.charge.state.completed"))
    expect(row.get_by_test_id("cost")).to_contain_text("сум")
    expect(row.get_by_test_id("receipt")).to_have_text(
        tr("ru", "cabinet.sessions.receipt")
    )
    api.close()


def test_a_driver_manages_cards_favourites_and_own_data_in_uzbek(
    phone: Page, live_server: LiveServer, station: tuple[int, str, str]
) -> None:
    site_id, _, site_name = station
    page = phone
    email = f"driver-{uuid.uuid4().hex[:8]}@example.uz"
    with httpx.Client(base_url=live_server.url) as anon:
        r = anon.post(
            "/api/auth/register",
            json={
                "email": email,
                "password": DRIVER_PASSWORD,
                "phone": "+998901112233",
            },
        )
        assert r.status_code == 201, r.text

    page.goto(f"{live_server.url}/cabinet?lang=uz#tokens")
    expect(page.get_by_test_id("auth-login")).to_contain_text(
        tr("uz", "cabinet.auth.loginTitle")
    )
    submit_login(page, "+998 90 111 22 33", "wrong-Passw0rd!")  # by phone
    expect(page.get_by_test_id("auth-error")).to_contain_text(
        tr("uz", "cabinet.error.bad_credentials")
    )
    page.get_by_test_id("auth-password").fill(DRIVER_PASSWORD)
    page.get_by_test_id("auth-submit").click()
    expect(page.get_by_test_id("tab-tokens")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("tab-tokens")).to_have_text(
        tr("uz", "cabinet.tab.tokens")
    )

    # An expired access token is renewed with the refresh token, unnoticed.
    page.evaluate("() => localStorage.setItem('quvvat.token', 'expired')")
    page.reload()
    expect(page.get_by_test_id("cabinet-user")).to_have_text(email)
    assert page.evaluate("() => localStorage.getItem('quvvat.token')") != "expired"

    # A card and an app token; the card is removed after a confirmation.
    page.get_by_test_id("token-uid").fill("0A0B0C0D")
    page.get_by_test_id("token-link").click()
    page.get_by_test_id("token-app").click()
    rows = page.get_by_test_id("token-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=tr("uz", "cabinet.tokens.app"))).to_have_count(1)
    card = page.locator('[data-testid="token-row"][data-token="0A0B0C0D"]')
    card.get_by_test_id("token-remove").click()
    card.get_by_test_id("token-remove-yes").click()
    expect(card).to_have_count(0)
    expect(rows).to_have_count(1)

    # A favourite is listed and removed.
    page.get_by_test_id("tab-favourites").click()
    page.get_by_test_id("favourite-search").fill(site_name)
    page.get_by_test_id("favourite-search").press("Enter")
    page.get_by_test_id("favourite-add").first.click()
    fav = page.get_by_test_id("favourite-row")
    expect(fav).to_have_attribute("data-site-id", str(site_id))
    shot(page, "cabinet-favourites")
    fav.get_by_test_id("favourite-remove").click()
    expect(page.get_by_test_id("favourites-empty")).to_have_text(
        tr("uz", "cabinet.favourites.empty")
    )
    _fits_the_screen(page)

    # My data: the export is the driver's own JSON.
    page.get_by_test_id("tab-data").click()
    expect(page.get_by_test_id("account")).to_contain_text("+998901112233")
    with page.expect_download() as dl:
        page.get_by_test_id("export-data").click()
    exported = json.loads(dl.value.path().read_text(encoding="utf-8"))
    assert exported["account"]["email"] == email
    tokens = [t["token"] for t in exported["id_tokens"]]
    assert len(tokens) == 1 and tokens[0].startswith("APP"), tokens
    assert exported["favourite_sites"] == []

    # Deleting needs the password: a wrong one is refused and the driver stays in.
    page.get_by_test_id("delete-account").click()
    page.get_by_test_id("delete-password").fill("not-my-Passw0rd")
    page.get_by_test_id("delete-confirm").click()
    expect(page.get_by_test_id("delete-error")).to_contain_text(
        tr("uz", "cabinet.error.bad_credentials")
    )
    shot(page, "cabinet-my-data")
    expect(page.get_by_test_id("cabinet")).to_be_visible()
    page.get_by_test_id("delete-password").fill(DRIVER_PASSWORD)
    page.get_by_test_id("delete-confirm").click()
    expect(page.get_by_test_id("signed-out-note")).to_have_text(
        tr("uz", "cabinet.data.deleted")
    )
    _fits_the_screen(page)
    # The account is gone: signing in again fails.
    submit_login(page, email, DRIVER_PASSWORD)
    expect(page.get_by_test_id("auth-error")).to_contain_text(
        tr("uz", "cabinet.error.bad_credentials")
    )
