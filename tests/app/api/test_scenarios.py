"""Scenarios API on the real sample database (PostGIS), end to end."""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine, text

from app.main import create_app
from app.schemas.scenarios import ProgressPublic, ScenarioPublic
from app.settings import Settings
from tests.app.api.conftest import ADMIN_TOKEN

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def sample_client(sample_db: str) -> Iterator[TestClient]:
    s = Settings(database_url=sample_db, admin_token=SecretStr(ADMIN_TOKEN))
    with TestClient(create_app(s)) as c:
        yield c


def _wait(client: TestClient, sid: int, timeout_s: float = 240) -> ScenarioPublic:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        r = client.get(f"/api/scenarios/{sid}", headers=AUTH)
        assert r.status_code == 200
        s = ScenarioPublic.model_validate(r.json())
        if s.status in ("done", "failed", "cancelled"):
            return s
        time.sleep(0.3)
    raise AssertionError(f"scenario {sid} did not finish in {timeout_s} s")


def _create(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.post("/api/scenarios", json=params, headers=AUTH)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_nationwide_scenario_end_to_end(
    sample_client: TestClient, sample_db: str
) -> None:
    c = sample_client
    eng = create_engine(sample_db)
    with eng.begin() as conn:  # one 2-hour session: utilisation becomes known
        conn.execute(
            text(
                'INSERT INTO "transaction" (charge_point_id, transaction_uid, started_at,'
                " stopped_at) SELECT id, 'plan-t1', now() - interval '3 hours',"
                " now() - interval '1 hour' FROM charge_point ORDER BY id LIMIT 1"
            )
        )
    eng.dispose()
    created = _create(c, name="uz-2030-r6", resolution=6, n_sites=8, radius_km=10)
    assert created["status"] == "running"
    events = []
    with c.stream("GET", f"/api/scenarios/{created['id']}/events", headers=AUTH) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data: "):
                events.append(ProgressPublic.model_validate_json(line[6:]))
    assert events[-1].status == "done", events[-1]
    # Every step of the run, in order, however fast it went.
    running = [(e.stage, e.done) for e in events if e.status == "running"]
    stages = [stage for stage, _ in running]
    assert "loading" in stages and stages[-1] == "saving", running
    assert [d for _, d in running] == sorted(d for _, d in running), running
    assert len(running) >= 5, running
    s = _wait(c, created["id"])
    assert s.status == "done" and s.error is None
    res = s.result
    assert res is not None
    assert 25e6 < res["population"] < 40e6
    assert res["cells"] > 9000  # ~449,000 km² / ~43 km² per res-6 cell
    assert s.input_hash and len(s.input_hash) == 64
    assert s.input_versions["site"]["rows"] >= 1399
    assert s.input_versions["transaction"]["rows"] == 1
    assert "utilisation" not in res["omitted_components"]
    assert res["weights"]["utilisation"] > 0
    sel = res["selection"]
    assert 0 < sel["selected"] <= 8 and sel["gap"] >= 0
    assert sel["covered_kwh_day"] <= sel["lp_bound_kwh_day"] + 1e-6
    # stored cells add up to the stored total
    eng = create_engine(sample_db)
    with eng.connect() as conn:
        n, total = conn.execute(
            text(
                "SELECT count(*), sum(demand_kwh_day) FROM scenario_h3_cell WHERE scenario_id = :s"
            ),
            {"s": s.id},
        ).one()
    eng.dispose()
    assert n == res["cells"]
    assert total == pytest.approx(res["demand_kwh_day"], rel=1e-9)

    r = c.get(f"/api/scenarios/{s.id}/results/candidates", headers=AUTH)
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    feats = r.json()["features"]
    chosen = [f for f in feats if f["properties"]["selected"]]
    assert len(chosen) == sel["selected"]
    b = json.loads(feats[0]["properties"]["breakdown"])
    assert {"demand", "coverage_gain", "grid", "parcel", "road", "competition"} <= set(
        b
    )
    assert feats[0]["properties"]["rank"] == 1
    flagged = [f for f in feats if not f["properties"]["grid_ok"]]
    assert all(json.loads(f["properties"]["reasons"]) for f in flagged)

    r = c.get(f"/api/scenarios/{s.id}/results/corridors", headers=AUTH)
    kinds = {f["properties"]["kind"] for f in r.json()["features"]}
    assert kinds <= {"gap", "proposed"} and "gap" in kinds

    r = c.get(
        f"/api/scenarios/{s.id}/export",
        params={"layer": "candidates", "format": "gpkg"},
        headers=AUTH,
    )
    assert r.status_code == 200 and r.content[:15] == b"SQLite format 3"
    g = gpd.read_file(io.BytesIO(r.content))
    assert len(g) == len(feats) and g.crs.to_epsg() == 4326
    r = c.get(
        f"/api/scenarios/{s.id}/export",
        params={"layer": "cells", "format": "csv"},
        headers=AUTH,
    )
    assert r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0].startswith("h3,population,demand_kwh_day")
    assert len(r.text.splitlines()) == res["cells"] + 1

    for lang, word in (
        ("uz", "Oʻzbekiston"),
        ("ru", "Узбекистан"),
        ("en", "Uzbekistan"),
        ("de", "Usbekistan"),
    ):
        r = c.get(f"/api/scenarios/{s.id}/report", params={"lang": lang}, headers=AUTH)
        assert r.status_code == 200 and word in r.text
        assert "data:image/png;base64," in r.text
        assert "https://" not in r.text.split("<body>")[0] or "unpkg" not in r.text
    r = c.get(
        f"/api/scenarios/{s.id}/report",
        params={"lang": "ru", "format": "pdf"},
        headers=AUTH,
    )
    assert r.status_code == 200 and r.content[:5] == b"%PDF-"
    # The country report breaks the totals down by region.
    r = c.get(f"/api/scenarios/{s.id}/report", params={"lang": "en"}, headers=AUTH)
    table = r.text.split('id="by-region"')[1].split("</table>")[0]
    rows = re.findall(
        r"<tr><td>([^<]+)</td><td>([\d ]+)</td><td>([\d ]+)</td>"
        r"<td>([\d.]+)%</td><td>(\d+)</td><td>(\d+)</td></tr>",
        table,
    )
    assert len(rows) == 14 and any("Tashkent" in row[0] for row in rows)
    pop = sum(int(row[1].replace(" ", "")) for row in rows)
    demand = sum(int(row[2].replace(" ", "")) for row in rows)
    assert pop == pytest.approx(res["population"], rel=0.01)
    assert demand == pytest.approx(res["demand_kwh_day"], rel=0.01)
    assert sum(int(row[5]) for row in rows) == sel["selected"]
    eng = create_engine(sample_db)
    with eng.connect() as conn:
        sites = conn.execute(
            text("SELECT count(*) FROM site WHERE region_id IS NOT NULL")
        ).scalar_one()
    eng.dispose()
    assert sum(int(row[4]) for row in rows) == sites


def test_bad_input_gets_clear_errors(sample_client: TestClient) -> None:
    c = sample_client
    r = c.post("/api/scenarios", json={"name": "x", "resolution": 10}, headers=AUTH)
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_input" and "resolution" in r.json()["detail"]
    r = c.post("/api/scenarios", json={"name": "x", "region": "UZ-XX"}, headers=AUTH)
    assert r.status_code == 422 and r.json()["code"] == "unknown_region"
    assert "known: UZ-AN" in r.json()["detail"]
    r = c.post(
        "/api/scenarios", json={"name": "x", "weights": {"grid": -1}}, headers=AUTH
    )
    assert r.status_code == 422 and "weights.grid" in r.json()["detail"]
    r = c.post(
        "/api/scenarios", json={"name": "x", "weights": {"grid": None}}, headers=AUTH
    )
    assert r.status_code == 422 and "weights.grid" in r.json()["detail"]
    r = c.post("/api/scenarios", json={"name": "x"})
    assert r.status_code == 401
    assert c.get("/api/scenarios/999999", headers=AUTH).status_code == 404
    assert (
        c.get("/api/scenarios/999999/report", headers=AUTH).json()["code"]
        == "scenario_not_found"
    )
    # a budget below the cheapest site: the run fails with the reason, nothing crashes
    s = _create(c, name="tiny-budget", region="UZ-TK", resolution=7, budget_uzs=1000)
    done = _wait(c, s["id"])
    assert done.status == "failed"
    assert done.error is not None and "below the cheapest candidate" in done.error
    r = c.post(
        "/api/scenarios", json={"name": "tiny-budget", "region": "UZ-TK"}, headers=AUTH
    )
    assert r.status_code == 409 and r.json()["code"] == "duplicate_name"
    r = c.get(f"/api/scenarios/{s['id']}/report", headers=AUTH)
    assert r.status_code == 409 and r.json()["code"] == "not_done"


def test_cancel_a_running_scenario(sample_client: TestClient) -> None:
    c = sample_client
    s = _create(c, name="to-cancel", resolution=8)
    r = c.post(f"/api/scenarios/{s['id']}/cancel", headers=AUTH)
    assert r.status_code == 202
    done = _wait(c, s["id"])
    assert done.status == "cancelled" and done.error == "cancelled by the user"
    r = c.post(f"/api/scenarios/{s['id']}/cancel", headers=AUTH)
    assert r.status_code == 409 and r.json()["code"] == "not_running"


def test_defaults_for_the_planner_form(
    client: TestClient, admin: dict[str, str]
) -> None:
    """The form's defaults, units and bounds are those of the API and of planning/config."""
    from planning.config import (  # noqa: PLC0415
        CORRIDOR_RULES,
        CoverageConfig,
        DemandConfig,
        ScoringConfig,
        SelectionConfig,
    )

    assert client.get("/api/scenarios/defaults").status_code == 401
    r = client.get("/api/scenarios/defaults", headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    params = {p["name"]: p for p in body["parameters"]}
    demand, cov = DemandConfig(), CoverageConfig()
    sel, scoring = SelectionConfig(), ScoringConfig()
    expected = {
        "resolution": (demand.resolution, "h3"),
        "year": (demand.year, "year"),
        "ev_fleet": (demand.ev_fleet, "evs"),
        "kwh_per_ev_day": (demand.kwh_per_ev_day, "kwh_per_ev_day"),
        "public_charging_share": (demand.public_charging_share, "share"),
        "radius_km": (cov.radius_km, "km"),
        "minutes": (cov.minutes, "min"),
        "catchment_km": (scoring.catchment_km, "km"),
        "n_sites": (sel.n_sites, "sites"),
        "budget_uzs": (sel.budget_uzs, "uzs"),
    }
    assert {k: (p["default"], p["unit"]) for k, p in params.items()} == expected
    assert (params["resolution"]["minimum"], params["resolution"]["maximum"]) == (6, 9)
    assert params["resolution"]["integer"] and not params["resolution"]["optional"]
    assert params["radius_km"]["exclusive_minimum"] and params["ev_fleet"]["optional"]
    assert params["public_charging_share"]["maximum"] == 1
    rules = {r["name"]: r for r in body["rules"]}
    assert set(rules) == {"afir", "nevi", "uz"} == set(body["default_rules"])
    for name in ("afir", "nevi", "uz"):
        assert rules[name]["max_gap_km"] == CORRIDOR_RULES[name].max_gap_km
        assert rules[name]["min_points"] == CORRIDOR_RULES[name].min_points
    # What an omitted parameter becomes is what the form shows.
    r = client.post(
        "/api/scenarios?run=false", json={"name": "defaults-check"}, headers=admin
    )
    assert r.status_code == 201, r.text
    stored = r.json()["params"]
    for k, p in params.items():
        assert stored[k] == p["default"], k
    assert stored["rules"] == body["default_rules"]
    # Planners (technicians) read it; partners and clients may not.
    for role, status in (("technician", 200), ("partner", 403), ("client", 403)):
        email = f"{role}-defaults@example.uz"
        r = client.post(
            "/api/users",
            json={"email": email, "password": "Str0ng!Passw0rd", "role": role},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        r = client.post(
            "/api/auth/token",
            data={"username": email, "password": "Str0ng!Passw0rd"},
        )
        assert r.status_code == 200, r.text
        h = {"Authorization": f"Bearer {r.json()['access_token']}"}
        assert client.get("/api/scenarios/defaults", headers=h).status_code == status


def test_progress_events_need_the_token_in_the_header(
    client: TestClient, admin: dict[str, str]
) -> None:
    """The web app reads the stream with fetch and an Authorization header; a
    token in the URL (it would end up in access logs) is not accepted."""
    r = client.post(
        "/api/scenarios?run=false", json={"name": "sse-token"}, headers=admin
    )
    assert r.status_code == 201, r.text
    url = f"/api/scenarios/{r.json()['id']}/events"
    assert client.get(url).status_code == 401
    token = admin["Authorization"].removeprefix("Bearer ")
    assert client.get(url, params={"access_token": token}).status_code == 401
    r = client.get(url, headers=admin)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = [
        ProgressPublic.model_validate_json(line[6:])
        for line in r.text.splitlines()
        if line.startswith("data: ")
    ]
    assert [e.status for e in events] == ["created"]
