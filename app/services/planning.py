"""Planning scenarios: load layers from PostGIS, run :mod:`planning` in a worker
thread, store the results, report progress and honour cancellation.

A scenario row is committed before any work starts (the API answers 201 only
then). A run moves it ``created → running → done | failed | cancelled``; a
failure stores its message in ``scenario.error`` and never escapes the worker.
The inputs are fingerprinted (row count and a hash of every row of each layer,
plus ``layer_version``) and hashed with the parameters into ``input_hash``:
two runs with the same hash used the same parameters and the same data.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import anyio
import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import RasterLayer, Region, Scenario
from app.errors import ConflictError, InvalidInputError, NotFoundError
from app.schemas.scenarios import (
    PARAMETER_UNITS,
    ParameterInfo,
    RuleInfo,
    ScenarioCreate,
    ScenarioDefaults,
    UzRuleIn,
)
from geo import h3 as gh3
from geo.crs import WGS84
from geo.errors import GeoError
from geo.io import read_raster_window
from planning.config import (
    CORRIDOR_RULES,
    CorridorRule,
    CoverageConfig,
    DemandConfig,
    ScoreWeights,
    ScoringConfig,
    SelectionConfig,
    site_cost_uzs,
)
from planning.errors import CancelledError, PlanningError
from planning.pipeline import PlanConfig, PlanInputs, PlanResult, run_plan
from planning.scoring import rank

logger = logging.getLogger(__name__)

#: Layers a scenario reads; their fingerprints make up ``input_versions``.
INPUT_LAYERS: Final = (
    "region",
    "city",
    "road",
    "site",
    "connector",
    "planned_site",
    "candidate_site",
    "cadastre_parcel",
    "grid_substation",
    "poi",
    "raster_layer",
)
FINAL_STATUSES: Final = frozenset({"done", "failed", "cancelled"})


# ---------------------------------------------------------------- jobs


@dataclass
class Job:
    """Live state of one running scenario (shared with the worker thread)."""

    scenario_id: int
    cancel: threading.Event = field(default_factory=threading.Event)
    status: str = "running"
    task: asyncio.Task[None] | None = None
    #: Every (stage, done, total) step so far, in order (the worker appends):
    #: a progress stream replays them, so a run faster than its poll still
    #: shows each step.
    steps: list[tuple[str, int, int]] = field(
        default_factory=lambda: [("queued", 0, 6)]
    )

    @property
    def stage(self) -> str:
        """The current step's stage; the final status once the run has ended."""
        return self.steps[-1][0] if self.status == "running" else self.status

    @property
    def done(self) -> int:
        return self.steps[-1][1]

    @property
    def total(self) -> int:
        return self.steps[-1][2]


class PlanningJobs:
    """Registry of running scenarios in this process."""

    def __init__(self) -> None:
        self._jobs: dict[int, Job] = {}
        self._lock = threading.Lock()

    def get(self, scenario_id: int) -> Job | None:
        with self._lock:
            return self._jobs.get(scenario_id)

    def add(self, job: Job) -> None:
        with self._lock:
            current = self._jobs.get(job.scenario_id)
            if current is not None and current.status == "running":
                raise ConflictError(
                    f"scenario {job.scenario_id} is already running", "already_running"
                )
            self._jobs[job.scenario_id] = job

    def running(self) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if j.status == "running"]

    async def shutdown(self) -> None:
        """Cancel every running job and wait for the workers to record it."""
        jobs = self.running()
        for j in jobs:
            j.cancel.set()
        for j in jobs:
            if j.task is not None:
                await asyncio.gather(j.task, return_exceptions=True)


# ---------------------------------------------------------------- params


def plan_config(p: ScenarioCreate) -> PlanConfig:
    """Turn the HTTP parameters into the pure configuration (raises on bad values)."""
    demand = DemandConfig(
        resolution=p.resolution,
        year=p.year,
        ev_fleet=p.ev_fleet,
        kwh_per_ev_day=p.kwh_per_ev_day,
        public_charging_share=p.public_charging_share,
    )
    w = p.weights
    scoring = ScoringConfig(
        weights=ScoreWeights(
            w.demand,
            w.coverage_gain,
            w.grid,
            w.parcel,
            w.road,
            w.competition,
            w.utilisation,
        ),
        catchment_km=p.catchment_km,
    )
    selection = SelectionConfig(
        n_sites=p.n_sites,
        budget_uzs=p.budget_uzs,
        radius_km=p.radius_km,
        method=p.method,
    )
    u = p.uz_rule
    uz = CorridorRule("uz", u.max_gap_km, u.max_offset_km, u.min_pool_kw, u.min_points)
    return PlanConfig(
        region=p.region,
        demand=demand,
        coverage=CoverageConfig(radius_km=p.radius_km, minutes=p.minutes),
        scoring=scoring,
        selection=selection,
        corridor_rules=tuple(r for r in p.rules if r != "uz"),
        custom_rule=uz if "uz" in p.rules else None,
        candidate_sources=tuple(p.candidate_sources),
    )


def scenario_defaults() -> ScenarioDefaults:
    """What a new scenario gets when a parameter is omitted, with units and bounds
    (read from :class:`ScenarioCreate`, so the form and the API cannot disagree)."""
    params = []
    for name, unit in PARAMETER_UNITS.items():
        f = ScenarioCreate.model_fields[name]
        lo: float | None = None
        hi: float | None = None
        exclusive = False
        for m in f.metadata:
            if (v := getattr(m, "ge", None)) is not None:
                lo = float(v)
            if (v := getattr(m, "gt", None)) is not None:
                lo, exclusive = float(v), True
            if (v := getattr(m, "le", None)) is not None:
                hi = float(v)
        args = getattr(f.annotation, "__args__", (f.annotation,))
        params.append(
            ParameterInfo(
                name=name,
                unit=unit,
                default=f.get_default(call_default_factory=True),
                minimum=lo,
                maximum=hi,
                exclusive_minimum=exclusive,
                integer=int in args,
                optional=type(None) in args,
                description=f.description,
            )
        )
    uz = UzRuleIn()
    custom = CorridorRule(
        "uz", uz.max_gap_km, uz.max_offset_km, uz.min_pool_kw, uz.min_points
    )
    rules = [
        RuleInfo(
            name=r.name,
            max_gap_km=r.max_gap_km,
            max_offset_km=r.max_offset_km,
            min_pool_kw=r.min_pool_kw,
            min_points=r.min_points,
            min_point_kw=r.min_point_kw,
        )
        for r in (*(v for k, v in CORRIDOR_RULES.items() if k != "uz"), custom)
    ]
    return ScenarioDefaults(
        parameters=params,
        rules=rules,
        default_rules=ScenarioCreate.model_fields["rules"].get_default(
            call_default_factory=True
        ),
    )


async def _check_region(session: AsyncSession, iso: str | None) -> None:
    if iso is None:
        return
    if await session.scalar(select(Region.id).where(Region.iso_code == iso)) is None:
        codes = (
            await session.scalars(select(Region.iso_code).order_by(Region.iso_code))
        ).all()
        raise InvalidInputError(
            f"region: unknown region {iso!r}; known: {', '.join(codes) or '(none loaded)'}",
            "unknown_region",
        )


async def _check_raster(session: AsyncSession, name: str | None) -> None:
    if name is None:
        return
    known = (
        await session.scalars(
            select(RasterLayer.name)
            .where(RasterLayer.kind == "population")
            .order_by(RasterLayer.name)
        )
    ).all()
    if name not in known:
        raise InvalidInputError(
            f"population_raster: no population raster named {name!r}; imported: "
            f"{', '.join(known) or '(none: quvvat import population FILE.tif)'}",
            "unknown_raster",
        )


async def create_scenario(session: AsyncSession, params: ScenarioCreate) -> Scenario:
    """Validate and store a new scenario (status ``created``)."""
    await _check_region(session, params.region)
    await _check_raster(session, params.population_raster)
    try:
        plan_config(params)
    except PlanningError as e:
        raise InvalidInputError(str(e), "invalid_parameter") from e
    row = Scenario(
        name=params.name,
        kind="plan",
        status="created",
        params=params.model_dump(mode="json"),
    )
    session.add(row)
    try:
        await session.commit()
    except IntegrityError as e:
        await session.rollback()
        raise ConflictError(
            f"name: a scenario named {params.name!r} exists already", "duplicate_name"
        ) from e
    await session.refresh(row)
    return row


async def get_scenario(session: AsyncSession, scenario_id: int) -> Scenario:
    row = await session.get(Scenario, scenario_id)
    if row is None:
        raise NotFoundError(f"scenario {scenario_id} not found", "scenario_not_found")
    await session.refresh(row)
    return row


async def list_scenarios(session: AsyncSession) -> list[Scenario]:
    return list(
        (await session.scalars(select(Scenario).order_by(Scenario.id.desc()))).all()
    )


async def delete_scenario(
    session: AsyncSession, jobs: PlanningJobs, scenario_id: int
) -> None:
    job = jobs.get(scenario_id)
    if job is not None and job.status == "running":
        raise ConflictError(
            f"scenario {scenario_id} is running: cancel it first", "running"
        )
    row = await get_scenario(session, scenario_id)
    await session.delete(row)
    await session.commit()


# ---------------------------------------------------------------- inputs


def input_versions(engine: Engine) -> dict[str, Any]:
    """Fingerprint of every input layer: rows, a hash of their content, version."""
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        versions: dict[str, int] = dict(
            conn.execute(text("SELECT layer, version FROM layer_version")).all()
        )
        n, last = conn.execute(
            text('SELECT count(*), max(updated_at)::text FROM "transaction"')
        ).one()
        out["transaction"] = {"rows": int(n), "last_update": last}
        for layer in INPUT_LAYERS:
            n, h = conn.execute(
                text(
                    f"SELECT count(*), coalesce(sum(hashtext(t::text)), 0) FROM {layer} t"
                )
            ).one()
            out[layer] = {
                "rows": int(n),
                "hash": int(h),
                "version": versions.get(layer),
            }
    return out


def input_hash(params: dict[str, Any], versions: dict[str, Any]) -> str:
    blob = json.dumps({"params": params, "inputs": versions}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


#: Stations with the power of each EVSE and, once the OCPP server has recorded
#: sessions, their utilisation over the last 7 days (busy EVSE-seconds / EVSE-
#: seconds); NULL everywhere while there are no sessions at all.
_STATIONS_SQL: Final = """
SELECT s.id, s.name, s.geom,
       coalesce(array_agg(e.kw ORDER BY e.kw DESC) FILTER (WHERE e.kw IS NOT NULL),
                '{}'::float8[]) AS point_kw,
       CASE WHEN NOT EXISTS (SELECT 1 FROM "transaction") THEN NULL
            ELSE least(1.0, coalesce(u.busy_s, 0)
                            / (greatest(count(e.id), 1) * 7 * 86400.0))
       END AS utilisation
FROM site s
LEFT JOIN (
    SELECT cp.site_id, ev.id, max(c.max_power_kw)::float8 AS kw
    FROM charge_point cp
    JOIN evse ev ON ev.charge_point_id = cp.id
    JOIN connector c ON c.evse_pk = ev.id
    GROUP BY cp.site_id, ev.id
) e ON e.site_id = s.id
LEFT JOIN (
    SELECT cp.site_id,
           sum(extract(epoch FROM
               least(coalesce(t.stopped_at, now()), now())
               - greatest(t.started_at, now() - interval '7 days'))) AS busy_s
    FROM "transaction" t
    JOIN charge_point cp ON cp.id = t.charge_point_id
    WHERE coalesce(t.stopped_at, now()) > now() - interval '7 days'
      AND t.started_at < now()
    GROUP BY cp.site_id
) u ON u.site_id = s.id
GROUP BY s.id, u.busy_s
"""


def _population_raster(
    engine: Engine, name: str, regions: gpd.GeoDataFrame, region: str | None
) -> tuple[np.ndarray, tuple[float, ...], str, float | None]:
    """The named population raster over the study area (windowed read)."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT path, crs_wkt FROM raster_layer"
                " WHERE name = :n AND kind = 'population'"
            ),
            {"n": name},
        ).one_or_none()
    if row is None:
        raise InvalidInputError(
            f"population_raster: the raster {name!r} was deleted after the scenario"
            " was created; import it again or choose another",
            "unknown_raster",
        )
    area = regions if region is None else regions[regions["iso_code"] == region]
    x0, y0, x1, y1 = (float(v) for v in area.total_bounds)
    win = read_raster_window(Path(row.path), (x0, y0, x1, y1), CRS(row.crs_wkt))
    return win.values, win.transform, win.crs.to_wkt(), win.nodata


def _fuel_candidates(pois: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Fuel stations among the points of interest, as 150 kW candidate sites."""
    fuel = pois[pois["category"] == "fuel"]
    names = fuel["name"].fillna("fuel station " + fuel["ext_id"].astype(str))
    return gpd.GeoDataFrame(
        {
            "candidate_site_id": pd.Series([None] * len(fuel), dtype=object),
            "name": names.to_numpy(),
            "power_kw": 150.0,
            "land_use": None,
            "owner_type": None,
            "parcel_area_m2": np.nan,
            "source": "fuel_station",
        },
        geometry=fuel.geometry.to_numpy(),
        crs=WGS84,
    ).rename_geometry("geom")


def load_inputs(
    engine: Engine, population_raster: str | None = None, region: str | None = None
) -> PlanInputs:
    """Read every layer the planning run needs (EPSG:4326 GeoDataFrames).

    ``population_raster`` names an imported population GeoTIFF to use instead
    of the populated places; only its window over ``region`` (or the country)
    is read. Points of interest feed demand, and fuel stations among them
    become candidate sites.
    """

    def read(sql: str) -> gpd.GeoDataFrame:
        with engine.connect() as conn:
            return gpd.read_postgis(text(sql), conn, geom_col="geom", crs=WGS84)

    regions = read(
        "SELECT id, iso_code, population::float8 AS population, geom FROM region"
    )
    cities = read("SELECT id, name, population, geom FROM city")
    roads = read("SELECT id, ref, road_class, geom FROM road")
    stations = read(_STATIONS_SQL)
    planned = read(
        "SELECT id, name, power_kw::float8 AS power_kw, geom FROM planned_site"
    )
    imported = read(
        "SELECT id AS candidate_site_id, name, coalesce(power_kw, 150)::float8 AS power_kw,"
        " NULL::text AS land_use, NULL::text AS owner_type,"
        " NULL::float8 AS parcel_area_m2, 'candidate_site' AS source, geom"
        " FROM candidate_site"
    )
    parcels = read(
        "SELECT NULL::int AS candidate_site_id, 'parcel ' || ext_id AS name,"
        " 150::float8 AS power_kw, land_use, owner_type, area_m2 AS parcel_area_m2,"
        " 'parcel' AS source, ST_PointOnSurface(geom) AS geom FROM cadastre_parcel"
        " WHERE status IS NULL OR status NOT IN ('occupied', 'protected')"
    )
    pois = read("SELECT id, ext_id, name, category, weight, geom FROM poi")
    fuel = _fuel_candidates(pois)
    extra = [g for g in (parcels, fuel) if len(g)]
    cands = (
        gpd.GeoDataFrame(
            pd.concat([imported, *extra], ignore_index=True),
            geometry="geom",
            crs=WGS84,
        )
        if extra
        else imported
    )
    subs = read("SELECT id, name, spare_kw, geom FROM grid_substation")
    for g in (regions, cities, roads, stations, planned, cands, subs, pois):
        g.rename_geometry("geometry", inplace=True)
    return PlanInputs(
        regions=regions,
        cities=cities,
        roads=roads,
        stations=stations,
        candidates=cands,
        substations=subs,
        planned=planned,
        pois=pois,
        population_raster=None
        if population_raster is None
        else _population_raster(engine, population_raster, regions, region),
    )


# ---------------------------------------------------------------- results


def _opt(df: pd.DataFrame, col: str, i: int) -> Any:
    """Value of ``df[col]`` at row ``i``, ``None`` when absent or missing."""
    if col not in df.columns:
        return None
    v = df[col].iloc[i]
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def _finite_or_none(v: np.ndarray) -> list[float | None]:
    return [float(x) if math.isfinite(x) else None for x in v.tolist()]


def summary(result: PlanResult) -> dict[str, Any]:
    """The JSON summary stored in ``scenario.result`` (and shown in reports)."""
    d, c, cp = result.demand, result.coverage, result.coverage_planned
    out: dict[str, Any] = {
        "region": result.region,
        "resolution": d.grid.resolution,
        "cells": d.grid.size,
        "area_km2": float(d.grid.area_km2.sum()),
        "population": float(d.population.sum()),
        "population_outside": d.population_outside,
        "ev_fleet": d.ev_fleet,
        "demand_kwh_day": d.total_kwh_day,
        "poi_weight": float(d.poi.sum()),
        "demand_shares": dict(
            zip(("population", "traffic", "poi"), d.shares, strict=True)
        ),
        "coverage": {
            "radius_km": c.radius_km,
            "minutes": c.minutes_limit,
            "population_share_km": c.population_share_km,
            "demand_share_km": c.demand_share_km,
            "population_share_min": c.population_share_min,
            "demand_share_min": c.demand_share_min,
            "with_planned_population_share_km": cp.population_share_km,
            "with_planned_demand_share_km": cp.demand_share_km,
            "underserved_cells": int(c.underserved.sum()),
            "underserved_kwh_day": float(d.demand_kwh_day[c.underserved].sum()),
        },
        "candidates": len(result.candidates),
        "notes": list(result.notes),
    }
    s = result.selection
    if s is not None:
        out["selection"] = {
            "method": s.method,
            "status": s.status,
            "selected": len(s.selected),
            "covered_kwh_day": s.objective,
            "lp_bound_kwh_day": s.lp_bound,
            "gap": s.gap,
            "cost_uzs": s.cost_uzs,
            "covered_share_of_uncovered": s.covered_share,
        }
    if result.scores is not None:
        out["weights"] = result.scores.weights
        out["omitted_components"] = result.scores.omitted
        out["grid_flagged"] = int((~result.scores.grid_ok).sum())
    rules: dict[str, dict[str, float]] = {}
    for a in result.corridors:
        r = rules.setdefault(
            a.rule.name,
            {"roads": 0, "km": 0.0, "gaps": 0, "gap_km": 0.0, "proposed": 0},
        )
        r["roads"] += 1
        r["km"] += a.length_km
        r["gaps"] += len(a.gaps)
        r["gap_km"] += sum(g.length_km for g in a.gaps)
        r["proposed"] += len(a.proposed_km)
    out["corridors"] = rules
    return out


def save_results(
    engine: Engine,
    scenario_id: int,
    result: PlanResult,
    substation_ids: list[int],
    versions: dict[str, Any],
    digest: str,
) -> None:
    """Replace the scenario's results in one transaction and mark it done."""
    d, c, cp = result.demand, result.coverage, result.coverage_planned
    with engine.begin() as conn:
        for table in ("scenario_h3_cell", "scenario_candidate", "scenario_corridor"):
            conn.execute(
                text(f"DELETE FROM {table} WHERE scenario_id = :s"), {"s": scenario_id}
            )
        conn.execute(
            text(
                "INSERT INTO scenario_h3_cell (scenario_id, h3, population, demand_kwh_day,"
                " traffic_km, distance_m, minutes, covered, covered_planned, underserved)"
                " SELECT :s, * FROM unnest(CAST(:h3 AS text[]), CAST(:pop AS float8[]),"
                " CAST(:dem AS float8[]), CAST(:tr AS float8[]), CAST(:dist AS float8[]),"
                " CAST(:mins AS float8[]), CAST(:cov AS bool[]), CAST(:covp AS bool[]),"
                " CAST(:under AS bool[]))"
            ),
            {
                "s": scenario_id,
                "h3": gh3.cells_to_str(d.grid.cells),
                "pop": d.population.tolist(),
                "dem": d.demand_kwh_day.tolist(),
                "tr": d.traffic_km.tolist(),
                "dist": _finite_or_none(c.distance_m),
                "mins": _finite_or_none(c.minutes),
                "cov": c.within_km.tolist(),
                "covp": cp.within_km.tolist(),
                "under": c.underserved.tolist(),
            },
        )
        sc, sel = result.scores, result.selection
        if sc is not None and sel is not None:
            cands = result.candidates
            ranks = rank(sc.score)
            order = {int(j): k + 1 for k, j in enumerate(sel.selected.tolist())}
            sub_ids = [
                substation_ids[k] if 0 <= k < len(substation_ids) else None
                for k in sc.substation.tolist()
            ]
            rows = []
            for i in range(len(cands)):
                breakdown: dict[str, float | int | None] = {
                    k: float(v[i]) for k, v in sc.components.items()
                }
                breakdown |= {
                    "catchment_kwh_day": float(sc.catchment_kwh_day[i]),
                    "gain_kwh_day": float(sc.gain_kwh_day[i]),
                    "substation_spare_kw": None
                    if math.isnan(sc.substation_spare_kw[i])
                    else float(sc.substation_spare_kw[i]),
                    "substation_distance_m": None
                    if not math.isfinite(sc.substation_distance_m[i])
                    else float(sc.substation_distance_m[i]),
                    "competitors": int(sc.competitors[i]),
                }
                g = cands.geometry.iloc[i]
                csid = _opt(cands, "candidate_site_id", i)
                power = float(_opt(cands, "power_kw", i) or 150.0)
                name = _opt(cands, "name", i)
                rows.append(
                    {
                        "s": scenario_id,
                        "csid": None if csid is None else int(csid),
                        "source": str(_opt(cands, "source", i) or "candidate"),
                        "name": None if name is None else str(name),
                        "power": power,
                        "cost": site_cost_uzs(power),
                        "score": float(sc.score[i]),
                        "rank": int(ranks[i]),
                        "selected": i in order,
                        "sorder": order.get(i),
                        "grid_ok": bool(sc.grid_ok[i]),
                        "sub": sub_ids[i],
                        "breakdown": json.dumps(breakdown),
                        "reasons": json.dumps(list(sc.reasons[i])),
                        "wkt": g.wkt,
                    }
                )
            if rows:
                conn.execute(
                    text(
                        "INSERT INTO scenario_candidate (scenario_id, candidate_site_id, source,"
                        " name, power_kw, cost_uzs, score, rank, selected, selection_order,"
                        " grid_ok, substation_id, breakdown, reasons, geom) VALUES (:s, :csid,"
                        " :source, :name, :power, :cost, :score, :rank, :selected, :sorder,"
                        " :grid_ok, :sub, CAST(:breakdown AS jsonb), CAST(:reasons AS jsonb),"
                        " ST_GeomFromText(:wkt, 4326))"
                    ),
                    rows,
                )
        feats = result.corridor_features
        if len(feats):
            conn.execute(
                text(
                    "INSERT INTO scenario_corridor (scenario_id, kind, road, rule, start_km,"
                    " end_km, geom) VALUES (:s, :kind, :road, :rule, :a, :b,"
                    " ST_GeomFromText(:wkt, 4326))"
                ),
                [
                    {
                        "s": scenario_id,
                        "kind": k,
                        "road": r,
                        "rule": ru,
                        "a": float(a),
                        "b": float(b),
                        "wkt": g.wkt,
                    }
                    for k, r, ru, a, b, g in zip(
                        feats["kind"],
                        feats["road"],
                        feats["rule"],
                        feats["start_km"],
                        feats["end_km"],
                        feats.geometry,
                        strict=True,
                    )
                ],
            )
        conn.execute(
            text(
                "UPDATE scenario SET status = 'done', result = CAST(:r AS jsonb),"
                " input_versions = CAST(:v AS jsonb), input_hash = :h, error = NULL,"
                " finished_at = now(), updated_at = now() WHERE id = :s"
            ),
            {
                "s": scenario_id,
                "r": json.dumps(summary(result)),
                "v": json.dumps(versions),
                "h": digest,
            },
        )


def _mark(
    engine: Engine, scenario_id: int, status: str, error: str | None = None
) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE scenario SET status = :st, error = :e, updated_at = now(),"
                " started_at = CASE WHEN :st = 'running' THEN now() ELSE started_at END,"
                " finished_at = CASE WHEN :st = 'running' THEN NULL ELSE now() END"
                " WHERE id = :s"
            ),
            {"s": scenario_id, "st": status, "e": error},
        )


def execute(engine: Engine, scenario_id: int, job: Job) -> str:
    """Run one scenario to the end (worker thread); returns the final status.

    Never raises: failures are stored in ``scenario.error``.
    """

    def progress(stage: str, done: int, total: int) -> None:
        job.steps.append((stage, done, total))
        if job.cancel.is_set():
            raise CancelledError(f"scenario {scenario_id} cancelled")

    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT params FROM scenario WHERE id = :s"), {"s": scenario_id}
            ).one_or_none()
        if row is None:
            raise NotFoundError(
                f"scenario {scenario_id} not found", "scenario_not_found"
            )
        params = ScenarioCreate.model_validate(row[0])
        _mark(engine, scenario_id, "running")
        progress("loading", 0, 6)
        versions = input_versions(engine)
        digest = input_hash(params.model_dump(mode="json"), versions)
        inputs = load_inputs(engine, params.population_raster, params.region)
        result = run_plan(inputs, plan_config(params), progress)
        progress("saving", 6, 6)
        sub_ids = [int(x) for x in inputs.substations["id"]]
        save_results(engine, scenario_id, result, sub_ids, versions, digest)
        job.status = "done"
    except CancelledError:
        _mark(engine, scenario_id, "cancelled", "cancelled by the user")
        job.status = "cancelled"
    except (PlanningError, GeoError, InvalidInputError, NotFoundError) as e:
        _mark(engine, scenario_id, "failed", str(e))
        job.status = "failed"
    except Exception:
        logger.exception("scenario %s failed", scenario_id)
        _mark(engine, scenario_id, "failed", "internal error (see the server log)")
        job.status = "failed"
    return job.status


# ---------------------------------------------------------------- async API


async def start_run(
    session: AsyncSession, engine: Engine, jobs: PlanningJobs, scenario_id: int
) -> Job:
    """Start a run in a worker thread and return at once (status ``running``)."""
    await get_scenario(session, scenario_id)
    job = Job(scenario_id=scenario_id)
    jobs.add(job)
    await anyio.to_thread.run_sync(_mark, engine, scenario_id, "running")

    async def work() -> None:
        await anyio.to_thread.run_sync(execute, engine, scenario_id, job)

    job.task = asyncio.create_task(work(), name=f"scenario-{scenario_id}")
    return job


def cancel_run(jobs: PlanningJobs, scenario_id: int) -> Job:
    """Ask a running scenario to stop at its next progress step."""
    job = jobs.get(scenario_id)
    if job is None or job.status != "running":
        raise ConflictError(f"scenario {scenario_id} is not running", "not_running")
    job.cancel.set()
    return job


def progress_of(row: Scenario, job: Job | None) -> tuple[str, str, int, int]:
    """(status, stage, done, total) of a scenario, live when it runs here."""
    if job is not None and job.status == "running":
        return "running", job.stage, job.done, job.total
    status = job.status if job is not None else row.status
    return status, status, 6 if status == "done" else 0, 6


# ---------------------------------------------------------------- outputs

LAYERS: Final = ("cells", "candidates", "corridors")


def read_layer(
    engine: Engine, scenario_id: int, layer: str, underserved_only: bool = False
) -> gpd.GeoDataFrame:
    """A result layer as a GeoDataFrame (EPSG:4326); cells get hexagon outlines."""
    with engine.connect() as conn:
        if layer == "cells":
            df = pd.read_sql(
                text(
                    "SELECT h3, population, demand_kwh_day, traffic_km, distance_m,"
                    " minutes, covered, covered_planned, underserved"
                    " FROM scenario_h3_cell"
                    " WHERE scenario_id = :s AND (NOT :u OR underserved) ORDER BY h3"
                ),
                conn,
                params={"s": scenario_id, "u": underserved_only},
            )
            cells = gh3.str_to_cells(list(df["h3"]))
            return gpd.GeoDataFrame(df, geometry=gh3.cell_polygons(cells), crs=WGS84)
        if layer == "candidates":
            sql = (
                "SELECT id, candidate_site_id, source, name, power_kw, cost_uzs, score,"
                " rank, selected, selection_order, grid_ok, substation_id,"
                " breakdown::text AS breakdown, reasons::text AS reasons, geom"
                " FROM scenario_candidate WHERE scenario_id = :s ORDER BY rank, id"
            )
        elif layer == "corridors":
            sql = (
                "SELECT id, kind, road, rule, start_km, end_km, geom"
                " FROM scenario_corridor WHERE scenario_id = :s"
                " ORDER BY rule, road, start_km, kind"
            )
        else:
            raise InvalidInputError(
                f"layer: unknown layer {layer!r}; known: {', '.join(LAYERS)}",
                "unknown_layer",
            )
        g: gpd.GeoDataFrame = gpd.read_postgis(
            text(sql), conn, geom_col="geom", crs=WGS84, params={"s": scenario_id}
        )
    return g


def export_layer(
    engine: Engine, scenario_id: int, layer: str, fmt: str
) -> tuple[bytes, str]:
    """Bytes and media type of a result layer as GeoJSON, GeoPackage or CSV."""
    g = read_layer(engine, scenario_id, layer)
    if fmt == "geojson":
        return g.to_json(drop_id=True).encode(), "application/geo+json"
    if fmt == "csv":
        df = pd.DataFrame(g.drop(columns=g.geometry.name))
        df["wkt"] = g.geometry.to_wkt()
        return df.to_csv(index=False).encode(), "text/csv"
    if fmt == "gpkg":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"scenario_{scenario_id}_{layer}.gpkg"
            g.to_file(path, layer=layer, driver="GPKG")
            return path.read_bytes(), "application/geopackage+sqlite3"
    raise InvalidInputError(
        f"format: unknown format {fmt!r}; known: geojson, gpkg, csv", "unknown_format"
    )
