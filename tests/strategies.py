"""Hypothesis strategies shared by the tests. Coordinates are (lon, lat)."""

from __future__ import annotations

from hypothesis import strategies as st

from geo.crs import UZ_BBOX

lons = st.floats(min_value=UZ_BBOX[0], max_value=UZ_BBOX[2], allow_nan=False)
lats = st.floats(min_value=UZ_BBOX[1], max_value=UZ_BBOX[3], allow_nan=False)
lon_lat = st.tuples(lons, lats)
