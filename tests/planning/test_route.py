"""EV route planner on small hand-made networks with known optimal stops.

The networks lie on the equator (one degree of longitude = 111.32 km) with a
car of flat consumption 200 Wh/km and a flat 50 kWh battery, so every number
below can be checked by hand. All roads have ``maxspeed_kmh = 100``.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString

from geo.errors import TooFarFromRoadError
from geo.roads import RoadGraph, build_road_graph
from planning.route import (
    CandidateSite,
    Charger,
    ChargerConnector,
    ImpossibleTrip,
    RoutePlan,
    TripOptions,
    _solve,
    build_charger_network,
    exhaustive_best_time,
    plan_route,
    search_time,
    solve_trip_problem,
    trip_problem,
)
from planning.route_errors import InvalidTripError
from planning.vehicles import Vehicle

KM_PER_DEG = 111.3195
CAR = Vehicle(
    id="test_car",
    name="Test car",
    battery_kwh=50.0,
    consumption_wh_per_km_50=200.0,
    consumption_wh_per_km_110=200.0,
    dc_max_kw=150.0,
    ac_max_kw=11.0,
    dc_curve=((0.0, 150.0), (1.0, 150.0)),
    connectors=frozenset({"CCS2", "TYPE2"}),
)
OPTS = TripOptions(
    start_soc=0.9,
    min_soc_stop=0.1,
    min_soc_arrival=0.1,
    stop_overhead_s=300.0,
    soc_step=0.01,
)


def _line(lon_from: float, lon_to: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"road_class": ["national"], "maxspeed_kmh": [100.0]},
        geometry=[LineString([(lon_from, 0.0), (lon_to, 0.0)])],
        crs=4326,
    )


def _charger(
    cid: str, lon: float, kw: float, status: str | None = None, kind: str = "CCS2"
) -> Charger:
    return Charger(
        cid, f"Station {cid}", lon, 0.0, (ChargerConnector(kind, kw, status),), 2000
    )


@pytest.fixture(scope="module")
def line_graph() -> RoadGraph:
    return build_road_graph(_line(0.0, 4.0))


def _plan(
    graph: RoadGraph,
    chargers: list[Charger],
    to_lon: float,
    opts: TripOptions = OPTS,
    sites: tuple[CandidateSite, ...] = (),
) -> RoutePlan | ImpossibleTrip:
    net = build_charger_network(graph, chargers)
    return plan_route(net, CAR, (0.0, 0.0), (to_lon, 0.0), opts, candidate_sites=sites)


def test_one_stop_with_hand_checked_numbers(line_graph: RoadGraph) -> None:
    # 334 km = 66.8 kWh; start 45 kWh. Charger at 167 km: arrive 11.6 kWh (23.2 %),
    # leave with 33.4 + 5 reserve = 38.4 kWh (76.8 %, 77 % on the 1 % grid).
    plan = _plan(line_graph, [_charger("C", 1.5, 50.0)], 3.0)
    assert isinstance(plan, RoutePlan)
    assert [s.charger_id for s in plan.stops] == ["C"]
    stop = plan.stops[0]
    assert stop.arrival_soc == pytest.approx(0.232, abs=0.002)
    assert stop.departure_soc == pytest.approx(0.77, abs=0.0001)
    assert plan.arrival_soc == pytest.approx(0.102, abs=0.002)
    assert stop.charge_s == pytest.approx((0.77 - 0.232) * 50 / 50 * 3600, rel=0.01)
    assert plan.length_m == pytest.approx(3 * KM_PER_DEG * 1000, rel=0.001)
    assert plan.drive_s == pytest.approx(3 * KM_PER_DEG / 100 * 3600, rel=0.001)
    assert plan.total_s == pytest.approx(plan.drive_s + stop.charge_s + 300, rel=1e-6)
    assert plan.energy_kwh == pytest.approx(3 * KM_PER_DEG * 0.2, rel=0.001)
    # 0.538 * 50 kWh stored, bought at 92 % efficiency, 2000 so'm/kWh
    assert plan.cost_uzs == round((0.77 - stop.arrival_soc) * 50 / 0.92 * 2000)
    assert plan.geometry.coords[0] == pytest.approx((0.0, 0.0))
    assert plan.geometry.coords[-1] == pytest.approx((3.0, 0.0))


def test_no_stop_when_the_battery_suffices(line_graph: RoadGraph) -> None:
    plan = _plan(line_graph, [_charger("C", 0.5, 150.0)], 1.5)  # 167 km = 33 kWh
    assert isinstance(plan, RoutePlan)
    assert plan.stops == ()
    assert plan.arrival_soc == pytest.approx(
        0.9 - 1.5 * KM_PER_DEG * 0.2 / 50, abs=1e-3
    )


def test_fast_charger_before_low_beats_nearest_charger_when_low(
    line_graph: RoadGraph,
) -> None:
    # Trip of 300 km (60 kWh). F (150 kW) at 100 km: arrive 50 %, charge to 90 %
    # (20 kWh, 8 min). S (50 kW) at 189 km is the nearest charger once the car is
    # low (arrive 14 %): charge to ~54 % (20 kWh, 24 min). Same driving either way.
    fast = _charger("F", 100 / KM_PER_DEG, 150.0)
    slow = _charger("S", 189 / KM_PER_DEG, 50.0)
    to = 300 / KM_PER_DEG
    best = _plan(line_graph, [fast, slow], to)
    low_first = _plan(line_graph, [slow], to)
    assert isinstance(best, RoutePlan) and isinstance(low_first, RoutePlan)
    assert [s.charger_id for s in best.stops] == ["F"]
    assert [s.charger_id for s in low_first.stops] == ["S"]
    assert best.stops[0].charge_s == pytest.approx(8 * 60, rel=0.05)
    assert low_first.stops[0].charge_s == pytest.approx(24 * 60, rel=0.05)
    assert best.total_s < low_first.total_s - 15 * 60


def test_live_status_skips_faulted_and_penalises_busy(line_graph: RoadGraph) -> None:
    to = 300 / KM_PER_DEG
    slow = _charger("S", 189 / KM_PER_DEG, 50.0)

    def stop_with(status: str, penalty_s: float) -> str:
        fast = _charger("F", 100 / KM_PER_DEG, 150.0, status)
        opts = TripOptions(start_soc=0.9, busy_penalty_s=penalty_s)
        plan = _plan(line_graph, [fast, slow], to, opts)
        assert isinstance(plan, RoutePlan)
        return plan.stops[0].charger_id

    assert stop_with("Faulted", 0) == "S"
    assert stop_with("Unavailable", 0) == "S"
    assert stop_with("Occupied", 30 * 60) == "S"  # 8 + 30 min > 24 min
    assert stop_with("Occupied", 5 * 60) == "F"  # 8 + 5 min < 24 min
    assert stop_with("Available", 30 * 60) == "F"


def test_incompatible_connectors_are_never_used(line_graph: RoadGraph) -> None:
    to = 300 / KM_PER_DEG
    chademo = _charger("F", 100 / KM_PER_DEG, 150.0, kind="CHADEMO")
    slow = _charger("S", 189 / KM_PER_DEG, 50.0)
    plan = _plan(line_graph, [chademo, slow], to)
    assert isinstance(plan, RoutePlan)
    assert [s.charger_id for s in plan.stops] == ["S"]
    assert plan.stops[0].connector_type == "CCS2"


def test_ac_connector_charges_at_the_cars_ac_limit(line_graph: RoadGraph) -> None:
    ac = _charger("A", 1.5, 22.0, kind="TYPE2")  # car takes 11 kW AC
    plan = _plan(line_graph, [ac], 3.0)
    assert isinstance(plan, RoutePlan)
    stop = plan.stops[0]
    assert stop.power_kw == 11.0
    hours = (stop.departure_soc - stop.arrival_soc) * 50 / 11
    assert stop.charge_s == pytest.approx(hours * 3600, rel=0.01)


def test_two_stops_when_one_cannot_bridge(line_graph: RoadGraph) -> None:
    # 400 km = 80 kWh: from 45 kWh with a 40 kWh usable battery, two stops are needed.
    chargers = [_charger(str(k), k * 50 / KM_PER_DEG, 150.0) for k in range(1, 8)]
    plan = _plan(line_graph, chargers, 400 / KM_PER_DEG)
    assert isinstance(plan, RoutePlan)
    assert len(plan.stops) == 2
    for s in plan.stops:
        assert s.arrival_soc >= 0.1 - 1e-9
    assert plan.arrival_soc >= 0.1 - 1e-9


def test_impossible_trip_names_the_gap_and_the_sites_that_fix_it(
    line_graph: RoadGraph,
) -> None:
    # Chargers only in the first 100 km; the destination is 400 km away.
    chargers = [
        _charger("A", 50 / KM_PER_DEG, 150.0),
        _charger("B", 100 / KM_PER_DEG, 150.0),
    ]
    sites = (
        CandidateSite(
            "p1", "Planned mid", "planned", 250 / KM_PER_DEG, 0.0, 150.0, ("CCS2",)
        ),
        CandidateSite("c1", "Candidate early", "candidate", 30 / KM_PER_DEG, 0.0),
        CandidateSite(
            "c2", "CHAdeMO only", "candidate", 250 / KM_PER_DEG, 0.0, 50.0, ("CHADEMO",)
        ),
    )
    res = _plan(line_graph, chargers, 400 / KM_PER_DEG, sites=sites)
    assert isinstance(res, ImpossibleTrip)
    assert res.gap is not None
    assert (res.gap.from_name, res.gap.to_name) == ("Station B", "destination")
    assert res.gap.length_km == pytest.approx(300, abs=1)
    assert res.gap.range_km == pytest.approx(
        225, abs=1
    )  # 100 % - 10 % = 45 kWh at 200 Wh/km
    assert "300 km between Station B and destination" in res.reason
    assert [f.site.id for f in res.sites] == ["p1"]
    assert res.sites[0].alone_makes_possible
    assert res.possible_with_all_sites


def test_start_soc_too_low_for_the_first_charger(line_graph: RoadGraph) -> None:
    opts = TripOptions(start_soc=0.2, min_soc_stop=0.1, min_soc_arrival=0.1)
    res = _plan(line_graph, [_charger("C", 100 / KM_PER_DEG, 150.0)], 2.0, opts)
    assert isinstance(res, ImpossibleTrip)
    assert "start SoC (20%) reaches only about 25 km" in res.reason


def test_vias_are_passed_in_order(line_graph: RoadGraph) -> None:
    # Out 167 km to the via and back 111 km: a stop is needed on the way back.
    net = build_charger_network(line_graph, [_charger("C", 1.3, 150.0)])
    plan = plan_route(
        net, CAR, (0.0, 0.0), (0.5, 0.0), OPTS, vias=[("turn", (1.5, 0.0))]
    )
    assert isinstance(plan, RoutePlan)
    names = [(leg.from_name, leg.to_name) for leg in plan.legs]
    assert names == [
        ("origin", "turn"),
        ("turn", "Station C"),
        ("Station C", "destination"),
    ]
    assert plan.length_m == pytest.approx(2.5 * KM_PER_DEG * 1000, rel=0.001)
    assert plan.legs[0].arrival_soc == pytest.approx(plan.legs[1].departure_soc)


def test_bad_trip_options_name_the_field() -> None:
    with pytest.raises(InvalidTripError, match=r"min_soc_stop .* above start_soc") as e:
        TripOptions(start_soc=0.1, min_soc_stop=0.2)
    assert e.value.field == "min_soc_stop"
    with pytest.raises(InvalidTripError, match="start_soc must be between 0 and 1"):
        TripOptions(start_soc=1.5)


def test_points_far_from_roads_are_rejected(line_graph: RoadGraph) -> None:
    net = build_charger_network(line_graph, [])
    with pytest.raises(TooFarFromRoadError, match=r"limit is 25\.0 km"):
        plan_route(net, CAR, (0.0, 1.0), (1.0, 0.0), OPTS)


# ---------------------------------------------------------------- optimality


def _grid() -> RoadGraph:
    # A 3 x 3 lattice of 50 km roads with two speeds.
    lines, speeds = [], []
    step = 50 / KM_PER_DEG
    for i in range(3):
        for j in range(2):
            lines.append(LineString([(j * step, i * step), ((j + 1) * step, i * step)]))
            lines.append(LineString([(i * step, j * step), (i * step, (j + 1) * step)]))
            speeds += [100.0 if i % 2 == 0 else 60.0, 80.0]
    roads = gpd.GeoDataFrame(
        {"road_class": ["national"] * len(lines), "maxspeed_kmh": speeds},
        geometry=lines,
        crs=4326,
    )
    return build_road_graph(roads)


GRID = _grid()
SMALL_CAR = Vehicle(
    id="small",
    name="Small",
    battery_kwh=30.0,
    consumption_wh_per_km_50=150.0,
    consumption_wh_per_km_110=210.0,
    dc_max_kw=60.0,
    ac_max_kw=7.0,
    dc_curve=((0.0, 60.0), (0.5, 60.0), (0.8, 30.0), (1.0, 10.0)),
    connectors=frozenset({"CCS2", "GBT_DC"}),
)


def test_search_matches_exhaustive_enumeration() -> None:
    # 40 seeded random instances on the lattice: chargers at random junctions
    # with random power, random start SoC; coarse 5 % levels keep brute force small.
    rng = np.random.default_rng(20261127)
    step = 50 / KM_PER_DEG
    feasible = with_stops = 0
    for _ in range(40):
        k = int(rng.integers(2, 7))
        chargers = [
            Charger(
                f"c{i}",
                f"c{i}",
                int(rng.integers(0, 3)) * step + 0.01,
                int(rng.integers(0, 3)) * step,
                (ChargerConnector("CCS2", float(rng.choice([22.0, 50.0, 150.0]))),),
                1000,
            )
            for i in range(k)
        ]
        net = build_charger_network(GRID, chargers)
        opts = TripOptions(
            start_soc=float(rng.uniform(0.3, 1.0)), min_soc_stop=0.1, soc_step=0.05
        )
        prob = trip_problem(net, SMALL_CAR, (0.0, 0.0), (2 * step, 2 * step), opts)
        fast = solve_trip_problem(prob)
        brute = exhaustive_best_time(prob, max_stops=4)
        if math.isinf(brute):
            assert math.isinf(fast)
            continue
        feasible += 1
        with_stops += (
            brute > prob.direct_t or prob.start - prob.direct_e < prob.min_arrival
        )
        assert fast == pytest.approx(brute, rel=1e-9)
    assert feasible >= 20 and with_stops >= 20  # the check covered real choices


def test_coarse_bound_never_changes_the_optimum() -> None:
    # On the 1 % grid the search first solves a 5 % grid for an upper bound and
    # prunes with it; the answer must equal the unbounded search.
    rng = np.random.default_rng(7)
    step = 50 / KM_PER_DEG
    compared = 0
    for _ in range(30):
        chargers = [
            Charger(
                f"c{i}",
                f"c{i}",
                float(rng.uniform(0, 2)) * step,
                int(rng.integers(0, 3)) * step,
                (ChargerConnector("CCS2", float(rng.choice([22.0, 50.0, 150.0]))),),
                1000,
            )
            for i in range(int(rng.integers(2, 9)))
        ]
        net = build_charger_network(GRID, chargers)
        opts = TripOptions(start_soc=float(rng.uniform(0.3, 1.0)), soc_step=0.01)
        prob = trip_problem(net, SMALL_CAR, (0.0, 0.0), (2 * step, 2 * step), opts)
        plain = _solve(prob)[0]
        assert solve_trip_problem(prob) == pytest.approx(plain, rel=1e-12)
        compared += math.isfinite(plain)
    assert compared >= 15


def test_corridor_pruned_search_equals_the_full_search() -> None:
    # plan_route searches only hubs that can beat a first bounding plan; on
    # random instances that must give the same optimum as the full search.
    rng = np.random.default_rng(11)
    step = 50 / KM_PER_DEG
    compared = 0
    for _ in range(25):
        chargers = [
            Charger(
                f"c{i}",
                f"c{i}",
                float(rng.uniform(0, 2)) * step,
                int(rng.integers(0, 3)) * step,
                (ChargerConnector("CCS2", float(rng.choice([22.0, 50.0, 150.0]))),),
                1000,
            )
            for i in range(int(rng.integers(3, 12)))
        ]
        net = build_charger_network(GRID, chargers)
        opts = TripOptions(start_soc=float(rng.uniform(0.3, 1.0)))
        full = _solve(
            trip_problem(net, SMALL_CAR, (0.0, 0.0), (2 * step, 2 * step), opts)
        )[0]
        pruned = search_time(net, SMALL_CAR, (0.0, 0.0), (2 * step, 2 * step), opts)
        assert pruned == pytest.approx(full, rel=1e-12)
        compared += math.isfinite(full)
    assert compared >= 15


def test_plan_reports_what_the_search_found() -> None:
    step = 50 / KM_PER_DEG
    chargers = [
        Charger("a", "a", step, 0.0, (ChargerConnector("CCS2", 50.0),), 1000),
        Charger("b", "b", 2 * step, step, (ChargerConnector("GBT_DC", 150.0),), 1000),
    ]
    net = build_charger_network(GRID, chargers)
    opts = TripOptions(start_soc=0.7, min_soc_stop=0.1, soc_step=0.01)
    prob = trip_problem(net, SMALL_CAR, (0.0, 0.0), (2 * step, 2 * step), opts)
    plan = plan_route(net, SMALL_CAR, (0.0, 0.0), (2 * step, 2 * step), opts)
    assert isinstance(plan, RoutePlan)
    # The plan uses exact energies (the search rounds them up), so it is no slower.
    assert plan.total_s <= solve_trip_problem(prob) + 1e-6
    assert np.isfinite(plan.total_s) and plan.stops
