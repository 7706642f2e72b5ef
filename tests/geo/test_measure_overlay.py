"""Ellipsoid areas (checked against pyproj's exact geodesic area) and the
point-in-polygon index."""

from __future__ import annotations

import doctest

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon, box

import geo.measure
import geo.overlay
from geo.measure import ellipsoid_areas_m2
from geo.overlay import polygon_index
from tests.planning.conftest import uz_data_dir

GEOD = Geod(ellps="WGS84")


@pytest.mark.parametrize("module", [geo.measure, geo.overlay])
def test_docstring_examples_run(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.failed == 0 and result.attempted > 0


def _exact(g: shapely.Geometry) -> float:
    # pyproj wants exteriors counter-clockwise and holes clockwise
    return abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(g))[0])


@given(
    st.floats(56.0, 73.0),
    st.floats(37.2, 45.5),
    st.floats(5.0, 20_000.0),
    st.floats(0.2, 5.0),
    st.booleans(),
)
def test_parcel_areas_match_the_geodesic_area(
    lon: float, lat: float, size_m: float, aspect: float, with_hole: bool
) -> None:
    w, h = size_m / 85_000.0, size_m * aspect / 111_000.0
    outer = box(lon, lat, lon + w, lat + h)
    g: shapely.Geometry = outer
    if with_hole:
        g = Polygon(
            outer.exterior.coords,
            [box(lon + w / 4, lat + h / 4, lon + w / 2, lat + h / 2).exterior.coords],
        )
    got = float(ellipsoid_areas_m2([g])[0])
    assert got == pytest.approx(_exact(g), rel=1e-7)


def test_large_and_multi_polygons_and_missing_values() -> None:
    regions = gpd.read_file(uz_data_dir() / "regions.geojson")
    navoi = regions.loc[regions["iso_3166_2"] == "UZ-NW", "geometry"].iloc[0]
    two_fields = MultiPolygon(
        [box(69.0, 41.0, 69.002, 41.002), box(69.01, 41.0, 69.012, 41.001)]
    )
    # a big field with a clockwise exterior and a hole: the exact path
    holed = Polygon(
        box(70.0, 40.0, 70.2, 40.1, ccw=False).exterior.coords,
        [box(70.05, 40.02, 70.1, 40.05).exterior.coords],
    )
    got = ellipsoid_areas_m2([navoi, two_fields, None, Polygon(), holed])
    assert got[0] == pytest.approx(_exact(navoi), rel=1e-9)  # exact path
    assert got[0] / 1e6 == pytest.approx(110_000, rel=0.05)  # Navoi ~110,000 km²
    assert got[1] == pytest.approx(_exact(two_fields), rel=1e-7)
    assert got[2] == got[3] == 0.0
    outer, hole = box(70.0, 40.0, 70.2, 40.1), box(70.05, 40.02, 70.1, 40.05)
    assert got[4] == pytest.approx(_exact(outer) - _exact(hole), rel=1e-9)


def test_polygon_index_takes_the_first_polygon_on_a_shared_border() -> None:
    left, right = box(0, 0, 1, 1), box(1, 0, 2, 1)
    idx = polygon_index([1.0, 0.5, 1.5, 3.0], [0.5, 0.5, 0.5, 0.5], [left, right])
    assert idx.tolist() == [0, 0, 1, -1]
    assert polygon_index([], [], [left]).size == 0
    assert polygon_index([0.5], [0.5], [Polygon(), right]).tolist() == [-1]


def test_polygon_index_agrees_with_geopandas_on_the_regions() -> None:
    regions = gpd.read_file(uz_data_dir() / "regions.geojson")
    rng = np.random.default_rng(7)
    x, y = rng.uniform(56, 73, 5000), rng.uniform(37, 45.6, 5000)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=4326)
    joined = gpd.sjoin(pts, regions[["geometry"]], predicate="intersects")
    expected = np.full(5000, -1)
    first = joined.groupby(level=0)["index_right"].min()
    expected[first.index.to_numpy()] = first.to_numpy()
    assert polygon_index(x, y, list(regions.geometry)).tolist() == expected.tolist()
