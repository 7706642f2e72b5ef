from __future__ import annotations

import pytest
from hypothesis import given
from pyproj import Transformer

from geo.crs import UZ_EQUAL_AREA, metric_crs, parse_crs, utm_crs
from geo.errors import UnknownCrsError
from tests.strategies import lon_lat


def test_uzbekistan_spans_four_utm_zones() -> None:
    zones = {utm_crs(lon, 41.0).to_epsg() for lon in (56.5, 62.0, 68.0, 72.5)}
    assert zones == {32640, 32641, 32642, 32643}


def test_sk42_aliases_resolve_to_pulkovo() -> None:
    assert parse_crs("SK-42").to_epsg() == 4284
    assert parse_crs("sk42-gk12").to_epsg() == 28412
    assert "Pulkovo 1942" in parse_crs("EPSG:28412").name


def test_unknown_crs_names_the_value() -> None:
    with pytest.raises(UnknownCrsError, match="'EPSG:99999'"):
        parse_crs("EPSG:99999")


def test_country_wide_data_gets_equal_area() -> None:
    assert metric_crs((56.0, 37.2, 73.1, 45.5)) == UZ_EQUAL_AREA


@given(lon_lat)
def test_equal_area_round_trip_below_a_millimetre(p: tuple[float, float]) -> None:
    fwd = Transformer.from_crs(4326, UZ_EQUAL_AREA, always_xy=True)
    back = Transformer.from_crs(UZ_EQUAL_AREA, 4326, always_xy=True)
    x, y = fwd.transform(*p)
    lon, lat = back.transform(x, y)
    # 1e-8 degrees is about 1 mm.
    assert abs(lon - p[0]) < 1e-8
    assert abs(lat - p[1]) < 1e-8
