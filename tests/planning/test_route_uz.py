"""The planner on Uzbekistan's shipped main roads (schematic layer, data/uz/).

Chargers are placed at every GeoNames town of the shipped extract (a test
network: the real sample stations are exercised by the API tests); published
road distances and their sources are in ``tests/data/published_road_distances.csv``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo.roads import RoadGraph, build_road_graph
from planning.route import (
    Charger,
    ChargerConnector,
    ChargerNetwork,
    RoutePlan,
    TripOptions,
    build_charger_network,
    plan_route,
)
from planning.vehicles import Vehicle, vehicles_from_rows

ROOT = Path(__file__).resolve().parents[2]
TOWNS = {"Tashkent": 1512569, "Samarkand": 1216265, "Termez": 1215957, "Nukus": 601294}


@pytest.fixture(scope="module")
def uz_graph() -> RoadGraph:
    return build_road_graph(
        gpd.read_file(ROOT / "data/uz/roads_main_schematic.geojson")
    )


@pytest.fixture(scope="module")
def cities() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data/uz/cities_geonames.csv").set_index("geonameid")


@pytest.fixture(scope="module")
def town_net(uz_graph: RoadGraph, cities: pd.DataFrame) -> ChargerNetwork:
    chargers = [
        Charger(
            str(gid),
            str(row["name"]),
            float(row["lon"]),
            float(row["lat"]),
            (ChargerConnector("GBT_DC", 120.0), ChargerConnector("CCS2", 60.0)),
            2000,
        )
        for gid, row in cities.iterrows()
    ]
    return build_charger_network(uz_graph, chargers)


@pytest.fixture(scope="module")
def presets() -> dict[str, Vehicle]:
    with (ROOT / "data/vehicles.csv").open(encoding="utf-8") as f:
        return vehicles_from_rows(csv.DictReader(f))


def _published() -> list[dict[str, str]]:
    with (ROOT / "tests/data/published_road_distances.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(
    "row", _published(), ids=lambda r: f"{r['from_town']}-{r['to_town']}"
)
def test_length_within_15_percent_of_published(
    row: dict[str, str],
    town_net: ChargerNetwork,
    cities: pd.DataFrame,
    presets: dict[str, Vehicle],
) -> None:
    xy = cities[["lon", "lat"]].to_numpy(dtype=float)
    pos = {gid: i for i, gid in enumerate(cities.index)}
    a = xy[pos[TOWNS[row["from_town"]]]]
    b = xy[pos[TOWNS[row["to_town"]]]]
    plan = plan_route(
        town_net,
        presets["byd_yuan_plus"],
        (float(a[0]), float(a[1])),
        (float(b[0]), float(b[1])),
        TripOptions(start_soc=0.9),
    )
    assert isinstance(plan, RoutePlan), plan
    published_m = float(row["published_km"]) * 1000
    assert abs(plan.length_m - published_m) <= 0.15 * published_m
    # Plausible: the car never drops below the reserve, drives at 60-100 km/h
    # on average, and the geometry runs from town to town.
    assert all(leg.arrival_soc >= 0.1 - 1e-9 for leg in plan.legs)
    assert 60 <= plan.length_m / plan.drive_s * 3.6 <= 100
    assert plan.geometry.coords[0] == pytest.approx(tuple(a), abs=0.3)
    assert plan.geometry.coords[-1] == pytest.approx(tuple(b), abs=0.3)
    usable_km = 0.8 * 60.5 / 0.21  # what one charge covers at motorway consumption
    assert len(plan.stops) >= int(plan.length_m / 1000 // usable_km) - 1
