"""Vector tiles from PostGIS: content, filters, clustering and clear 4xx answers."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.main import create_app
from app.settings import Settings

MVT = "application/vnd.mapbox-vector-tile"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile containing (lon, lat)."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    lat_r = math.radians(lat)
    y = int((1 - math.asinh(math.tan(lat_r)) / math.pi) / 2 * n)
    return x, y


@pytest.fixture
def sample_client(sample_db: str) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url=sample_db))) as c:
        yield c


@pytest.fixture
def a_station(sample_db: str) -> dict[str, object]:
    """One station of the sample with its status (from station_summary)."""
    engine = create_engine(sample_db)
    with engine.connect() as conn:
        row = (
            conn.execute(
                text(
                    "SELECT s.id, s.name, ST_X(s.geom), ST_Y(s.geom), v.status "
                    "FROM site s JOIN station_summary v ON v.site_id = s.id "
                    "WHERE s.source = 'demo' ORDER BY s.id LIMIT 1"
                )
            )
            .mappings()
            .one()
        )
    engine.dispose()
    return dict(row)


def test_station_tile_holds_the_station_and_filters_apply(
    sample_client: TestClient, a_station: dict[str, object]
) -> None:
    x, y = tile_of(float(a_station["st_x"]), float(a_station["st_y"]), 15)  # type: ignore[arg-type]
    name = str(a_station["name"]).encode()
    r = sample_client.get(f"/tiles/stations/15/{x}/{y}.pbf")
    assert r.status_code == 200
    assert r.headers["content-type"] == MVT
    assert r.headers["cache-control"] == "no-cache"
    assert name in r.content
    assert str(a_station["status"]).encode() in r.content

    other = "available" if a_station["status"] != "available" else "faulted"
    r = sample_client.get(f"/tiles/stations/15/{x}/{y}.pbf?status={other}")
    assert r.status_code == 200
    assert name not in r.content

    r = sample_client.get(
        f"/tiles/stations/15/{x}/{y}.pbf", params={"q": str(a_station["name"])}
    )
    assert name in r.content


def test_low_zoom_station_tile_is_clustered(sample_client: TestClient) -> None:
    x, y = tile_of(69.27, 41.3, 5)
    r = sample_client.get(f"/tiles/stations/5/{x}/{y}.pbf")
    assert r.status_code == 200
    assert b"point_count" in r.content
    assert b"cluster" in r.content


def test_basemap_tile_has_places_and_labels(sample_client: TestClient) -> None:
    x, y = tile_of(69.27, 41.3, 6)
    r = sample_client.get(f"/tiles/basemap/6/{x}/{y}.pbf")
    assert r.status_code == 200
    assert r.headers["content-type"] == MVT
    for layer in (b"country", b"regions", b"region_labels", b"roads", b"cities"):
        assert layer in r.content
    assert b"Tashkent" in r.content


def test_tilejson_reports_extent_count_and_demo(
    sample_client: TestClient, sample_db: str
) -> None:
    engine = create_engine(sample_db)
    with engine.connect() as conn:
        n, demo = conn.execute(
            text("SELECT count(*), count(*) FILTER (WHERE source='demo') FROM site")
        ).one()
    engine.dispose()
    r = sample_client.get("/tiles/stations.json")
    assert r.status_code == 200
    body = r.json()
    assert body["quvvat"] == {"count": n, "demo_count": demo, "demo": demo > 0}
    minx, miny, maxx, maxy = body["bounds"]
    assert 55.9 <= minx < maxx <= 73.2
    assert 37.1 <= miny < maxy <= 45.6
    assert body["tiles"][0].endswith("/tiles/stations/{z}/{x}/{y}.pbf")


@pytest.mark.parametrize(
    ("path", "status", "detail", "code"),
    [
        (
            "/tiles/stations/23/0/0.pbf",
            422,
            "zoom z=23 out of range 0..22",
            "tile_out_of_range",
        ),
        (
            "/tiles/stations/2/4/0.pbf",
            422,
            "tile x=4, y=0 out of range 0..3 for z=2",
            "tile_out_of_range",
        ),
        (
            "/tiles/stations/2/1/-1.pbf",
            422,
            "tile x=1, y=-1 out of range 0..3 for z=2",
            "tile_out_of_range",
        ),
        (
            "/tiles/nope/1/1/1.pbf",
            404,
            "unknown tile layer 'nope'; available: basemap, candidates, cities, "
            "country, districts, grid_lines, parcels, planned, regions, roads, "
            "stations, substations",
            "unknown_layer",
        ),
        (
            "/tiles/stations/1/1/1.pbf?status=open",
            422,
            "status: unknown value 'open'; allowed: available, charging, faulted, "
            "unavailable, offline, unknown",
            "invalid_status",
        ),
        (
            "/tiles/stations/1/1/1.pbf?connector_type=USB",
            422,
            "connector_type: unknown value 'USB'; allowed: CCS2, GBT_DC, GBT_AC, "
            "CHADEMO, TYPE2",
            "invalid_connector_type",
        ),
        (
            "/tiles/stations/1/1/1.pbf?region=Tashkent",
            422,
            "query.region: String should match pattern '^UZ-[A-Z]{2}$'",
            "invalid_input",
        ),
        (
            "/tiles/stations/1/1/1.pbf?min_power_kw=-5",
            422,
            "query.min_power_kw: Input should be greater than or equal to 0",
            "invalid_input",
        ),
        (
            "/tiles/stations/a/1/1.pbf",
            422,
            "path.z: Input should be a valid integer, unable to parse string as an "
            "integer",
            "invalid_input",
        ),
        ("/tiles/nope.json", 404, None, "unknown_layer"),
    ],
)
def test_bad_tile_requests_get_clear_4xx(
    sample_client: TestClient, path: str, status: int, detail: str | None, code: str
) -> None:
    r = sample_client.get(path)
    assert r.status_code == status
    body = r.json()
    assert body["code"] == code
    if detail is not None:
        assert body["detail"] == detail


def test_tile_layer_listing(sample_client: TestClient) -> None:
    r = sample_client.get("/tiles")
    assert r.status_code == 200
    names = {layer["name"] for layer in r.json()}
    assert {"basemap", "stations", "planned", "parcels", "substations"} <= names
