"""geo.validate: reprojection, repair, type and extent checks (pure)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import LineString, MultiLineString, Point, Polygon

from geo.errors import MissingCrsError, OutsideExtentError
from geo.validate import validate_geometries
from tests.strategies import lon_lat


@given(lon_lat)
def test_sk42_gauss_krueger_round_trip_below_a_millimetre(
    p: tuple[float, float],
) -> None:
    zone = min(max(int((p[0] - 54) // 6) + 10, 10), 13)  # GK zones 10-13 cover UZ
    to_gk = Transformer.from_crs(4326, 28400 + zone, always_xy=True)
    x, y = to_gk.transform(*p)
    frame = gpd.GeoDataFrame(geometry=[Point(x, y)], crs=28400 + zone)
    r = validate_geometries(frame, "point", allow_outside=True)
    back = r.frame.geometry.iloc[0]
    to_m = Transformer.from_crs(4326, 32642, always_xy=True)
    ax, ay = to_m.transform(*p)
    bx, by = to_m.transform(back.x, back.y)
    err_m = ((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5
    inside_one_area = 57.0 <= p[0] <= 72.0
    assert err_m < (0.001 if inside_one_area else 5.0)


@given(
    st.lists(lon_lat, min_size=4, max_size=8).filter(
        lambda pts: len({(round(x, 6), round(y, 6)) for x, y in pts}) == len(pts)
    )
)
def test_every_accepted_polygon_is_valid(pts: list[tuple[float, float]]) -> None:
    frame = gpd.GeoDataFrame(geometry=[Polygon(pts)], crs=4326)
    r = validate_geometries(frame, "polygon", allow_outside=True)
    assert len(r.frame) + len(r.rejects) == 1  # nothing silently dropped
    if len(r.frame):
        g = r.frame.geometry.iloc[0]
        assert g.is_valid and g.geom_type == "MultiPolygon"


def test_rejects_name_the_feature_and_the_reason() -> None:
    frame = gpd.GeoDataFrame(
        geometry=[Point(69.2, 41.3), LineString([(69, 41), (69.1, 41.1)]), None],
        crs=4326,
    )
    r = validate_geometries(frame, "point", labels=["a", "b", "c"])
    assert list(r.frame.index) == [0]
    assert [(x.label, x.reason) for x in r.rejects] == [
        ("b", "wrong geometry type LineString: this layer takes Point"),
        ("c", "no geometry (empty or missing coordinates)"),
    ]


def test_multilines_are_merged_or_rejected() -> None:
    joined = MultiLineString([[(69, 41), (69.1, 41)], [(69.1, 41), (69.2, 41)]])
    apart = MultiLineString([[(69, 41), (69.1, 41)], [(69.5, 41), (69.6, 41)]])
    frame = gpd.GeoDataFrame(geometry=[joined, apart], crs=4326)
    r = validate_geometries(frame, "line")
    assert r.frame.geometry.iloc[0].geom_type == "LineString"
    assert r.rejects[0].reason.startswith("multi-part line whose parts do not join")


def test_all_outside_suggests_the_crs() -> None:
    frame = gpd.GeoDataFrame(geometry=[Point(41.3, 69.2)], crs=4326)
    with pytest.raises(OutsideExtentError, match="--crs"):
        validate_geometries(frame, "point")


def test_no_crs_is_an_error() -> None:
    with pytest.raises(MissingCrsError):
        validate_geometries(gpd.GeoDataFrame(geometry=[Point(69, 41)]), "point")
