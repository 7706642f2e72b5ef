from __future__ import annotations

import io
import json

import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box

from tests.app.api.conftest import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def test_catalogue_counts_and_demo_labels(sample_client: TestClient) -> None:
    r = sample_client.get("/api/layers")
    assert r.status_code == 200
    layers = {x["name"]: x for x in r.json()}
    assert layers["regions"]["count"] == 14
    assert layers["regions"]["demo_count"] == 0
    assert layers["stations"]["count"] > 1000
    # Every generated station is labelled demo; the Open Charge Map one is not.
    assert layers["stations"]["demo_count"] == layers["stations"]["count"] - 1
    assert layers["substations"]["restricted"] is True


def test_regions_geojson(sample_client: TestClient) -> None:
    r = sample_client.get("/api/layers/regions")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geo+json"
    gdf = gpd.GeoDataFrame.from_features(r.json()["features"], crs=4326)
    assert len(gdf) == 14
    assert set(gdf["iso_code"]) >= {"UZ-TK", "UZ-QR", "UZ-SA"}
    assert gdf.geom_type.eq("MultiPolygon").all()
    assert gdf.is_valid.all()


def test_bbox_and_region_filters_match_geopandas(sample_client: TestClient) -> None:
    every = gpd.GeoDataFrame.from_features(
        sample_client.get("/api/layers/cities").json()["features"], crs=4326
    )
    bbox = (66.5, 39.3, 67.5, 40.0)
    r = sample_client.get(
        "/api/layers/cities", params={"bbox": ",".join(map(str, bbox))}
    )
    got = {f["properties"]["id"] for f in r.json()["features"]}
    assert got == set(every.loc[every.intersects(box(*bbox)), "id"])
    r = sample_client.get("/api/layers/cities", params={"region": "UZ-SA"})
    got = {f["properties"]["id"] for f in r.json()["features"]}
    assert got == set(every.loc[every["region_iso"] == "UZ-SA", "id"])
    assert got


def test_restricted_layers_need_a_role(sample_client: TestClient) -> None:
    r = sample_client.get("/api/layers/substations")
    assert r.status_code == 401
    assert r.json()["detail"] == (
        "layer 'substations' needs a signed-in admin, technician or partner"
    )
    r = sample_client.get("/api/layers/substations", headers=ADMIN)
    assert r.status_code == 200
    feats = r.json()["features"]
    assert feats and all(f["properties"]["source"] == "demo" for f in feats)


def test_unknown_layer_and_region(sample_client: TestClient) -> None:
    r = sample_client.get("/api/layers/volcanoes")
    assert r.status_code == 404
    assert r.json()["code"] == "unknown_layer"
    assert "known: regions, districts" in r.json()["detail"]
    r = sample_client.get("/api/layers/cities", params={"region": "UZ-ZZ"})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("region: unknown region 'UZ-ZZ'; known: UZ-AN")


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv"])
def test_export_stations_of_one_region(sample_client: TestClient, fmt: str) -> None:
    want = sample_client.get(
        "/api/stations", params={"region": "UZ-SA", "limit": 10000}
    ).json()
    r = sample_client.get(
        "/api/export/stations", params={"format": fmt, "region": "UZ-SA"}, headers=ADMIN
    )
    assert r.status_code == 200, r.text
    assert f'filename="quvvat-stations-UZ-SA.{fmt}"' in r.headers["content-disposition"]
    if fmt == "csv":
        df = pd.read_csv(io.StringIO(r.text))
        assert {"lon", "lat", "wkt", "status", "source"} <= set(df.columns)
        ids = set(df["id"])
    else:
        gdf = gpd.read_file(io.BytesIO(r.content))
        assert gdf.crs is not None and gdf.crs.to_epsg() == 4326
        ids = set(gdf["id"])
    assert ids == {f["id"] for f in want["features"]}
    assert len(ids) == want["numberMatched"] > 0


def test_export_needs_a_role_and_a_known_format(sample_client: TestClient) -> None:
    assert sample_client.get("/api/export/regions").status_code == 401
    r = sample_client.get(
        "/api/export/regions", params={"format": "xls"}, headers=ADMIN
    )
    assert r.status_code == 422
    assert "format" in r.json()["detail"]


def test_geojson_export_is_rfc7946(sample_client: TestClient) -> None:
    r = sample_client.get("/api/export/regions", headers=ADMIN)
    doc = json.loads(r.content)
    assert doc["type"] == "FeatureCollection"
    assert len(doc["features"]) == 14
