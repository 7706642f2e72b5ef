"""The embedded Uzbekistan sample: real layers, demo layers, labels, idempotence."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from app.cli import cli
from app.services import demo_data
from app.services.demo_data import StationFacts
from app.services.sample import (
    attribution,
    load_sample,
    load_sample_if_empty,
    read_station_facts,
)
from app.settings import get_settings


def _q(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql)).all()]
    engine.dispose()
    return rows


def test_real_layers_are_loaded_with_their_sources(sample_db: str) -> None:
    assert _q(sample_db, "SELECT count(*), min(source), max(source) FROM region") == [
        (14, "osm", "osm")
    ]
    isos = {r[0] for r in _q(sample_db, "SELECT iso_code FROM region")}
    assert {"UZ-TK", "UZ-TO", "UZ-QR", "UZ-FA", "UZ-XO"} <= isos
    # the statistics office's figures of 1 October 2025, with their source
    assert _q(
        sample_db,
        "SELECT sum(population), count(*) FILTER (WHERE population_source LIKE 'https://%'),"
        " min(population_as_of)::text FROM region",
    ) == [(38_069_116, 14, "2025-10-01")]
    assert _q(sample_db, "SELECT population FROM region WHERE iso_code = 'UZ-NW'") == [
        (1_108_595,)
    ]
    assert _q(sample_db, "SELECT count(*) FROM district WHERE region_id IS NULL") == [
        (0,)
    ]
    # GeoNames: Tashkent by its geonameid, in Tashkent city, with its population
    assert _q(
        sample_db,
        "SELECT c.population, r.iso_code FROM city c JOIN region r ON r.id = c.region_id"
        " WHERE c.id = 1512569",
    ) == [(1978028, "UZ-TK")]
    road = _q(
        sample_db,
        "SELECT ref, road_class, round(length_km::numeric, 1)::float8, source FROM road"
        " WHERE ext_id = 'm39-main-01'",
    )
    assert road == [("M39", "international", 22.1, "schematic")]
    ocm = _q(
        sample_db,
        "SELECT s.source, r.iso_code, s.properties->>'ocm_id' FROM site s"
        " JOIN region r ON r.id = s.region_id WHERE s.ext_id = 'OCM-459383'",
    )
    assert ocm == [("ocm", "UZ-FA", "459383")]


def test_demo_stations_follow_the_published_counts(sample_db: str) -> None:
    per_region = dict(
        _q(
            sample_db,
            "SELECT r.iso_code, count(*) FROM site s JOIN region r ON r.id = s.region_id"
            " GROUP BY 1",
        )
    )
    assert sum(per_region.values()) == 1399  # 2025-05-01 national count
    assert per_region["UZ-TK"] == 820  # published for Tashkent city
    assert per_region["UZ-TK"] + per_region["UZ-TO"] == round(0.70 * 1399)
    assert len(per_region) == 14
    assert min(per_region.values()) > 0
    # every demo site lies inside its region, near a town of that region
    outside = _q(
        sample_db,
        "SELECT count(*) FROM site s JOIN region r ON r.id = s.region_id"
        " WHERE NOT ST_Covers(r.geom, s.geom)",
    )
    assert outside == [(0,)]
    far = _q(
        sample_db,
        "SELECT count(*) FROM site s WHERE s.source = 'demo' AND NOT EXISTS ("
        " SELECT 1 FROM city c WHERE c.region_id = s.region_id"
        " AND ST_DWithin(c.geom::geography, s.geom::geography,"
        " 600 + 5500 * sqrt(c.population / 1e6) + 1))",
    )
    assert far == [(0,)]


def test_every_generated_row_says_demo(sample_db: str) -> None:
    assert _q(sample_db, "SELECT source, count(*) FROM site GROUP BY 1 ORDER BY 1") == [
        ("demo", 1398),
        ("ocm", 1),
    ]
    for table in ("planned_site", "grid_substation", "grid_line", "cadastre_parcel"):
        assert _q(sample_db, f"SELECT DISTINCT source FROM {table}") == [("demo",)]
    assert _q(sample_db, "SELECT DISTINCT source FROM charge_point") == [("demo",)]
    assert _q(
        sample_db,
        "SELECT DISTINCT o.source FROM site s JOIN operator o ON o.id = s.operator_id",
    ) == [("demo",)]
    names = [r[0] for r in _q(sample_db, "SELECT name FROM operator")]
    assert names and all(n.startswith("Demo ") for n in names)


def test_demo_equipment_shape(sample_db: str) -> None:
    cps = _q(
        sample_db,
        "SELECT s.ext_id, count(cp.id) FROM site s JOIN charge_point cp"
        " ON cp.site_id = s.id GROUP BY 1",
    )
    assert len(cps) == 1398  # every demo site has charge points; OCM has none
    assert {n for _, n in cps} <= {1, 2, 3, 4}
    ids = [r[0] for r in _q(sample_db, "SELECT id FROM charge_point")]
    assert all(re.fullmatch(r"UZ-[A-Z]{2}-\d{5}-[1-4]", i) for i in ids)
    kinds = dict(_q(sample_db, "SELECT type, count(*) FROM connector GROUP BY 1"))
    assert set(kinds) == {"GBT_DC", "CCS2", "TYPE2"}
    assert 0.8 < kinds["GBT_DC"] / kinds["CCS2"] < 1.25  # about equally common
    powers = {
        (t, float(p))
        for t, p in _q(sample_db, "SELECT DISTINCT type, max_power_kw FROM connector")
    }
    assert {p for t, p in powers if t == "TYPE2"} == {7.0, 22.0}
    assert {p for t, p in powers if t != "TYPE2"} == {60.0, 120.0, 160.0}


def test_demo_planning_layers(sample_db: str) -> None:
    years = dict(_q(sample_db, "SELECT year, count(*) FROM planned_site GROUP BY 1"))
    assert min(years) == 2025 and max(years) == 2035
    assert sum(years.values()) == 2934 - 1399  # published need minus existing
    assert years[2035] > years[2025]
    spare = _q(
        sample_db,
        "SELECT count(*) FROM grid_substation WHERE spare_kw < 0 OR spare_kw > capacity_kw",
    )
    assert spare == [(0,)]
    # MST: one line fewer than substations, all ends are substations
    assert _q(
        sample_db,
        "SELECT (SELECT count(*) FROM grid_substation) - (SELECT count(*) FROM grid_line)",
    ) == [(1,)]
    parcels = _q(
        sample_db,
        "SELECT count(*) FILTER (WHERE abs(area_m2 - ST_Area(geom::geography)) > 1),"
        " count(*) FILTER (WHERE NOT ST_IsValid(geom)), count(DISTINCT status)"
        " FROM cadastre_parcel",
    )
    assert parcels == [(0, 0, 4)]


def test_reload_updates_and_never_duplicates(sample_db: str) -> None:
    before = _q(sample_db, "SELECT count(*) FROM site")
    summary = load_sample(sample_db)
    stations = next(s for s in summary.layers if s.layer == "stations")
    assert (stations.read, stations.inserted, stations.updated) == (1399, 0, 1399)
    assert _q(sample_db, "SELECT count(*) FROM site") == before
    assert _q(
        sample_db, "SELECT version FROM layer_version WHERE layer = 'stations'"
    ) == [(2,)]
    assert load_sample_if_empty(sample_db) is None


def test_generation_is_deterministic() -> None:
    from app.services import sample  # noqa: PLC0415

    rows = sample._csv("facts_ev_energy.csv")
    facts = read_station_facts(rows)
    assert facts == StationFacts(
        total=1399,
        as_of="2025-05-01",
        regional={
            "UZ-TK": 820,
            "UZ-TO": 120,
            "UZ-NG": 61,
            "UZ-SA": 61,
            "UZ-FA": 61,
            "UZ-JI": 37,
            "UZ-QR": 9,
        },
        regional_basis_total={
            "UZ-TK": 1399,
            "UZ-TO": 1085,
            "UZ-NG": 1085,
            "UZ-SA": 1085,
            "UZ-FA": 1085,
            "UZ-JI": 703,
            "UZ-QR": 703,
        },
        capital_and_region_share=0.70,
    )
    a = demo_data.allocate_stations(facts, {"UZ-TK": 1, "UZ-TO": 1, "UZ-X": 5}, {})
    assert a == {"UZ-TK": 820, "UZ-TO": 159, "UZ-X": 420}
    b = demo_data.allocate_stations(
        facts, {"UZ-TK": 1, "UZ-TO": 1, "UZ-X": 5}, {"UZ-X": 2}
    )
    assert b["UZ-X"] == 418  # real stations are subtracted
    # Namangan published 61 of 1,085; UZ-X has Namangan's population -> same rate
    c = demo_data.allocate_stations(
        facts, {"UZ-TK": 1, "UZ-TO": 1, "UZ-NG": 100, "UZ-X": 100}, {}
    )
    assert c == {"UZ-TK": 820, "UZ-TO": 159, "UZ-NG": 210, "UZ-X": 210}
    towns = [demo_data.Town(1, "A", "UZ-X", 100_000, 64.0, 40.0)]
    from shapely.geometry import box  # noqa: PLC0415

    regions = {"UZ-X": box(63.0, 39.0, 65.0, 41.0)}
    one = demo_data.generate_sites(
        np.random.default_rng(1), {"UZ-X": towns}, regions, {"UZ-X": 30}
    )
    two = demo_data.generate_sites(
        np.random.default_rng(1), {"UZ-X": towns}, regions, {"UZ-X": 30}
    )
    assert one == two and len(one) == 30


def test_cli_import_sample_json(
    migrated_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", migrated_db)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["import", "sample", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    counts = {s["layer"]: (s["read"], s["inserted"]) for s in body["layers"]}
    assert counts["regions"] == (14, 14)
    assert counts["stations"] == (1399, 1399)
    assert _q(migrated_db, "SELECT count(*) FROM import_run") == [(len(counts),)]


def test_cli_unknown_layer_is_a_clear_error() -> None:
    result = CliRunner().invoke(cli, ["import", "bananas", "x.geojson"])
    assert result.exit_code == 2
    assert "unknown layer 'bananas'" in result.output


def test_attribution_names_every_licence() -> None:
    line = attribution()
    for part in ("OpenStreetMap", "ODbL", "GeoNames", "Open Charge Map", "CC BY 4.0"):
        assert part in line
