"""Bbox GeoJSON query: ~1,000 of 100,000 stations; target p95 < 50 ms.

Baseline in the same run: the same GeoJSON-building SQL sent straight to
PostgreSQL with psycopg (no HTTP, no FastAPI), on the same database.
Run: ``make bench BENCH_ARGS=stations`` or ``python -m bench stations [--n 100000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
import numpy as np
import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.services import stations as svc
from bench.common import app_server, bench_database, machine, percentiles, today
from geo.crs import UZ_BBOX

SEED_SQL = """
INSERT INTO operator (name) SELECT 'Bench operator ' || g FROM generate_series(1, 20) g;
INSERT INTO site (ext_id, name, operator_id, city, source, geom)
SELECT 'b' || g, 'Bench station ' || g, 1 + g % 20, 'Town ' || (g % 500), 'bench',
       ST_SetSRID(ST_MakePoint(:minx + random() * (:maxx - :minx),
                               :miny + random() * (:maxy - :miny)), 4326)
FROM generate_series(1, :n) g;
INSERT INTO charge_point (id, site_id, protocol)
SELECT 'BCP' || id, id, 'ocpp2.0.1' FROM site;
INSERT INTO evse (charge_point_id, evse_id) SELECT id, 1 FROM charge_point;
INSERT INTO connector (evse_pk, connector_id, type, max_power_kw, status)
SELECT e.id, k, (ARRAY['CCS2','GBT_DC','GBT_AC','CHADEMO','TYPE2'])[1 + (e.id + k) % 5],
       (ARRAY[7, 22, 60, 120, 160])[1 + (e.id * k) % 5],
       (ARRAY['Available','Charging','Faulted','Unavailable'])[1 + (e.id + k) % 4]
FROM evse e, generate_series(1, 2) k;
"""


def _boxes(rng: np.random.Generator, k: int) -> list[tuple[float, float, float, float]]:
    minx, miny, maxx, maxy = UZ_BBOX
    w, h = (maxx - minx) * 0.1, (maxy - miny) * 0.1  # 1% of the area: ~1,000 stations
    out = []
    for _ in range(k):
        x, y = rng.uniform(minx, maxx - w), rng.uniform(miny, maxy - h)
        out.append((x, y, x + w, y + h))
    return out


async def _raw(url: str, boxes: list[tuple[float, float, float, float]]) -> list[float]:
    """The service's SQL on an async engine, without HTTP."""
    engine = create_async_engine(url)
    times = []
    async with engine.connect() as conn:
        session = AsyncSession(bind=conn)
        for b in boxes:
            t0 = time.perf_counter()
            await svc.list_stations_geojson(
                session, svc.StationFilter(bbox=b), 10000, 0
            )
            times.append(time.perf_counter() - t0)
    await engine.dispose()
    return times


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench stations")
    ap.add_argument("--n", type=int, default=100_000, help="stations to load")
    ap.add_argument("--queries", type=int, default=300)
    args, _ = ap.parse_known_args(argv)
    rng = np.random.default_rng(42)
    boxes = _boxes(rng, args.queries)
    with bench_database() as (url, dsn):
        t0 = time.perf_counter()
        engine = create_engine(url)
        with engine.begin() as conn:
            minx, miny, maxx, maxy = UZ_BBOX
            for stmt in SEED_SQL.split(";"):
                if stmt.strip():
                    conn.execute(
                        text(stmt),
                        {
                            "n": args.n,
                            "minx": minx,
                            "miny": miny,
                            "maxx": maxx,
                            "maxy": maxy,
                        },
                    )
        engine.dispose()
        print(
            f"loaded {args.n} stations in {time.perf_counter() - t0:.1f} s", flush=True
        )

        # Baseline 1: plain psycopg, the bare bbox SELECT (no status, no JSON).
        plain = []
        with psycopg.connect(dsn) as conn:
            for b in boxes:
                t = time.perf_counter()
                conn.execute(
                    "SELECT id, ST_AsBinary(geom) FROM site WHERE geom &&"
                    " ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
                    b,
                ).fetchall()
                plain.append(time.perf_counter() - t)
        # Baseline 2: the service's GeoJSON SQL without HTTP.
        raw = asyncio.run(_raw(url, boxes))
        # Measured: the HTTP API end to end (uvicorn in another process).
        api, counts = [], []
        with app_server(url) as base, httpx.Client(base_url=base, timeout=30) as client:
            client.get("/health").raise_for_status()
            for b in boxes[:10]:  # warm-up
                client.get(
                    "/api/stations",
                    params={"bbox": ",".join(map(str, b)), "limit": 10000},
                )
            for b in boxes:
                t = time.perf_counter()
                r = client.get(
                    "/api/stations",
                    params={"bbox": ",".join(map(str, b)), "limit": 10000},
                )
                api.append(time.perf_counter() - t)
                r.raise_for_status()
                counts.append(r.json()["numberReturned"])
    p_plain, p_raw, p_api = percentiles(plain), percentiles(raw), percentiles(api)
    verdict = "PASS" if p_api["p95_ms"] < 50 else "FAIL"
    print(
        f"""
### Stations bbox GeoJSON query ({today()})
- command: `python -m bench stations --n {args.n} --queries {args.queries}`
- machine: {machine()}
- data: {args.n:,} stations (2 connectors each), {args.queries} random bboxes of 1% of
  Uzbekistan's bbox; features returned per query: median {int(np.median(counts))},
  min {min(counts)}, max {max(counts)}
- baseline, bare bbox SELECT via psycopg: p50 {p_plain["p50_ms"]:.1f} ms, p95 {p_plain["p95_ms"]:.1f} ms
- baseline, the service's GeoJSON SQL without HTTP: p50 {p_raw["p50_ms"]:.1f} ms, p95 {p_raw["p95_ms"]:.1f} ms
- measured, `GET /api/stations?bbox=…` over HTTP: p50 {p_api["p50_ms"]:.1f} ms,
  p95 {p_api["p95_ms"]:.1f} ms, p99 {p_api["p99_ms"]:.1f} ms
- target p95 < 50 ms: **{verdict}**
""",
        flush=True,
    )
