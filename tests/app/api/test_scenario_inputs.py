"""Scenario inputs beyond the places: an imported population GeoTIFF and points
of interest (fuel stations also become candidate sites), end to end on the
sample database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from affine import Affine
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.main import create_app
from app.services.importer import ImportOptions, import_file
from app.settings import Settings
from tests.app.api.conftest import ADMIN_TOKEN

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
MAX = 10 * 1024 * 1024


@pytest.fixture
def client(sample_db: str) -> Iterator[TestClient]:
    s = Settings(database_url=sample_db, admin_token=SecretStr(ADMIN_TOKEN))
    with TestClient(create_app(s)) as c:
        yield c


def _run(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.post("/api/scenarios", json=params, headers=AUTH)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    end = time.monotonic() + 240
    while time.monotonic() < end:
        body: dict[str, Any] = client.get(f"/api/scenarios/{sid}", headers=AUTH).json()
        if body["status"] in ("done", "failed", "cancelled"):
            return body
        time.sleep(0.3)
    raise AssertionError(f"scenario {sid} did not finish")


def _geotiff(path: Path) -> float:
    """20 x 20 pixels of 0.01° over central Tashkent, 500 people each, and a
    nodata stripe; returns the people it holds."""
    data = np.full((20, 20), 500.0, np.float32)
    data[:, 0] = -9999.0
    with rasterio.open(
        path, "w", driver="GTiff", width=20, height=20, count=1, dtype="float32",
        crs="EPSG:4326", transform=Affine(0.01, 0.0, 69.15, 0.0, -0.01, 41.40),
        nodata=-9999.0,
    ) as dst:  # fmt: skip
        dst.write(data, 1)
    return float(data[:, 1:].sum())


def test_population_raster_replaces_the_places(
    client: TestClient, sample_db: str, tmp_path: Path
) -> None:
    people = _geotiff(tmp_path / "pop.tif")
    opts = ImportOptions(raster_dir=tmp_path / "rasters")
    import_file(
        sample_db, "population", tmp_path / "pop.tif", options=opts, max_bytes=MAX
    )

    unknown = client.post(
        "/api/scenarios",
        json={"name": "typo", "region": "UZ-TK", "population_raster": "populaton"},
        headers=AUTH,
    )
    assert unknown.status_code == 422
    assert "no population raster named 'populaton'; imported: population" in (
        unknown.text
    )

    places = _run(client, name="tk-places", region="UZ-TK", resolution=7, n_sites=3)
    raster = _run(
        client,
        name="tk-raster",
        region="UZ-TK",
        resolution=7,
        n_sites=3,
        population_raster="population",
    )
    assert places["status"] == raster["status"] == "done", raster.get("error")
    # the places give Tashkent city its official 3.16 M people
    assert places["result"]["population"] == pytest.approx(3_164_030, rel=1e-6)
    # the raster: every valid pixel whose centre lies in the city, and no more
    assert 0.5 * people < raster["result"]["population"] <= people
    # no POIs in the sample: their share of demand went to population
    assert places["result"]["demand_shares"]["poi"] == 0


def test_pois_feed_demand_and_fuel_stations_become_candidates(
    client: TestClient, sample_db: str, tmp_path: Path
) -> None:
    path = tmp_path / "pois.csv"
    path.write_text(
        "id,name,category,lon,lat\n"
        "F-1,Fuel Chilonzor,fuel,69.2040,41.2850\n"
        "F-2,Fuel Yunusobod,fuel,69.2870,41.3640\n"
        "M-1,Mall Samarqand Darvoza,mall,69.2210,41.3160\n",
        encoding="utf-8",
    )
    s = import_file(sample_db, "pois", path, options=ImportOptions(), max_bytes=MAX)
    assert s.inserted == 3
    body = _run(client, name="tk-pois", region="UZ-TK", resolution=8, n_sites=5)
    assert body["status"] == "done", body.get("error")
    cands = client.get(
        f"/api/scenarios/{body['id']}/results/candidates", headers=AUTH
    ).json()["features"]
    fuel = [
        f["properties"] for f in cands if f["properties"]["source"] == "fuel_station"
    ]
    assert sorted(p["name"] for p in fuel) == ["Fuel Chilonzor", "Fuel Yunusobod"]
    res = body["result"]
    # fuel 3 + fuel 3 + mall 3 (the category weights of planning.config), and
    # the POIs take their 10 % of the demand
    assert res["poi_weight"] == pytest.approx(9.0)
    assert res["demand_shares"] == pytest.approx(
        {"population": 0.6, "traffic": 0.3, "poi": 0.1}
    )
