"""``quvvat import LAYER FILE`` against real PostGIS, with files written by the tests."""

from __future__ import annotations

import csv
import gc
import json
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pytest
import rasterio
from affine import Affine
from osmium.osm.mutable import Node, Way
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon, box
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from app.cli import cli
from app.errors import InvalidInputError, PayloadTooLargeError
from app.services import importer
from app.services.import_log import IMPORT_LAYERS
from app.services.importer import LAYERS, ImportOptions, import_file
from app.settings import get_settings
from geo.errors import (
    MissingCrsError,
    OutsideExtentError,
    UnknownCrsError,
    UnsupportedFormatError,
)

MAX = 10 * 1024 * 1024
# Tashkent, Samarkand, Bukhara (lon, lat)
TASHKENT = (69.2401, 41.2995)
SAMARKAND = (66.9597, 39.6542)
BUKHARA = (64.4286, 39.7747)


def _q(url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql), params).all()]
    engine.dispose()
    return rows


def _one(url: str, sql: str, **params: Any) -> Any:
    return _q(url, sql, **params)[0][0]


def _stations(n: int = 3) -> gpd.GeoDataFrame:
    pts = [TASHKENT, SAMARKAND, BUKHARA][:n]
    return gpd.GeoDataFrame(
        {
            "ext_id": [f"T-{i}" for i in range(n)],
            "name": [f"Test station {i}" for i in range(n)],
            "operator": ["Test Op"] * n,
            "sockets": list(range(n)),
        },
        geometry=[Point(p) for p in pts],
        crs=4326,
    )


def _imp(url: str, layer: str, path: Path, **kw: Any) -> Any:
    return import_file(url, layer, path, options=ImportOptions(**kw), max_bytes=MAX)


def test_layers_match_the_cli_list() -> None:
    assert set(IMPORT_LAYERS) == {*LAYERS, "population"}


def test_geojson_stations_insert_then_update(sample_db: str, tmp_path: Path) -> None:
    path = tmp_path / "stations.geojson"
    _stations().to_file(path, driver="GeoJSON")
    before = _one(sample_db, "SELECT count(*) FROM site")
    version0 = _one(
        sample_db, "SELECT version FROM layer_version WHERE layer='stations'"
    )

    first = _imp(sample_db, "stations", path)
    assert (first.read, first.inserted, first.updated, first.rejected) == (3, 3, 0, 0)
    rows = _q(
        sample_db,
        "SELECT s.ext_id, s.name, r.iso_code, o.name, s.source, s.properties->>'sockets'"
        " FROM site s LEFT JOIN region r ON r.id = s.region_id"
        " LEFT JOIN operator o ON o.id = s.operator_id"
        " WHERE s.ext_id LIKE 'T-%' ORDER BY 1",
    )
    assert rows == [
        ("T-0", "Test station 0", "UZ-TK", "Test Op", "import", "0"),
        ("T-1", "Test station 1", "UZ-SA", "Test Op", "import", "1"),
        ("T-2", "Test station 2", "UZ-BU", "Test Op", "import", "2"),
    ]

    # re-import with a changed name: updates, never duplicates
    gdf = _stations()
    gdf.loc[0, "name"] = "Renamed"
    gdf.to_file(path, driver="GeoJSON")
    second = _imp(sample_db, "stations", path)
    assert (second.inserted, second.updated) == (0, 3)
    assert _one(sample_db, "SELECT count(*) FROM site") == before + 3
    assert _one(sample_db, "SELECT name FROM site WHERE ext_id = 'T-0'") == "Renamed"
    assert second.layer_version == version0 + 2
    runs = _q(
        sample_db,
        "SELECT inserted, updated FROM import_run WHERE source_name = 'stations.geojson'"
        " ORDER BY id",
    )
    assert runs == [(3, 0), (0, 3)]


def test_geopackage_parcels_from_utm_are_reprojected(
    migrated_db: str, tmp_path: Path
) -> None:
    to_utm = Transformer.from_crs(4326, 32642, always_xy=True)
    x, y = to_utm.transform(*TASHKENT)
    square = box(x, y, x + 100.0, y + 50.0)  # 5,000 m2 in UTM 42N
    gdf = gpd.GeoDataFrame(
        {"ext_id": ["P-1"], "land_use": ["commercial"], "owner": ["state"]},
        geometry=[square],
        crs=32642,
    )
    path = tmp_path / "parcels.gpkg"
    gdf.to_file(path, driver="GPKG")
    s = _imp(migrated_db, "parcels", path)
    assert (s.inserted, s.rejected) == (1, 0)
    row = _q(
        migrated_db,
        "SELECT land_use, owner_type, area_m2, ST_SRID(geom), ST_X(ST_PointN("
        "ST_ExteriorRing(ST_GeometryN(geom, 1)), 1)) FROM cadastre_parcel",
    )[0]
    assert row[:2] == ("commercial", "state")
    assert row[2] == pytest.approx(5000.0, rel=0.002)  # UTM scale factor ~0.9996
    assert row[3] == 4326
    assert 69.0 < row[4] < 69.5


def _zip_shapefile(gdf: gpd.GeoDataFrame, tmp_path: Path, name: str) -> Path:
    shp_dir = tmp_path / name
    shp_dir.mkdir()
    gdf.to_file(shp_dir / f"{name}.shp")
    zpath = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for f in shp_dir.iterdir():
            z.write(f, f.name)
    return zpath


def test_zipped_shapefile_in_sk42_gauss_krueger(
    migrated_db: str, tmp_path: Path
) -> None:
    to_sk42 = Transformer.from_crs(4326, 28412, always_xy=True)  # SK-42 GK zone 12
    pts = [Point(*to_sk42.transform(*p)) for p in (TASHKENT, SAMARKAND)]
    gdf = gpd.GeoDataFrame(
        {"id": ["S1", "S2"], "voltage": [110000, 35], "capacity": [40000, 16000]},
        geometry=pts,
        crs=28412,
    )
    path = _zip_shapefile(gdf, tmp_path, "subs")
    s = _imp(migrated_db, "substations", path)
    assert (s.inserted, s.rejected) == (2, 0)
    rows = _q(
        migrated_db,
        "SELECT ext_id, voltage_kv, capacity_kw,"
        " ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography)"
        " FROM grid_substation ORDER BY ext_id",
        x=TASHKENT[0],
        y=TASHKENT[1],
    )
    assert rows[0][:3] == ("S1", 110.0, 40000.0)  # 110000 V read as 110 kV
    assert rows[0][3] < 1.0  # back on Tashkent within a metre
    assert rows[1][1] == 35.0


def test_sk42_named_by_the_user(migrated_db: str, tmp_path: Path) -> None:
    """A CSV in SK-42 geographic (EPSG:4284) coordinates, declared with --crs sk42."""
    to_sk42 = Transformer.from_crs(4326, 4284, always_xy=True)
    x, y = to_sk42.transform(*TASHKENT)
    path = tmp_path / "cands.csv"
    path.write_text(f"id,name,lon,lat\nC1,cand,{x:.9f},{y:.9f}\n")
    s = _imp(migrated_db, "candidate_sites", path, crs="sk42")
    assert s.inserted == 1
    d = _one(
        migrated_db,
        "SELECT ST_Distance(geom::geography,"
        " ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography) FROM candidate_site",
        x=TASHKENT[0],
        y=TASHKENT[1],
    )
    assert d < 1.0
    # SK-42 differs from WGS84 by about a hundred metres here: the shift happened
    assert Point(x, y).distance(Point(TASHKENT)) > 0.0005


def test_csv_rejects_are_reported_and_written(sample_db: str, tmp_path: Path) -> None:
    path = tmp_path / "planned.csv"
    rows = [
        ["id", "name", "year", "power_kw", "connectors", "longitude", "latitude"],
        ["PL-1", "ok", "2027", "120", "CCS2;GBT_DC", "69.25", "41.30"],
        ["PL-2", "bad year", "1990", "120", "", "69.25", "41.31"],
        ["PL-3", "no coords", "2027", "60", "", "", ""],
        ["PL-4", "bad power", "2028", "-5", "", "69.26", "41.30"],
        ["PL-5", "in Kazakhstan", "2028", "60", "", "76.9", "43.25"],
        ["PL-1", "duplicate", "2029", "60", "", "69.27", "41.30"],
    ]
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    s = _imp(sample_db, "planned_sites", path)
    assert (s.read, s.inserted, s.rejected) == (6, 1, 5)
    reasons = {r.feature + ": " + r.reason for r in s.rejects}
    assert "PL-2: year: '1990' must be a whole number from 2020 to 2050" in reasons
    assert "PL-3: no geometry (empty or missing coordinates)" in reasons
    assert "PL-4: power_kw: -5 must be > 0" in reasons
    assert any(r.startswith("PL-5: outside Uzbekistan's extent") for r in reasons)
    assert "PL-1: duplicate ext_id (first at accepted row 1)" in reasons
    assert _q(
        sample_db,
        "SELECT year, power_kw::float8, connector_types, source FROM planned_site"
        " WHERE ext_id = 'PL-1'",
    ) == [(2027, 120.0, ["CCS2", "GBT_DC"], "import")]
    rejects_file = tmp_path / "planned.csv.rejects.csv"
    assert s.rejects_path == str(rejects_file)
    with rejects_file.open() as f:
        written = list(csv.DictReader(f))
    assert {w["feature"] for w in written} == {"PL-1", "PL-2", "PL-3", "PL-4", "PL-5"}


def _pbf(path: Path) -> Path:
    with osmium.SimpleWriter(str(path)) as w:
        w.add_node(
            Node(
                id=1,
                location=TASHKENT,
                tags={
                    "amenity": "charging_station",
                    "name": "OSM CS",
                    "operator": "OSM Op",
                },
            )
        )
        w.add_node(Node(id=2, location=(69.25, 41.32), tags={}))
        w.add_node(Node(id=3, location=(69.30, 41.35), tags={}))
        w.add_node(
            Node(
                id=4,
                location=(69.28, 41.30),
                tags={"power": "substation", "voltage": "110000;10000", "name": "PS"},
            )
        )
        w.add_node(Node(id=5, location=(69.20, 41.28), tags={"amenity": "cafe"}))
        w.add_node(Node(id=6, location=(69.21, 41.29), tags={"shop": "mall"}))
        w.add_node(Node(id=7, location=(69.22, 41.29), tags={"amenity": "bench"}))
        for i, loc in enumerate([(69.23, 41.30), (69.24, 41.30), (69.24, 41.31)]):
            w.add_node(Node(id=20 + i, location=loc, tags={}))
        w.add_way(
            Way(
                id=13,
                nodes=[20, 21, 22, 20],
                tags={"amenity": "fuel", "name": "Uzbekneftegaz 12"},
            )
        )
        w.add_way(
            Way(
                id=10,
                nodes=[2, 3],
                tags={"highway": "primary", "ref": "4R1", "maxspeed": "70"},
            )
        )
        w.add_way(Way(id=11, nodes=[3, 4], tags={"power": "line", "voltage": "220000"}))
        w.add_way(Way(id=12, nodes=[2, 5], tags={"highway": "footway"}))
    return path


def test_osm_pbf_extract_into_four_layers(migrated_db: str, tmp_path: Path) -> None:
    path = _pbf(tmp_path / "extract.osm.pbf")
    s = _imp(migrated_db, "stations", path)
    assert (s.read, s.inserted) == (1, 1)
    assert _q(migrated_db, "SELECT ext_id, name FROM site") == [("n1", "OSM CS")]
    s = _imp(migrated_db, "roads", path)
    assert (s.read, s.inserted) == (1, 1)  # the footway is not a road
    road = _q(
        migrated_db, "SELECT ext_id, ref, road_class, maxspeed_kmh, length_km FROM road"
    )
    assert road[0][:4] == ("w10", "4R1", "primary", 70)
    assert road[0][4] == pytest.approx(5.6, abs=0.3)
    s = _imp(migrated_db, "substations", path)
    assert _q(migrated_db, "SELECT ext_id, voltage_kv FROM grid_substation") == [
        ("n4", 110.0)
    ]
    s = _imp(migrated_db, "grid_lines", path)
    assert _q(migrated_db, "SELECT ext_id, voltage_kv FROM grid_line") == [
        ("w11", 220.0)
    ]
    with pytest.raises(InvalidInputError, match="OSM extract"):
        _imp(migrated_db, "parcels", path)
    # points of interest: the cafe, the mall and the fuel station (a closed way,
    # kept as its centroid); the bench and the charging station are not POIs
    s = _imp(migrated_db, "pois", path)
    assert (s.read, s.inserted) == (3, 3)
    assert _q(
        migrated_db,
        "SELECT ext_id, category, name, round(ST_X(geom)::numeric, 2)::float8"
        " FROM poi ORDER BY ext_id",
    ) == [
        ("n5", "cafe", None, 69.2),
        ("n6", "mall", None, 69.21),
        ("w13", "fuel", "Uzbekneftegaz 12", 69.24),
    ]


def test_poi_file_with_weights_and_bad_rows(sample_db: str, tmp_path: Path) -> None:
    path = tmp_path / "pois.csv"
    path.write_text(
        "id,name,type,weight,lon,lat\n"
        "P-1,Samarkand Darvoza mall,mall,,66.95,39.65\n"
        "P-2,Hotel Bukhara,hotel,4.5,64.43,39.77\n"
        "P-3,Bad weight,cafe,-2,69.24,41.30\n"
        "P-4,No type,,,69.25,41.31\n",
        encoding="utf-8",
    )
    s = _imp(sample_db, "pois", path)
    assert (s.read, s.inserted, len(s.rejects)) == (4, 3, 1)
    assert s.rejects[0].feature == "P-3"
    assert s.rejects[0].reason == "weight: -2 must be >= 0"
    rows = _q(
        sample_db,
        "SELECT p.ext_id, p.category, p.weight, r.iso_code FROM poi p"
        " LEFT JOIN region r ON r.id = p.region_id ORDER BY p.ext_id",
    )
    assert rows == [
        ("P-1", "mall", None, "UZ-SA"),
        ("P-2", "hotel", 4.5, "UZ-BU"),
        ("P-4", "other", None, "UZ-TK"),
    ]


def test_population_geotiff(migrated_db: str, tmp_path: Path) -> None:
    path = tmp_path / "pop.tif"
    data = np.arange(100, dtype=np.float32).reshape(10, 10)
    data[0, 0] = -1.0  # nodata
    with rasterio.open(
        path, "w", driver="GTiff", width=10, height=10, count=1, dtype="float32",
        crs="EPSG:4326", transform=Affine(0.01, 0.0, 69.0, 0.0, -0.01, 41.5), nodata=-1.0,
    ) as dst:  # fmt: skip
        dst.write(data, 1)
    opts = ImportOptions(raster_dir=tmp_path / "rasters")
    s = import_file(migrated_db, "population", path, options=opts, max_bytes=MAX)
    assert (s.inserted, s.updated) == (1, 0)
    row = _q(
        migrated_db,
        "SELECT name, width, height, epsg, band1_sum, path, ST_AsText(ST_Envelope(geom))"
        " FROM raster_layer",
    )[0]
    assert row[:5] == ("population", 10, 10, 4326, float(data.sum() + 1.0))
    assert Path(row[5]).parent == tmp_path / "rasters"
    assert Path(row[5]).read_bytes() == path.read_bytes()
    again = import_file(migrated_db, "population", path, options=opts, max_bytes=MAX)
    assert (again.inserted, again.updated) == (0, 1)
    assert _one(migrated_db, "SELECT count(*) FROM raster_layer") == 1


def test_population_raster_outside_uzbekistan(migrated_db: str, tmp_path: Path) -> None:
    path = tmp_path / "far.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=2, height=2, count=1, dtype="uint8",
        crs="EPSG:4326", transform=Affine(0.1, 0.0, 10.0, 0.0, -0.1, 50.0),
    ) as dst:  # fmt: skip
        dst.write(np.ones((2, 2), dtype=np.uint8), 1)
    with pytest.raises(OutsideExtentError, match="does not overlap Uzbekistan"):
        _imp(migrated_db, "population", path, raster_dir=tmp_path / "r")
    assert _one(migrated_db, "SELECT count(*) FROM raster_layer") == 0


def test_broken_geojson_changes_nothing(migrated_db: str, tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feat')
    with pytest.raises(UnsupportedFormatError, match=r"cannot read broken\.geojson"):
        _imp(migrated_db, "stations", path)
    assert _one(migrated_db, "SELECT count(*) FROM import_run") == 0


def test_unknown_crs_is_a_clear_error(migrated_db: str, tmp_path: Path) -> None:
    path = tmp_path / "s.geojson"
    _stations(1).to_file(path, driver="GeoJSON")
    with pytest.raises(UnknownCrsError, match="unknown CRS 'EPSG:999999'"):
        _imp(migrated_db, "stations", path, crs="EPSG:999999")
    gdf = _stations(1)
    zpath = _zip_shapefile(gdf, tmp_path, "noprj")
    # a shapefile whose .prj is garbage
    with zipfile.ZipFile(zpath) as z:
        names = z.namelist()
        blobs = {n: z.read(n) for n in names}
    blobs["noprj.prj"] = b"NOT A CRS AT ALL"
    with zipfile.ZipFile(zpath, "w") as z:
        for n, b in blobs.items():
            z.writestr(n, b)
    with pytest.raises(MissingCrsError, match="no readable coordinate reference"):
        _imp(migrated_db, "stations", zpath)
    assert _one(migrated_db, "SELECT count(*) FROM site") == 0


def test_self_intersecting_polygon_is_repaired_and_counted(
    migrated_db: str, tmp_path: Path
) -> None:
    x, y = TASHKENT
    bowtie = Polygon([(x, y), (x + 0.001, y + 0.001), (x + 0.001, y), (x, y + 0.001)])
    sliver = Polygon([(x, y), (x + 0.001, y), (x + 0.002, y)])  # zero area
    gdf = gpd.GeoDataFrame(
        {"ext_id": ["BOW", "SLIVER", "GOOD"]},
        geometry=[bowtie, sliver, box(x, y, x + 0.001, y + 0.001)],
        crs=4326,
    )
    path = tmp_path / "parcels.geojson"
    gdf.to_file(path, driver="GeoJSON")
    s = _imp(migrated_db, "parcels", path)
    assert (s.inserted, s.repaired, s.rejected) == (2, 1, 1)
    assert s.rejects[0].feature == "SLIVER"
    assert s.rejects[0].reason.startswith("invalid geometry that cannot be repaired")
    assert _q(
        migrated_db,
        "SELECT ext_id, ST_IsValid(geom), ST_NumGeometries(geom) FROM cadastre_parcel"
        " ORDER BY 1",
    ) == [("BOW", True, 2), ("GOOD", True, 1)]


def test_points_outside_uzbekistan(migrated_db: str, tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"ext_id": ["IN", "ALMATY"]},
        geometry=[Point(TASHKENT), Point(76.95, 43.24)],
        crs=4326,
    )
    path = tmp_path / "mixed.geojson"
    gdf.to_file(path, driver="GeoJSON")
    s = _imp(migrated_db, "candidate_sites", path)
    assert (s.inserted, s.rejected) == (1, 1)
    assert s.rejects[0].feature == "ALMATY"
    assert "outside Uzbekistan's extent" in s.rejects[0].reason

    allowed = _imp(migrated_db, "candidate_sites", path, allow_outside=True)
    assert (allowed.inserted, allowed.updated) == (1, 1)

    swapped = gpd.GeoDataFrame(
        {"ext_id": ["A"]}, geometry=[Point(TASHKENT[1], TASHKENT[0])], crs=4326
    )
    path2 = tmp_path / "swapped.geojson"
    swapped.to_file(path2, driver="GeoJSON")
    with pytest.raises(OutsideExtentError, match="lon/lat order"):
        _imp(migrated_db, "candidate_sites", path2)


def test_wrong_geometry_type_is_rejected(migrated_db: str, tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"ext_id": ["L1"]},
        geometry=[LineString([TASHKENT, (69.3, 41.35)])],
        crs=4326,
    )
    path = tmp_path / "line.geojson"
    gdf.to_file(path, driver="GeoJSON")
    with pytest.raises(InvalidInputError, match="wrong geometry type LineString") as e:
        _imp(migrated_db, "stations", path)
    assert e.value.code == "all_rejected"


def test_empty_files(migrated_db: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    with pytest.raises(InvalidInputError, match=r"empty\.geojson is empty") as e:
        _imp(migrated_db, "stations", empty)
    assert e.value.code == "empty_file"
    no_features = tmp_path / "none.geojson"
    no_features.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(InvalidInputError, match="has no features"):
        _imp(migrated_db, "stations", no_features)


def test_oversize_file_is_refused(migrated_db: str, tmp_path: Path) -> None:
    path = tmp_path / "big.geojson"
    _stations().to_file(path, driver="GeoJSON")
    size = path.stat().st_size
    with pytest.raises(
        PayloadTooLargeError, match=f"over the limit of {size - 1:,} bytes"
    ):
        import_file(
            migrated_db, "stations", path, options=ImportOptions(), max_bytes=size - 1
        )


def test_failed_import_leaves_nothing(sample_db: str, tmp_path: Path) -> None:
    """A value the database refuses (numeric overflow) rolls back every row."""
    gdf = gpd.GeoDataFrame(
        {
            "ext_id": ["OK-1", "OK-2", "HUGE"],
            "year": [2026, 2027, 2028],
            "power_kw": [60.0, 120.0, 1e12],
            "operator": ["New Op", "New Op", "New Op"],
        },
        geometry=[Point(TASHKENT), Point(SAMARKAND), Point(BUKHARA)],
        crs=4326,
    )
    path = tmp_path / "fail.geojson"
    gdf.to_file(path, driver="GeoJSON")
    counts = (
        "SELECT (SELECT count(*) FROM planned_site), (SELECT count(*) FROM import_run)"
    )
    before = _q(sample_db, counts)
    version = "SELECT version FROM layer_version WHERE layer = 'planned_sites'"
    v0 = _q(sample_db, version)
    with pytest.raises(InvalidInputError, match="failed and changed nothing") as e:
        _imp(sample_db, "planned_sites", path)
    assert e.value.code == "import_failed"
    assert _q(sample_db, counts) == before
    assert _q(sample_db, version) == v0
    assert _q(
        sample_db, "SELECT count(*) FROM planned_site WHERE ext_id LIKE 'OK-%'"
    ) == [(0,)]


def test_a_known_id_past_the_probe_falls_back_to_the_upsert(
    sample_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fresh COPY looks up only the first ids; an existing id further down
    makes the COPY fail and the import upserts instead: nothing is doubled."""
    monkeypatch.setattr(importer, "_FRESH_PROBE", 1)
    path = tmp_path / "mixed.geojson"
    _stations(1).to_file(path, driver="GeoJSON")
    assert _imp(sample_db, "stations", path).inserted == 1
    mixed = _stations(3).iloc[[1, 2, 0]]  # T-1, T-2 new; T-0 known, last
    mixed.to_file(path, driver="GeoJSON")
    s = _imp(sample_db, "stations", path)
    assert (s.inserted, s.updated) == (2, 1)
    assert _q(
        sample_db,
        "SELECT ext_id, count(*), min(o.name) FROM site JOIN operator o"
        " ON o.id = site.operator_id WHERE ext_id LIKE 'T-%' GROUP BY ext_id"
        " ORDER BY ext_id",
    ) == [("T-0", 1, "Test Op"), ("T-1", 1, "Test Op"), ("T-2", 1, "Test Op")]


def test_no_id_column_uses_the_geometry_as_identity(
    migrated_db: str, tmp_path: Path
) -> None:
    gdf = _stations().drop(columns=["ext_id"])
    path = tmp_path / "noid.geojson"
    gdf.to_file(path, driver="GeoJSON")
    assert _imp(migrated_db, "stations", path).inserted == 3
    again = _imp(migrated_db, "stations", path)
    assert (again.inserted, again.updated) == (0, 3)
    assert _one(migrated_db, "SELECT count(*) FROM site") == 3


def test_parcels_first_import_then_new_and_known_ids_together(
    migrated_db: str, tmp_path: Path
) -> None:
    """A first import (plain INSERT) and a mixed one (upsert) store the same way."""
    lon, lat = TASHKENT
    gdf = gpd.GeoDataFrame(
        {"ext_id": ["A", "B", "C"], "land_use": [" commercial ", "", None]},
        geometry=[
            box(lon + i * 1e-3, lat, lon + i * 1e-3 + 5e-4, lat + 5e-4)
            for i in range(3)
        ],
        crs=4326,
    )
    path = tmp_path / "parcels.gpkg"
    gdf.iloc[:2].to_file(path, driver="GPKG")
    assert gc.isenabled()
    first = _imp(migrated_db, "parcels", path)
    assert (first.inserted, first.updated) == (2, 0)
    gdf.to_file(path, driver="GPKG")
    second = _imp(migrated_db, "parcels", path)
    assert (second.inserted, second.updated) == (1, 2)
    assert gc.isenabled()  # paused during the import only
    rows = _q(
        migrated_db,
        "SELECT ext_id, land_use, ST_SRID(geom),"
        " abs(area_m2 / ST_Area(geom::geography) - 1) < 1e-7"
        " FROM cadastre_parcel ORDER BY id",
    )
    assert rows == [
        ("A", "commercial", 4326, True),
        ("B", None, 4326, True),
        ("C", None, 4326, True),
    ]


@pytest.mark.parametrize("suffix", ["gpkg", "geojson"])
def test_a_file_read_in_pieces(
    migrated_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    """A large file is read, checked and stored piece by piece (a GeoPackage
    is read in pieces, a GeoJSON whole then cut): duplicates, repairs and
    rejects are found across pieces as in one piece, and an id already
    stored in a later piece makes the import upsert without doubling."""
    monkeypatch.setattr(importer, "_READ_CHUNK", 2)
    monkeypatch.setattr(importer, "_FRESH_PROBE", 1)
    x, y = TASHKENT
    bowtie = Polygon([(x, y), (x + 0.001, y + 0.001), (x + 0.001, y), (x, y + 0.001)])

    def cell(i: int) -> Polygon:
        return box(x + i * 1e-3, y, x + i * 1e-3 + 5e-4, y + 5e-4)

    ids = ["P0", "P1", "P2", "P3", "P1", "P5", "FAR"]
    geoms = [cell(i) for i in range(6)] + [box(76.9, 43.2, 76.91, 43.21)]
    geoms[3] = bowtie
    gdf = gpd.GeoDataFrame({"ext_id": ids}, geometry=geoms, crs=4326)
    path = tmp_path / f"parcels.{suffix}"
    gdf.to_file(path)
    seen: list[tuple[int, int]] = []
    s = import_file(
        migrated_db, "parcels", path, max_bytes=MAX,
        progress=lambda done, total: seen.append((done, total)),
    )  # fmt: skip
    assert (s.read, s.inserted, s.updated, s.repaired) == (7, 5, 0, 1)
    assert [(r.feature, r.reason.split(" (")[0]) for r in s.rejects] == [
        ("P1", "duplicate ext_id"),
        ("FAR", "outside Uzbekistan's extent"),
    ]
    assert "first at accepted row 2" in s.rejects[0].reason
    dones = [d for d, _ in seen]
    assert dones == sorted(dones) and seen[-1] == (7, 7) and len(seen) >= 4
    assert _q(
        migrated_db, "SELECT ext_id, ST_IsValid(geom) FROM cadastre_parcel ORDER BY 1"
    ) == [(i, True) for i in ("P0", "P1", "P2", "P3", "P5")]
    p1 = _one(
        migrated_db,
        "SELECT ST_X(ST_Centroid(geom)) FROM cadastre_parcel WHERE ext_id = 'P1'",
    )
    assert p1 == pytest.approx(cell(1).centroid.x)  # the first P1 won

    # New ids first, a known one in the third piece (past the one-id probe).
    again = gpd.GeoDataFrame(
        {"ext_id": ["N0", "N1", "N2", "N3", "P5"]},
        geometry=[cell(10 + i) for i in range(4)] + [cell(20)],
        crs=4326,
    )
    again.to_file(path)
    s2 = import_file(migrated_db, "parcels", path, max_bytes=MAX)
    assert (s2.inserted, s2.updated, s2.rejected) == (4, 1, 0)
    assert _one(migrated_db, "SELECT count(*) FROM cadastre_parcel") == 9
    p5 = _one(
        migrated_db,
        "SELECT ST_X(ST_Centroid(geom)) FROM cadastre_parcel WHERE ext_id = 'P5'",
    )
    assert p5 == pytest.approx(cell(20).centroid.x)

    # Every piece outside: the whole file is refused, as for one piece.
    far = gpd.GeoDataFrame(
        {"ext_id": [f"F{i}" for i in range(5)]},
        geometry=[box(76.9 + i, 43.2, 76.91 + i, 43.21) for i in range(5)],
        crs=4326,
    )
    far.to_file(path)
    with pytest.raises(OutsideExtentError, match="all 5 features lie outside"):
        import_file(migrated_db, "parcels", path, max_bytes=MAX)
    assert _one(migrated_db, "SELECT count(*) FROM cadastre_parcel") == 9


def _cli(url: str, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> Any:
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, args)
    finally:
        get_settings.cache_clear()


def test_cli_import_json_and_errors(
    migrated_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "st.geojson"
    _stations().to_file(path, driver="GeoJSON")
    res = _cli(migrated_db, monkeypatch, ["import", "stations", str(path), "--json"])
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert (body["layer"], body["read"], body["inserted"]) == ("stations", 3, 3)

    res = _cli(migrated_db, monkeypatch, ["import", "stations", str(path)])
    assert res.exit_code == 0, res.output
    assert "stations: read 3, inserted 0, updated 3, rejected 0" in res.stdout

    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    res = _cli(migrated_db, monkeypatch, ["import", "stations", str(bad)])
    assert res.exit_code == 1
    assert (
        res.stderr.strip().splitlines()[-1].startswith("error: cannot read bad.geojson")
    )
    res = _cli(
        migrated_db,
        monkeypatch,
        ["import", "stations", str(path), "--crs", "nonsense", "--json"],
    )
    assert res.exit_code == 1
    err = json.loads(res.stdout)
    assert err["code"] == "UnknownCrsError"
    assert "unknown CRS 'nonsense'" in err["detail"]
