"""The operator area of /cabinet on a desktop screen, against a real server with the
sample data: an admin creates an operator, a technician for it (the server's password
rule shown first), a day/night tariff and a second version (the overlap refused), blocks
a driver's card, creates and revokes a partner API key, and finds all of it in the audit
log; then the technician sees only the tabs and the data of its operator."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from app.services.security import hash_password
from tests.browser.cabinet_helpers import shot, sign_in, tr
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "Operator!Kabinet-2026"
TECH_PASSWORD = "Texnik!Parol-2026xy"
PARTNER_PASSWORD = "Hamkor!Parol-2026xy"


@dataclass
class Setup:
    suffix: str
    admin_email: str
    partner_id: int
    partner_email: str
    card: str


def _local(dt: datetime) -> str:
    """An instant as the page's datetime-local inputs take it (Tashkent time)."""
    return (dt.astimezone(UTC) + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def setup(live_server: LiveServer, module_sample_db: str) -> Iterator[Setup]:
    """An admin account (as an installation would seed it), a partner and a driver's
    RFID card made through the API by that admin."""
    suffix = uuid.uuid4().hex[:8]
    admin_email = f"admin-{suffix}@example.uz"
    engine = create_engine(module_sample_db)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO user_account (email, full_name, password_hash, role)"
                " VALUES (:e, 'Admin', :h, 'admin')"
            ),
            {"e": admin_email, "h": hash_password(ADMIN_PASSWORD)},
        )
    engine.dispose()
    with httpx.Client(base_url=live_server.url) as api:
        r = api.post(
            "/api/auth/token",
            data={"username": admin_email, "password": ADMIN_PASSWORD},
        )
        assert r.status_code == 200, r.text
        api.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        partner_email = f"partner-{suffix}@example.uz"
        r = api.post(
            "/api/users",
            json={
                "email": partner_email,
                "password": PARTNER_PASSWORD,
                "role": "partner",
            },
        )
        assert r.status_code == 201, r.text
        partner_id = r.json()["id"]
        card = f"0A{suffix.upper()}"
        r = api.post("/id-tokens", json={"token": card})
        assert r.status_code == 201, r.text
    yield Setup(suffix, admin_email, partner_id, partner_email, card)


def test_an_admin_runs_the_operator_cabinet_and_a_technician_sees_its_own(
    page: Page, live_server: LiveServer, setup: Setup
) -> None:
    en = "en"
    op_name = f"Quyosh Energiya {setup.suffix}"
    tech_email = f"texnik-{setup.suffix}@example.uz"
    now = datetime.now(UTC)
    page.goto(f"{live_server.url}/cabinet?lang=en")
    sign_in(page, setup.admin_email, ADMIN_PASSWORD)

    # --- The admin gets the operator area with all its tabs, and no driver tabs.
    expect(page.get_by_test_id("tab-operator")).to_have_text(tr(en, "operator.title"))
    expect(page.get_by_test_id("tab-charge")).to_have_count(0)
    expect(page.get_by_test_id("not-a-driver")).to_have_count(0)
    for tab in ("users", "operators", "tariffs", "tokens", "audit"):
        expect(page.get_by_test_id(f"op-tab-{tab}")).to_have_text(
            tr(en, f"operator.tab.{tab}")
        )

    # --- Operators: create one.
    page.get_by_test_id("op-tab-operators").click()
    page.get_by_test_id("operator-name-input").fill(op_name)
    page.get_by_test_id("operator-create").click()
    op_row = page.get_by_test_id("operator-row").filter(has_text=op_name)
    expect(op_row).to_have_count(1)
    op_id = op_row.get_attribute("data-operator-id")
    assert op_id
    # One made by mistake is deleted (after a confirmation); one that owns sites
    # is refused, and the row says why.
    page.get_by_test_id("operator-name-input").fill(f"Xato {setup.suffix}")
    page.get_by_test_id("operator-create").click()
    wrong = page.get_by_test_id("operator-row").filter(has_text=f"Xato {setup.suffix}")
    wrong.get_by_test_id("operator-delete").click()
    wrong.get_by_test_id("operator-delete-yes").click()
    expect(wrong).to_have_count(0)
    expect(page.get_by_test_id("op-done")).to_have_text(
        tr(en, "operator.operators.deleted", name=f"Xato {setup.suffix}")
    )
    owner = page.get_by_test_id("operator-row").filter(has_not_text="Sites: 0").first
    owner.get_by_test_id("operator-delete").click()
    owner.get_by_test_id("operator-delete-yes").click()
    expect(owner.get_by_test_id("operator-row-error")).to_contain_text(
        tr(en, "operator.error.operator_in_use")
    )
    expect(owner.get_by_test_id("operator-name")).to_have_count(1)  # still listed

    # --- Users: a technician for it; the weak password and the phone are refused first.
    page.get_by_test_id("op-tab-users").click()
    page.get_by_test_id("user-email").fill(tech_email)
    page.get_by_test_id("user-password").fill("abc12345")
    page.get_by_test_id("user-role-select").select_option("technician")
    page.get_by_test_id("user-operators").locator(
        f'[data-testid="operator-pick"][value="{op_id}"]'
    ).check()
    page.get_by_test_id("user-create").click()
    error = page.get_by_test_id("user-error")
    expect(error).to_contain_text(tr(en, "cabinet.error.weak_password"))
    expect(error).to_contain_text("at least 10 characters")
    page.get_by_test_id("user-password").fill(TECH_PASSWORD)
    page.get_by_test_id("user-phone").fill("12345")
    page.get_by_test_id("user-create").click()
    expect(error).to_contain_text(tr(en, "cabinet.error.invalid_phone"))
    page.get_by_test_id("user-phone").fill("+998 90 765 43 21")
    page.get_by_test_id("user-create").click()
    tech_row = page.locator(f'[data-testid="user-row"][data-email="{tech_email}"]')
    expect(tech_row.get_by_test_id("user-role")).to_have_text(
        tr(en, "operator.role.technician")
    )
    expect(tech_row.get_by_test_id("user-operators")).to_have_text(op_name)
    expect(tech_row).to_contain_text("+998907654321")
    expect(error).to_have_count(0)
    # The partner joins the operator; an admin may not demote itself (the server says no).
    partner_row = page.locator(
        f'[data-testid="user-row"][data-email="{setup.partner_email}"]'
    )
    partner_row.get_by_test_id("user-edit").click()
    partner_row.locator(f'[data-testid="operator-pick"][value="{op_id}"]').check()
    partner_row.get_by_test_id("user-save").click()
    expect(partner_row.get_by_test_id("user-operators")).to_have_text(op_name)
    admin_row = page.locator(
        f'[data-testid="user-row"][data-email="{setup.admin_email}"]'
    )
    admin_row.get_by_test_id("user-edit").click()
    admin_row.get_by_test_id("user-edit-role").select_option("technician")
    admin_row.get_by_test_id("user-save").click()
    expect(admin_row.get_by_test_id("user-row-error")).to_contain_text(
        tr(en, "operator.error.self_demotion")
    )
    admin_row.get_by_test_id("user-cancel").click()
    expect(admin_row.get_by_test_id("user-role")).to_have_text(
        tr(en, "operator.role.admin")
    )
    expect(admin_row.get_by_test_id("user-toggle-active")).to_have_count(0)
    shot(page, "operator-users")

    # --- Tariffs: a day/night tariff for the operator, then a second version.
    page.get_by_test_id("op-tab-tariffs").click()
    page.get_by_test_id("tariff-new").click()
    form = page.get_by_test_id("tariff-form-create")
    form.get_by_test_id("tariff-name").fill("Kun/tun")
    form.get_by_test_id("tariff-operatorId").select_option(op_id)
    form.get_by_test_id("tariff-validFrom").fill(_local(now - timedelta(days=1)))
    form.get_by_test_id("tariff-energy").fill("2 000")
    form.get_by_test_id("tariff-sessionFee").fill("1000")
    form.get_by_test_id("tariff-nightStart").fill("22:00")
    form.get_by_test_id("tariff-nightEnd").fill("06:00")
    form.get_by_test_id("tariff-nightEnergy").fill("1200")
    form.get_by_test_id("tariff-save").click()
    group = page.locator(f'[data-testid="tariff-group"][data-operator-id="{op_id}"]')
    expect(group).to_have_count(1)
    versions = group.get_by_test_id("tariff-version")
    expect(versions).to_have_count(1)
    expect(versions.first).to_have_attribute("data-state", "current")
    prices = versions.first.get_by_test_id("tariff-prices")
    expect(prices).to_contain_text("Energy (day): 2,000\u00a0so'm/kWh")
    expect(prices).to_contain_text("Energy (night 22:00–06:00): 1,200\u00a0so'm/kWh")
    expect(prices).to_contain_text("Session fee: 1,000\u00a0so'm")

    group.get_by_test_id("tariff-new-version").click()
    vform = group.get_by_test_id("tariff-form-version")
    expect(vform.get_by_test_id("tariff-energy")).to_have_value("2000")  # from v1
    vform.get_by_test_id("tariff-validFrom").fill(_local(now + timedelta(days=2)))
    vform.get_by_test_id("tariff-energy").fill("2500")
    vform.get_by_test_id("tariff-save").click()
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_have_attribute("data-state", "current")
    expect(versions.nth(1)).to_have_attribute("data-state", "future")
    expect(versions.nth(1)).to_have_attribute("data-version", "2")
    expect(versions.nth(1).get_by_test_id("tariff-prices")).to_contain_text("2,500")
    # Version 1 now ends where version 2 starts.
    expect(versions.nth(0).get_by_test_id("tariff-period")).not_to_contain_text(
        tr(en, "operator.tariffs.openEnd")
    )

    # A new tariff of the same scope inside that period: refused by the server, and said
    # so; a negative price is refused too.
    page.get_by_test_id("tariff-new").click()
    form = page.get_by_test_id("tariff-form-create")
    form.get_by_test_id("tariff-name").fill("Overlapping")
    form.get_by_test_id("tariff-operatorId").select_option(op_id)
    form.get_by_test_id("tariff-validFrom").fill(_local(now + timedelta(days=10)))
    form.get_by_test_id("tariff-energy").fill("-5")
    form.get_by_test_id("tariff-save").click()
    terror = form.get_by_test_id("tariff-error")
    expect(terror).to_contain_text(tr(en, "operator.error.negative_price"))
    expect(terror).to_contain_text("energy_uzs_per_kwh")
    form.get_by_test_id("tariff-energy").fill("3000")
    form.get_by_test_id("tariff-save").click()
    expect(terror).to_contain_text(tr(en, "operator.error.tariff_overlap"))
    expect(terror).to_contain_text("overlaps tariff")
    expect(versions).to_have_count(2)
    # A fraction of a so'm never reaches the server.
    form.get_by_test_id("tariff-energy").fill("1.5")
    form.get_by_test_id("tariff-save").click()
    expect(form.get_by_test_id("tariff-problem")).to_have_text(
        tr(en, "operator.tariffs.invalid.wholeSom")
    )

    # The effective tariff: version 1 today, version 2 after its start.
    eff = page.get_by_test_id("effective-form")
    eff.get_by_test_id("effective-operator").select_option(op_id)
    eff.get_by_test_id("effective-connector").select_option("CCS2")
    eff.get_by_test_id("effective-show").click()
    expect(eff.get_by_test_id("effective-result")).to_contain_text("Kun/tun · v1")
    eff.get_by_test_id("effective-at").fill(_local(now + timedelta(days=3)))
    eff.get_by_test_id("effective-show").click()
    expect(eff.get_by_test_id("effective-result")).to_contain_text("v2")
    expect(eff.get_by_test_id("effective-result")).to_contain_text("2,500")
    shot(page, "operator-tariffs")
    # A third version is withdrawn before it starts: version 2 runs on with no end.
    # The version in effect offers no withdrawal.
    group.get_by_test_id("tariff-new-version").click()
    vform = group.get_by_test_id("tariff-form-version")
    vform.get_by_test_id("tariff-validFrom").fill(_local(now + timedelta(days=20)))
    vform.get_by_test_id("tariff-energy").fill("2700")
    vform.get_by_test_id("tariff-save").click()
    expect(versions).to_have_count(3)
    open_end = tr(en, "operator.tariffs.openEnd")
    expect(versions.nth(1).get_by_test_id("tariff-period")).not_to_contain_text(
        open_end
    )
    expect(versions.nth(0).get_by_test_id("tariff-withdraw")).to_have_count(0)
    versions.nth(2).get_by_test_id("tariff-withdraw").click()
    versions.nth(2).get_by_test_id("tariff-withdraw-yes").click()
    expect(versions).to_have_count(2)
    expect(page.get_by_test_id("op-done")).to_have_text(
        tr(en, "operator.tariffs.withdrawn", version="3")
    )
    expect(versions.nth(1).get_by_test_id("tariff-period")).to_contain_text(open_end)

    # --- Tokens: block a driver's card; a partner API key, shown once, then revoked.
    page.get_by_test_id("op-tab-tokens").click()
    page.get_by_test_id("idtoken-search").fill(setup.card)
    card = page.locator(f'[data-testid="idtoken-row"][data-token="{setup.card}"]')
    expect(card.get_by_test_id("idtoken-status")).to_have_text(
        tr(en, "operator.tokens.state.Accepted")
    )
    card.get_by_test_id("idtoken-block").click()
    expect(card).to_have_attribute("data-status", "Blocked")
    expect(card.get_by_test_id("idtoken-status")).to_have_text(
        tr(en, "operator.tokens.state.Blocked")
    )

    page.get_by_test_id("apikey-name").fill(f"Feed {setup.suffix}")
    page.get_by_test_id("apikey-owner").select_option(str(setup.partner_id))
    page.get_by_test_id("apikey-create").click()
    secret = page.get_by_test_id("apikey-secret")
    expect(secret).to_contain_text("qvk_")
    key = secret.inner_text().strip()
    expect(page.get_by_test_id("apikey-created")).to_contain_text(
        tr(en, "operator.keys.shownOnce")
    )
    key_row = page.get_by_test_id("apikey-row").filter(has_text=f"Feed {setup.suffix}")
    expect(key_row).to_have_attribute("data-revoked", "false")
    expect(key_row).to_contain_text(setup.partner_email)
    with httpx.Client(base_url=live_server.url) as partner_api:
        headers = {"Authorization": f"Bearer {key}"}
        assert (
            partner_api.get("/api/stations?limit=1", headers=headers).status_code == 200
        )
        shot(page, "operator-tokens")
        key_row.get_by_test_id("apikey-revoke").click()
        key_row.get_by_test_id("apikey-revoke-yes").click()
        expect(key_row).to_have_attribute("data-revoked", "true")
        expect(key_row.get_by_test_id("apikey-state")).to_have_text(
            tr(en, "operator.keys.revoked")
        )
        assert (
            partner_api.get("/api/stations?limit=1", headers=headers).status_code == 401
        )

    # --- The audit log: each change, by the admin, with before and after.
    page.get_by_test_id("op-tab-audit").click()
    rows = page.get_by_test_id("audit-row")

    def entry(entity: str, action: str) -> str:
        return (
            f'[data-testid="audit-row"][data-entity="{entity}"][data-action="{action}"]'
        )

    expect(rows.first).to_be_visible()
    for entity, action in (
        ("operator", "create"),
        ("user", "create"),
        ("tariff", "create"),
        ("tariff", "close"),
        ("id_token", "update"),
        ("api_key", "create"),
        ("api_key", "revoke"),
    ):
        found = page.locator(entry(entity, action)).first
        expect(found).to_be_visible()
        expect(found.get_by_test_id("audit-actor")).to_have_text(setup.admin_email)
    blocked = page.locator(entry("id_token", "update")).first
    expect(blocked.get_by_test_id("audit-what")).to_contain_text(
        f"{tr(en, 'operator.audit.actions.update')} {tr(en, 'operator.audit.entities.id_token')}"
    )
    blocked.get_by_test_id("audit-changes").locator("summary").click()
    change = blocked.locator('[data-testid="audit-change"][data-field="status"]')
    expect(change.locator("td.before")).to_have_text('"Accepted"')
    expect(change.locator("td.after")).to_have_text('"Blocked"')
    closed = page.locator(entry("tariff", "close")).first
    closed.get_by_test_id("audit-changes").locator("summary").click()
    expect(closed.locator('[data-field="valid_to"] td.before')).to_have_text("null")
    page.get_by_test_id("audit-entity").select_option("api_key")
    expect(
        page.locator('[data-testid="audit-row"]:not([data-entity="api_key"])')
    ).to_have_count(0)
    expect(page.locator(entry("api_key", "revoke"))).to_have_count(1)
    shot(page, "operator-audit")

    # --- The technician: only the operators and tariffs tabs, only its operator.
    page.get_by_test_id("cabinet-logout").click()
    sign_in(page, tech_email, TECH_PASSWORD)
    area = page.get_by_test_id("operator-area")
    expect(area).to_have_attribute("data-role", "technician")
    expect(page.locator('[data-testid^="op-tab-"]')).to_have_count(2)
    for hidden in ("users", "tokens", "audit"):
        expect(page.get_by_test_id(f"op-tab-{hidden}")).to_have_count(0)
    expect(page.get_by_test_id("tab-charge")).to_have_count(0)
    expect(page.get_by_test_id("op-tab-operators")).to_have_attribute(
        "aria-pressed", "true"
    )
    ops = page.get_by_test_id("operator-row")
    expect(ops).to_have_count(1)
    expect(ops.get_by_test_id("operator-name")).to_have_text(op_name)
    expect(page.get_by_test_id("operator-form")).to_have_count(0)
    expect(page.get_by_test_id("operator-edit")).to_have_count(0)

    page.get_by_test_id("op-tab-tariffs").click()
    expect(page.get_by_test_id("tariff-group").first).to_be_visible()
    own = page.locator(f'[data-testid="tariff-group"][data-operator-id="{op_id}"]')
    expect(own.get_by_test_id("tariff-version")).to_have_count(2)
    for shown in page.get_by_test_id("tariff-group").all():
        assert shown.get_attribute("data-operator-id") in (op_id, ""), (
            "another operator"
        )
    expect(page.get_by_test_id("tariff-new")).to_have_count(0)
    expect(page.get_by_test_id("tariff-new-version")).to_have_count(0)
    expect(page.get_by_text(tr(en, "operator.tariffs.readOnly"))).to_be_visible()

    # The same screen in Uzbek and Russian.
    page.get_by_test_id("lang-select").select_option("uz")
    page.wait_for_function("() => document.documentElement.lang === 'uz'")
    expect(page.get_by_test_id("op-tab-tariffs")).to_have_text(
        tr("uz", "operator.tab.tariffs")
    )
    expect(page.get_by_test_id("tab-operator")).to_have_text(tr("uz", "operator.title"))
    page.get_by_test_id("lang-select").select_option("ru")
    page.wait_for_function("() => document.documentElement.lang === 'ru'")
    expect(own.get_by_test_id("tariff-prices").first).to_contain_text("сум")
    shot(page, "operator-technician")

    # On a phone the area still fits the screen (wide tables scroll inside their card).
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_test_id("op-tab-operators").click()
    expect(page.get_by_test_id("operator-row")).to_have_count(1)
    page.get_by_test_id("op-tab-tariffs").click()
    expect(own.get_by_test_id("tariff-version")).to_have_count(2)
    wide = page.evaluate(
        """() => [document.documentElement.scrollWidth,
                  document.querySelector('.cabinet').scrollWidth]"""
    )
    assert max(wide) <= 390, wide

    # --- The partner: operators, tariffs and its own API keys (no drivers' tokens).
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_test_id("lang-select").select_option("en")
    page.get_by_test_id("cabinet-logout").click()
    sign_in(page, setup.partner_email, PARTNER_PASSWORD)
    expect(page.locator('[data-testid^="op-tab-"]')).to_have_count(3)
    page.get_by_test_id("op-tab-tokens").click()
    expect(page.get_by_test_id("apikey-row")).to_have_count(1)
    expect(page.get_by_test_id("apikey-row")).to_have_attribute("data-revoked", "true")
    expect(page.get_by_test_id("idtoken-row")).to_have_count(0)
    expect(page.get_by_test_id("apikey-owner")).to_have_count(0)
    page.get_by_test_id("op-tab-operators").click()
    expect(page.get_by_test_id("operator-row")).to_have_count(1)
    shot(page, "operator-partner")
