"""EV route planning use case: road graph and chargers from the database, cached.

The road graph is built from the ``road`` table once and kept in memory; it is
rebuilt when the ``roads`` layer version (bumped by every import) or the row
count changes. The chargers (sites with their connectors) are snapped once per
station-set version (``stations`` layer version, site count, last update);
live connector statuses are read on every request. Energy is priced at the
flat tariff ``Settings.flat_tariff_uzs_per_kwh`` (no tariff service exists yet).
CPU work runs in a worker thread (``anyio.to_thread``), never on the event loop.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

import anyio
import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidInputError, UnavailableError
from app.schemas.route import (
    GapOut,
    GeocodeMatch,
    ImpossibleOut,
    LegOut,
    PointIn,
    ResolvedPoint,
    RouteRequest,
    RouteResponse,
    SiteOut,
    StopOut,
    SummaryOut,
    VehicleIn,
    VehiclePublic,
)
from app.settings import ROOT, Settings
from geo.crs import UZ_BBOX
from geo.errors import GeoError, TooFarFromRoadError
from geo.geocode import Gazetteer, Place, build_gazetteer, geocode
from geo.roads import RoadGraph, build_road_graph, snap_point
from planning.route import (
    CandidateSite,
    Charger,
    ChargerConnector,
    ChargerNetwork,
    ImpossibleTrip,
    RoutePlan,
    TripOptions,
    build_charger_network,
    plan_route,
)
from planning.route_errors import RouteRequestError
from planning.vehicles import Vehicle, get_preset, vehicles_from_rows

logger = logging.getLogger(__name__)

VEHICLES_CSV: Final = ROOT / "data" / "vehicles.csv"
#: Largest straight distance from a trip point to the road network, metres.
SNAP_LIMIT_M: Final = 30_000.0
SCHEMATIC_NOTE: Final = (
    "Road geometry is the shipped SCHEMATIC main-road layer (straight lines between "
    "towns, see data/uz/SOURCES.md): lengths and times are approximate."
)


@dataclass
class RouteCache:
    """In-memory state shared by all requests of one app (``app.state.route_cache``)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    roads_key: tuple[int, int] | None = None
    graph: RoadGraph | None = None
    schematic: bool = False
    stations_key: tuple[Any, ...] | None = None
    net: ChargerNetwork | None = None
    site_ids: tuple[int, ...] = ()
    gazetteer: Gazetteer | None = None
    sites: tuple[CandidateSite, ...] = ()
    presets: dict[str, Vehicle] = field(default_factory=dict)
    builds: int = 0
    #: The country (the regions layer) widened by BORDER_TOLERANCE_M, prepared;
    #: None without regions (the bounding box is used then).
    country: BaseGeometry | None = None


def load_presets() -> dict[str, Vehicle]:
    """Vehicle presets from ``data/vehicles.csv`` (published figures and sources)."""
    with VEHICLES_CSV.open(encoding="utf-8") as f:
        return vehicles_from_rows(csv.DictReader(f))


# ---------------------------------------------------------------- cache


async def _roads_key(session: AsyncSession) -> tuple[int, int]:
    row = (
        await session.execute(
            text(
                "SELECT coalesce((SELECT version FROM layer_version WHERE layer = 'roads'), 0),"
                " (SELECT count(*) FROM road)"
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def _stations_key(session: AsyncSession) -> tuple[Any, ...]:
    row = (
        await session.execute(
            text(
                "SELECT coalesce((SELECT version FROM layer_version WHERE layer = 'stations'), 0),"
                " (SELECT count(*) FROM site), (SELECT max(updated_at) FROM site),"
                " (SELECT count(*) FROM planned_site), (SELECT count(*) FROM candidate_site),"
                " (SELECT count(*) FROM city)"
            )
        )
    ).one()
    return tuple(row)


async def _load_roads(session: AsyncSession) -> tuple[gpd.GeoDataFrame, bool]:
    rows = (
        await session.execute(
            text(
                "SELECT road_class, maxspeed_kmh, ref, source, ST_AsBinary(geom) FROM road"
                " ORDER BY id"
            )
        )
    ).all()
    if not rows:
        raise UnavailableError(
            "no roads loaded: import a roads layer first (quvvat import sample)",
            "no_roads",
        )
    gdf = gpd.GeoDataFrame(
        {
            "road_class": [r[0] for r in rows],
            "maxspeed_kmh": [
                float(r[1]) if r[1] is not None else math.nan for r in rows
            ],
            "ref": [r[2] for r in rows],
        },
        geometry=shapely.from_wkb([bytes(r[4]) for r in rows]),
        crs=4326,
    )
    return gdf, any(r[3] == "schematic" for r in rows)


async def _load_sites(session: AsyncSession) -> list[tuple[int, str, float, float]]:
    rows = (
        await session.execute(
            text("SELECT id, name, ST_X(geom), ST_Y(geom) FROM site ORDER BY id")
        )
    ).all()
    return [(int(r[0]), str(r[1]), float(r[2]), float(r[3])) for r in rows]


async def _load_connectors(
    session: AsyncSession,
) -> dict[int, list[ChargerConnector]]:
    rows = (
        await session.execute(
            text(
                "SELECT cp.site_id, c.type, c.max_power_kw, c.status FROM connector c"
                " JOIN evse e ON e.id = c.evse_pk"
                " JOIN charge_point cp ON cp.id = e.charge_point_id"
                " WHERE cp.site_id IS NOT NULL"
            )
        )
    ).all()
    out: dict[int, list[ChargerConnector]] = {}
    for site_id, ctype, power, status in rows:
        live = None if status in (None, "Unknown") else str(status)
        out.setdefault(int(site_id), []).append(
            ChargerConnector(str(ctype), float(power), live)
        )
    return out


async def _load_places(
    session: AsyncSession, sites: Sequence[tuple[int, str, float, float]]
) -> list[Place]:
    rows = (
        await session.execute(
            text(
                "SELECT c.id, c.name, c.name_ru, c.alternatenames, c.population,"
                " ST_X(c.geom), ST_Y(c.geom), r.name_en FROM city c"
                " LEFT JOIN region r ON r.id = c.region_id"
            )
        )
    ).all()
    places = [
        Place(
            "city",
            str(r[0]),
            str(r[1]),
            float(r[5]),
            float(r[6]),
            int(r[4] or 0),
            tuple(n for n in [r[2], *(r[3] or "").split("|")] if n),
            r[7],
        )
        for r in rows
    ]
    places += [Place("station", str(i), name, lon, lat) for i, name, lon, lat in sites]
    return places


async def _load_candidate_sites(session: AsyncSession) -> list[CandidateSite]:
    rows = (
        await session.execute(
            text(
                "SELECT 'planned', id, name, year, power_kw, connector_types,"
                " ST_X(geom), ST_Y(geom) FROM planned_site"
                " UNION ALL SELECT 'candidate', id, coalesce(name, 'candidate ' || id),"
                " NULL, power_kw, NULL, ST_X(geom), ST_Y(geom) FROM candidate_site"
            )
        )
    ).all()
    return [
        CandidateSite(
            id=str(r[1]),
            name=str(r[2]),
            kind="planned" if r[0] == "planned" else "candidate",
            lon=float(r[6]),
            lat=float(r[7]),
            power_kw=float(r[4]) if r[4] is not None else None,
            connector_types=tuple(r[5] or ()),
            year=int(r[3]) if r[3] is not None else None,
        )
        for r in rows
    ]


BORDER_TOLERANCE_M: Final = 5_000  # points this close to the border still count


async def _load_country(session: AsyncSession) -> BaseGeometry | None:
    wkb = (
        await session.execute(
            text(
                "SELECT ST_AsBinary(ST_Buffer(ST_SimplifyPreserveTopology("
                "ST_Union(geom), 0.002)::geography, :m)::geometry) FROM region"
            ),
            {"m": BORDER_TOLERANCE_M},
        )
    ).scalar()
    if wkb is None:
        return None
    country = shapely.from_wkb(bytes(wkb))
    shapely.prepare(country)
    return country


async def ensure_cache(session: AsyncSession, cache: RouteCache) -> RouteCache:
    """Bring the cached graph and chargers up to date with the database."""
    roads_key = await _roads_key(session)
    stations_key = await _stations_key(session)
    if cache.roads_key == roads_key and cache.stations_key == stations_key:
        return cache
    async with cache.lock:
        if cache.roads_key != roads_key or cache.graph is None:
            cache.country = await _load_country(session)
            roads, schematic = await _load_roads(session)
            cache.graph = await anyio.to_thread.run_sync(build_road_graph, roads)
            cache.schematic = schematic
            cache.roads_key = roads_key
            cache.stations_key = None  # chargers must be re-snapped
            logger.info(
                "route graph built: %d nodes, %d edges (roads version %s)",
                cache.graph.node_count,
                cache.graph.edge_count,
                roads_key[0],
            )
        if cache.stations_key != stations_key or cache.net is None:
            sites = await _load_sites(session)
            chargers = [Charger(str(i), n, x, y, (), 0) for i, n, x, y in sites]
            graph = cache.graph
            cache.net = await anyio.to_thread.run_sync(
                lambda: build_charger_network(
                    graph, chargers, snap_limit_m=SNAP_LIMIT_M
                )
            )
            cache.site_ids = tuple(i for i, *_ in sites)
            cache.gazetteer = build_gazetteer(await _load_places(session, sites))
            cache.sites = tuple(await _load_candidate_sites(session))
            cache.stations_key = stations_key
            cache.builds += 1
            logger.info(
                "route chargers placed: %d sites, %d off the network",
                len(sites),
                len(cache.net.off_network),
            )
        if not cache.presets:
            cache.presets = load_presets()
    return cache


# ---------------------------------------------------------------- requests


def _resolve(
    cache: RouteCache, p: PointIn, field_name: str
) -> tuple[str, float, float]:
    if p.place is not None and (p.lon is None or p.lat is None):
        assert cache.gazetteer is not None  # noqa: S101  # ensured by ensure_cache
        hits = geocode(cache.gazetteer, p.place, limit=1)
        if not hits:
            raise InvalidInputError(
                f"{field_name}.place: unknown place {p.place!r}; give a city or station "
                "name (e.g. Tashkent, Samarqand, Нукус) or lon/lat",
                "unknown_place",
            )
        m = hits[0].place
        return m.name, m.lon, m.lat
    assert p.lon is not None and p.lat is not None  # noqa: S101  # validated by PointIn
    minx, miny, maxx, maxy = UZ_BBOX
    if not (minx <= p.lon <= maxx and miny <= p.lat <= maxy):
        raise InvalidInputError(
            f"{field_name}: ({p.lon}, {p.lat}) is outside Uzbekistan "
            f"(lon {minx}..{maxx}, lat {miny}..{maxy})",
            "outside_uzbekistan",
        )
    if cache.country is not None and not cache.country.contains(
        shapely.Point(p.lon, p.lat)
    ):
        raise InvalidInputError(
            f"{field_name}: ({p.lon}, {p.lat}) is outside Uzbekistan (more than "
            f"{BORDER_TOLERANCE_M // 1000} km beyond its border)",
            "outside_uzbekistan",
        )
    return p.place or f"{p.lat:.4f}, {p.lon:.4f}", p.lon, p.lat


def _vehicle(cache: RouteCache, v: VehicleIn) -> Vehicle:
    overrides: dict[str, Any] = {
        k: val for k, val in v.model_dump(exclude={"preset"}).items() if val is not None
    }
    if "dc_curve" in overrides:
        overrides["dc_curve"] = tuple(
            (float(s), float(p)) for s, p in overrides["dc_curve"]
        )
    if "connectors" in overrides:
        overrides["connectors"] = frozenset(overrides["connectors"])
    if v.preset is not None:
        base = get_preset(cache.presets, v.preset)
        return replace(base, **overrides) if overrides else base
    required = [
        "battery_kwh",
        "consumption_wh_per_km_50",
        "consumption_wh_per_km_110",
        "dc_max_kw",
        "ac_max_kw",
        "connectors",
    ]
    missing = [k for k in required if k not in overrides]
    if missing:
        raise InvalidInputError(
            f"vehicle: give a preset or all of {', '.join(required)}; missing "
            f"{', '.join(missing)}",
            "invalid_vehicle",
        )
    curve = overrides.pop(
        "dc_curve", ((0.0, overrides["dc_max_kw"]), (1.0, overrides["dc_max_kw"]))
    )
    return Vehicle(id="custom", name="Custom vehicle", dc_curve=curve, **overrides)


def _options(req: RouteRequest) -> TripOptions:
    return TripOptions(
        start_soc=req.start_soc,
        min_soc_stop=req.min_soc_stop,
        min_soc_arrival=req.min_soc_arrival,
        max_charge_soc=req.max_charge_soc,
        temperature_c=req.temperature_c,
        payload_kg=req.payload_kg,
        busy_penalty_s=req.busy_penalty_min * 60.0,
        use_live_status=req.use_live_status,
        snap_limit_m=SNAP_LIMIT_M,
    )


async def _live_net(
    session: AsyncSession, cache: RouteCache, tariff_uzs_per_kwh: int
) -> ChargerNetwork:
    assert cache.net is not None  # noqa: S101  # ensured by ensure_cache
    connectors = await _load_connectors(session)
    chargers = [
        replace(
            c,
            connectors=tuple(connectors.get(sid, ())),
            price_uzs_per_kwh=tariff_uzs_per_kwh,
        )
        for sid, c in zip(cache.site_ids, cache.net.chargers, strict=True)
    ]
    return cache.net.with_chargers(chargers)


async def plan(
    session: AsyncSession, cache: RouteCache, settings: Settings, req: RouteRequest
) -> RouteResponse:
    """Plan the request; every bad input is an :class:`InvalidInputError` naming the field."""
    await ensure_cache(session, cache)
    graph = cache.graph
    assert graph is not None  # noqa: S101  # ensured by ensure_cache
    points = [("origin", req.origin)] + [
        (f"vias.{i}", v) for i, v in enumerate(req.vias)
    ]
    points.append(("destination", req.destination))
    resolved = [(_resolve(cache, p, name), name) for name, p in points]
    snaps = []
    for (label, lon, lat), name in resolved:
        try:
            snaps.append(snap_point(graph, lon, lat, max_distance_m=SNAP_LIMIT_M))
        except TooFarFromRoadError as e:
            raise InvalidInputError(f"{name}: {e}", "too_far_from_road") from e
        del label
    try:
        vehicle = _vehicle(cache, req.vehicle)
        opts = _options(req)
    except RouteRequestError as e:
        prefix = "vehicle." if e.code in {"invalid_vehicle", "unknown_vehicle"} else ""
        field_name = f"{prefix}{e.field}" if e.field else "request"
        raise InvalidInputError(f"{field_name}: {e}", e.code) from e
    net = await _live_net(session, cache, settings.flat_tariff_uzs_per_kwh)
    (o_name, o_lon, o_lat), _ = resolved[0]
    (d_name, d_lon, d_lat), _ = resolved[-1]
    vias = [((name), (lon, lat)) for (name, lon, lat), _ in resolved[1:-1]]
    try:
        result = await anyio.to_thread.run_sync(
            lambda: plan_route(
                net,
                vehicle,
                (o_lon, o_lat),
                (d_lon, d_lat),
                opts,
                origin_name=o_name,
                destination_name=d_name,
                vias=vias,
                candidate_sites=cache.sites,
            )
        )
    except GeoError as e:
        raise InvalidInputError(str(e), "no_route") from e
    ends = [
        ResolvedPoint(
            name=label,
            lon=lon,
            lat=lat,
            snapped_lon=s.snapped_lon,
            snapped_lat=s.snapped_lat,
            snap_distance_m=round(s.distance_m, 1),
        )
        for ((label, lon, lat), _), s in zip(resolved, snaps, strict=True)
    ]
    notes = [SCHEMATIC_NOTE] if cache.schematic else []
    notes.append(
        f"Prices use the flat tariff of {settings.flat_tariff_uzs_per_kwh} UZS/kWh."
    )
    return render(result, ends[0], ends[-1], notes)


def render(
    result: RoutePlan | ImpossibleTrip,
    origin: ResolvedPoint,
    destination: ResolvedPoint,
    notes: list[str],
) -> RouteResponse:
    """Turn the planner's frozen result into the HTTP answer."""
    if isinstance(result, ImpossibleTrip):
        gap = result.gap
        return RouteResponse(
            feasible=False,
            vehicle_id=result.vehicle_id,
            origin=origin,
            destination=destination,
            impossible=ImpossibleOut(
                reason=result.reason,
                gap=GapOut(**{k: getattr(gap, k) for k in GapOut.model_fields})
                if gap
                else None,
                sites=[
                    SiteOut(
                        id=f.site.id,
                        name=f.site.name,
                        kind=f.site.kind,
                        lon=f.site.lon,
                        lat=f.site.lat,
                        year=f.site.year,
                        power_kw=f.site.power_kw,
                        alone_makes_possible=f.alone_makes_possible,
                    )
                    for f in result.sites
                ],
                possible_with_all_sites=result.possible_with_all_sites,
                compatible_chargers=result.compatible_chargers,
                skipped_offline=result.skipped_offline,
            ),
            notes=notes,
        )
    r = result
    return RouteResponse(
        feasible=True,
        vehicle_id=r.vehicle_id,
        origin=origin,
        destination=destination,
        summary=SummaryOut(
            length_km=round(r.length_m / 1000, 2),
            drive_min=round(r.drive_s / 60, 1),
            charging_min=round(r.charge_s / 60, 1),
            wait_min=round(r.wait_s / 60, 1),
            total_min=round(r.total_s / 60, 1),
            energy_kwh=round(r.energy_kwh, 2),
            cost_uzs=r.cost_uzs,
            arrival_soc=round(r.arrival_soc, 4),
            stops=len(r.stops),
        ),
        stops=[
            StopOut(
                station_id=s.charger_id,
                name=s.name,
                lon=s.lon,
                lat=s.lat,
                connector_type=s.connector_type,
                power_kw=s.power_kw,
                arrival_soc=round(s.arrival_soc, 4),
                departure_soc=round(s.departure_soc, 4),
                charging_min=round(s.charge_s / 60, 1),
                wait_min=round(s.wait_s / 60, 1),
                energy_kwh=round(s.energy_kwh, 2),
                cost_uzs=s.cost_uzs,
                busy=s.busy,
            )
            for s in r.stops
        ],
        legs=[
            LegOut(
                from_name=leg.from_name,
                to_name=leg.to_name,
                length_km=round(leg.length_m / 1000, 2),
                drive_min=round(leg.drive_s / 60, 1),
                energy_kwh=round(leg.energy_kwh, 2),
                departure_soc=round(leg.departure_soc, 4),
                arrival_soc=round(leg.arrival_soc, 4),
            )
            for leg in r.legs
        ],
        geometry={
            "type": "LineString",
            "coordinates": [
                [round(x, 6), round(y, 6)] for x, y, *_ in r.geometry.coords
            ],
        },
        notes=notes,
    )


def as_geojson(resp: RouteResponse) -> dict[str, Any]:
    """The answer as a FeatureCollection: the route line, then one point per stop."""
    features: list[dict[str, Any]] = []
    if resp.geometry is not None:
        props = resp.model_dump(exclude={"geometry", "stops", "legs"})
        features.append(
            {
                "type": "Feature",
                "geometry": resp.geometry.model_dump(),
                "properties": props,
            }
        )
    for i, s in enumerate(resp.stops, start=1):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                "properties": {"stop": i, **s.model_dump()},
            }
        )
    if resp.impossible is not None and resp.impossible.gap is not None:
        g = resp.impossible.gap
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[g.from_lon, g.from_lat], [g.to_lon, g.to_lat]],
                },
                "properties": {"gap": True, "reason": resp.impossible.reason},
            }
        )
    return {"type": "FeatureCollection", "features": features}


async def list_vehicles(cache: RouteCache) -> list[VehiclePublic]:
    """Every preset with its published figures and sources."""
    if not cache.presets:
        cache.presets = load_presets()
    return [
        VehiclePublic(
            id=v.id,
            name=v.name,
            battery_kwh=v.battery_kwh,
            consumption_wh_per_km_50=v.consumption_wh_per_km_50,
            consumption_wh_per_km_110=v.consumption_wh_per_km_110,
            dc_max_kw=v.dc_max_kw,
            ac_max_kw=v.ac_max_kw,
            dc_curve=list(v.dc_curve),
            connectors=sorted(v.connectors),
            sources=list(v.sources),
            notes=v.notes,
        )
        for v in sorted(cache.presets.values(), key=lambda v: v.id)
    ]


async def geocode_places(
    session: AsyncSession, cache: RouteCache, q: str, limit: int, kind: str | None
) -> list[GeocodeMatch]:
    """Cities and stations matching ``q`` (offline)."""
    await ensure_cache(session, cache)
    assert cache.gazetteer is not None  # noqa: S101  # ensured by ensure_cache
    hits = geocode(cache.gazetteer, q, limit=limit, kind=kind)  # type: ignore[arg-type]  # validated Literal
    return [
        GeocodeMatch(
            kind=m.place.kind,
            id=m.place.id,
            name=m.place.name,
            lon=m.place.lon,
            lat=m.place.lat,
            population=m.place.population,
            region=m.place.region,
            score=round(m.score, 3),
        )
        for m in hits
    ]
