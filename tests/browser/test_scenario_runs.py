"""A planner makes scenarios in the browser: signs in, fills the new-scenario form
(defaults and units from the API, server errors next to the fields), runs a small
region and watches the progress bar fill from the server's events, sees the
ranked sites on the map and in the list with the export and report links; a second,
nationwide run (followed by polling, its event stream made to fail) is cancelled
and shows as cancelled."""

from __future__ import annotations

import re
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

ADMIN_TOKEN = "browser-admin-token-runs-0123456789"
PLANNER = "planner@example.uz"
PASSWORD = "Str0ng!Passw0rd"
COUNTRY = "/#v=6/40.6/67/0/0"


@pytest.fixture(scope="module")
def live_server(module_sample_db: str, built_frontend: Path) -> Iterator[LiveServer]:
    """A writable copy of the sample (scenarios are stored), with a planner account."""
    settings = Settings(
        database_url=module_sample_db,
        frontend_dist=built_frontend,
        admin_token=SecretStr(ADMIN_TOKEN),
    )
    with LiveServer(settings) as server:
        r = httpx.post(
            f"{server.url}/api/users",
            json={"email": PLANNER, "password": PASSWORD, "role": "technician"},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=30,
        )
        assert r.status_code == 201, r.text
        yield server


def sign_in(page: Page) -> None:
    page.get_by_test_id("login").click()
    page.get_by_test_id("login-username").fill(PLANNER)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("user-role")).to_have_attribute(
        "data-role", "technician"
    )


def record_progress(page: Page) -> None:
    """Sample the progress bar every 20 ms: (percent, status, via) on each change."""
    page.evaluate(
        """() => {
          window.__progress = [];
          clearInterval(window.__progressTimer);
          window.__progressTimer = setInterval(() => {
            const el = document.querySelector('[data-testid="scenario-progress"]');
            if (!el) return;
            const row = [Number(el.getAttribute('aria-valuenow')),
                         el.getAttribute('data-status'), el.getAttribute('data-via')];
            const last = window.__progress[window.__progress.length - 1];
            if (!last || last.join() !== row.join()) window.__progress.push(row);
          }, 20);
        }"""
    )


def recorded(page: Page) -> list[list[Any]]:
    rows: list[list[Any]] = page.evaluate("() => window.__progress")
    return rows


def fill_form(page: Page, name: str, region: str, resolution: str) -> None:
    page.get_by_test_id("scenario-new-name").fill(name)
    page.get_by_test_id("scenario-new-region").select_option(region)
    page.get_by_test_id("scenario-new-resolution").select_option(resolution)


def test_planner_creates_runs_and_cancels_scenarios(driver: MapDriver) -> None:
    page = driver.page
    driver.open(COUNTRY)
    page.get_by_test_id("tab-scenarios").click()
    # Signed out: the panel asks for a planner's sign-in and offers no form.
    expect(page.get_by_test_id("scenario-new")).to_have_count(0)
    sign_in(page)

    page.get_by_test_id("scenario-new").click()
    form = page.get_by_test_id("scenario-new-form")
    expect(form).to_be_visible()
    # Defaults and units come from the API (planning/config.py).
    expect(page.get_by_test_id("scenario-new-resolution")).to_have_value("8")
    expect(page.get_by_test_id("scenario-new-n_sites")).to_have_value("10")
    expect(page.get_by_test_id("scenario-new-kwh_per_ev_day")).to_have_value("6")
    expect(form).to_contain_text("Energy per EV and day (kWh per EV per day)")
    expect(
        page.get_by_test_id("scenario-new-hint-public_charging_share")
    ).to_contain_text("default 0.4")
    expect(page.get_by_test_id("scenario-new-hint-year")).to_contain_text(
        "default 2030"
    )
    expect(page.get_by_test_id("scenario-new-hint-ev_fleet")).to_contain_text(
        "projected from the published fleet"
    )
    expect(page.get_by_test_id("scenario-new-rule-afir")).to_be_checked()
    expect(form).to_contain_text("every 60 km")

    # The server's validation errors appear next to the fields they name.
    page.get_by_test_id("scenario-new-kwh_per_ev_day").fill("500")
    page.get_by_test_id("scenario-new-submit").click()
    expect(page.get_by_test_id("scenario-new-error-name")).to_contain_text(
        "at least 1 character"
    )
    expect(page.get_by_test_id("scenario-new-error-kwh_per_ev_day")).to_contain_text(
        "less than or equal to 100"
    )
    page.screenshot(path=str(ARTIFACTS / "scenario_new_form.png"), full_page=True)

    # A small region at resolution 7, three sites.
    page.get_by_test_id("scenario-new-kwh_per_ev_day").fill("6")
    fill_form(page, "Syrdarya 2030", "UZ-SI", "7")
    page.get_by_test_id("scenario-new-n_sites").fill("3")
    page.get_by_test_id("scenario-new-submit").click()
    expect(form).to_have_count(0)
    item = page.get_by_test_id("scenario-item").filter(has_text="Syrdarya 2030")
    expect(item).to_have_attribute("aria-pressed", "true")
    expect(item).to_contain_text("created")
    expect(item).to_contain_text("H3 res. 7 · UZ-SI")

    record_progress(page)
    page.get_by_test_id("scenario-run").click()
    bar = page.get_by_test_id("scenario-progress")
    expect(bar).to_have_attribute("data-status", "done", timeout=60000)
    expect(page.get_by_test_id("scenario-run-result")).to_contain_text(
        "the results are on the map"
    )
    seen = recorded(page)
    values = [v for v, _, _ in seen]
    assert values[-1] == 100, seen
    assert any(0 < v < 100 for v in values), f"the bar never moved: {seen}"
    assert values == sorted(values), f"the bar went back: {seen}"
    # The progress came as server-sent events, not by polling.
    vias = {via for _, status, via in seen if status == "running"}
    assert "events" in vias and "polling" not in vias, seen
    expect(item).to_contain_text("done")

    # The ranked sites: on the map (with rank labels) and in the list.
    for layer in ("scenario-candidates", "scenario-candidates-rank"):
        page.wait_for_function(
            """(id) => {
              const m = window.quvvat.map;
              return !!m.getLayer(id) && m.queryRenderedFeatures({layers: [id]}).length > 0;
            }""",
            arg=layer,
            timeout=30000,
        )
    ranked = page.get_by_test_id("scenario-ranked-site")
    expect(ranked.first).to_be_visible()
    n = ranked.count()
    assert 1 <= n <= 3
    ranks = [int(re.findall(r"#(\d+)", t)[0]) for t in ranked.all_inner_texts()]
    assert ranks == sorted(ranks)
    expect(page.get_by_test_id("scenario-counts")).to_contain_text(f"{n} selected")
    ranked.first.click()
    expect(page.get_by_test_id("scenario-candidate")).to_contain_text(f"#{ranks[0]}")
    # Exports and reports of the finished run.
    sid = item.get_attribute("data-id")
    expect(page.get_by_test_id("scenario-report-pdf")).to_have_attribute(
        "href", f"/api/scenarios/{sid}/report?lang=en&format=pdf"
    )
    expect(page.get_by_test_id("scenario-export-candidates-gpkg")).to_have_attribute(
        "href", f"/api/scenarios/{sid}/export?layer=candidates&format=gpkg"
    )
    with page.expect_download() as dl:
        page.get_by_test_id("scenario-export-candidates-csv").click()
    assert dl.value.suggested_filename == f"scenario_{sid}_candidates.csv"
    assert len(Path(dl.value.path()).read_text().splitlines()) > n
    page.screenshot(path=str(ARTIFACTS / "scenario_run_done.png"))

    # A second scenario: a taken name is refused in the user's language.
    page.get_by_test_id("scenario-new").click()
    fill_form(page, "Syrdarya 2030", "", "8")
    page.get_by_test_id("scenario-new-submit").click()
    expect(page.get_by_test_id("scenario-new-error-name")).to_have_text(
        "A scenario with this name exists already: choose another name."
    )
    page.get_by_test_id("scenario-new-name").fill("Uzbekistan 2030")
    page.get_by_test_id("scenario-new-submit").click()
    item2 = page.get_by_test_id("scenario-item").filter(has_text="Uzbekistan 2030")
    expect(item2).to_have_attribute("aria-pressed", "true")
    expect(item2).to_contain_text("whole country")

    # The nationwide run at resolution 8 takes a while: cancel it. This time the
    # event stream fails (as behind a proxy that buffers it): /progress is polled.
    page.route("**/api/scenarios/*/events", lambda route: route.abort())
    record_progress(page)
    page.get_by_test_id("scenario-run").click()
    expect(bar).to_have_attribute("data-status", "running")
    page.get_by_test_id("scenario-cancel").click()
    expect(bar).to_have_attribute("data-status", "cancelled", timeout=60000)
    expect(page.get_by_test_id("scenario-run-result")).to_have_text(
        "The run was cancelled."
    )
    expect(page.get_by_test_id("scenario-cancel")).to_have_count(0)
    expect(item2).to_contain_text("cancelled")
    expect(page.get_by_test_id("scenario-run")).to_have_text("Run again")
    seen = recorded(page)
    assert seen[-1][1] == "cancelled"
    assert "polling" in {via for _, _, via in seen}, seen
    # The first scenario's results are still there; nothing went wrong on the way.
    expect(item).to_contain_text("done")
    assert driver.messages() == []
