"""Tile benchmark: ``/tiles`` over HTTP vs the raw ST_AsMVT SQL, first paint, bundle.

``python -m bench tiles [--quick]``

* Loads the Uzbekistan sample into a fresh database, then 10,000 stations (with
  charge points, EVSEs, connectors) and 100,000 cadastre parcels drawn with a
  fixed seed around populated places (``--quick``: 2,000 and 20,000).
* Baseline, same run, same tiles: the tile function called directly over psycopg
  (``SELECT quvvat_tile_stations(z, x, y)`` etc.: the raw ST_AsMVT SQL) from the
  same number of concurrent clients.
* Measured: ``GET /tiles/{layer}/{z}/{x}/{y}.pbf`` from ``quvvat serve`` (one
  uvicorn process, as ``make run`` starts it) with the in-memory tile cache switched off, so both
  paths do the same database work. Closed loop for throughput (target >= 70 % of
  raw) driven by ``wrk`` (installed by ``make bench``; a Python client would take
  as much of the two cores as the server), with the server's CPU time per
  request; then an open loop at 200 requests/s for p95 (target <= 50 ms).
* Navigation to first stations drawn in headless Chromium (target <= 2 s).
* Bundle size of ``frontend/dist``.
"""

from __future__ import annotations

import asyncio
import gzip
import math
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
import psycopg

from app.db import migrate
from app.services.sample import load_sample

ROOT = Path(__file__).resolve().parents[1]
# The machine's PostgreSQL (as the tests use it); the bench database is dropped after.
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres"
CONCURRENCY = 8
# Parcel tiles are for staff: every HTTP request carries the admin token, as the
# map app sends a signed-in planner's token.
BENCH_TOKEN = secrets.token_urlsafe(24)
AUTH = {"Authorization": f"Bearer {BENCH_TOKEN}"}


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def _populate(dsn: str, n_sites: int, n_parcels: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT setseed(0.42)")
        conn.execute(
            """
            CREATE TEMP TABLE anchor AS
            SELECT row_number() OVER (ORDER BY id) AS k, ST_X(geom) AS lon, ST_Y(geom) AS lat
            FROM city WHERE population >= 20000
            """
        )
        conn.execute(
            """
            INSERT INTO site (ext_id, name, city, address, region_id, source, geom)
            SELECT 'bench-' || i, 'Bench station ' || i, 'Bench', i || ' Bench street',
                   NULL, 'demo',
                   ST_SetSRID(ST_MakePoint(a.lon + (random() - 0.5) * 0.3,
                                           a.lat + (random() - 0.5) * 0.2), 4326)
            FROM generate_series(1, %s) i
            JOIN anchor a ON a.k = 1 + i %% (SELECT count(*) FROM anchor)
            """,
            (n_sites,),
        )
        conn.execute(
            """
            INSERT INTO charge_point (id, site_id, vendor, protocol, source)
            SELECT 'BENCH-' || id, id, 'Bench', 'ocpp1.6', 'demo'
            FROM site WHERE ext_id LIKE 'bench-%'
            """
        )
        conn.execute(
            """
            INSERT INTO evse (charge_point_id, evse_id, status)
            SELECT cp.id, e, 'Available' FROM charge_point cp, generate_series(1, 2) e
            WHERE cp.id LIKE 'BENCH-%'
            """
        )
        conn.execute(
            """
            INSERT INTO connector (evse_pk, connector_id, type, max_power_kw, status)
            SELECT e.id, 1, (ARRAY['CCS2','GBT_DC','GBT_AC','TYPE2','CHADEMO'])[1 + (e.id % 5)],
                   (ARRAY[120, 60, 7, 22, 50])[1 + (e.id % 5)],
                   (ARRAY['Available','Charging','Faulted','Unavailable'])[1 + (e.id % 4)]
            FROM evse e WHERE e.charge_point_id LIKE 'BENCH-%'
            """
        )
        conn.execute(
            """
            INSERT INTO cadastre_parcel (ext_id, land_use, owner_type, area_m2, source, geom)
            SELECT 'bench-' || i,
                   (ARRAY['commercial','industrial','residential','agricultural'])[1 + i %% 4],
                   'state', 2000, 'demo',
                   ST_Multi(ST_MakeEnvelope(x, y, x + 0.0006, y + 0.0004, 4326))
            FROM (
              SELECT i, a.lon + (random() - 0.5) * 0.2 AS x, a.lat + (random() - 0.5) * 0.15 AS y
              FROM generate_series(1, %s) i
              JOIN anchor a ON a.k = 1 + i %% (SELECT count(*) FROM anchor)
            ) p
            """,
            (n_parcels,),
        )
        conn.execute("ANALYZE")


def _tiles(dsn: str, rng: random.Random, n: int) -> list[tuple[str, int, int, int]]:
    """A mix of station tiles (zoom 8-14) and parcel tiles (zoom 12-15) over data."""
    with psycopg.connect(dsn) as conn:
        sites = conn.execute(
            "SELECT ST_X(geom), ST_Y(geom) FROM site ORDER BY id"
        ).fetchall()
        parcels = conn.execute(
            "SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM cadastre_parcel "
            "ORDER BY id LIMIT 20000"
        ).fetchall()
    out: set[tuple[str, int, int, int]] = set()
    while len(out) < n:
        if rng.random() < 0.6:
            lon, lat = rng.choice(sites)
            out.add(("stations", *_tile_of(lon, lat, rng.randint(8, 14))))
        else:
            lon, lat = rng.choice(parcels)
            out.add(("parcels", *_tile_of(lon, lat, rng.randint(12, 15))))
    return sorted(out)


FUNCTIONS = {"stations": "quvvat_tile_stations", "parcels": "quvvat_tile_parcels"}


def _raw_closed_loop(
    dsn: str, tiles: list[tuple[str, int, int, int]], seconds: float
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(offset: int) -> None:
        with psycopg.connect(dsn) as conn:
            i = offset
            while time.perf_counter() < stop:
                layer, z, x, y = tiles[i % len(tiles)]
                t0 = time.perf_counter()
                conn.execute(
                    f"SELECT {FUNCTIONS[layer]}(%s, %s, %s)", (z, x, y)
                ).fetchone()
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)
                i += CONCURRENCY

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / (time.perf_counter() - t0), latencies


def _raw_open_loop(
    dsn: str, tiles: list[tuple[str, int, int, int]], rate: float, seconds: float
) -> list[float]:
    """Requests scheduled at a fixed rate over a pool of connections; latency from
    the scheduled time (so queueing counts)."""
    n = int(rate * seconds)
    latencies: list[float] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.2
    counter = iter(range(n))
    counter_lock = threading.Lock()

    def worker() -> None:
        with psycopg.connect(dsn) as conn:
            while True:
                with counter_lock:
                    k = next(counter, None)
                if k is None:
                    return
                due = start + k / rate
                now = time.perf_counter()
                if due > now:
                    time.sleep(due - now)
                layer, z, x, y = tiles[k % len(tiles)]
                conn.execute(
                    f"SELECT {FUNCTIONS[layer]}(%s, %s, %s)", (z, x, y)
                ).fetchone()
                with lock:
                    latencies.append(time.perf_counter() - due)

    threads = [threading.Thread(target=worker) for _ in range(2 * CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


async def _http_closed_loop(
    base: str, tiles: list[tuple[str, int, int, int]], seconds: float
) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(
        base_url=base, limits=limits, timeout=30, headers=AUTH
    ) as client:

        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.perf_counter() < stop:
                layer, z, x, y = tiles[i % len(tiles)]
                t0 = time.perf_counter()
                r = await client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf")
                latencies.append(time.perf_counter() - t0)
                errors += r.status_code != 200
                i += CONCURRENCY

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(CONCURRENCY)))
    return len(latencies) / (time.perf_counter() - t0), latencies, errors


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wrk_closed_loop(
    base: str, tiles: list[tuple[str, int, int, int]], seconds: float, tmp: Path
) -> tuple[float, float, float, int]:
    """wrk (C, epoll) as the load client, so that the client does not compete with
    the server for the two cores as a Python client does: (req/s, p50 ms, p95 ms,
    non-2xx answers). The Lua script walks the same tile list as the raw loop."""
    script = tmp / "tiles.lua"
    paths = ",".join(f'"/tiles/{layer}/{z}/{x}/{y}.pbf"' for layer, z, x, y in tiles)
    script.write_text(
        f"paths = {{{paths}}}\n"
        "i = 0\n"
        "request = function()\n"
        "  i = i + 1\n"
        "  return wrk.format('GET', paths[(i % #paths) + 1])\n"
        "end\n"
        "done = function(summary, latency, requests)\n"
        "  io.write(string.format('QUVVAT %d %.3f %.3f %d %d\\n', summary.requests,\n"
        "    latency:percentile(50) / 1000, latency:percentile(95) / 1000,\n"
        "    summary.errors.status, summary.duration))\n"
        "end\n"
    )
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONCURRENCY}", f"-d{seconds:.0f}s", "-s", str(script),
         "-H", f"Authorization: {AUTH['Authorization']}", base],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    line = next(x for x in out.splitlines() if x.startswith("QUVVAT "))
    n, p50, p95, bad, duration_us = line.split()[1:]
    return int(n) / (int(duration_us) / 1e6), float(p50), float(p95), int(bad)


class _KeepAlive:
    """One keep-alive HTTP/1.1 connection for the open loop: a GET is a
    written request and a read of the headers and ``Content-Length`` bytes.
    httpx took a whole core at 200 requests/s on this machine and then sent
    requests late, which measured the client, not the server."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None or self.reader is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port
            )
        auth = AUTH["Authorization"]
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: {auth}\r\n\r\n".encode()
        )
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        status = int(head.split(" ", 2)[1])
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                self.writer.close()
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _http_open_loop(
    base: str, tiles: list[tuple[str, int, int, int]], rate: float, seconds: float
) -> tuple[list[float], int, list[float]]:
    """A fixed pool of client tasks takes requests in schedule order (as the raw
    open loop does); latency counts from the scheduled time, so queueing counts.
    Also returns how late each request was sent (the client's own lag: a
    client short of CPU sends late, which is not the server's queueing)."""
    n = int(rate * seconds)
    latencies: list[float] = []
    late: list[float] = []
    errors = 0
    next_k = 0
    host, port = base.removeprefix("http://").split(":")
    conns = [_KeepAlive(host, int(port)) for _ in range(2 * CONCURRENCY)]
    start = time.perf_counter() + 0.2

    async def worker(conn: _KeepAlive) -> None:
        nonlocal errors, next_k
        while next_k < n:
            k = next_k
            next_k += 1
            due = start + k / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            late.append(time.perf_counter() - due)
            layer, z, x, y = tiles[k % len(tiles)]
            try:
                errors += await conn.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf") != 200
            except (OSError, asyncio.IncompleteReadError, ValueError):
                errors += 1  # counted: a reset keep-alive socket
                conn.close()
                conn.writer = None
            latencies.append(time.perf_counter() - due)

    try:
        await asyncio.gather(*(worker(c) for c in conns))
    finally:
        for c in conns:
            c.close()
    return latencies, errors, late


def _p(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100)[int(q) - 1] * 1000
        if values
        else float("nan")
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _first_paint(base: str, runs: int) -> list[float]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    out: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for _ in range(runs):
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            page = ctx.new_page()
            page.goto(base + "/#v=11/41.3/69.27/0/0")
            page.wait_for_function(
                "() => window.quvvat && window.quvvat.firstStationsAt !== null",
                timeout=60000,
            )
            out.append(page.evaluate("() => window.quvvat.firstStationsAt") / 1000)
            ctx.close()
        browser.close()
    return out


def _bundle() -> tuple[int, int, int, int]:
    """(all assets bytes, gzip) and (what / loads before the map draws, gzip)."""
    dist = ROOT / "frontend" / "dist"
    files = [p for p in dist.rglob("*") if p.is_file() and not p.name.startswith(".")]
    total = sum(p.stat().st_size for p in files)
    total_gz = sum(len(gzip.compress(p.read_bytes())) for p in files)
    initial = [
        p
        for p in files
        if p.suffix in {".js", ".css", ".mjs", ".html"}
        and not p.name.startswith(("deck-", "embed"))
    ]
    init = sum(p.stat().st_size for p in initial)
    init_gz = sum(len(gzip.compress(p.read_bytes())) for p in initial)
    return total, total_gz, init, init_gz


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    n_sites, n_parcels = (2_000, 20_000) if quick else (10_000, 100_000)
    seconds = 10.0 if quick else 15.0
    name = f"quvvat_bench_tiles_{os.getpid()}"
    dsn = f"{ADMIN_DSN} dbname={name}"
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(f"{ADMIN_DSN} dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    server: subprocess.Popen[bytes] | None = None
    try:
        t0 = time.perf_counter()
        migrate.upgrade(url)
        load_sample(url)
        _populate(dsn, n_sites, n_parcels)
        print(
            f"data: sample + {n_sites:,} stations + {n_parcels:,} parcels in "
            f"{time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        tiles = _tiles(dsn, random.Random(7), 400)
        # Warm both paths once over every tile (plans, shared buffers).
        _raw_closed_loop(dsn, tiles, 3)

        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "QUVVAT_TILE_CACHE_ITEMS": "0",
            "QUVVAT_ADMIN_TOKEN": BENCH_TOKEN,
            "QUVVAT_LOG_LEVEL": "WARNING",
        }
        # `quvvat serve`, the server `make run` and the Docker image start
        # (one uvicorn process; its start-up heap frozen out of the collector's sight).
        server = subprocess.Popen(
            [sys.executable, "-c", "from app.cli import main; main()",
             "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=ROOT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180  # a loaded shared machine starts slowly
        while True:
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.3)
        asyncio.run(_http_closed_loop(base, tiles, 3))

        raw_rps, raw_lat = _raw_closed_loop(dsn, tiles, seconds)
        cpu0 = _cpu_s(server.pid)
        if shutil.which("wrk"):
            client = "wrk"
            with TemporaryDirectory() as tmp:
                http_rps, http_p50, http_p95, http_err = _wrk_closed_loop(
                    base, tiles, seconds, Path(tmp)
                )
        else:  # make bench installs wrk; without it, the Python client
            client = "httpx (wrk missing: the client shares the CPU)"
            http_rps, http_lat, http_err = asyncio.run(
                _http_closed_loop(base, tiles, seconds)
            )
            http_p50, http_p95 = _p(http_lat, 50), _p(http_lat, 95)
        server_ms = 1000 * (_cpu_s(server.pid) - cpu0) / (http_rps * seconds)
        raw_open = _raw_open_loop(dsn, tiles, 200, seconds)
        cpu_client, cpu_server = time.process_time(), _cpu_s(server.pid)
        http_open, open_err, open_late = asyncio.run(
            _http_open_loop(base, tiles, 200, seconds)
        )
        cpu_client = (time.process_time() - cpu_client) / seconds
        cpu_server = (_cpu_s(server.pid) - cpu_server) / seconds
        paint = _first_paint(base, 5)
        total, total_gz, init, init_gz = _bundle()

        ratio = http_rps / raw_rps
        print(f"tiles: {len(tiles)} distinct ({sum(t[0] == 'stations' for t in tiles)} stations, "
              f"{sum(t[0] == 'parcels' for t in tiles)} parcels), {CONCURRENCY} clients, "
              f"{seconds:.0f} s per phase")  # fmt: skip
        print(
            "| path | closed loop req/s | p50 ms | p95 ms | open loop 200 req/s: p95 ms |"
        )
        print("|---|---|---|---|---|")
        print(
            f"| raw SQL (psycopg) | {raw_rps:.0f} | {_p(raw_lat, 50):.1f} | "
            f"{_p(raw_lat, 95):.1f} | {_p(raw_open, 95):.1f} |"
        )
        print(
            f"| GET /tiles (uvicorn; closed loop by {client}) | {http_rps:.0f} | "
            f"{http_p50:.1f} | {http_p95:.1f} | {_p(http_open, 95):.1f} |"
        )
        print(f"server CPU per tile request: {server_ms:.2f} ms")
        print(
            f"open loop 200 req/s: requests sent late by the client p95 "
            f"{_p(open_late, 95):.1f} ms; CPU in the open loop: client "
            f"{cpu_client:.0%} of a core, server {cpu_server:.0%}"
        )
        print(
            f"throughput HTTP/raw: {ratio:.0%} (target >= 70%: "
            f"{'met' if ratio >= 0.7 else 'NOT met'}); p95 at 200 req/s: "
            f"{_p(http_open, 95):.1f} ms (target <= 50 ms: "
            f"{'met' if _p(http_open, 95) <= 50 else 'NOT met'}); HTTP errors: "
            f"{http_err + open_err}"
        )
        print(
            f"first stations drawn after navigation (5 runs): median "
            f"{statistics.median(paint):.2f} s, max {max(paint):.2f} s (target <= 2 s: "
            f"{'met' if statistics.median(paint) <= 2 else 'NOT met'})"
        )
        print(
            f"bundle: all of dist {total / 1e6:.2f} MB ({total_gz / 1e6:.2f} MB gzip); "
            f"loaded before the first map frame {init / 1e6:.2f} MB "
            f"({init_gz / 1e6:.2f} MB gzip); deck.gl loads only with 3D"
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        with psycopg.connect(f"{ADMIN_DSN} dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
