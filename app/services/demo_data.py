"""Generate the DEMO layers of the Uzbekistan sample from real published facts.

No open data exists for most of Uzbekistan's charging stations, the grid's spare
capacity, cadastre parcels or the rollout plan. This module generates stand-ins
for them, deterministically (one explicit ``numpy.random.Generator``), from real
inputs: GeoNames towns (position, population), the 14 region polygons, the
schematic main roads and the station counts published by the Ministry of Economy
and Finance (``data/uz/facts_ev_energy.csv``). Every generated row is labelled
``source = 'demo'`` by the caller. The rules are documented in
``docs/demo-data.md``; keep both in step.

This module is pure: inputs in, frozen dataclasses out (no database, no files).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import networkx as nx
import numpy as np
from pyproj import Geod
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.prepared import prep

SEED: Final = 20250501
DEMO: Final = "demo"
_GEOD: Final = Geod(ellps="WGS84")

#: Demo operators: names say they are demo, so none can pass for a real company.
DEMO_OPERATORS: Final = (
    "Demo Operator A",
    "Demo Operator B",
    "Demo Operator C",
    "Demo Operator D",
    "Demo Operator E",
)
_OPERATOR_WEIGHTS: Final = (0.34, 0.26, 0.18, 0.12, 0.10)

#: Charge points per site: 1..4 with these probabilities.
_CP_PER_SITE_P: Final = (0.45, 0.30, 0.15, 0.10)
#: Share of DC charge points; AC ones are 7 or 22 kW Type 2.
_DC_SHARE: Final = 0.5
_AC_POWERS_KW: Final = (7, 22)
_AC_POWER_P: Final = (0.35, 0.65)
_DC_POWERS_KW: Final = (60, 120, 160)
_DC_POWER_P: Final = (0.45, 0.35, 0.20)
#: Demo connector statuses (a snapshot, not live data).
_STATUSES: Final = ("Available", "Occupied", "Unavailable", "Faulted")
_STATUS_P: Final = (0.72, 0.16, 0.07, 0.05)

_LAND_USES: Final = (
    "commercial",
    "industrial",
    "transport",
    "public",
    "residential",
    "agricultural",
)
_LAND_USE_P: Final = (0.30, 0.20, 0.15, 0.15, 0.10, 0.10)
_OWNER_TYPES: Final = ("state", "municipal", "private", "leased")
_OWNER_P: Final = (0.35, 0.30, 0.25, 0.10)
_PARCEL_STATUSES: Final = ("clear", "disputed", "encumbered", "pending")
_PARCEL_STATUS_P: Final = (0.70, 0.10, 0.10, 0.10)


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class Town:
    """A GeoNames populated place (lon/lat in EPSG:4326)."""

    geonameid: int
    name: str
    region_iso: str
    population: int
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class StationFacts:
    """Published station counts (facts_ev_energy.csv, topic ``charging``)."""

    total: int
    as_of: str
    #: Latest published count per region ISO code, with its own total and date.
    regional: Mapping[str, int]
    #: The national total at the date of each regional figure, to rescale it.
    regional_basis_total: Mapping[str, int]
    #: Share of stations in Tashkent city + Tashkent region ("capital + region ~70%").
    capital_and_region_share: float


# ---------------------------------------------------------------- outputs


@dataclass(frozen=True, slots=True)
class DemoConnector:
    connector_id: int
    type: str
    max_power_kw: int
    status: str


@dataclass(frozen=True, slots=True)
class DemoEvse:
    evse_id: int
    status: str
    connectors: tuple[DemoConnector, ...]


@dataclass(frozen=True, slots=True)
class DemoChargePoint:
    id: str
    evses: tuple[DemoEvse, ...]


@dataclass(frozen=True, slots=True)
class DemoSite:
    ext_id: str
    name: str
    city: str
    region_iso: str
    operator: str
    lon: float
    lat: float
    charge_points: tuple[DemoChargePoint, ...]


@dataclass(frozen=True, slots=True)
class DemoPlannedSite:
    ext_id: str
    name: str
    year: int
    phase: str
    power_kw: int
    connector_types: tuple[str, ...]
    region_iso: str
    placement: str
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class DemoSubstation:
    ext_id: str
    name: str
    voltage_kv: float
    capacity_kw: float
    spare_kw: float
    region_iso: str
    town: str
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class DemoGridLine:
    ext_id: str
    from_ext_id: str
    to_ext_id: str
    voltage_kv: float
    capacity_kw: float
    spare_kw: float
    coords: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class DemoParcel:
    ext_id: str
    land_use: str
    owner_type: str
    status: str
    area_m2: float
    region_iso: str
    near: str
    ring: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class DemoLayers:
    """Everything generated, plus the per-region station allocation used."""

    sites: tuple[DemoSite, ...]
    planned_sites: tuple[DemoPlannedSite, ...]
    substations: tuple[DemoSubstation, ...]
    grid_lines: tuple[DemoGridLine, ...]
    parcels: tuple[DemoParcel, ...]
    stations_by_region: Mapping[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------- allocation


def largest_remainder(weights: Mapping[str, float], total: int) -> dict[str, int]:
    """Split ``total`` into integers proportional to ``weights`` (Hamilton method).

    Examples
    --------
    >>> largest_remainder({"a": 1.0, "b": 1.0, "c": 1.0}, 10)
    {'a': 4, 'b': 3, 'c': 3}
    """
    keys = sorted(weights)
    wsum = sum(weights[k] for k in keys)
    if total <= 0 or wsum <= 0:
        return dict.fromkeys(keys, 0)
    quotas = {k: total * weights[k] / wsum for k in keys}
    out = {k: math.floor(q) for k, q in quotas.items()}
    rest = total - sum(out.values())
    for k in sorted(keys, key=lambda k: (-(quotas[k] - out[k]), k))[:rest]:
        out[k] += 1
    return out


def allocate_stations(
    facts: StationFacts,
    region_population: Mapping[str, int],
    real_by_region: Mapping[str, int],
) -> dict[str, int]:
    """Number of DEMO stations per region.

    Rules (docs/demo-data.md): Tashkent city gets its published count; Tashkent
    region gets ``capital_and_region_share * total`` minus Tashkent city; the other
    regions share the rest in proportion to their latest published count rescaled
    to the same national total, or, where none is published, to population times
    the per-capita rate of the regions with a figure. Real stations already known
    in a region are subtracted, so real + demo equals the published figures.
    """
    total = facts.total
    tk = facts.regional["UZ-TK"]
    to = round(facts.capital_and_region_share * total) - tk
    fixed = {"UZ-TK": tk, "UZ-TO": to}
    rest_regions = [r for r in region_population if r not in fixed]
    published = {
        r: facts.regional[r] * total / facts.regional_basis_total[r]
        for r in rest_regions
        if r in facts.regional
    }
    pub_pop = sum(region_population[r] for r in published)
    # stations per person where published; with none published, population alone
    rate = sum(published.values()) / pub_pop if pub_pop else 1.0
    weights = {r: published.get(r, region_population[r] * rate) for r in rest_regions}
    counts = {**fixed, **largest_remainder(weights, total - tk - to)}
    return {r: max(0, counts[r] - real_by_region.get(r, 0)) for r in counts}


# ---------------------------------------------------------------- geometry helpers


def town_radius_m(population: int) -> float:
    """Radius of a town's built-up area used for jitter, from its population.

    Examples
    --------
    >>> round(town_radius_m(1_000_000))
    6100
    """
    return 600.0 + 5500.0 * math.sqrt(max(population, 0) / 1_000_000)


def _offset(lon: float, lat: float, dx_m: float, dy_m: float) -> tuple[float, float]:
    """The point ``dx_m`` east and ``dy_m`` north of (lon, lat), geodesically."""
    az = math.degrees(math.atan2(dx_m, dy_m))
    lon2, lat2, _ = _GEOD.fwd(lon, lat, az, math.hypot(dx_m, dy_m))
    return float(lon2), float(lat2)


def _jitter_in(
    rng: np.random.Generator,
    town: Town,
    radius_m: float,
    region: Polygon | MultiPolygon,
    tries: int = 30,
) -> tuple[float, float]:
    """Uniform point in the town disk that falls inside its region polygon."""
    for _ in range(tries):
        r = radius_m * math.sqrt(rng.random())
        a = 2 * math.pi * rng.random()
        lon, lat = _offset(town.lon, town.lat, r * math.cos(a), r * math.sin(a))
        if region.contains(Point(lon, lat)):
            return round(lon, 6), round(lat, 6)
    return round(town.lon, 6), round(town.lat, 6)


def _weighted_towns(
    towns: Sequence[Town], rng: np.random.Generator, n: int
) -> list[Town]:
    if n == 0 or not towns:
        return []
    pops = np.array([max(t.population, 1) for t in towns], dtype=np.float64)
    idx = rng.choice(len(towns), size=n, p=pops / pops.sum())
    return [towns[int(i)] for i in idx]


# ---------------------------------------------------------------- generators


def _charge_point(rng: np.random.Generator, cp_id: str) -> DemoChargePoint:
    dc = rng.random() < _DC_SHARE
    n_evse = int(rng.choice((1, 2), p=(0.4, 0.6)))
    if dc:
        power = int(rng.choice(_DC_POWERS_KW, p=_DC_POWER_P))
    else:
        power = int(rng.choice(_AC_POWERS_KW, p=_AC_POWER_P))
    evses = []
    for e in range(1, n_evse + 1):
        ctype = ("GBT_DC" if rng.random() < 0.5 else "CCS2") if dc else "TYPE2"
        status = str(rng.choice(_STATUSES, p=_STATUS_P))
        evses.append(DemoEvse(e, status, (DemoConnector(1, ctype, power, status),)))
    return DemoChargePoint(cp_id, tuple(evses))


def generate_sites(
    rng: np.random.Generator,
    towns_by_region: Mapping[str, Sequence[Town]],
    regions: Mapping[str, Polygon | MultiPolygon],
    allocation: Mapping[str, int],
) -> list[DemoSite]:
    """Demo existing stations: ``allocation[region]`` sites near that region's towns."""
    sites: list[DemoSite] = []
    operators = np.array(DEMO_OPERATORS)
    for iso in sorted(allocation):
        region = prep(regions[iso])
        picks = _weighted_towns(towns_by_region.get(iso, ()), rng, allocation[iso])
        for k, town in enumerate(picks, start=1):
            ext_id = f"{iso}-{k:05d}"
            lon, lat = _jitter_in(
                rng,
                town,
                town_radius_m(town.population),
                region,  # type: ignore[arg-type]  # prepared geometry has contains()
            )
            n_cp = int(rng.choice((1, 2, 3, 4), p=_CP_PER_SITE_P))
            cps = tuple(_charge_point(rng, f"{ext_id}-{j}") for j in range(1, n_cp + 1))
            sites.append(
                DemoSite(
                    ext_id=ext_id,
                    name=f"Demo station {town.name} {k}",
                    city=town.name,
                    region_iso=iso,
                    operator=str(rng.choice(operators, p=_OPERATOR_WEIGHTS)),
                    lon=lon,
                    lat=lat,
                    charge_points=cps,
                )
            )
    return sites


def rollout_per_year(total: int, first: int = 2025, last: int = 2035) -> dict[int, int]:
    """Split ``total`` planned sites over the years with linearly growing counts.

    Examples
    --------
    >>> split = rollout_per_year(1535)
    >>> sum(split.values()), split[2025] < split[2035]
    (1535, True)
    """
    split = largest_remainder(
        {str(y): float(i) for i, y in enumerate(range(first, last + 1), 1)}, total
    )
    return {int(y): n for y, n in split.items()}


def phase_of(year: int) -> str:
    """Rollout phase of a year: phase-1 2025-2027, phase-2 2028-2031, phase-3 later.

    Examples
    --------
    >>> [phase_of(y) for y in (2025, 2028, 2035)]
    ['phase-1', 'phase-2', 'phase-3']
    """
    if year <= 2027:
        return "phase-1"
    if year <= 2031:
        return "phase-2"
    return "phase-3"


def generate_planned_sites(
    rng: np.random.Generator,
    *,
    total: int,
    ev_weights: Mapping[str, float],
    towns_by_region: Mapping[str, Sequence[Town]],
    regions: Mapping[str, Polygon | MultiPolygon],
    roads: Sequence[tuple[str, LineString]],
    corridor_share: float = 0.25,
) -> list[DemoPlannedSite]:
    """Demo rollout 2025-2035: town sites by EV share plus highway corridor sites."""
    per_year = rollout_per_year(total)
    years = [y for y in sorted(per_year) for _ in range(per_year[y])]
    n_corridor = round(total * corridor_share)
    per_region = largest_remainder(ev_weights, total - n_corridor)
    out: list[DemoPlannedSite] = []
    slots = list(rng.permutation(len(years)))
    k = 0
    for iso in sorted(per_region):
        region = prep(regions[iso])
        for town in _weighted_towns(towns_by_region.get(iso, ()), rng, per_region[iso]):
            lon, lat = _jitter_in(rng, town, town_radius_m(town.population), region)  # type: ignore[arg-type]  # prepared geometry has contains()
            year = years[int(slots[k])]
            power = int(rng.choice((22, 60, 120, 160), p=(0.25, 0.35, 0.25, 0.15)))
            k += 1
            out.append(
                DemoPlannedSite(
                    ext_id=f"DEMO-PS-{k:05d}",
                    name=f"Demo planned {town.name} {k}",
                    year=year,
                    phase=phase_of(year),
                    power_kw=power,
                    connector_types=("TYPE2",) if power <= 22 else ("GBT_DC", "CCS2"),
                    region_iso=iso,
                    placement="town",
                    lon=lon,
                    lat=lat,
                )
            )
    lengths = np.array([line.length for _, line in roads], dtype=np.float64)
    all_regions = {iso: prep(g) for iso, g in regions.items()}
    made = 0
    while made < n_corridor and len(roads):
        i = int(rng.choice(len(roads), p=lengths / lengths.sum()))
        ref, line = roads[i]
        pt = line.interpolate(float(rng.random()), normalized=True)
        road_iso = next((r for r, g in all_regions.items() if g.contains(pt)), None)
        if road_iso is None:  # schematic sections that cross a border: skip
            continue
        year = years[int(slots[k])]
        k += 1
        made += 1
        power = int(rng.choice((120, 160), p=(0.5, 0.5)))
        out.append(
            DemoPlannedSite(
                ext_id=f"DEMO-PS-{k:05d}",
                name=f"Demo planned corridor {ref} {k}",
                year=year,
                phase=phase_of(year),
                power_kw=power,
                connector_types=("GBT_DC", "CCS2"),
                region_iso=road_iso,
                placement=f"corridor {ref}",
                lon=round(pt.x, 6),
                lat=round(pt.y, 6),
            )
        )
    return out


def _substation_spec(rng: np.random.Generator, population: int) -> tuple[float, float]:
    if population >= 500_000:
        kv, mva = 220.0, float(rng.choice((125, 200, 250)))
    elif population >= 50_000:
        kv, mva = 110.0, float(rng.choice((40, 63, 80)))
    else:
        kv, mva = 35.0, float(rng.choice((10, 16, 25)))
    return kv, mva * 1000.0 * 0.9  # MVA at power factor 0.9 -> kW


def generate_substations(
    rng: np.random.Generator,
    towns: Sequence[Town],
    regions: Mapping[str, Polygon | MultiPolygon],
    min_population: int = 5_000,
) -> list[DemoSubstation]:
    """Demo substations: one per town >= ``min_population``, +1 per 150k people."""
    out: list[DemoSubstation] = []
    k = 0
    for town in sorted(towns, key=lambda t: (-t.population, t.geonameid)):
        if town.population < min_population:
            continue
        n = 1 + min(town.population // 150_000, 12)
        region = prep(regions[town.region_iso])
        for j in range(n):
            k += 1
            kv, cap = _substation_spec(rng, town.population if j == 0 else 100_000)
            spare = round(cap * float(rng.uniform(0.0, 0.45)), -1)
            lon, lat = _jitter_in(rng, town, town_radius_m(town.population), region)  # type: ignore[arg-type]  # prepared geometry has contains()
            out.append(
                DemoSubstation(
                    ext_id=f"DEMO-SS-{k:04d}",
                    name=f"Demo substation {town.name} {j + 1}",
                    voltage_kv=kv,
                    capacity_kw=cap,
                    spare_kw=spare,
                    region_iso=town.region_iso,
                    town=town.name,
                    lon=lon,
                    lat=lat,
                )
            )
    return out


def generate_grid_lines(
    rng: np.random.Generator, substations: Sequence[DemoSubstation]
) -> list[DemoGridLine]:
    """Demo lines: the minimum spanning tree of the substations (geodesic metres)."""
    g: nx.Graph = nx.Graph()
    pts = [(s.lon, s.lat) for s in substations]
    lon = np.array([p[0] for p in pts])
    lat = np.array([p[1] for p in pts])
    for i in range(len(pts)):
        # Only the 8 nearest are candidates: the MST of a planar point set uses them.
        _, _, d = _GEOD.inv(
            np.full(len(pts), lon[i]), np.full(len(pts), lat[i]), lon, lat
        )
        for j in np.argsort(d)[1:9]:
            g.add_edge(i, int(j), weight=float(d[j]))
    out: list[DemoGridLine] = []
    for k, (i, j) in enumerate(
        sorted(tuple(sorted(e)) for e in nx.minimum_spanning_edges(g, data=False)), 1
    ):
        a, b = substations[i], substations[j]
        kv = min(a.voltage_kv, b.voltage_kv)
        cap = {220.0: 300_000.0, 110.0: 90_000.0}.get(kv, 25_000.0)
        spare = round(cap * float(rng.uniform(0.05, 0.5)), -1)
        out.append(
            DemoGridLine(
                ext_id=f"DEMO-GL-{k:04d}",
                from_ext_id=a.ext_id,
                to_ext_id=b.ext_id,
                voltage_kv=kv,
                capacity_kw=cap,
                spare_kw=spare,
                coords=((a.lon, a.lat), (b.lon, b.lat)),
            )
        )
    return out


def _rectangle(
    rng: np.random.Generator, lon: float, lat: float
) -> tuple[tuple[float, float], ...]:
    w = float(rng.uniform(20, 90))
    h = float(rng.uniform(20, 70))
    a = float(rng.uniform(0, math.pi))
    ca, sa = math.cos(a), math.sin(a)
    corners = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    ring = [_offset(lon, lat, x * ca - y * sa, x * sa + y * ca) for x, y in corners]
    ring.append(ring[0])
    return tuple((round(x, 7), round(y, 7)) for x, y in ring)


def generate_parcels(
    rng: np.random.Generator,
    *,
    towns: Sequence[Town],
    regions: Mapping[str, Polygon | MultiPolygon],
    roads: Sequence[tuple[str, LineString]],
    min_population: int = 10_000,
    road_spacing_km: float = 25.0,
) -> list[DemoParcel]:
    """Demo cadastre parcels: 2 + 1 per 50k people in towns, one per ~25 km of road."""
    anchors: list[tuple[str, str, float, float, float]] = []
    for town in sorted(towns, key=lambda t: (-t.population, t.geonameid)):
        if town.population < min_population:
            continue
        n = 2 + min(town.population // 50_000, 30)
        region = prep(regions[town.region_iso])
        for _ in range(n):
            lon, lat = _jitter_in(rng, town, town_radius_m(town.population), region)  # type: ignore[arg-type]  # prepared geometry has contains()
            anchors.append((town.region_iso, town.name, lon, lat, 0.0))
    all_regions = {iso: prep(g) for iso, g in regions.items()}
    for ref, line in roads:
        (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
        _, _, km = _GEOD.inv(x0, y0, x1, y1)
        n = max(1, round(km / 1000.0 / road_spacing_km))
        for f in rng.uniform(0.05, 0.95, size=n):
            pt = line.interpolate(float(f), normalized=True)
            # set back 40-120 m from the road centre line, on either side
            side = 1.0 if rng.random() < 0.5 else -1.0
            lon, lat = _offset(pt.x, pt.y, 0.0, side * float(rng.uniform(40, 120)))
            iso = next(
                (r for r, g in all_regions.items() if g.contains(Point(lon, lat))),
                None,
            )
            if iso is not None:
                anchors.append((iso, f"road {ref}", lon, lat, 0.0))
    out: list[DemoParcel] = []
    for k, (iso, near, lon, lat, _) in enumerate(anchors, 1):
        ring = _rectangle(rng, lon, lat)
        area, _ = _GEOD.polygon_area_perimeter(
            [p[0] for p in ring], [p[1] for p in ring]
        )
        out.append(
            DemoParcel(
                ext_id=f"DEMO-CP-{k:05d}",
                land_use=str(rng.choice(_LAND_USES, p=_LAND_USE_P)),
                owner_type=str(rng.choice(_OWNER_TYPES, p=_OWNER_P)),
                status=str(rng.choice(_PARCEL_STATUSES, p=_PARCEL_STATUS_P)),
                area_m2=round(abs(area), 1),
                region_iso=iso,
                near=near,
                ring=ring,
            )
        )
    return out


def generate(
    *,
    towns: Sequence[Town],
    regions: Mapping[str, Polygon | MultiPolygon],
    roads: Sequence[tuple[str, LineString]],
    facts: StationFacts,
    region_population: Mapping[str, int],
    real_stations_by_region: Mapping[str, int],
    ev_by_region: Mapping[str, float],
    planned_total: int,
    rng: np.random.Generator,
) -> DemoLayers:
    """Generate every demo layer (see module docstring and docs/demo-data.md)."""
    towns_by_region: dict[str, list[Town]] = {}
    for t in sorted(towns, key=lambda t: t.geonameid):
        towns_by_region.setdefault(t.region_iso, []).append(t)
    allocation = allocate_stations(facts, region_population, real_stations_by_region)
    sites = generate_sites(rng, towns_by_region, regions, allocation)
    planned = generate_planned_sites(
        rng,
        total=planned_total,
        ev_weights=ev_by_region,
        towns_by_region=towns_by_region,
        regions=regions,
        roads=roads,
    )
    subs = generate_substations(rng, towns, regions)
    lines = generate_grid_lines(rng, subs)
    parcels = generate_parcels(rng, towns=towns, regions=regions, roads=roads)
    return DemoLayers(
        sites=tuple(sites),
        planned_sites=tuple(planned),
        substations=tuple(subs),
        grid_lines=tuple(lines),
        parcels=tuple(parcels),
        stations_by_region=allocation,
    )
