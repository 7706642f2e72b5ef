"""EV route planner: charging stops that minimise total trip time.

Model
-----
The trip runs on a :class:`geo.roads.RoadGraph`. Chargers are snapped to the
road network and attached to the nearer end of their edge (a stop costs the
drive from that junction to the charger and back, plus the off-road distance
at 30 km/h). Legs between the origin, chargers and the destination follow the
fastest road path; their energy is ``factor * sum(len_km * c(v_edge))`` with the
vehicle's speed-dependent consumption ``c(v) = a + b v^2``
(:mod:`planning.vehicles`).

Search
------
State of charge (SoC) is discretised in steps of ``soc_step`` (1 % by
default); leg energies are rounded *up* to whole steps, so a plan found is
always feasible with the exact energies. The search is an exact dynamic
programme over the states (charger, SoC) — a label-setting search in the
sense of the EV shortest-path literature (Baum et al., "Shortest feasible
paths with charging stops", SIGSPATIAL 2015; Montoya et al. 2017 for the
charging-curve model) — organised in rounds, one round per extra stop
(Bellman-Ford on the stop count), vectorised with numpy:

* ``plugged[j, s]`` = earliest time at which the car can be plugged in at
  charger ``j`` holding SoC level ``s``;
* charging from level ``a`` to ``s`` costs ``F_j[s] - F_j[a]`` where ``F_j`` is
  the cumulative charging time of the car's curve capped by the station's
  power (a running minimum over ``plugged - F`` does all charge amounts at once);
* driving ``i -> j`` costs the leg time and ``ceil(energy / step)`` levels and is
  allowed only when the car arrives with at least ``min_soc_stop``
  (``min_soc_arrival`` at the destination).

A state reached in a later round that is not faster than one reached earlier
with at least the same SoC is pruned, and rounds stop once no plugged state
can beat the best arrival found: the result is optimal over the discretised
model (checked against exhaustive enumeration in the tests and the benchmark),
not the "nearest charger when low" heuristic.

Live status: connectors reported ``Unavailable``/``Faulted`` are skipped,
``Occupied``/``Charging``/``Reserved``/... ones cost ``busy_penalty_s`` extra;
no status means available.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
from shapely.geometry import LineString, Point

from geo.roads import (
    DEFAULT_SNAP_M,
    RoadGraph,
    Snap,
    shortest_path,
    shortest_path_tree,
    snap_point,
    snap_points,
)
from planning.route_errors import InvalidTripError
from planning.vehicles import DC_CONNECTORS, Vehicle, consumption_factor

#: Connector statuses that take a charger out of the plan.
OFFLINE_STATUSES: Final[frozenset[str]] = frozenset({"Unavailable", "Faulted"})
#: Connector statuses that mean someone else is using or holding it.
BUSY_STATUSES: Final[frozenset[str]] = frozenset(
    {
        "Occupied",
        "Charging",
        "Preparing",
        "SuspendedEV",
        "SuspendedEVSE",
        "Finishing",
        "Reserved",
    }
)
#: Speed assumed for the off-road part of reaching a charger, km/h.
ACCESS_SPEED_KMH: Final = 30.0


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class ChargerConnector:
    """One connector of a station: type, power and live status (``None`` = unknown)."""

    type: str
    power_kw: float
    status: str | None = None


@dataclass(frozen=True, slots=True)
class Charger:
    """A charging station (site) with its connectors and energy price."""

    id: str
    name: str
    lon: float
    lat: float
    connectors: tuple[ChargerConnector, ...]
    price_uzs_per_kwh: int


@dataclass(frozen=True, slots=True)
class CandidateSite:
    """A planned or candidate site that could be built (for impossible trips).

    ``connector_types`` empty means "not decided": assumed to offer every DC type
    at ``power_kw`` (default 60 kW when unknown).
    """

    id: str
    name: str
    kind: Literal["planned", "candidate"]
    lon: float
    lat: float
    power_kw: float | None = None
    connector_types: tuple[str, ...] = ()
    year: int | None = None


@dataclass(frozen=True, slots=True)
class TripOptions:
    """What the driver asks for.

    SoC values are fractions 0..1. ``busy_penalty_s`` is added at a station whose
    only usable connectors are busy; ``stop_overhead_s`` at every stop (parking,
    plugging in, paying). ``charge_efficiency`` converts energy stored into energy
    bought (for the price). ``soc_step`` is the SoC grid of the search.
    ``merge_m``: stations on the same road within this distance of each other
    (and with the same charging power) count as one stop option, the one nearest
    the road; 0 keeps every station (exact, slower with many stations).
    """

    start_soc: float = 0.9
    min_soc_stop: float = 0.10
    min_soc_arrival: float = 0.10
    max_charge_soc: float = 1.0
    temperature_c: float | None = None
    payload_kg: float = 0.0
    busy_penalty_s: float = 900.0
    stop_overhead_s: float = 300.0
    charge_efficiency: float = 0.92
    soc_step: float = 0.02
    merge_m: float = 3000.0
    max_stops: int = 20
    snap_limit_m: float = DEFAULT_SNAP_M
    use_live_status: bool = True

    def __post_init__(self) -> None:
        """Reject impossible combinations, naming the field."""
        for name in ("start_soc", "min_soc_stop", "min_soc_arrival", "max_charge_soc"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and 0.0 <= v <= 1.0):
                raise InvalidTripError(
                    f"{name} must be between 0 and 1 (got {v})", name
                )
        if self.min_soc_stop > self.start_soc:
            raise InvalidTripError(
                f"min_soc_stop ({self.min_soc_stop}) is above start_soc ({self.start_soc})",
                "min_soc_stop",
            )
        if (
            self.min_soc_arrival > self.start_soc
            and self.max_charge_soc < self.min_soc_arrival
        ):
            raise InvalidTripError(
                f"min_soc_arrival ({self.min_soc_arrival}) is above both start_soc "
                f"and max_charge_soc",
                "min_soc_arrival",
            )
        if self.max_charge_soc <= self.min_soc_stop:
            raise InvalidTripError(
                f"max_charge_soc ({self.max_charge_soc}) must be above min_soc_stop "
                f"({self.min_soc_stop})",
                "max_charge_soc",
            )
        if not 0.001 <= self.soc_step <= 0.1:
            raise InvalidTripError(
                f"soc_step must be between 0.001 and 0.1 (got {self.soc_step})",
                "soc_step",
            )
        for name in ("busy_penalty_s", "stop_overhead_s", "snap_limit_m"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise InvalidTripError(f"{name} must be >= 0 (got {v})", name)
        if not 0.5 <= self.charge_efficiency <= 1.0:
            raise InvalidTripError(
                f"charge_efficiency must be between 0.5 and 1 (got {self.charge_efficiency})",
                "charge_efficiency",
            )
        if not 0 <= self.merge_m <= 50_000:
            raise InvalidTripError(
                f"merge_m must be between 0 and 50000 (got {self.merge_m})", "merge_m"
            )
        if not 0 <= self.max_stops <= 50:
            raise InvalidTripError(
                f"max_stops must be between 0 and 50 (got {self.max_stops})",
                "max_stops",
            )


# ---------------------------------------------------------------- outputs


@dataclass(frozen=True, slots=True)
class ChargingStop:
    """One planned stop."""

    charger_id: str
    name: str
    lon: float
    lat: float
    connector_type: str
    power_kw: float
    arrival_soc: float
    departure_soc: float
    charge_s: float
    wait_s: float
    energy_kwh: float
    cost_uzs: int
    busy: bool


@dataclass(frozen=True, slots=True)
class RouteLeg:
    """Driving between two consecutive points of the plan."""

    from_name: str
    to_name: str
    length_m: float
    drive_s: float
    energy_kwh: float
    departure_soc: float
    arrival_soc: float
    geometry: LineString


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """A feasible plan: legs, stops and totals (time in seconds, money in so'm)."""

    vehicle_id: str
    legs: tuple[RouteLeg, ...]
    stops: tuple[ChargingStop, ...]
    length_m: float
    drive_s: float
    charge_s: float
    wait_s: float
    total_s: float
    energy_kwh: float
    cost_uzs: int
    arrival_soc: float
    geometry: LineString
    snap_distances_m: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Gap:
    """The longest stretch of the fastest road route without a usable charger."""

    from_name: str
    to_name: str
    from_lon: float
    from_lat: float
    to_lon: float
    to_lat: float
    length_km: float
    energy_needed_kwh: float
    usable_energy_kwh: float
    range_km: float


@dataclass(frozen=True, slots=True)
class SiteFix:
    """A planned or candidate site in the gap, and whether it alone makes the trip
    possible (``None``: not checked; only the sites nearest the middle of the gap
    are, to keep the answer fast)."""

    site: CandidateSite
    alone_makes_possible: bool | None


#: Sites in a gap checked one by one (nearest the middle of the gap first).
_SITES_CHECKED: Final = 3


@dataclass(frozen=True, slots=True)
class ImpossibleTrip:
    """Why no plan exists, where, and which sites would fix it."""

    vehicle_id: str
    reason: str
    gap: Gap | None
    sites: tuple[SiteFix, ...]
    possible_with_all_sites: bool
    compatible_chargers: int
    skipped_offline: int


# ---------------------------------------------------------------- network


@dataclass(frozen=True, slots=True)
class _ConnectorTable:
    """Every connector of every charger as flat arrays (for fast filtering)."""

    site: npt.NDArray[np.int64]
    type: npt.NDArray[np.str_]
    power_kw: npt.NDArray[np.float64]
    state: npt.NDArray[np.int8]  # 0 available/unknown, 1 busy, 2 offline


def _connector_table(chargers: Sequence[Charger]) -> _ConnectorTable:
    site, types, kw, state = [], [], [], []
    for i, c in enumerate(chargers):
        for con in c.connectors:
            site.append(i)
            types.append(con.type)
            kw.append(con.power_kw)
            state.append(
                2
                if con.status in OFFLINE_STATUSES
                else 1
                if con.status in BUSY_STATUSES
                else 0
            )
    return _ConnectorTable(
        np.asarray(site, dtype=np.int64),
        np.asarray(types, dtype=np.str_),
        np.asarray(kw, dtype=np.float64),
        np.asarray(state, dtype=np.int8),
    )


@dataclass(frozen=True, slots=True)
class ChargerNetwork:
    """Chargers placed on a road graph with the fastest road legs between them.

    A charger sits on its snapped edge and is reached from either end of that
    edge (plus the off-road distance at :data:`ACCESS_SPEED_KMH`), so legs are
    exact fastest paths. Vehicle-independent: the app builds it once per road
    and station version; :meth:`with_chargers` swaps in new live statuses or
    prices without recomputing legs.
    """

    graph: RoadGraph
    chargers: tuple[Charger, ...]
    snaps: tuple[Snap | None, ...]
    edge: npt.NDArray[np.int64]  # snapped edge, -1 = off network
    frac: npt.NDArray[np.float64]
    end_anchor: npt.NDArray[np.int64]  # n x 2: index into anchor_nodes of u, v
    acc: npt.NDArray[np.float64]  # n x 2 x 3: (time_s, len_km, v2len) from u / v
    off: npt.NDArray[np.float64]  # n x 3: the off-road part alone
    anchor_nodes: npt.NDArray[np.int64]
    node_cost: npt.NDArray[np.float64]  # 3 x anchors x anchors: time_s, len_km, v2len
    edge_len_km: npt.NDArray[np.float64]
    edge_v2len: npt.NDArray[np.float64]
    off_network: tuple[str, ...] = field(default=())
    connectors: _ConnectorTable | None = None

    def with_chargers(self, chargers: Sequence[Charger]) -> ChargerNetwork:
        """Same positions, new connector statuses or prices (ids must match in order)."""
        if [c.id for c in chargers] != [c.id for c in self.chargers]:
            raise ValueError("with_chargers needs the same chargers in the same order")
        return replace(
            self, chargers=tuple(chargers), connectors=_connector_table(chargers)
        )

    def edge_cost(self, e: int) -> npt.NDArray[np.float64]:
        """(time_s, len_km, v2len) of the whole edge ``e``."""
        return np.array(
            [self.graph.edge_time_s[e], self.edge_len_km[e], self.edge_v2len[e]]
        )


def _edge_energy_terms(
    graph: RoadGraph,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    len_km = graph.edge_length_m / 1000.0
    speed = graph.edge_length_m / np.maximum(graph.edge_time_s, 1e-9) * 3.6
    return len_km, len_km * speed**2


def _anchor_costs(
    graph: RoadGraph,
    anchor_nodes: npt.NDArray[np.int64],
    base: ChargerNetwork | None,
    edge_len_km: npt.NDArray[np.float64],
    edge_v2len: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """(time_s, len_km, v2len) of the fastest paths between junctions (3 x m x m)."""
    m = len(anchor_nodes)
    node_cost = np.full((3, m, m), np.inf)
    known: dict[int, int] = {}
    if base is not None and base.graph is graph:
        known = {int(a): k for k, a in enumerate(base.anchor_nodes)}
        mine = np.array([k for k, a in enumerate(anchor_nodes) if int(a) in known])
        theirs = np.array([known[int(anchor_nodes[k])] for k in mine])
        if len(mine):
            node_cost[:, mine[:, None], mine[None, :]] = base.node_cost[
                :, theirs[:, None], theirs[None, :]
            ]
    for k, a in enumerate(anchor_nodes):
        if int(a) in known:
            continue
        cost, sums = shortest_path_tree(
            graph, int(a), weight="time_s", edge_values=[edge_len_km, edge_v2len]
        )
        row = np.stack(
            [cost[anchor_nodes], sums[0][anchor_nodes], sums[1][anchor_nodes]]
        )
        node_cost[:, k, :] = row
        node_cost[:, :, k] = row  # undirected roads: the same legs back
    return node_cost


def build_charger_network(
    graph: RoadGraph,
    chargers: Sequence[Charger],
    *,
    snap_limit_m: float = DEFAULT_SNAP_M,
    base: ChargerNetwork | None = None,
) -> ChargerNetwork:
    """Snap chargers to the road graph and compute the fastest legs between them.

    Parameters
    ----------
    graph
        Road graph (:func:`geo.roads.build_road_graph`).
    chargers
        Stations with connectors (positions EPSG:4326).
    snap_limit_m
        Chargers farther than this from any road are left out (listed in
        ``off_network``).
    base
        A network on the same graph whose junction-to-junction legs are reused
        (only new junctions get a shortest-path tree).

    Returns
    -------
    ChargerNetwork
    """
    edge_len_km, edge_v2len = _edge_energy_terms(graph)
    n = len(chargers)
    reuse = 0
    if base is not None and base.graph is graph:
        for c_new, c_old in zip(chargers, base.chargers, strict=False):
            if (c_new.id, c_new.lon, c_new.lat) != (c_old.id, c_old.lon, c_old.lat):
                break
            reuse += 1
    snapped = snap_points(
        graph,
        [c.lon for c in chargers[reuse:]],
        [c.lat for c in chargers[reuse:]],
        max_distance_m=snap_limit_m,
        strict=False,
    )
    snaps: list[Snap | None] = []
    edge = np.full(n, -1, dtype=np.int64)
    frac = np.zeros(n)
    ends = np.full((n, 2), -1, dtype=np.int64)
    acc = np.full((n, 2, 3), np.inf)
    off = np.zeros((n, 3))
    off_ids: list[str] = []
    if base is not None and reuse:
        snaps.extend(base.snaps[:reuse])
        edge[:reuse], frac[:reuse] = base.edge[:reuse], base.frac[:reuse]
        acc[:reuse], off[:reuse] = base.acc[:reuse], base.off[:reuse]
        ends[:reuse] = np.where(
            base.end_anchor[:reuse] >= 0,
            base.anchor_nodes[np.maximum(base.end_anchor[:reuse], 0)],
            -1,
        )
        off_ids += [
            c.id
            for c, sn in zip(chargers[:reuse], base.snaps, strict=False)
            if sn is None
        ]
    for i, c in enumerate(chargers):
        if i < reuse:
            continue
        if snapped.edge[i - reuse] < 0:
            snaps.append(None)
            off_ids.append(c.id)
            continue
        sn = snap_point(graph, c.lon, c.lat, max_distance_m=math.inf)
        snaps.append(sn)
        e = sn.edge
        edge[i], frac[i] = e, sn.fraction
        ends[i] = (sn.u, sn.v)
        off_km = sn.distance_m / 1000.0
        off[i] = (
            off_km / ACCESS_SPEED_KMH * 3600.0,
            off_km,
            off_km * ACCESS_SPEED_KMH**2,
        )
        whole = np.array([graph.edge_time_s[e], edge_len_km[e], edge_v2len[e]])
        acc[i, 0] = sn.fraction * whole + off[i]
        acc[i, 1] = (1.0 - sn.fraction) * whole + off[i]
    anchor_nodes = np.unique(ends[ends >= 0])
    pos = np.full(graph.node_count, -1, dtype=np.int64)
    pos[anchor_nodes] = np.arange(len(anchor_nodes))
    end_anchor = np.where(ends >= 0, pos[np.maximum(ends, 0)], -1)
    node_cost = _anchor_costs(graph, anchor_nodes, base, edge_len_km, edge_v2len)
    return ChargerNetwork(
        graph=graph,
        chargers=tuple(chargers),
        snaps=tuple(snaps),
        edge=edge,
        frac=frac,
        end_anchor=end_anchor,
        acc=acc,
        off=off,
        anchor_nodes=anchor_nodes,
        node_cost=node_cost,
        edge_len_km=edge_len_km,
        edge_v2len=edge_v2len,
        off_network=tuple(off_ids),
        connectors=_connector_table(chargers),
    )


def _hub_legs(
    net: ChargerNetwork, ci: npt.NDArray[np.int64], cj: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """Fastest legs charger ci[x] -> charger cj[y]: array (3, len(ci), len(cj)).

    Through either end of each charger's edge, or straight along a shared edge.
    """
    ea, eb = net.end_anchor[ci], net.end_anchor[cj]  # (H, 2), (G, 2)
    mid = net.node_cost[:, ea[:, :, None, None], eb[None, None, :, :]]  # 3,H,2,G,2
    tot = (
        net.acc[ci][:, :, None, None, :].transpose(4, 0, 1, 2, 3)
        + mid
        + net.acc[cj][None, None, :, :, :].transpose(4, 0, 1, 2, 3)
    )
    h, g = len(ci), len(cj)
    tot = tot.transpose(0, 1, 3, 2, 4).reshape(3, h, g, 4)
    k = np.argmin(tot[0], axis=2)
    out = np.take_along_axis(tot, k[None, :, :, None], axis=3)[..., 0]
    same = net.edge[ci][:, None] == net.edge[cj][None, :]
    if same.any():
        df = np.abs(net.frac[ci][:, None] - net.frac[cj][None, :])
        whole = np.stack([net.edge_cost(int(e)) for e in net.edge[ci]], axis=1)  # 3,H
        along = (
            df[None, :, :] * whole[:, :, None]
            + net.off[ci].T[:, :, None]
            + net.off[cj].T[:, None, :]
        )
        better = same[None, :, :] & (along[0] < out[0])[None, :, :]
        out = np.where(better, along, out)
    return out


def _endpoint_legs(
    net: ChargerNetwork, ep: _Endpoint, cj: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """Fastest legs between an endpoint and chargers cj: array (3, len(cj))."""
    eb = net.end_anchor[cj]  # G, 2
    tot = ep.cost[:, eb] + net.acc[cj].transpose(2, 0, 1)  # 3, G, 2
    k = np.argmin(tot[0], axis=1)
    out = np.take_along_axis(tot, k[None, :, None], axis=2)[..., 0]
    same = net.edge[cj] == ep.snap.edge
    if same.any():
        whole = net.edge_cost(ep.snap.edge)
        df = np.abs(net.frac[cj] - ep.snap.fraction)
        along = df[None, :] * whole[:, None] + net.off[cj].T
        out = np.where(same[None, :] & (along[0] < out[0])[None, :], along, out)
    return out


# ---------------------------------------------------------------- hubs


@dataclass(frozen=True, slots=True)
class _Hub:
    charger: int
    connector_type: str
    power_kw: float
    dc: bool
    busy: bool


def _hubs(
    net: ChargerNetwork, vehicle: Vehicle, opts: TripOptions
) -> tuple[list[_Hub], int, int]:
    """Usable options per station: its best available connector (by power the car
    can take, DC first at equal power), plus its best busy one when faster.

    Returns the hubs, the number of stations with a compatible connector and how
    many of those have only offline/faulted compatible connectors.
    """
    t = net.connectors if net.connectors is not None else _connector_table(net.chargers)
    if len(t.site) == 0:
        return [], 0, 0
    dc = np.isin(t.type, sorted(DC_CONNECTORS))
    car_kw = np.where(dc, vehicle.dc_max_kw, vehicle.ac_max_kw)
    ok = (
        np.isin(t.type, sorted(vehicle.connectors))
        & (car_kw > 0)
        & (t.power_kw > 0)
        & (net.edge[t.site] >= 0)
    )
    state = t.state if opts.use_live_status else np.zeros_like(t.state)
    usable = ok & (state < 2)
    compatible_sites = np.unique(t.site[ok])
    usable_sites = np.unique(t.site[usable])
    eff = np.minimum(t.power_kw, car_kw)

    def best_per_site(mask: npt.NDArray[np.bool_]) -> dict[int, int]:
        idx = np.flatnonzero(mask)
        if len(idx) == 0:
            return {}
        order = idx[np.lexsort((dc[idx], eff[idx], t.site[idx]))]
        last = np.append(t.site[order][1:] != t.site[order][:-1], True)
        return {int(t.site[k]): int(k) for k in order[last]}

    free = best_per_site(usable & (state == 0))
    busy = best_per_site(usable & (state == 1))
    hubs: list[_Hub] = []
    for site in usable_sites.tolist():
        f, b = free.get(site), busy.get(site)
        for k, is_busy in ((f, False), (b, True)):
            if k is None or (is_busy and f is not None and eff[f] >= eff[k]):
                continue
            hubs.append(_Hub(site, str(t.type[k]), float(eff[k]), bool(dc[k]), is_busy))
    return hubs, len(compatible_sites), len(compatible_sites) - len(usable_sites)


def _charge_profile(
    vehicle: Vehicle, hub: _Hub, levels: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Cumulative seconds to charge from level 0 to each level (inf where impossible)."""
    step = levels[1] - levels[0]
    mids = levels[:-1] + step / 2
    if hub.dc:
        p = np.minimum(vehicle.dc_power_kw_array(mids), hub.power_kw)
    else:
        p = np.full(len(mids), min(vehicle.ac_max_kw, hub.power_kw))
    with np.errstate(divide="ignore"):
        dt = np.where(p > 0, vehicle.battery_kwh * step / p * 3600.0, np.inf)
    return np.concatenate([[0.0], np.cumsum(dt)])


def _prune_dominated(
    hubs: list[_Hub],
    net: ChargerNetwork,
    vehicle: Vehicle,
    penalty: npt.NDArray[np.float64],
    energy: npt.NDArray[np.float64],
) -> list[int]:
    """Drop hubs that another hub on the same edge beats on every count.

    ``energy`` is (hubs x 2): access energy from each end of the edge. A hub is
    dropped when another one is no slower and needs no more energy from both
    ends (busy penalty included) and charges at least as fast at every SoC.
    """
    if not hubs:
        return []
    classes = sorted({(h.power_kw, h.dc) for h in hubs})
    grid = np.linspace(0.0, 1.0, 101)
    power = np.array(
        [
            np.minimum(vehicle.dc_power_kw_array(grid), kw)
            if dc
            else np.full(len(grid), min(vehicle.ac_max_kw, kw))
            for kw, dc in classes
        ]
    )
    faster = np.all(power[:, None, :] >= power[None, :, :], axis=2)  # c_j >= c_k
    cls = np.array([classes.index((h.power_kw, h.dc)) for h in hubs])
    ci = np.array([h.charger for h in hubs])
    t = net.acc[ci, :, 0] + penalty[:, None]
    edge = net.edge[ci]
    keep: list[int] = []
    for e in np.unique(edge):
        g = np.flatnonzero(edge == e)
        if len(g) == 1:
            keep.append(int(g[0]))
            continue
        tg, eg = t[g], energy[g]
        dom = (
            np.all(tg[:, None, :] <= tg[None, :, :], axis=2)
            & np.all(eg[:, None, :] <= eg[None, :, :], axis=2)
            & faster[cls[g][:, None], cls[g][None, :]]
        )  # dom[j, k]: j is at least as good as k
        strict = dom & ~(
            dom.T & (np.arange(len(g))[:, None] > np.arange(len(g))[None, :])
        )
        np.fill_diagonal(strict, False)
        keep.extend(int(x) for x in g[~strict.any(axis=0)])
    return sorted(keep)


# ---------------------------------------------------------------- search


@dataclass(frozen=True, slots=True)
class TripProblem:
    """The discretised instance the search runs on (see :func:`trip_problem`).

    Levels are SoC steps; ``profile[h, l]`` is the time to charge hub ``h`` from
    level 0 to ``l``; ``leg_*`` are hub-to-hub drive seconds and energy levels;
    ``orig_*``/``dest_*`` the legs from the origin and to the destination.
    """

    levels: npt.NDArray[np.float64]
    start: int
    min_stop: int
    min_arrival: int
    max_charge: int
    # hubs
    profile: npt.NDArray[np.float64]  # H x L cumulative charge seconds
    plug_s: npt.NDArray[np.float64]  # H: overhead + busy penalty
    leg_t: npt.NDArray[np.float64]  # H x H drive seconds (inf = none)
    leg_e: npt.NDArray[np.int64]  # H x H energy in levels
    orig_t: npt.NDArray[np.float64]  # H
    orig_e: npt.NDArray[np.int64]
    dest_t: npt.NDArray[np.float64]  # H
    dest_e: npt.NDArray[np.int64]
    direct_t: float
    direct_e: int
    max_rounds: int


_BIG: Final = np.iinfo(np.int64).max // 4


def _levels_of(
    energy_wh: npt.NDArray[np.float64], level_wh: float
) -> npt.NDArray[np.int64]:
    out = np.full(energy_wh.shape, _BIG, dtype=np.int64)
    ok = np.isfinite(energy_wh)
    out[ok] = np.ceil(np.maximum(energy_wh[ok], 0.0) / level_wh - 1e-9).astype(np.int64)
    return out


def _closure(
    p: TripProblem, arr: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Plug in on arrival, then charge any amount up to ``max_charge``.

    Returns the earliest time plugged at each level and the arrival level it
    was charged from (a running minimum of ``plugged - F`` does every amount).
    """
    lev = np.arange(arr.shape[1])
    chargeable = (lev <= p.max_charge)[None, :]
    plugged = arr + p.plug_s[:, None]
    q = np.where(chargeable, plugged - p.profile, np.inf)
    run = np.minimum.accumulate(q, axis=1)
    from_lev = np.maximum.accumulate(
        np.where((q <= run) & np.isfinite(q), lev[None, :], 0), axis=1
    )
    closed = np.where(chargeable, np.minimum(run + p.profile, plugged), plugged)
    return closed, np.where(chargeable, from_lev, lev[None, :])


def _drive(
    p: TripProblem,
    plugged: npt.NDArray[np.float64],
    lb: npt.NDArray[np.float64] | None = None,
    limit: float = math.inf,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Drive hub i -> hub j: arrival at level a comes from level a + e_ij at i.

    Only pairs that can still beat ``limit`` are evaluated: the earliest state at
    ``i`` plus the leg plus the least remaining time at ``j`` (``lb``) must be
    below it. Pairs are grouped by target and reduced with ``reduceat``.
    """
    h, n_lev = plugged.shape
    arr = np.full((h, n_lev), np.inf)
    from_i = np.full((h, n_lev), -1, dtype=np.int64)
    from_s = np.full((h, n_lev), -1, dtype=np.int64)
    row_min = plugged.min(axis=1)
    ok = np.isfinite(row_min)[:, None] & np.isfinite(p.leg_t)
    if lb is not None and math.isfinite(limit):
        ok &= row_min[:, None] + p.leg_t + lb.min(axis=1)[None, :] < limit
    ii, jj = np.nonzero(ok.T)  # sorted by target j (rows of the transpose)
    if len(ii) == 0:
        return arr, from_i, from_s
    src_i, dst_j = jj, ii
    lev = np.arange(n_lev)
    src = lev[None, :] + p.leg_e[src_i, dst_j][:, None]  # pairs x a
    valid = (src < n_lev) & (lev >= p.min_stop)[None, :]
    src_c = np.where(valid, src, 0)
    cand = (
        np.where(valid, plugged[src_i[:, None], src_c], np.inf)
        + p.leg_t[src_i, dst_j][:, None]
    )
    targets, starts = np.unique(dst_j, return_index=True)
    best = np.minimum.reduceat(cand, starts, axis=0)
    counts = np.diff(np.append(starts, len(dst_j)))
    hit = (cand == np.repeat(best, counts, axis=0)) & np.isfinite(cand)
    pair = np.where(hit, np.arange(len(dst_j))[:, None], len(dst_j))
    first = np.minimum.reduceat(pair, starts, axis=0)  # targets x a
    found = first < len(dst_j)
    first_c = np.where(found, first, 0)
    arr[targets] = np.where(found, best, np.inf)
    from_i[targets] = np.where(found, src_i[first_c], -1)
    from_s[targets] = np.where(found, src_c[first_c, lev[None, :]], -1)
    return arr, from_i, from_s


def _lower_bound(p: TripProblem) -> npt.NDArray[np.float64]:
    """Admissible remaining time from (hub, level): drive to the destination plus
    the missing energy charged at the fastest rate found anywhere."""
    lev = np.arange(p.profile.shape[1])
    steps = np.diff(p.profile, axis=1)
    fastest = (
        float(steps[np.isfinite(steps)].min()) if np.isfinite(steps).any() else 0.0
    )
    missing = np.maximum(p.dest_e[:, None] + p.min_arrival - lev[None, :], 0)
    out: npt.NDArray[np.float64] = p.dest_t[:, None] + missing * max(fastest, 0.0)
    return out


def _solve(
    p: TripProblem, bound: float = math.inf
) -> tuple[float, list[tuple[int, int, int]]]:
    """Exact DP over (hub, level) by rounds; returns time and [(hub, arrive, depart)].

    ``bound`` is a known upper bound on the optimum (e.g. from a coarser
    grid): states that cannot beat it are pruned early.
    """
    h, n_lev = p.profile.shape
    best = math.inf
    best_end: tuple[int, int, int] | None = None  # (round, hub, depart level)
    if p.start - p.direct_e >= p.min_arrival and math.isfinite(p.direct_t):
        best = p.direct_t
    if h == 0:
        return best, []
    lev = np.arange(n_lev)
    lb = _lower_bound(p)
    # Round 0 arrivals come from the origin.
    arr = np.full((h, n_lev), np.inf)
    a0 = p.start - p.orig_e
    ok = (a0 >= p.min_stop) & np.isfinite(p.orig_t)
    arr[np.flatnonzero(ok), a0[ok]] = p.orig_t[ok]
    none = np.full((h, n_lev), -1, dtype=np.int64)
    arr_from: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = [(none, none)]
    charged_from: list[npt.NDArray[np.int64]] = []
    seen = np.full((h, n_lev), np.inf)  # best plugged time with >= level, any round
    dest_ok = (lev[None, :] - p.dest_e[:, None]) >= p.min_arrival
    for r in range(p.max_rounds):
        plugged, from_lev = _closure(p, arr)
        # Prune: not faster than an earlier round with at least this level, or than best.
        limit = min(best, bound)
        plugged = np.where((plugged >= seen) | (plugged + lb >= limit), np.inf, plugged)
        if not np.isfinite(plugged).any():
            break
        seen = np.minimum(
            seen, np.minimum.accumulate(plugged[:, ::-1], axis=1)[:, ::-1]
        )
        charged_from.append(from_lev)
        fin = np.where(dest_ok, plugged + p.dest_t[:, None], np.inf)
        k = int(np.argmin(fin))
        if fin.flat[k] < best:
            best = float(fin.flat[k])
            best_end = (r, k // n_lev, k % n_lev)
        if r + 1 >= p.max_rounds:
            break
        arr, from_i, from_s = _drive(p, plugged, lb, min(best, bound))
        arr_from.append((from_i, from_s))
        if not np.isfinite(arr).any() or np.min(arr) >= min(best, bound):
            break
    if best_end is None:
        return best, []
    # Backtrack from the last stop to the first.
    r, j, s = best_end
    stops: list[tuple[int, int, int]] = []
    while r >= 0:
        a = int(charged_from[r][j, s])
        stops.append((j, a, s))
        fi, fs = arr_from[r]
        j, s, r = int(fi[j, a]), int(fs[j, a]), r - 1
    stops.reverse()
    return best, stops


def solve_trip_problem(p: TripProblem) -> float:
    """Optimal total time (s) of a :class:`TripProblem`; ``inf`` when impossible."""
    return _solve_fast(p)[0]


def _coarse(p: TripProblem, factor: int) -> TripProblem:
    """The same trip on a grid ``factor`` times coarser (energies rounded up).

    Any plan of the coarse problem is a plan of the fine one that is no slower
    (its departure levels exist on the fine grid and it arrives with at least
    as much energy), so the coarse optimum bounds the fine one from above.
    """
    n_lev = p.profile.shape[1]
    idx = np.arange(0, n_lev, factor)

    def up(e: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return np.where(e >= _BIG, e, -(-e // factor))

    return replace(
        p,
        levels=p.levels[idx],
        start=p.start // factor,
        min_stop=-(-p.min_stop // factor),
        min_arrival=-(-p.min_arrival // factor),
        max_charge=p.max_charge // factor,
        profile=p.profile[:, idx],
        leg_e=up(p.leg_e),
        orig_e=up(p.orig_e),
        dest_e=up(p.dest_e),
        direct_e=int(up(np.array([p.direct_e]))[0]),
    )


def _solve_fast(p: TripProblem) -> tuple[float, list[tuple[int, int, int]]]:
    """:func:`_solve` with an upper bound from a 5x coarser grid first."""
    n_lev = p.profile.shape[1]
    factor = 5 if (n_lev - 1) % 5 == 0 and n_lev > 21 else 1
    if factor == 1 or p.profile.shape[0] < 2:
        return _solve(p)
    ub, _ = _solve(_coarse(p, factor))
    if not math.isfinite(ub):
        # The coarse grid can miss tight plans; search the fine grid unbounded.
        return _solve(p)
    return _solve(p, bound=ub * (1 + 1e-9) + 1.0)


def exhaustive_best_time(p: TripProblem, max_stops: int = 3) -> float:
    """Best time by enumerating every stop sequence and every charge level.

    The reference the search is checked against (tests, benchmark): exponential,
    so use it on instances with a handful of hubs.
    """
    h = p.profile.shape[0]
    best = math.inf
    if p.start - p.direct_e >= p.min_arrival:
        best = p.direct_t

    def go(i: int, level: int, t: float, depth: int, used: frozenset[int]) -> None:
        nonlocal best
        # at hub i plugged with `level`, time t; choose departure level d
        choices = range(level, p.max_charge + 1) if level <= p.max_charge else [level]
        for d in choices:
            td = t + p.profile[i, d] - p.profile[i, level]
            if td >= best:
                break
            if d - p.dest_e[i] >= p.min_arrival:
                best = min(best, td + p.dest_t[i])
            if depth < max_stops:
                for j in range(h):
                    if j in used or not np.isfinite(p.leg_t[i, j]):
                        continue
                    a = d - int(p.leg_e[i, j])
                    if a >= p.min_stop:
                        go(
                            j,
                            a,
                            td + p.leg_t[i, j] + p.plug_s[j],
                            depth + 1,
                            used | {j},
                        )

    for j in range(h):
        a = p.start - int(p.orig_e[j])
        if np.isfinite(p.orig_t[j]) and a >= p.min_stop:
            go(j, a, p.orig_t[j] + p.plug_s[j], 1, frozenset({j}))
    return best


# ---------------------------------------------------------------- planning


@dataclass(frozen=True, slots=True)
class _Endpoint:
    name: str
    snap: Snap
    cost: npt.NDArray[np.float64]  # 3 x anchors: time_s, len_km, v2len


def _endpoint(
    net: ChargerNetwork, name: str, lon: float, lat: float, limit_m: float
) -> _Endpoint:
    s = snap_point(net.graph, lon, lat, max_distance_m=limit_m)
    cost, sums = shortest_path_tree(
        net.graph, s, weight="time_s", edge_values=[net.edge_len_km, net.edge_v2len]
    )
    nodes = net.anchor_nodes
    return _Endpoint(name, s, np.stack([cost[nodes], sums[0][nodes], sums[1][nodes]]))


@dataclass(frozen=True, slots=True)
class _Ctx:
    """What every step of one segment's planning shares."""

    net: ChargerNetwork
    vehicle: Vehicle
    opts: TripOptions
    o: _Endpoint
    d: _Endpoint

    @property
    def factor(self) -> float:
        return consumption_factor(self.opts.temperature_c, self.opts.payload_kg)


def _direct(
    net: ChargerNetwork, a: Snap, b: Snap
) -> tuple[float, float, float, LineString]:
    """Fastest drive a -> b: time (s), length (km), sum of len_km * v^2, geometry."""
    path = shortest_path(net.graph, a, b, weight="time_s")
    if not path.nodes:
        e = path.edges[0]
        ln = path.length_m / 1000.0
        return path.time_s, ln, ln * _v2(net, e), path.geometry
    first, last = path.edges[0], path.edges[-1]
    inner = list(path.edges[1:-1])
    f_len = _partial_len(net, a, path.nodes[0])
    l_len = _partial_len(net, b, path.nodes[-1])
    ln = f_len + l_len + float(net.edge_len_km[inner].sum())
    v2 = (
        f_len * _v2(net, first)
        + l_len * _v2(net, last)
        + float(net.edge_v2len[inner].sum())
    )
    return path.time_s, ln, v2, path.geometry


def _v2(net: ChargerNetwork, e: int) -> float:
    return float(net.edge_v2len[e] / max(net.edge_len_km[e], 1e-12))


def _partial_len(net: ChargerNetwork, s: Snap, node: int) -> float:
    frac = s.fraction if node == s.u else 1.0 - s.fraction
    return frac * float(net.edge_len_km[s.edge])


def _energy_wh(
    vehicle: Vehicle,
    factor: float,
    len_km: npt.NDArray[np.float64] | float,
    v2len: npt.NDArray[np.float64] | float,
) -> npt.NDArray[np.float64]:
    a, b = vehicle.consumption_coeffs
    floor = 0.4 * vehicle.consumption_wh_per_km_50
    raw = a * np.asarray(len_km, dtype=np.float64) + b * np.asarray(
        v2len, dtype=np.float64
    )
    return factor * np.maximum(raw, floor * np.asarray(len_km, dtype=np.float64))


def plan_route(
    net: ChargerNetwork,
    vehicle: Vehicle,
    origin: tuple[float, float],
    destination: tuple[float, float],
    options: TripOptions | None = None,
    *,
    origin_name: str = "origin",
    destination_name: str = "destination",
    vias: Sequence[tuple[str, tuple[float, float]]] = (),
    candidate_sites: Sequence[CandidateSite] = (),
) -> RoutePlan | ImpossibleTrip:
    """Plan charging stops that minimise total time from ``origin`` to ``destination``.

    Parameters
    ----------
    net
        Chargers on the road graph (:func:`build_charger_network`).
    vehicle
        The car (:class:`planning.vehicles.Vehicle`).
    origin, destination
        ``(lon, lat)`` in EPSG:4326.
    options
        SoC limits, temperature, payload, penalties (:class:`TripOptions`).
    origin_name, destination_name
        Labels used in legs and explanations.
    vias
        ``(name, (lon, lat))`` points to pass in order. Each segment is planned
        optimally given the SoC at the previous via (the whole trip is not
        optimised jointly across vias).
    candidate_sites
        Planned or candidate sites, used only to explain an impossible trip.

    Returns
    -------
    RoutePlan or ImpossibleTrip

    Raises
    ------
    geo.errors.TooFarFromRoadError
        A point is farther from the road network than ``options.snap_limit_m``.
    geo.errors.NoRouteError
        No road connects the points.
    InvalidTripError
        Inconsistent options.
    """
    opts = options or TripOptions()
    points = [(origin_name, origin), *vias, (destination_name, destination)]
    legs: list[RouteLeg] = []
    stops: list[ChargingStop] = []
    snaps: list[float] = []
    soc = opts.start_soc
    for k in range(len(points) - 1):
        last = k == len(points) - 2
        seg_opts = replace(
            opts,
            start_soc=soc,
            min_soc_stop=min(opts.min_soc_stop, soc),
            min_soc_arrival=opts.min_soc_arrival if last else opts.min_soc_stop,
        )
        res = _plan_segment(
            net,
            vehicle,
            points[k],
            points[k + 1],
            opts=seg_opts,
            candidate_sites=candidate_sites,
        )
        if isinstance(res, ImpossibleTrip):
            return res
        legs += res.legs
        stops += res.stops
        snaps += res.snap_distances_m if k == 0 else res.snap_distances_m[1:]
        soc = res.arrival_soc
    coords: list[tuple[float, float]] = []
    for leg in legs:
        c = [(float(x), float(y)) for x, y, *_ in leg.geometry.coords]
        coords += c if not coords else c[1:]
    if len(coords) < 2:
        coords = coords * 2 if coords else [(origin[0], origin[1])] * 2
    drive = sum(leg.drive_s for leg in legs)
    charge = sum(s.charge_s for s in stops)
    wait = sum(s.wait_s for s in stops)
    return RoutePlan(
        vehicle_id=vehicle.id,
        legs=tuple(legs),
        stops=tuple(stops),
        length_m=sum(leg.length_m for leg in legs),
        drive_s=drive,
        charge_s=charge,
        wait_s=wait,
        total_s=drive + charge + wait,
        energy_kwh=sum(leg.energy_kwh for leg in legs),
        cost_uzs=sum(s.cost_uzs for s in stops),
        arrival_soc=soc,
        geometry=LineString(coords),
        snap_distances_m=tuple(snaps),
    )


@dataclass(frozen=True, slots=True)
class _Candidates:
    """Usable hubs of one trip, after dominance pruning, with their end legs."""

    hubs: list[_Hub]
    penalty: npt.NDArray[np.float64]
    ol: npt.NDArray[np.float64]  # 3 x H: origin -> hub
    dl: npt.NDArray[np.float64]  # 3 x H: hub -> destination
    compatible: int
    offline: int


def _candidates(ctx: _Ctx) -> _Candidates:
    net, vehicle, opts = ctx.net, ctx.vehicle, ctx.opts
    hubs, compatible, offline = _hubs(net, vehicle, opts)
    if opts.merge_m > 0:
        hubs = _merge_nearby(net, hubs, opts.merge_m)
    ci = np.array([hb.charger for hb in hubs], dtype=np.int64)
    penalty = np.array([opts.busy_penalty_s if hb.busy else 0.0 for hb in hubs])
    acc_e = _energy_wh(vehicle, ctx.factor, net.acc[ci, :, 1], net.acc[ci, :, 2])
    keep = _prune_dominated(hubs, net, vehicle, penalty, acc_e.reshape(len(hubs), 2))
    hubs = [hubs[k] for k in keep]
    ci = ci[keep]
    return _Candidates(
        hubs=hubs,
        penalty=penalty[keep],
        ol=_endpoint_legs(net, ctx.o, ci),
        dl=_endpoint_legs(net, ctx.d, ci),
        compatible=compatible,
        offline=offline,
    )


def _merge_nearby(net: ChargerNetwork, hubs: list[_Hub], merge_m: float) -> list[_Hub]:
    """One hub per (road edge, stretch of ``merge_m``, charging power, busy):
    the station nearest the road."""
    best: dict[tuple[int, int, float, bool, bool], _Hub] = {}
    for hb in hubs:
        e = int(net.edge[hb.charger])
        along_m = net.frac[hb.charger] * net.edge_len_km[e] * 1000.0
        key = (e, int(along_m // merge_m), hb.power_kw, hb.dc, hb.busy)
        old = best.get(key)
        if old is None or net.off[hb.charger, 1] < net.off[old.charger, 1]:
            best[key] = hb
    return sorted(best.values(), key=lambda h: (h.charger, h.connector_type))


def _build_problem(
    ctx: _Ctx,
    direct: tuple[float, float, float],
    cand: _Candidates,
    subset: npt.NDArray[np.int64],
    soc_step: float,
) -> TripProblem:
    """The discretised instance over the hubs ``subset`` of ``cand``."""
    net, vehicle, opts = ctx.net, ctx.vehicle, ctx.opts
    factor = ctx.factor
    n_lev = round(1.0 / soc_step) + 1
    levels = np.linspace(0.0, 1.0, n_lev)
    step = float(levels[1] - levels[0])
    level_wh = vehicle.battery_kwh * 1000.0 * step
    hubs = [cand.hubs[k] for k in subset]
    cache: dict[tuple[float, bool], npt.NDArray[np.float64]] = {}
    for hb in hubs:
        if (hb.power_kw, hb.dc) not in cache:
            cache[hb.power_kw, hb.dc] = _charge_profile(vehicle, hb, levels)
    ci = np.array([hb.charger for hb in hubs], dtype=np.int64)
    legs = _hub_legs(net, ci, ci)
    leg_t = legs[0]
    if len(ci):
        np.fill_diagonal(leg_t, np.inf)
    leg_e = _levels_of(_energy_wh(vehicle, factor, legs[1], legs[2]), level_wh)
    ol, dl = cand.ol[:, subset], cand.dl[:, subset]
    direct_e = _levels_of(
        np.asarray([_energy_wh(vehicle, factor, direct[1], direct[2])]), level_wh
    )[0]
    return TripProblem(
        levels=levels,
        start=math.floor(opts.start_soc / step + 1e-9),
        min_stop=math.ceil(opts.min_soc_stop / step - 1e-9),
        min_arrival=math.ceil(opts.min_soc_arrival / step - 1e-9),
        max_charge=math.floor(opts.max_charge_soc / step + 1e-9),
        profile=np.array([cache[hb.power_kw, hb.dc] for hb in hubs]).reshape(
            len(hubs), n_lev
        ),
        plug_s=opts.stop_overhead_s + cand.penalty[subset],
        leg_t=leg_t,
        leg_e=leg_e,
        orig_t=ol[0],
        orig_e=_levels_of(_energy_wh(vehicle, factor, ol[1], ol[2]), level_wh),
        dest_t=dl[0],
        dest_e=_levels_of(_energy_wh(vehicle, factor, dl[1], dl[2]), level_wh),
        direct_t=direct[0],
        direct_e=int(direct_e),
        max_rounds=opts.max_stops,
    )


#: Corridor widths (seconds of detour) tried for the first, bounding plan.
_CORRIDORS: Final = (1800.0, 7200.0, math.inf)
#: Hubs per road edge (and per charging class) in the bounding plan.
_BOUND_PER_EDGE: Final = 2


def _lower_bounds(ctx: _Ctx, cand: _Candidates) -> npt.NDArray[np.float64]:
    """Least time of any plan that stops at hub j (s), for every hub.

    Fastest legs origin -> j -> destination, the plug-in time, and the energy the
    battery cannot hold charged at the fastest power of any hub.
    """
    opts, vehicle = ctx.opts, ctx.vehicle
    e_via = _energy_wh(
        vehicle, ctx.factor, cand.ol[1] + cand.dl[1], cand.ol[2] + cand.dl[2]
    )
    have = (
        max(opts.start_soc - opts.min_soc_arrival, 0.0) * vehicle.battery_kwh * 1000.0
    )
    top_kw = max((h.power_kw for h in cand.hubs), default=1.0)
    charge_s = np.maximum(e_via - have, 0.0) / (top_kw * 1000.0) * 3600.0
    out: npt.NDArray[np.float64] = (
        cand.ol[0] + cand.dl[0] + opts.stop_overhead_s + cand.penalty + charge_s
    )
    return out


def _bounding_hubs(
    ctx: _Ctx, cand: _Candidates, lower: npt.NDArray[np.float64], limit: float
) -> npt.NDArray[np.int64]:
    """A small spread of promising hubs: per road edge, the best of each class."""
    ok = np.flatnonzero(lower <= limit)
    best: dict[tuple[int, float, bool], list[int]] = {}
    for k in ok[np.argsort(lower[ok], kind="stable")]:
        hb = cand.hubs[k]
        key = (int(ctx.net.edge[hb.charger]), hb.power_kw, hb.dc)
        group = best.setdefault(key, [])
        if len(group) < _BOUND_PER_EDGE:
            group.append(int(k))
    return np.array(sorted(k for g in best.values() for k in g), dtype=np.int64)


def _search(
    ctx: _Ctx, direct: tuple[float, float, float], cand: _Candidates
) -> tuple[float, list[tuple[int, int, int]], TripProblem, list[_Hub]]:
    """Optimal plan over all candidate hubs, exploring only the useful ones.

    1. A bounding plan on a small spread of hubs near the route (per road edge,
       the best hubs of each charging class). Any plan found is a real plan, so
       its time ``ub`` bounds the optimum from above.
    2. A plan that stops at hub ``j`` takes at least :func:`_lower_bounds`
       ``[j]``; hubs whose bound exceeds ``ub`` cannot be in an optimal plan, and
       the exact search runs on the rest, pruned by ``ub``.
    If no bounding plan exists, the exact search runs on every hub.
    """
    opts = ctx.opts
    lower = _lower_bounds(ctx, cand)
    ub = math.inf
    for width in _CORRIDORS:
        few = _bounding_hubs(ctx, cand, lower, direct[0] + width)
        if len(few):
            ub = _solve(_build_problem(ctx, direct, cand, few, opts.soc_step))[0]
        if math.isfinite(ub):
            break
    subset = (
        np.flatnonzero(lower < ub + 1.0)
        if math.isfinite(ub)
        else np.arange(len(cand.hubs))
    )
    prob = _build_problem(ctx, direct, cand, subset, opts.soc_step)
    best, seq = (
        _solve(prob, bound=ub * (1 + 1e-9) + 1.0)
        if math.isfinite(ub)
        else _solve_fast(prob)
    )
    return best, seq, prob, [cand.hubs[k] for k in subset]


def trip_problem(
    net: ChargerNetwork,
    vehicle: Vehicle,
    origin: tuple[float, float],
    destination: tuple[float, float],
    options: TripOptions | None = None,
) -> TripProblem:
    """The discretised search instance of one trip (for verification and benchmarks)."""
    opts = options or TripOptions()
    o = _endpoint(net, "origin", origin[0], origin[1], opts.snap_limit_m)
    d = _endpoint(net, "destination", destination[0], destination[1], opts.snap_limit_m)
    ctx = _Ctx(net, vehicle, opts, o, d)
    cand = _candidates(ctx)
    subset = np.arange(len(cand.hubs))
    return _build_problem(
        ctx, _direct(net, o.snap, d.snap)[:3], cand, subset, opts.soc_step
    )


def search_time(
    net: ChargerNetwork,
    vehicle: Vehicle,
    origin: tuple[float, float],
    destination: tuple[float, float],
    options: TripOptions | None = None,
) -> float:
    """Optimal time (s) as :func:`plan_route` searches it (for verification)."""
    opts = options or TripOptions()
    o = _endpoint(net, "origin", origin[0], origin[1], opts.snap_limit_m)
    d = _endpoint(net, "destination", destination[0], destination[1], opts.snap_limit_m)
    ctx = _Ctx(net, vehicle, opts, o, d)
    return _search(ctx, _direct(net, o.snap, d.snap)[:3], _candidates(ctx))[0]


def _plan_segment(
    net: ChargerNetwork,
    vehicle: Vehicle,
    a: tuple[str, tuple[float, float]],
    b: tuple[str, tuple[float, float]],
    *,
    opts: TripOptions,
    candidate_sites: Sequence[CandidateSite],
) -> RoutePlan | ImpossibleTrip:
    o = _endpoint(net, a[0], a[1][0], a[1][1], opts.snap_limit_m)
    d = _endpoint(net, b[0], b[1][0], b[1][1], opts.snap_limit_m)
    ctx = _Ctx(net, vehicle, opts, o, d)
    direct = _direct(net, o.snap, d.snap)
    cand = _candidates(ctx)
    best, seq, prob, hubs = _search(ctx, direct[:3], cand)
    if not math.isfinite(best):
        return _explain(ctx, hubs, (cand.compatible, cand.offline), candidate_sites)
    return _assemble(ctx, prob, hubs, seq, direct)


def _leg(
    ctx: _Ctx,
    names: tuple[str, str],
    cost: tuple[float, float, float],
    soc: float,
    geom: LineString,
) -> RouteLeg:
    t, ln, v2 = cost
    e_wh = float(_energy_wh(ctx.vehicle, ctx.factor, ln, v2))
    arrival = soc - e_wh / (ctx.vehicle.battery_kwh * 1000.0)
    return RouteLeg(
        names[0], names[1], ln * 1000.0, t, e_wh / 1000.0, soc, arrival, geom
    )


def _hub_snap(ctx: _Ctx, hb: _Hub) -> Snap:
    snap = ctx.net.snaps[hb.charger]
    if snap is None:  # pragma: no cover - hubs only come from snapped chargers
        raise ValueError(
            f"charger {ctx.net.chargers[hb.charger].id} is off the network"
        )
    return snap


def _stop(ctx: _Ctx, hb: _Hub, arrival: float, target: float) -> ChargingStop:
    c = ctx.net.chargers[hb.charger]
    opts = ctx.opts
    minutes = ctx.vehicle.charge_minutes(arrival, target, hb.power_kw, dc=hb.dc)
    bought = (target - arrival) * ctx.vehicle.battery_kwh / opts.charge_efficiency
    return ChargingStop(
        charger_id=c.id,
        name=c.name,
        lon=c.lon,
        lat=c.lat,
        connector_type=hb.connector_type,
        power_kw=hb.power_kw,
        arrival_soc=arrival,
        departure_soc=target,
        charge_s=minutes * 60.0,
        wait_s=opts.stop_overhead_s + (opts.busy_penalty_s if hb.busy else 0.0),
        energy_kwh=bought,
        cost_uzs=round(bought * c.price_uzs_per_kwh),
        busy=hb.busy,
    )


def _assemble(
    ctx: _Ctx,
    prob: TripProblem,
    hubs: list[_Hub],
    seq: list[tuple[int, int, int]],
    direct: tuple[float, float, float, LineString],
) -> RoutePlan:
    net, o, d = ctx.net, ctx.o, ctx.d
    step = float(prob.levels[1] - prob.levels[0])
    legs: list[RouteLeg] = []
    stops: list[ChargingStop] = []
    soc = ctx.opts.start_soc
    if not seq:
        legs.append(_leg(ctx, (o.name, d.name), direct[:3], soc, direct[3]))
        return _plan_of(ctx, legs, stops)
    prev_name, prev_snap = o.name, o.snap
    prev: _Hub | None = None
    for j, _, depart_level in seq:
        hb = hubs[j]
        c = net.chargers[hb.charger]
        one = np.array([hb.charger], dtype=np.int64)
        if prev is None:
            cost_arr = _endpoint_legs(net, o, one)[:, 0]
        else:
            cost_arr = _hub_legs(net, np.array([prev.charger], dtype=np.int64), one)[
                :, 0, 0
            ]
        cost = (float(cost_arr[0]), float(cost_arr[1]), float(cost_arr[2]))
        snap = _hub_snap(ctx, hb)
        geom = shortest_path(net.graph, prev_snap, snap, weight="time_s").geometry
        leg = _leg(ctx, (prev_name, c.name), cost, soc, geom)
        legs.append(leg)
        target = max(depart_level * step, leg.arrival_soc)
        stops.append(_stop(ctx, hb, leg.arrival_soc, target))
        soc = target
        prev_name, prev_snap, prev = c.name, snap, hb
    assert prev is not None  # noqa: S101  # seq is not empty
    last = _endpoint_legs(net, d, np.array([prev.charger], dtype=np.int64))[:, 0]
    cost = (float(last[0]), float(last[1]), float(last[2]))
    geom = shortest_path(net.graph, prev_snap, d.snap, weight="time_s").geometry
    legs.append(_leg(ctx, (prev_name, d.name), cost, soc, geom))
    return _plan_of(ctx, legs, stops)


def _plan_of(ctx: _Ctx, legs: list[RouteLeg], stops: list[ChargingStop]) -> RoutePlan:
    coords: list[tuple[float, float]] = []
    for leg in legs:
        c = [(float(x), float(y)) for x, y, *_ in leg.geometry.coords]
        coords += c if not coords else c[1:]
    if len(coords) < 2:
        coords = (coords or [(ctx.o.snap.snapped_lon, ctx.o.snap.snapped_lat)]) * 2
    drive = sum(leg.drive_s for leg in legs)
    charge = sum(s.charge_s for s in stops)
    wait = sum(s.wait_s for s in stops)
    return RoutePlan(
        vehicle_id=ctx.vehicle.id,
        legs=tuple(legs),
        stops=tuple(stops),
        length_m=sum(leg.length_m for leg in legs),
        drive_s=drive,
        charge_s=charge,
        wait_s=wait,
        total_s=drive + charge + wait,
        energy_kwh=sum(leg.energy_kwh for leg in legs),
        cost_uzs=sum(s.cost_uzs for s in stops),
        arrival_soc=legs[-1].arrival_soc,
        geometry=LineString(coords),
        snap_distances_m=(ctx.o.snap.distance_m, ctx.d.snap.distance_m),
    )


# ---------------------------------------------------------------- impossible trips


def _explain(
    ctx: _Ctx,
    hubs: list[_Hub],
    counts: tuple[int, int],
    candidate_sites: Sequence[CandidateSite],
) -> ImpossibleTrip:
    """Longest stretch of the fastest route without a usable charger, and fixes."""
    net, vehicle, opts, o, d = ctx.net, ctx.vehicle, ctx.opts, ctx.o, ctx.d
    path = shortest_path(net.graph, o.snap, d.snap, weight="time_s")
    total_km = path.length_m / 1000.0
    # Stops available on the route: origin, usable hubs on it, destination.
    marks: list[tuple[float, str, float, float]] = [
        (0.0, o.name, o.snap.snapped_lon, o.snap.snapped_lat)
    ]
    for hb in hubs:
        sn = net.snaps[hb.charger]
        at = _along(path.geometry, sn, total_km) if sn is not None else None
        if at is not None:
            c = net.chargers[hb.charger]
            marks.append((at, c.name, c.lon, c.lat))
    marks.append((total_km, d.name, d.snap.snapped_lon, d.snap.snapped_lat))
    marks.sort(key=lambda m: m[0])
    gaps = [(b[0] - a[0], a, b) for a, b in itertools.pairwise(marks)]
    length, a, b = max(gaps, key=lambda g: g[0])
    avg_kmh = path.length_m / max(path.time_s, 1e-9) * 3.6
    per_km = vehicle.consumption_wh_per_km(avg_kmh) * ctx.factor
    usable = max(
        opts.max_charge_soc - max(opts.min_soc_stop, opts.min_soc_arrival), 0.0
    )
    usable_kwh = usable * vehicle.battery_kwh
    range_km = usable_kwh * 1000.0 / per_km
    gap = Gap(
        a[1],
        b[1],
        a[2],
        a[3],
        b[2],
        b[3],
        length,
        length * per_km / 1000.0,
        usable_kwh,
        range_km,
    )
    start_range = (
        max(opts.start_soc - opts.min_soc_stop, 0.0)
        * vehicle.battery_kwh
        * 1000
        / per_km
    )
    first_km = marks[1][0]
    if length <= range_km and first_km > start_range:
        reason = (
            f"the start SoC ({opts.start_soc:.0%}) reaches only about {start_range:.0f} km; "
            f"the first usable charger on the way ({marks[1][1]}) is {first_km:.0f} km away"
        )
    elif length > range_km:
        reason = (
            f"{length:.0f} km between {a[1]} and {b[1]} without a compatible working "
            f"charger; the {vehicle.name} covers about {range_km:.0f} km between "
            f"{opts.max_charge_soc:.0%} and the minimum SoC on this road"
        )
    else:
        reason = (
            "no sequence of compatible working chargers connects the trip within the "
            f"vehicle's range; the longest stretch without one is {length:.0f} km "
            f"between {a[1]} and {b[1]}"
        )
    in_gap = _sites_in_gap(ctx, path.geometry, total_km, (a[0], b[0]), candidate_sites)
    with_all = bool(in_gap) and _feasible_with(ctx, in_gap)
    # Adding chargers never makes a trip harder: if all together do not help,
    # none alone does.
    fixes = [
        SiteFix(
            s, (with_all and _feasible_with(ctx, [s])) if k < _SITES_CHECKED else None
        )
        for k, s in enumerate(in_gap)
    ]
    return ImpossibleTrip(
        vehicle_id=vehicle.id,
        reason=reason,
        gap=gap,
        sites=tuple(fixes),
        possible_with_all_sites=with_all,
        compatible_chargers=counts[0],
        skipped_offline=counts[1],
    )


def _site_as_charger(site: CandidateSite) -> Charger:
    types = site.connector_types or tuple(sorted(DC_CONNECTORS))
    power = site.power_kw or 60.0
    return Charger(
        id=f"{site.kind}:{site.id}",
        name=site.name,
        lon=site.lon,
        lat=site.lat,
        connectors=tuple(ChargerConnector(t, power) for t in types),
        price_uzs_per_kwh=0,
    )


def _feasible_with(ctx: _Ctx, sites: Sequence[CandidateSite]) -> bool:
    """Would the trip be possible with these sites built (as 'available')?"""
    opts = ctx.opts
    extra = [_site_as_charger(s) for s in sites]
    net2 = build_charger_network(
        ctx.net.graph,
        [*ctx.net.chargers, *extra],
        snap_limit_m=opts.snap_limit_m,
        base=ctx.net,
    )
    o2 = _endpoint(net2, ctx.o.name, ctx.o.snap.lon, ctx.o.snap.lat, opts.snap_limit_m)
    d2 = _endpoint(net2, ctx.d.name, ctx.d.snap.lon, ctx.d.snap.lat, opts.snap_limit_m)
    ctx2 = _Ctx(net2, ctx.vehicle, opts, o2, d2)
    best, _, _, _ = _search(
        ctx2, _direct(net2, o2.snap, d2.snap)[:3], _candidates(ctx2)
    )
    return math.isfinite(best)


def _along(route: LineString, sn: Snap, total_km: float) -> float | None:
    """Km along ``route`` of a snapped point lying on it (``None`` when off it)."""
    p = Point(sn.snapped_lon, sn.snapped_lat)
    if route.distance(p) > 2e-3:  # about 200 m: the point is on another road
        return None
    return float(route.project(p, normalized=True)) * total_km


def _sites_in_gap(
    ctx: _Ctx,
    route: LineString,
    total_km: float,
    gap_km: tuple[float, float],
    sites: Sequence[CandidateSite],
) -> list[CandidateSite]:
    """Up to 10 sites with a compatible connector on the route inside the gap,
    nearest to the middle of the gap first."""
    out: list[tuple[float, CandidateSite]] = []
    for s in sites:
        types = set(s.connector_types) or set(DC_CONNECTORS)
        if not types & ctx.vehicle.connectors:
            continue
        try:
            sn = snap_point(
                ctx.net.graph, s.lon, s.lat, max_distance_m=ctx.opts.snap_limit_m
            )
        except ValueError:
            continue  # too far from any road to count as on the route
        at = _along(route, sn, total_km)
        if at is not None and gap_km[0] < at < gap_km[1]:
            out.append((at, s))
    mid = (gap_km[0] + gap_km[1]) / 2
    out.sort(key=lambda item: (abs(item[0] - mid), item[1].kind, item[1].id))
    return [site for _, site in out[:10]]
