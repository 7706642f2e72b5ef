"""Shared inputs for the planning tests: the shipped Uzbekistan layers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]


def uz_data_dir() -> Path:
    """``data/uz`` in the repository (the import engineer ships it there)."""
    here = ROOT / "data" / "uz"
    if (here / "regions.geojson").exists():
        return here
    return Path("/work/shared/data/uz")


@pytest.fixture(scope="session")
def uz_regions() -> gpd.GeoDataFrame:
    g = gpd.read_file(uz_data_dir() / "regions.geojson")
    return g.rename(columns={"iso_3166_2": "iso_code"})


@pytest.fixture(scope="session")
def uz_region_population() -> pd.DataFrame:
    """Official permanent population per region (shipped in ``data/uz``)."""
    return pd.read_csv(ROOT / "data" / "uz" / "regions_population.csv")


@pytest.fixture(scope="session")
def uz_cities() -> gpd.GeoDataFrame:
    df = pd.read_csv(uz_data_dir() / "cities_geonames.csv")
    return gpd.GeoDataFrame(
        df[["name", "population", "region_iso"]],
        geometry=gpd.points_from_xy(df["lon"], df["lat"]),
        crs=4326,
    )


@pytest.fixture(scope="session")
def uz_roads() -> gpd.GeoDataFrame:
    return gpd.read_file(uz_data_dir() / "roads_main_schematic.geojson")[
        ["ref", "road_class", "geometry"]
    ]
