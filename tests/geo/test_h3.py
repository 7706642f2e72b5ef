from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely import LineString, box

from geo import h3 as gh3
from geo.errors import InvalidGeometryError, InvalidResolutionError
from tests.strategies import lon_lat


@given(
    st.lists(st.tuples(lon_lat, st.floats(0, 1e6)), min_size=1, max_size=60),
    st.integers(6, 9),
)
def test_aggregation_conserves_totals(
    points: list[tuple[tuple[float, float], float]], res: int
) -> None:
    lon = [p[0][0] for p in points]
    lat = [p[0][1] for p in points]
    values = np.array([p[1] for p in points])
    cells, sums = gh3.aggregate(gh3.points_to_cells(lon, lat, res), values)
    assert sums.sum() == pytest.approx(values.sum(), rel=1e-12, abs=1e-9)
    assert np.all(np.diff(cells) > 0)


@given(lon_lat, st.integers(6, 9))
def test_centre_lies_in_its_cell_and_axis_order_is_lon_lat(
    p: tuple[float, float], res: int
) -> None:
    cell = gh3.points_to_cells([p[0]], [p[1]], res)
    lon, lat = gh3.cell_centers(cell)
    # the centre is close to the point (within a cell) in (lon, lat) order
    assert abs(lon[0] - p[0]) < 0.05 and abs(lat[0] - p[1]) < 0.05
    assert gh3.points_to_cells(lon, lat, res)[0] == cell[0]
    poly = gh3.cell_polygons(cell)[0]
    assert poly.contains(poly.centroid)
    assert abs(poly.centroid.x - lon[0]) < 0.05


def test_string_form_round_trips_and_is_the_canonical_form() -> None:
    cells = gh3.points_to_cells([69.2401, 59.6], [41.2995, 42.46], 8)
    s = gh3.cells_to_str(cells)
    assert all(len(x) == 15 and x.startswith("88") for x in s)
    assert gh3.str_to_cells(s).tolist() == cells.tolist()
    with pytest.raises(ValueError, match="not an H3 cell: 'zz'"):
        gh3.str_to_cells(["zz"])


def test_polygon_cells_match_area_and_reject_bad_input() -> None:
    area = box(69.0, 41.0, 69.5, 41.5)
    cells = gh3.polygon_cells(area, 7)
    lon, lat = gh3.cell_centers(cells)
    assert np.all((lon > 69.0) & (lon < 69.5) & (lat > 41.0) & (lat < 41.5))
    # ~ 0.5° x 0.5° at 41.25° N = 41.8 x 55.6 km = 2,324 km², cells ~5.2 km²
    assert gh3.cell_areas_km2(cells).sum() == pytest.approx(2324, rel=0.02)
    with pytest.raises(InvalidGeometryError, match="LineString"):
        gh3.polygon_cells(LineString([(0, 0), (1, 1)]), 7)
    with pytest.raises(InvalidResolutionError, match=r"outside 6\.\.9"):
        gh3.check_resolution(5, 6, 9)
