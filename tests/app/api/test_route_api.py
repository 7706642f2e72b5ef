"""Route API against the real app on PostGIS with the Uzbekistan sample loaded."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine, text

from app.main import create_app
from app.schemas.route import GeocodeMatch, RouteResponse, VehiclePublic
from app.services.routing import RouteCache
from app.settings import Settings
from tests.pg import PgServer, create_db, drop_db, new_db_name

ROOT = Path(__file__).resolve().parents[3]
with (ROOT / "tests/data/published_road_distances.csv").open(encoding="utf-8") as _f:
    PUBLISHED = {
        (r["from_town"], r["to_town"]): float(r["published_km"])
        for r in csv.DictReader(_f)
    }
GBT = {"GBT_DC", "GBT_AC"}


def _client(url: str) -> TestClient:
    return TestClient(
        create_app(Settings(database_url=url, admin_token=SecretStr("x" * 24)))
    )


@pytest.fixture(scope="module")
def shared_sample(pg: PgServer, sample_template: str) -> Iterator[str]:
    """One sample database for the tests of this module that only read."""
    name = new_db_name("quvvat_t_route")
    create_db(pg, name, template=sample_template)
    try:
        yield pg.url(name)
    finally:
        drop_db(pg, name)


@pytest.fixture(scope="module")
def reader(shared_sample: str) -> Iterator[TestClient]:
    with _client(shared_sample) as c:
        yield c


@pytest.fixture
def sample_client(sample_db: str) -> Iterator[TestClient]:
    """A client on a database of its own (for tests that change data)."""
    with _client(sample_db) as c:
        yield c


def _route(client: TestClient, **body: Any) -> Any:
    payload = {"vehicle": {"preset": "byd_yuan_plus"}, "start_soc": 0.9, **body}
    return client.post("/api/route", json=payload)


def _usable_types(url: str, site_ids: list[str]) -> dict[str, set[tuple[str, str]]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT cp.site_id, c.type, c.status FROM connector c"
                " JOIN evse e ON e.id = c.evse_pk JOIN charge_point cp"
                " ON cp.id = e.charge_point_id WHERE cp.site_id = ANY(:ids)"
            ),
            {"ids": [int(i) for i in site_ids]},
        ).all()
    engine.dispose()
    out: dict[str, set[tuple[str, str]]] = {}
    for sid, ctype, status in rows:
        out.setdefault(str(sid), set()).add((ctype, status))
    return out


@pytest.mark.parametrize(
    ("dest", "published"),
    [
        ("Samarkand", PUBLISHED["Tashkent", "Samarkand"]),
        ("Termez", PUBLISHED["Tashkent", "Termez"]),
        ("Nukus", PUBLISHED["Tashkent", "Nukus"]),
    ],
)
def test_trips_from_tashkent_on_the_sample(
    reader: TestClient, shared_sample: str, dest: str, published: float
) -> None:
    r = _route(
        reader,
        origin={"place": "Tashkent"},
        destination={"place": dest},
        vehicle={"preset": "byd_han_ev"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    plan = RouteResponse.model_validate(r.json())
    assert plan.feasible, plan.impossible
    assert plan.summary is not None and plan.geometry is not None
    assert abs(plan.summary.length_km - published) <= 0.15 * published
    assert plan.summary.arrival_soc >= 0.1 - 1e-6
    assert plan.summary.total_min == pytest.approx(
        plan.summary.drive_min + plan.summary.charging_min + plan.summary.wait_min,
        abs=0.3,
    )
    # Only compatible (GB/T for the China-market Han), working connectors are used.
    types = _usable_types(shared_sample, [s.station_id for s in plan.stops])
    for s in plan.stops:
        assert s.connector_type in GBT
        usable = {st for t, st in types[s.station_id] if t == s.connector_type} - {
            "Faulted",
            "Unavailable",
        }
        assert usable, f"stop {s.name} has no working {s.connector_type}"
        # Priced at the flat tariff (2000 UZS/kWh by default).
        assert s.cost_uzs == pytest.approx(s.energy_kwh * 2000, abs=12)
    assert plan.summary.cost_uzs == sum(s.cost_uzs for s in plan.stops)
    assert any("SCHEMATIC" in n for n in plan.notes)


def test_geojson_and_get_share_link(reader: TestClient) -> None:
    r = reader.get(
        "/api/route",
        params={
            "origin": "Toshkent",
            "destination": "66.9597,39.6542",
            "vehicle": "byd_yuan_plus",
            "format": "geojson",
        },
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/geo+json"
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    kinds = [f["geometry"]["type"] for f in fc["features"]]
    assert kinds[0] == "LineString"
    assert kinds[1:] == ["Point"] * (len(kinds) - 1)
    assert fc["features"][0]["properties"]["feasible"] is True
    assert len(kinds) - 1 == fc["features"][0]["properties"]["summary"]["stops"]


def test_faulted_station_is_skipped_and_busy_one_penalised(
    sample_client: TestClient, sample_db: str
) -> None:
    trip = {"origin": {"place": "Tashkent"}, "destination": {"place": "Samarkand"}}
    first = RouteResponse.model_validate(_route(sample_client, **trip).json())
    assert first.stops, "Tashkent-Samarkand needs a stop with this car from 90 %"
    used = first.stops[0].station_id
    engine = create_engine(sample_db)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE connector SET status = 'Faulted' WHERE evse_pk IN (SELECT e.id"
                " FROM evse e JOIN charge_point cp ON cp.id = e.charge_point_id"
                " WHERE cp.site_id = :sid)"
            ),
            {"sid": int(used)},
        )
    engine.dispose()
    again = RouteResponse.model_validate(_route(sample_client, **trip).json())
    assert again.feasible
    assert used not in [s.station_id for s in again.stops]
    assert again.summary is not None and first.summary is not None
    assert again.summary.total_min >= first.summary.total_min - 0.1


def test_graph_is_cached_and_rebuilt_when_roads_change(
    sample_client: TestClient, sample_db: str
) -> None:
    trip = {"origin": {"place": "Tashkent"}, "destination": {"place": "Jizzakh"}}
    assert _route(sample_client, **trip).status_code == 200
    cache: RouteCache = sample_client.app.state.route_cache  # type: ignore[attr-defined]
    graph = cache.graph
    assert _route(sample_client, **trip).status_code == 200
    assert cache.graph is graph  # not rebuilt for the same roads version
    engine = create_engine(sample_db)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE layer_version SET version = version + 1 WHERE layer = 'roads'")
        )
    engine.dispose()
    assert _route(sample_client, **trip).status_code == 200
    assert cache.graph is not graph


def test_impossible_trip_says_where_and_why(reader: TestClient) -> None:
    small = {
        "battery_kwh": 12,
        "consumption_wh_per_km_50": 150,
        "consumption_wh_per_km_110": 200,
        "dc_max_kw": 40,
        "ac_max_kw": 7,
        "connectors": ["GBT_DC", "CCS2"],
    }
    r = _route(
        reader,
        origin={"place": "Tashkent"},
        destination={"place": "Nukus"},
        vehicle=small,
    )
    assert r.status_code == 200, r.text
    plan = RouteResponse.model_validate(r.json())
    assert not plan.feasible and plan.impossible is not None
    gap = plan.impossible.gap
    assert gap is not None
    assert gap.length_km > gap.range_km
    assert f"{gap.length_km:.0f} km between {gap.from_name} and {gap.to_name}" in (
        plan.impossible.reason
    )
    for site in plan.impossible.sites:
        assert site.kind in {"planned", "candidate"}


@pytest.mark.parametrize(
    ("body", "status", "code", "detail"),
    [
        (
            {"origin": {"lon": 30.0, "lat": 50.0}, "destination": {"place": "Nukus"}},
            422,
            "outside_uzbekistan",
            "origin: (30.0, 50.0) is outside Uzbekistan",
        ),
        (  # Shymkent, Kazakhstan: inside the bounding box, ~70 km past the border
            {"origin": {"lon": 69.59, "lat": 42.32}, "destination": {"place": "Nukus"}},
            422,
            "outside_uzbekistan",
            "origin: (69.59, 42.32) is outside Uzbekistan (more than 5 km beyond its border)",
        ),
        (
            {
                "origin": {"place": "Tashkent"},
                "destination": {"lon": 62.0, "lat": 43.5},
            },
            422,
            "too_far_from_road",
            "destination: point (62.00000, 43.50000) is 196.4 km from the nearest road; the limit is 30.0 km",
        ),
        (
            {"origin": {"place": "Tashkent"}, "destination": {"place": "Atlantis"}},
            422,
            "unknown_place",
            "destination.place: unknown place 'Atlantis'",
        ),
        (
            {
                "origin": {"place": "Tashkent"},
                "destination": {"place": "Nukus"},
                "vehicle": {"preset": "tesla_roadster"},
            },
            422,
            "unknown_vehicle",
            "vehicle.preset: unknown vehicle preset 'tesla_roadster'",
        ),
        (
            {
                "origin": {"place": "Tashkent"},
                "destination": {"place": "Nukus"},
                "vehicle": {"preset": "byd_han_ev", "battery_kwh": 0},
            },
            422,
            "invalid_input",
            "vehicle.battery_kwh: Input should be greater than 0",
        ),
        (
            {
                "origin": {"place": "Tashkent"},
                "destination": {"place": "Nukus"},
                "vehicle": {"preset": "byd_han_ev", "consumption_wh_per_km_50": -5},
            },
            422,
            "invalid_input",
            "vehicle.consumption_wh_per_km_50: Input should be greater than 0",
        ),
        (
            {
                "origin": {"place": "Tashkent"},
                "destination": {"place": "Nukus"},
                "start_soc": 0.1,
                "min_soc_stop": 0.3,
            },
            422,
            "invalid_trip",
            "min_soc_stop: min_soc_stop (0.3) is above start_soc (0.1)",
        ),
        (
            {"origin": {"lon": 69.2}, "destination": {"place": "Nukus"}},
            422,
            "invalid_input",
            "origin: Value error, lon and lat go together",
        ),
    ],
)
def test_bad_input_is_a_clear_422(
    reader: TestClient, body: dict[str, Any], status: int, code: str, detail: str
) -> None:
    r = _route(reader, **body)
    assert r.status_code == status, r.text
    assert r.json()["code"] == code
    assert detail in r.json()["detail"]


def test_vehicles_and_geocode(reader: TestClient) -> None:
    r = reader.get("/api/vehicles")
    assert r.status_code == 200
    presets = [VehiclePublic.model_validate(v) for v in r.json()]
    ids = {v.id for v in presets}
    assert {"byd_yuan_plus", "byd_han_ev", "chevrolet_bolt_ev"} <= ids
    assert all(v.sources for v in presets)
    r = reader.get("/api/geocode", params={"q": "Самарканд"})
    assert r.status_code == 200
    best = GeocodeMatch.model_validate(r.json()[0])
    assert (best.name, best.kind, best.score) == ("Samarkand", "city", 1.0)
    r = reader.get("/api/geocode", params={"q": "Demo station", "kind": "station"})
    assert r.status_code == 200
    assert r.json() and all(m["kind"] == "station" for m in r.json())
    r = reader.get("/api/geocode", params={"q": ""})
    assert r.status_code == 422 and r.json()["code"] == "invalid_input"
