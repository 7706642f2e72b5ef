"""Load the embedded Uzbekistan sample (``data/uz``) and its DEMO layers.

Real layers: 14 regions (OSM via akbartus, ODbL), 73 districts (5 regions only),
221 GeoNames towns, 76 schematic main-road sections, and the one Open Charge Map
station. DEMO layers (``source = 'demo'``) are generated from real facts by
:mod:`app.services.demo_data` with a fixed seed; see ``docs/demo-data.md``.

Everything is written in ONE transaction with upserts keyed by the natural ids,
so loading twice updates rather than duplicates, and a failure changes nothing.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon, shape
from sqlalchemy import Connection, text

from app.db.session import make_sync_engine
from app.services import demo_data
from app.services.demo_data import DEMO, StationFacts, Town
from app.services.import_log import (
    Col,
    ImportSummary,
    Progress,
    record_run,
    upsert_arrays,
)
from app.settings import ROOT

logger = logging.getLogger(__name__)

DATA_DIR: Final = ROOT / "data" / "uz"
ATTRIBUTION_FILE: Final = ROOT / "data" / "ATTRIBUTION.txt"

#: Regional station counts published in the notes of facts_ev_energy.csv
#: (topic ``charging``), keyed by the ``as_of`` of their row. Checked against
#: the file at load time: each number must appear in that row's note.
PUBLISHED_REGIONAL: Final[dict[str, dict[str, int]]] = {
    "2025-05-01": {"UZ-TK": 820},
    "2024-12": {"UZ-TO": 120, "UZ-NG": 61, "UZ-SA": 61, "UZ-FA": 61},
    "2024-08": {"UZ-JI": 37, "UZ-QR": 9},
}
CAPITAL_AND_REGION_SHARE: Final = 0.70  # "capital + region ~70%" (2025-05-01 row)
STEPS: Final = 10
DEMO_SOURCE: Final = f"demo (seed {demo_data.SEED})"


def attribution() -> str:
    """The attribution line that the app and the map show."""
    return ATTRIBUTION_FILE.read_text(encoding="utf-8").strip()


@dataclass(frozen=True, slots=True)
class SampleSummary:
    """Per-layer counts of one sample load."""

    layers: tuple[ImportSummary, ...]

    def count(self, layer: str) -> int:
        return next(s.read for s in self.layers if s.layer == layer)

    def as_dict(self) -> dict[str, Any]:
        return {"layers": [s.as_dict() for s in self.layers]}


# ---------------------------------------------------------------- reading


def _features(name: str) -> list[dict[str, Any]]:
    with (DATA_DIR / name).open(encoding="utf-8") as f:
        feats: list[dict[str, Any]] = json.load(f)["features"]
    return feats


def _csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _people(
    rows: dict[str, dict[str, str]], iso: str
) -> tuple[int | None, date | None, str | None]:
    """A region's official population, its date and source (all None if absent)."""
    r = rows.get(iso)
    if r is None:
        return None, None, None
    return int(r["population"]), date.fromisoformat(r["as_of"]), r["source_url"]


def _multi(geom: Any) -> MultiPolygon:
    g = shape(geom)
    if isinstance(g, Polygon):
        return MultiPolygon([g])
    if not isinstance(g, MultiPolygon):
        raise ValueError(f"expected a polygon, got {g.geom_type}")
    return g


def read_station_facts(rows: Iterable[dict[str, str]]) -> StationFacts:
    """The published station counts (see :data:`PUBLISHED_REGIONAL`)."""
    charging = {
        r["as_of"]: r
        for r in rows
        if r["topic"] == "charging" and r["metric"] == "EV charging stations"
    }
    regional: dict[str, int] = {}
    basis: dict[str, int] = {}
    for as_of, counts in PUBLISHED_REGIONAL.items():
        row = charging[as_of]
        for iso, n in counts.items():
            if str(n) not in row["note"]:
                raise ValueError(
                    f"facts_ev_energy.csv row {as_of} no longer states {iso} = {n}"
                )
            regional.setdefault(iso, n)
            basis.setdefault(iso, int(row["value"]))
    latest = max(charging)
    return StationFacts(
        total=int(charging[latest]["value"]),
        as_of=latest,
        regional=regional,
        regional_basis_total=basis,
        capital_and_region_share=CAPITAL_AND_REGION_SHARE,
    )


def _ev_weights(rows: list[dict[str, str]], pop: dict[str, int]) -> dict[str, float]:
    """Registered EVs per region at the latest date; the unpublished rest of the
    national total is split over the other regions by population."""
    fleet = [
        r
        for r in rows
        if r["topic"] == "ev_fleet" and r["metric"] == "registered electric vehicles"
    ]
    latest = max(r["as_of"] for r in fleet)
    fleet = [r for r in fleet if r["as_of"] == latest]
    national = next(int(r["value"]) for r in fleet if r["geography"] == "UZ")
    known = {r["geography"]: float(r["value"]) for r in fleet if r["geography"] != "UZ"}
    rest = national - sum(known.values())
    others = {iso: p for iso, p in pop.items() if iso not in known}
    psum = sum(others.values())
    return {**known, **{iso: rest * p / psum for iso, p in others.items()}}


def _planned_total(rows: list[dict[str, str]], existing: int) -> int:
    need = next(
        int(r["value"])
        for r in rows
        if r["topic"] == "charging"
        and r["metric"].startswith("charging stations needed")
    )
    return max(need - existing, 0)


# ---------------------------------------------------------------- writing


def _wkb(geoms: Iterable[Any]) -> list[bytes]:
    return [shapely.to_wkb(g) for g in geoms]


_GEOM = "ST_SetSRID(ST_GeomFromWKB(u.geom), 4326)"


def _summary(layer: str, source: str, flags: list[Any]) -> ImportSummary:
    ins = sum(1 for (f,) in flags if f)
    return ImportSummary(layer, source, len(flags), ins, len(flags) - ins, 0)


def _load_places(
    conn: Connection,
    *,
    region_geoms: dict[str, MultiPolygon],
    attrs: dict[str, dict[str, str]],
    people: dict[str, dict[str, str]],
    districts_f: list[dict[str, Any]],
    cities: list[dict[str, str]],
    roads_f: list[dict[str, Any]],
    roads: list[tuple[str, LineString]],
    step: Callable[[int], None],
) -> tuple[list[ImportSummary], dict[str, int]]:
    out: list[ImportSummary] = []
    # regions
    isos = sorted(region_geoms)
    flags = upsert_arrays(
        conn,
        "region",
        [
            Col("iso_code", "text", isos),
            Col("name_en", "text", [attrs[i]["name_en"] for i in isos]),
            Col("name_ru", "text", [attrs[i]["name_ru"] for i in isos]),
            Col("name_uz", "text", [attrs[i]["name_uz"] for i in isos]),
            Col(
                "area_km2",
                "float8",
                [float(attrs[i]["area_km2"]) for i in isos],
            ),
            Col("population", "int8", [_people(people, i)[0] for i in isos]),
            Col("population_as_of", "date", [_people(people, i)[1] for i in isos]),
            Col("population_source", "text", [_people(people, i)[2] for i in isos]),
            Col("source", "text", ["osm"] * len(isos)),
            Col("license", "text", [attrs[i]["license"] for i in isos]),
            Col("geom", "bytea", _wkb(region_geoms[i] for i in isos), _GEOM),
        ],
        conflict="iso_code",
    )
    out.append(_summary("regions", "data/uz/regions.geojson", flags))
    region_id: dict[str, int] = dict(
        conn.execute(text("SELECT iso_code, id FROM region")).all()
    )
    step(2)

    # districts
    dprops = [f["properties"] for f in districts_f]
    flags = upsert_arrays(
        conn,
        "district",
        [
            Col(
                "ext_id",
                "text",
                [f"{p['region_iso']}:{p['name_en']}" for p in dprops],
            ),
            Col("region_id", "int", [region_id[p["region_iso"]] for p in dprops]),
            Col("name_en", "text", [p["name_en"] for p in dprops]),
            Col("name_ru", "text", [p["name_ru"] for p in dprops]),
            Col("name_uz", "text", [p["name_uz"] for p in dprops]),
            Col("source", "text", ["osm"] * len(dprops)),
            Col(
                "geom",
                "bytea",
                _wkb(_multi(f["geometry"]) for f in districts_f),
                _GEOM,
            ),
        ],
        conflict="ext_id",
    )
    out.append(_summary("districts", "data/uz/districts_partial.geojson", flags))

    # cities
    flags = upsert_arrays(
        conn,
        "city",
        [
            Col("id", "int8", [int(c["geonameid"]) for c in cities]),
            Col("name", "text", [c["name"] for c in cities]),
            Col("name_ru", "text", [c["ne_name_ru"] or None for c in cities]),
            Col(
                "alternatenames",
                "text",
                [c["alternatenames"] or None for c in cities],
            ),
            Col("population", "int8", [int(c["population"]) for c in cities]),
            Col("region_id", "int", [region_id[c["region_iso"]] for c in cities]),
            Col("source", "text", ["geonames"] * len(cities)),
            Col(
                "geom",
                "bytea",
                _wkb(shapely.Point(float(c["lon"]), float(c["lat"])) for c in cities),
                _GEOM,
            ),
        ],
        conflict="id",
    )
    out.append(_summary("cities", "data/uz/cities_geonames.csv", flags))
    step(3)

    # roads
    rprops = [f["properties"] for f in roads_f]
    keep = {"id", "ref", "name_en", "road_class", "length_km_geodesic"}
    flags = upsert_arrays(
        conn,
        "road",
        [
            Col("ext_id", "text", [p["id"] for p in rprops]),
            Col("ref", "text", [p["ref"] for p in rprops]),
            Col("name", "text", [p["name_en"] for p in rprops]),
            Col("road_class", "text", [p["road_class"] for p in rprops]),
            Col("length_km", "float8", [p["length_km_geodesic"] for p in rprops]),
            Col("source", "text", ["schematic"] * len(rprops)),
            Col(
                "properties",
                "text",
                [
                    json.dumps(
                        {k: v for k, v in p.items() if k not in keep},
                        ensure_ascii=False,
                    )
                    for p in rprops
                ],
                "u.properties::jsonb",
            ),
            Col("geom", "bytea", _wkb(line for _, line in roads), _GEOM),
        ],
        conflict="ext_id",
    )
    out.append(_summary("roads", "data/uz/roads_main_schematic.geojson", flags))
    step(4)
    return out, region_id


def _load_planning(
    conn: Connection,
    demo: demo_data.DemoLayers,
    region_id: dict[str, int],
    step: Callable[[int], None],
) -> list[ImportSummary]:
    out: list[ImportSummary] = []
    # planned sites (demo)
    ps = demo.planned_sites
    flags = upsert_arrays(
        conn,
        "planned_site",
        [
            Col("ext_id", "text", [p.ext_id for p in ps]),
            Col("name", "text", [p.name for p in ps]),
            Col("year", "int2", [p.year for p in ps]),
            Col("phase", "text", [p.phase for p in ps]),
            Col("power_kw", "numeric", [p.power_kw for p in ps]),
            Col(
                "connector_types",
                "text",
                [json.dumps(list(p.connector_types)) for p in ps],
                "u.connector_types::jsonb",
            ),
            Col("region_id", "int", [region_id[p.region_iso] for p in ps]),
            Col("source", "text", [DEMO] * len(ps)),
            Col(
                "properties",
                "text",
                [json.dumps({"placement": p.placement}) for p in ps],
                "u.properties::jsonb",
            ),
            Col(
                "geom",
                "bytea",
                _wkb(shapely.Point(p.lon, p.lat) for p in ps),
                _GEOM,
            ),
        ],
        conflict="ext_id",
        touch_updated_at=True,
    )
    out.append(_summary("planned_sites", DEMO_SOURCE, flags))
    step(7)

    # substations and lines (demo)
    ss = demo.substations
    flags = upsert_arrays(
        conn,
        "grid_substation",
        [
            Col("ext_id", "text", [s.ext_id for s in ss]),
            Col("name", "text", [s.name for s in ss]),
            Col("voltage_kv", "float8", [s.voltage_kv for s in ss]),
            Col("capacity_kw", "float8", [s.capacity_kw for s in ss]),
            Col("spare_kw", "float8", [s.spare_kw for s in ss]),
            Col("region_id", "int", [region_id[s.region_iso] for s in ss]),
            Col("source", "text", [DEMO] * len(ss)),
            Col(
                "properties",
                "text",
                [json.dumps({"town": s.town}, ensure_ascii=False) for s in ss],
                "u.properties::jsonb",
            ),
            Col(
                "geom",
                "bytea",
                _wkb(shapely.Point(s.lon, s.lat) for s in ss),
                _GEOM,
            ),
        ],
        conflict="ext_id",
        touch_updated_at=True,
    )
    out.append(_summary("substations", DEMO_SOURCE, flags))
    gl = demo.grid_lines
    flags = upsert_arrays(
        conn,
        "grid_line",
        [
            Col("ext_id", "text", [g.ext_id for g in gl]),
            Col("voltage_kv", "float8", [g.voltage_kv for g in gl]),
            Col("capacity_kw", "float8", [g.capacity_kw for g in gl]),
            Col("spare_kw", "float8", [g.spare_kw for g in gl]),
            Col("source", "text", [DEMO] * len(gl)),
            Col(
                "properties",
                "text",
                [json.dumps({"from": g.from_ext_id, "to": g.to_ext_id}) for g in gl],
                "u.properties::jsonb",
            ),
            Col("geom", "bytea", _wkb(LineString(g.coords) for g in gl), _GEOM),
        ],
        conflict="ext_id",
        touch_updated_at=True,
    )
    out.append(_summary("grid_lines", DEMO_SOURCE, flags))
    step(8)

    # cadastre parcels (demo)
    cp = demo.parcels
    flags = upsert_arrays(
        conn,
        "cadastre_parcel",
        [
            Col("ext_id", "text", [p.ext_id for p in cp]),
            Col("land_use", "text", [p.land_use for p in cp]),
            Col("owner_type", "text", [p.owner_type for p in cp]),
            Col("status", "text", [p.status for p in cp]),
            Col("area_m2", "float8", [p.area_m2 for p in cp]),
            Col("region_id", "int", [region_id[p.region_iso] for p in cp]),
            Col("source", "text", [DEMO] * len(cp)),
            Col(
                "properties",
                "text",
                [json.dumps({"near": p.near}, ensure_ascii=False) for p in cp],
                "u.properties::jsonb",
            ),
            Col(
                "geom",
                "bytea",
                _wkb(MultiPolygon([Polygon(p.ring)]) for p in cp),
                _GEOM,
            ),
        ],
        conflict="ext_id",
        touch_updated_at=True,
    )
    out.append(_summary("parcels", DEMO_SOURCE, flags))
    step(9)
    return out


def load_sample(url: str, progress: Progress | None = None) -> SampleSummary:
    """Load (or refresh) the whole sample into the database at ``url``.

    Parameters
    ----------
    url
        SQLAlchemy URL of a database at the migration head.
    progress
        Called as ``progress(step, total_steps)``.

    Returns
    -------
    SampleSummary
        read / inserted / updated counts per layer.
    """

    def step(i: int) -> None:
        if progress is not None:
            progress(i, STEPS)

    step(0)
    regions_f = _features("regions.geojson")
    attrs = {r["iso_3166_2"]: r for r in _csv("regions_attributes.csv")}
    people = {r["iso_3166_2"]: r for r in _csv("regions_population.csv")}
    districts_f = _features("districts_partial.geojson")
    cities = _csv("cities_geonames.csv")
    roads_f = _features("roads_main_schematic.geojson")
    ocm_f = _features("charging_stations_ocm.geojson")
    facts_rows = _csv("facts_ev_energy.csv")

    region_geoms = {
        f["properties"]["iso_3166_2"]: _multi(f["geometry"]) for f in regions_f
    }
    towns = [
        Town(
            int(c["geonameid"]),
            c["ne_name_en"] or c["name"],
            c["region_iso"],
            int(c["population"]),
            float(c["lon"]),
            float(c["lat"]),
        )
        for c in cities
    ]
    roads = [
        (str(f["properties"]["ref"]), LineString(f["geometry"]["coordinates"]))
        for f in roads_f
    ]
    pop = {iso: int(a["geonames_pop_sum"]) for iso, a in attrs.items()}
    real_by_region: dict[str, int] = {}
    for f in ocm_f:
        iso = f["properties"]["region_iso"]
        real_by_region[iso] = real_by_region.get(iso, 0) + 1
    facts = read_station_facts(facts_rows)
    demo = demo_data.generate(
        towns=towns,
        regions=region_geoms,
        roads=roads,
        facts=facts,
        region_population=pop,
        real_stations_by_region=real_by_region,
        ev_by_region=_ev_weights(facts_rows, pop),
        planned_total=_planned_total(facts_rows, facts.total),
        rng=np.random.default_rng(demo_data.SEED),
    )
    step(1)

    engine = make_sync_engine(url)
    try:
        with engine.begin() as conn:
            out, region_id = _load_places(
                conn,
                region_geoms=region_geoms,
                attrs=attrs,
                people=people,
                districts_f=districts_f,
                cities=cities,
                roads_f=roads_f,
                roads=roads,
                step=step,
            )
            # operators (demo)
            upsert_arrays(
                conn,
                "operator",
                [
                    Col("name", "text", list(demo_data.DEMO_OPERATORS)),
                    Col("source", "text", [DEMO] * len(demo_data.DEMO_OPERATORS)),
                ],
                conflict="name",
            )
            operator_id: dict[str, int] = dict(
                conn.execute(
                    text("SELECT name, id FROM operator WHERE source = 'demo'")
                ).all()
            )

            # stations: the real OCM record, then the demo sites
            out.append(_load_stations(conn, demo, ocm_f, region_id, operator_id))
            step(6)
            out += _load_planning(conn, demo, region_id, step)

            out = [record_run(conn, s) for s in out]
    finally:
        engine.dispose()
    step(STEPS)
    summary = SampleSummary(tuple(out))
    logger.info(
        "sample loaded: %s",
        ", ".join(f"{s.layer}={s.read}" for s in summary.layers),
    )
    return summary


def _load_stations(
    conn: Connection,
    demo: demo_data.DemoLayers,
    ocm_f: list[dict[str, Any]],
    region_id: dict[str, int],
    operator_id: dict[str, int],
) -> ImportSummary:
    sites = demo.sites
    ocm_props = [f["properties"] for f in ocm_f]
    ext = [f"OCM-{p['ocm_id']}" for p in ocm_props] + [s.ext_id for s in sites]
    names = [str(p["title"]) for p in ocm_props] + [s.name for s in sites]
    addr = [p.get("address") for p in ocm_props] + [None] * len(sites)
    city = [p.get("town") for p in ocm_props] + [s.city for s in sites]
    regs = [region_id[p["region_iso"]] for p in ocm_props] + [
        region_id[s.region_iso] for s in sites
    ]
    ops: list[int | None] = [None] * len(ocm_props) + [
        operator_id[s.operator] for s in sites
    ]
    src = ["ocm"] * len(ocm_props) + [DEMO] * len(sites)
    keep_out = {"title", "address", "town", "region_iso", "source"}
    props = [
        json.dumps(
            {k: v for k, v in p.items() if k not in keep_out}
            | {"attribution": p["license"]},
            ensure_ascii=False,
        )
        for p in ocm_props
    ] + ["{}"] * len(sites)
    geoms = [shape(f["geometry"]) for f in ocm_f] + [
        shapely.Point(s.lon, s.lat) for s in sites
    ]
    flags = upsert_arrays(
        conn,
        "site",
        [
            Col("ext_id", "text", ext),
            Col("name", "text", names),
            Col("address", "text", addr),
            Col("city", "text", city),
            Col("region_id", "int", regs),
            Col("operator_id", "int", ops),
            Col("source", "text", src),
            Col("properties", "text", props, "u.properties::jsonb"),
            Col("geom", "bytea", _wkb(geoms), _GEOM),
        ],
        conflict="ext_id",
        returning="(xmax = 0), id, ext_id",
        touch_updated_at=True,
    )
    site_pk = {row[2]: row[1] for row in flags}
    cps = [(s, cp) for s in sites for cp in s.charge_points]
    upsert_arrays(
        conn,
        "charge_point",
        [
            Col("id", "text", [cp.id for _, cp in cps]),
            Col("site_id", "int", [site_pk[s.ext_id] for s, _ in cps]),
            Col("protocol", "text", ["ocpp1.6"] * len(cps)),
            Col("source", "text", [DEMO] * len(cps)),
        ],
        conflict="id",
        touch_updated_at=True,
    )
    evses = [(cp, e) for _, cp in cps for e in cp.evses]
    rows = upsert_arrays(
        conn,
        "evse",
        [
            Col("charge_point_id", "text", [cp.id for cp, _ in evses]),
            Col("evse_id", "int", [e.evse_id for _, e in evses]),
            Col("status", "text", [e.status for _, e in evses]),
        ],
        conflict="charge_point_id, evse_id",
        returning="id, charge_point_id, evse_id",
    )
    evse_pk = {(r[1], r[2]): r[0] for r in rows}
    conns = [(cp, e, c) for cp, e in evses for c in e.connectors]
    upsert_arrays(
        conn,
        "connector",
        [
            Col("evse_pk", "int", [evse_pk[(cp.id, e.evse_id)] for cp, e, _ in conns]),
            Col("connector_id", "int", [c.connector_id for _, _, c in conns]),
            Col("type", "text", [c.type for _, _, c in conns]),
            Col("max_power_kw", "numeric", [c.max_power_kw for _, _, c in conns]),
            Col("status", "text", [c.status for _, _, c in conns]),
            Col(
                "status_at",
                "timestamptz",
                ["2025-05-01T00:00:00+00:00"] * len(conns),
            ),
        ],
        conflict="evse_pk, connector_id",
    )
    return _summary(
        "stations",
        f"data/uz/charging_stations_ocm.geojson + {DEMO_SOURCE}",
        [(r[0],) for r in flags],
    )


def is_empty(url: str) -> bool:
    """True when no region is loaded yet (the sample was never loaded)."""
    engine = make_sync_engine(url)
    try:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    text("SELECT NOT EXISTS (SELECT 1 FROM region)")
                ).scalar_one()
            )
    finally:
        engine.dispose()


def load_sample_if_empty(
    url: str, progress: Progress | None = None
) -> SampleSummary | None:
    """Load the sample unless the database already holds regions; None when skipped."""
    if not is_empty(url):
        logger.info("sample already loaded: skipping")
        return None
    return load_sample(url, progress)


__all__ = [
    "DATA_DIR",
    "SampleSummary",
    "attribution",
    "load_sample",
    "load_sample_if_empty",
]
