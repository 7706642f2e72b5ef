"""POST /api/import/{layer}: admin upload through the import service."""

from __future__ import annotations

import io
from collections.abc import Iterator

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from shapely.geometry import Point

from app.main import create_app
from app.schemas.imports import ImportSummaryPublic
from app.settings import Settings
from tests.app.api.conftest import ADMIN_TOKEN


def _geojson(n: int = 2) -> bytes:
    gdf = gpd.GeoDataFrame(
        {"ext_id": [f"U-{i}" for i in range(n)], "name": ["up"] * n},
        geometry=[Point(69.24 + i / 100, 41.30) for i in range(n)],
        crs=4326,
    )
    text: str = gdf.to_json()
    return text.encode()


def test_upload_imports_and_reports(client: TestClient, admin: dict[str, str]) -> None:
    files = {"file": ("st.geojson", _geojson(), "application/geo+json")}
    r = client.post("/api/import/stations", files=files, headers=admin)
    assert r.status_code == 200, r.text
    body = ImportSummaryPublic.model_validate(r.json())
    assert (body.layer, body.read, body.inserted, body.updated) == ("stations", 2, 2, 0)
    again = client.post("/api/import/stations", files=files, headers=admin)
    assert (again.json()["inserted"], again.json()["updated"]) == (0, 2)


def test_upload_needs_admin(client: TestClient) -> None:
    files = {"file": ("st.geojson", _geojson(), "application/geo+json")}
    r = client.post("/api/import/stations", files=files)
    assert r.status_code == 401
    assert r.json()["code"] == "not_authenticated"


def test_upload_bad_file_and_layer(client: TestClient, admin: dict[str, str]) -> None:
    files = {"file": ("bad.geojson", b"{nope", "application/geo+json")}
    r = client.post("/api/import/stations", files=files, headers=admin)
    assert r.status_code == 422
    assert r.json()["code"] == "unsupported_format"
    assert "cannot read bad.geojson" in r.json()["detail"]
    r = client.post("/api/import/bananas", files=files, headers=admin)
    assert r.status_code == 422
    assert r.json()["code"] == "unknown_layer"


@pytest.fixture
def small_client(migrated_db: str) -> Iterator[TestClient]:
    s = Settings(
        database_url=migrated_db,
        admin_token=SecretStr(ADMIN_TOKEN),
        max_upload_bytes=1000,
    )
    with TestClient(create_app(s)) as c:
        yield c


def test_oversize_upload_is_413(
    small_client: TestClient, admin: dict[str, str]
) -> None:
    big = io.BytesIO(_geojson(40))
    assert len(big.getvalue()) > 1000
    files = {"file": ("big.geojson", big, "application/geo+json")}
    r = small_client.post("/api/import/stations", files=files, headers=admin)
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"
