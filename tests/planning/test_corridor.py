from __future__ import annotations

import numpy as np
import pytest
from shapely import LineString

from planning.config import AFIR, NEVI, UZ_RULE, CorridorRule
from planning.corridor import audit_road

ROAD = LineString([(0, 0), (150_000, 0), (150_000, 100_000)])  # 250 km, one bend
FAST = [[150.0, 150.0, 150.0]]  # a 450 kW pool


def test_corridor_with_known_gaps() -> None:
    # pools at 40 km, 90 km, 230 km (the last on the northbound leg, 2 km off)
    x = [40_000, 90_000, 152_000]
    y = [1_000, -2_000, 80_000]
    a = audit_road(ROAD, x, y, FAST * 3, AFIR, name="M39")
    assert a.length_km == 250.0
    assert a.pool_km.tolist() == [40.0, 90.0, 230.0]
    assert [(g.start_km, g.end_km) for g in a.gaps] == [(90.0, 230.0)]
    # 140 km needs ceil(140 / 60) - 1 = 2 pools, evenly spaced
    assert a.proposed_km.tolist() == pytest.approx([90 + 140 / 3, 90 + 280 / 3])
    # the second lies on the northbound leg, 33.3 km past the bend
    assert a.proposed_xy_m[1].tolist() == pytest.approx([150_000, 33_333.33], abs=0.1)
    assert not a.compliant and a.longest_stretch_km == pytest.approx(140.0)


def test_rules_differ_on_offset_and_pool_power() -> None:
    # 2 km off the road: inside AFIR's 3 km, outside NEVI's 1 mile
    a = audit_road(ROAD, [100_000], [2_000], [[150, 150, 150, 150]], NEVI)
    assert a.pools.size == 0 and len(a.gaps) == 1
    # NEVI needs 4 x 150 kW: 3 points are not enough even on the road
    b = audit_road(ROAD, [100_000], [0], [[150, 150, 150]], NEVI)
    assert b.pools.size == 0 and b.fast_km.tolist() == [100.0]
    c = audit_road(ROAD, [100_000], [0], [[150, 150, 150, 150]], NEVI)
    assert c.pools.tolist() == [0]
    # 250 km with one pool at 100 km: stretches 100 and 150 -> 1 + 1 new pools
    assert c.proposed_km.size == 2
    # a 120 kW station is never a fast pool
    d = audit_road(ROAD, [100_000], [0], [[120.0]], UZ_RULE)
    assert d.pools.size == 0 and d.fast_km.size == 0


def test_custom_rule_and_no_gap() -> None:
    rule = CorridorRule(
        "test", max_gap_km=130.0, max_offset_km=5.0, min_pool_kw=150, min_points=1
    )
    a = audit_road(ROAD, [125_000], [0], [[150.0]], rule)
    assert a.compliant and a.proposed_km.size == 0
    assert np.isclose(a.longest_stretch_km, 125.0)
