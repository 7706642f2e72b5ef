"""Import benchmark: ``quvvat import`` of 100,000 station points and 50,000 parcels
against a raw ``COPY`` of the same rows, in the same run.

``python -m bench import [--quick]``  (``--quick``: 20,000 points, 10,000 parcels)

* Data: points drawn with a seeded generator inside Uzbekistan's bounding box
  (kept only inside the 14 regions), parcels as 30-80 m rectangles around other
  such points; written as GeoPackage files by geopandas.
* Measured path: :func:`app.services.importer.import_file` end to end (read the
  file, reproject/repair/extent checks, attribute checks, COPY into a temp
  table, INSERT ... ON CONFLICT with the region lookup, import_run), into a
  database that holds the sample (so region lookups are real), first as a fresh
  insert and then as a re-import (all updates).
* Baseline: a raw binary ``COPY`` of exactly the rows the import stored (every
  column it filled, region and operator ids included, read back into memory
  before the clock starts) into the same table of an identical database: same
  indexes, constraints and foreign-key checks, no file reading, no validation,
  no region lookup, no upsert.
* Target: import throughput >= 50 % of raw COPY throughput.
"""

from __future__ import annotations

import time
from pathlib import Path
from tempfile import TemporaryDirectory

import geopandas as gpd
import numpy as np
import psycopg
import shapely
from shapely.geometry import box

from app.db import migrate
from app.services.importer import ImportOptions, import_file
from app.services.sample import load_sample
from tests.pg import PgServer, create_db, drop_db, new_db_name, pg_server

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.5


def _points_inside(n: int, rng: np.random.Generator) -> np.ndarray:
    regions = gpd.read_file(ROOT / "data" / "uz" / "regions.geojson")
    country = shapely.union_all(regions.geometry.to_numpy())
    shapely.prepare(country)
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        lon = rng.uniform(55.9, 73.2, size=n)
        lat = rng.uniform(37.1, 45.6, size=n)
        pts = shapely.points(lon, lat)
        pts = pts[shapely.contains(country, pts)]
        out.append(pts)
        have += len(pts)
    return np.concatenate(out)[:n]


def _write_inputs(tmp: Path, n_points: int, n_parcels: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(42)
    pts = _points_inside(n_points, rng)
    stations = gpd.GeoDataFrame(
        {
            "ext_id": [f"B-{i:06d}" for i in range(n_points)],
            "name": [f"Bench station {i}" for i in range(n_points)],
            "operator": rng.choice(["Bench A", "Bench B", "Bench C"], size=n_points),
        },
        geometry=pts,
        crs=4326,
    )
    centres = _points_inside(n_parcels, rng)
    w = rng.uniform(30, 80, size=n_parcels) / 111_000.0
    h = rng.uniform(30, 80, size=n_parcels) / 111_000.0
    xs, ys = shapely.get_x(centres), shapely.get_y(centres)
    parcels = gpd.GeoDataFrame(
        {
            "ext_id": [f"BP-{i:06d}" for i in range(n_parcels)],
            "land_use": rng.choice(
                ["commercial", "industrial", "public"], size=n_parcels
            ),
            "owner_type": rng.choice(["state", "private"], size=n_parcels),
            "status": rng.choice(["clear", "disputed"], size=n_parcels),
        },
        geometry=[
            box(x - a / 2, y - b / 2, x + a / 2, y + b / 2)
            for x, y, a, b in zip(xs, ys, w, h, strict=True)
        ],
        crs=4326,
    )
    sp, pp = tmp / "stations.gpkg", tmp / "parcels.gpkg"
    stations.to_file(sp, driver="GPKG")
    parcels.to_file(pp, driver="GPKG")
    return sp, pp


_SKIP = {"id", "created_at", "updated_at"}


def _columns(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = %s"
        " AND is_generated = 'NEVER' ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [r[0] for r in rows if r[0] not in _SKIP]


def _raw_copy(server: PgServer, imp_db: str, raw_db: str, layer: str) -> float:
    """COPY exactly the rows the import stored into an identical database.

    The rows (every column the importer filled: ext_id, name, attributes,
    properties, region and operator ids, geometry, source) are read back from
    the import's database into memory before the clock starts; operators the
    import created are copied first (same ids), untimed, so the foreign keys
    hold and are checked as in the import. Returns the seconds of the
    ``COPY ... FROM STDIN`` and its commit.
    """
    table = "site" if layer == "stations" else "cadastre_parcel"
    with psycopg.connect(server.dsn(imp_db)) as src:
        cols = ", ".join(_columns(src, table))
        data = bytearray()
        with src.cursor().copy(
            f"COPY (SELECT {cols} FROM {table} WHERE source = 'import')"
            " TO STDOUT (FORMAT binary)"
        ) as out:
            for chunk in out:
                data += chunk
        ops = bytearray()
        with src.cursor().copy(
            "COPY (SELECT * FROM operator WHERE source = 'import') TO STDOUT (FORMAT binary)"
        ) as out:
            for chunk in out:
                ops += chunk
    with psycopg.connect(server.dsn(raw_db)) as conn:
        with conn.cursor().copy("COPY operator FROM STDIN (FORMAT binary)") as cp:
            cp.write(bytes(ops))
        conn.commit()
        t = time.perf_counter()
        with conn.cursor().copy(
            f"COPY {table} ({cols}) FROM STDIN (FORMAT binary)"
        ) as cp:
            cp.write(bytes(data))
        conn.commit()
        return time.perf_counter() - t


def _run(server: PgServer, template: str, layer: str, path: Path, n: int) -> list[str]:
    raw_db, imp_db = new_db_name("quvvat_b_raw"), new_db_name("quvvat_b_imp")
    create_db(server, raw_db, template=template)
    create_db(server, imp_db, template=template)
    try:
        opts = ImportOptions(rejects_path=path.with_suffix(".rejects.csv"))
        t = time.perf_counter()
        first = import_file(
            server.url(imp_db), layer, path, options=opts, max_bytes=1 << 31
        )
        imp_s = time.perf_counter() - t
        t = time.perf_counter()
        again = import_file(
            server.url(imp_db), layer, path, options=opts, max_bytes=1 << 31
        )
        re_s = time.perf_counter() - t
        raw_s = _raw_copy(server, imp_db, raw_db, layer)
    finally:
        drop_db(server, raw_db)
        drop_db(server, imp_db)
    assert (first.inserted, first.rejected) == (n, 0), first
    assert (again.updated, again.inserted) == (n, 0), again
    raw_r, imp_r, re_r = n / raw_s, n / imp_s, n / re_s
    ok = "meets" if imp_r >= TARGET * raw_r else "MISSES"
    return [
        f"| {layer} ({n:,} rows) | raw COPY | {raw_s:.2f} s | {raw_r:,.0f} rows/s | 100 % |",
        f"| | import (insert) | {imp_s:.2f} s | {imp_r:,.0f} rows/s | {imp_r / raw_r:.0%} ({ok} >= 50 %) |",
        f"| | re-import (update) | {re_s:.2f} s | {re_r:,.0f} rows/s | {re_r / raw_r:.0%} |",
    ]


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    n_points, n_parcels = (20_000, 10_000) if quick else (100_000, 50_000)
    with pg_server() as server, TemporaryDirectory(prefix="quvvat-bench-") as tmp:
        template = new_db_name("quvvat_b_tpl")
        create_db(server, template)
        try:
            migrate.upgrade(server.url(template))
            load_sample(server.url(template))
            sp, pp = _write_inputs(Path(tmp), n_points, n_parcels)
            lines = [
                "| layer | path | time | throughput | vs raw COPY |",
                "|---|---|---|---|---|",
            ]
            lines += _run(server, template, "stations", sp, n_points)
            lines += _run(server, template, "parcels", pp, n_parcels)
        finally:
            drop_db(server, template)
    print("\n".join(lines))
