from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box
from sqlalchemy import create_engine, text

from app.schemas.stations import StationPublic
from app.settings import Settings

TYPES = ["CCS2", "GBT_DC", "GBT_AC", "CHADEMO", "TYPE2"]
STATUSES = ["Available", "Charging", "Faulted", "Unavailable"]


def _seed(url: str, n: int = 80, seed: int = 7) -> None:
    """n stations around Tashkent and Samarkand, one charge point each, 1-3 connectors."""
    rng = np.random.default_rng(seed)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO region (iso_code, name_en, source, geom) VALUES"
                " ('UZ-TK','Tashkent city','test',"
                "  ST_Multi(ST_MakeEnvelope(69.1,41.2,69.4,41.4,4326))),"
                " ('UZ-SA','Samarkand region','test',"
                "  ST_Multi(ST_MakeEnvelope(66.5,39.4,67.3,40.0,4326)));"
                "INSERT INTO operator (name) VALUES ('Alpha'), ('Beta')"
            )
        )
        for i in range(n):
            if i % 2:
                lon, lat, region = rng.uniform(69.1, 69.4), rng.uniform(41.2, 41.4), 1
            else:
                lon, lat, region = rng.uniform(66.5, 67.3), rng.uniform(39.4, 40.0), 2
            site_id = conn.execute(
                text(
                    "INSERT INTO site (ext_id, name, city, operator_id, region_id, source,"
                    " geom) VALUES (:e, :n, :c, :o, :r, 'test',"
                    " ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"
                ),
                {
                    "e": f"t{i}",
                    "n": f"Station {i}",
                    "c": "Tashkent" if region == 1 else "Samarkand",
                    "o": 1 + i % 2,
                    "r": region,
                    "x": lon,
                    "y": lat,
                },
            ).scalar_one()
            conn.execute(
                text("INSERT INTO charge_point (id, site_id) VALUES (:cp, :s)"),
                {"cp": f"CP{i}", "s": site_id},
            )
            evse = conn.execute(
                text(
                    "INSERT INTO evse (charge_point_id, evse_id) VALUES (:cp, 1) RETURNING id"
                ),
                {"cp": f"CP{i}"},
            ).scalar_one()
            for k in range(int(rng.integers(1, 4))):
                conn.execute(
                    text(
                        "INSERT INTO connector (evse_pk, connector_id, type, max_power_kw,"
                        " status) VALUES (:e, :k, :t, :p, :s)"
                    ),
                    {
                        "e": evse,
                        "k": k + 1,
                        "t": TYPES[int(rng.integers(0, 5))],
                        "p": float(rng.choice([7, 22, 60, 120, 160])),
                        "s": STATUSES[int(rng.integers(0, 4))],
                    },
                )
    engine.dispose()


def _truth(url: str) -> gpd.GeoDataFrame:
    """The same stations read with geopandas, with the attributes to filter by."""
    engine = create_engine(url)
    gdf = gpd.read_postgis(
        "SELECT s.id, s.geom, r.iso_code, o.name AS operator, ss.status,"
        " ss.max_power_kw, ss.connector_types FROM site s"
        " JOIN station_summary ss ON ss.site_id = s.id"
        " JOIN region r ON r.id = s.region_id JOIN operator o ON o.id = s.operator_id",
        engine,
        geom_col="geom",
    )
    engine.dispose()
    return gdf


@pytest.fixture
def seeded(settings: Settings) -> gpd.GeoDataFrame:
    assert settings.database_url
    _seed(settings.database_url)
    return _truth(settings.database_url)


def _ids(resp_json: dict[str, object]) -> set[int]:
    feats = resp_json["features"]
    assert isinstance(feats, list)
    return {int(f["id"]) for f in feats}


def test_list_is_geojson_with_counts(
    client: TestClient, seeded: gpd.GeoDataFrame
) -> None:
    r = client.get("/api/stations", params={"limit": 10})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geo+json"
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == len(seeded)
    assert body["numberReturned"] == 10
    f = body["features"][0]
    assert f["geometry"]["type"] == "Point"
    assert set(f["properties"]) >= {
        "name",
        "status",
        "max_power_kw",
        "connector_types",
        "source",
    }


def test_paging_walks_every_station_once(
    client: TestClient, seeded: gpd.GeoDataFrame
) -> None:
    seen: list[int] = []
    for offset in range(0, 100, 25):
        seen += _ids(
            client.get("/api/stations", params={"limit": 25, "offset": offset}).json()
        )
    assert sorted(seen) == sorted(seeded["id"].tolist())


@pytest.mark.parametrize(
    ("params", "mask"),
    [
        ({"bbox": "69.15,41.25,69.3,41.35"},
         lambda g: g.intersects(box(69.15, 41.25, 69.3, 41.35))),
        ({"region": "UZ-SA"}, lambda g: g["iso_code"] == "UZ-SA"),
        ({"status": "faulted"}, lambda g: g["status"] == "faulted"),
        ({"connector_type": "GBT_DC"},
         lambda g: g["connector_types"].apply(lambda t: "GBT_DC" in t)),
        ({"min_power_kw": 120}, lambda g: g["max_power_kw"] >= 120),
        ({"operator": "Beta"}, lambda g: g["operator"] == "Beta"),
        ({"region": "UZ-TK", "connector_type": ["CCS2", "CHADEMO"], "min_power_kw": 60},
         lambda g: (g["iso_code"] == "UZ-TK")
         & g["connector_types"].apply(lambda t: bool({"CCS2", "CHADEMO"} & set(t)))
         & (g["max_power_kw"] >= 60)),
    ],
)  # fmt: skip
def test_filters_match_geopandas(
    client: TestClient,
    seeded: gpd.GeoDataFrame,
    params: dict[str, object],
    mask: object,
) -> None:
    expected = set(seeded.loc[mask(seeded), "id"].tolist())  # type: ignore[operator]
    assert expected, "the seed must give each filter something to find"
    r = client.get("/api/stations", params={**params, "limit": 1000})
    assert r.status_code == 200, r.text
    assert _ids(r.json()) == expected


def test_search_by_name(client: TestClient, seeded: gpd.GeoDataFrame) -> None:
    r = client.get("/api/stations", params={"q": "station 17"})
    assert [f["properties"]["name"] for f in r.json()["features"]] == ["Station 17"]


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"bbox": "abc"}, "bbox: expected 4 comma-separated numbers"),
        ({"bbox": "69,41,68,42"}, "bbox: min must not exceed max"),
        ({"bbox": "69,91,70,95"}, "bbox: latitudes must be within -90..90"),
        ({"region": "UZ-XX"}, "region: unknown region 'UZ-XX'"),
        ({"status": "broken"}, "status: unknown value 'broken'"),
        ({"connector_type": "SCHUKO"}, "connector_type: unknown value 'SCHUKO'"),
        ({"limit": 0}, "query.limit: Input should be greater than or equal to 1"),
        (
            {"min_power_kw": "lots"},
            "query.min_power_kw: Input should be a valid number",
        ),
    ],
)
def test_bad_parameters_are_clear_422s(
    client: TestClient, seeded: gpd.GeoDataFrame, params: dict[str, object], detail: str
) -> None:
    r = client.get("/api/stations", params=params)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/json"
    assert detail in r.json()["detail"]
    assert r.json()["code"]


def test_get_one_and_unknown_id(client: TestClient, seeded: gpd.GeoDataFrame) -> None:
    sid = int(seeded["id"].iloc[0])
    r = client.get(f"/api/stations/{sid}")
    assert r.status_code == 200
    st = StationPublic.model_validate(r.json())
    assert st.id == sid
    assert st.charge_points[0].evses[0].connectors
    r = client.get("/api/stations/999999")
    assert r.status_code == 404
    assert r.json() == {
        "detail": "station 999999 not found",
        "code": "station_not_found",
    }
    assert client.get("/api/stations/abc").status_code == 422


NEW = {
    "name": "Chilonzor hub",
    "operator": "Gamma",
    "lon": 69.2,
    "lat": 41.28,
    "charge_points": [
        {"id": "NEW-1", "vendor": "ABB", "evses": [
            {"evse_id": 1, "connectors": [
                {"connector_id": 1, "type": "GBT_DC", "max_power_kw": 120},
                {"connector_id": 2, "type": "CCS2", "max_power_kw": 120}]}]}],
}  # fmt: skip


def test_admin_creates_updates_deletes(
    client: TestClient, seeded: gpd.GeoDataFrame, admin: dict[str, str]
) -> None:
    r = client.post("/api/stations", json=NEW, headers=admin)
    assert r.status_code == 201, r.text
    st = StationPublic.model_validate(r.json())
    assert (st.region_iso, st.operator, st.max_power_kw) == ("UZ-TK", "Gamma", 120.0)
    assert st.connector_types == ["CCS2", "GBT_DC"]
    assert st.source == "api"

    r = client.patch(
        f"/api/stations/{st.id}", json={"name": "Chilonzor"}, headers=admin
    )
    assert r.status_code == 200
    assert r.json()["name"] == "Chilonzor"

    dup = client.post("/api/stations", json=NEW, headers=admin)
    assert dup.status_code == 409
    assert dup.json()["detail"] == "charge point 'NEW-1' already exists"

    assert client.delete(f"/api/stations/{st.id}", headers=admin).status_code == 204
    assert client.get(f"/api/stations/{st.id}").status_code == 404
    assert client.delete(f"/api/stations/{st.id}", headers=admin).status_code == 404


def test_writes_need_the_admin_role(
    client: TestClient, seeded: gpd.GeoDataFrame
) -> None:
    r = client.post("/api/stations", json=NEW)
    assert r.status_code == 401
    assert r.json()["code"] == "not_authenticated"
    r = client.post("/api/stations", json=NEW, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert r.json()["detail"] == "invalid or expired token"


def test_invalid_station_bodies(
    client: TestClient, seeded: gpd.GeoDataFrame, admin: dict[str, str]
) -> None:
    outside = {**NEW, "lon": 10.0, "lat": 50.0}
    r = client.post("/api/stations", json=outside, headers=admin)
    assert r.status_code == 422
    assert "outside Uzbekistan" in r.json()["detail"]
    bad_power = json.loads(json.dumps(NEW))
    bad_power["charge_points"][0]["evses"][0]["connectors"][0]["max_power_kw"] = -5
    r = client.post("/api/stations", json=bad_power, headers=admin)
    assert r.status_code == 422
    assert "max_power_kw" in r.json()["detail"]


def test_offline_only_after_a_charge_point_was_seen(
    client: TestClient, seeded: gpd.GeoDataFrame, settings: Settings
) -> None:
    assert settings.database_url
    sid = int(seeded["id"].iloc[0])
    engine = create_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE connector SET status = 'Available' WHERE evse_pk IN (SELECT e.id"
                " FROM evse e JOIN charge_point cp ON cp.id = e.charge_point_id"
                " WHERE cp.site_id = :s)"
            ),
            {"s": sid},
        )
        conn.execute(
            text(
                "UPDATE charge_point SET protocol = 'ocpp1.6', connected = false"
                " WHERE site_id = :s"
            ),
            {"s": sid},
        )
    # Never connected to us: the imported connector status stands.
    assert client.get(f"/api/stations/{sid}").json()["status"] == "available"
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE charge_point SET last_seen_at = now() WHERE site_id = :s"),
            {"s": sid},
        )
    engine.dispose()
    assert client.get(f"/api/stations/{sid}").json()["status"] == "offline"
