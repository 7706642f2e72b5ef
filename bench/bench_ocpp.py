"""OCPP server benchmark: ``python -m bench ocpp [--scale-n N ...]``.

Processes: Quvvat's server (``quvvat serve``), the baseline (``bench.bare_ocpp``:
the ``ocpp`` library answering the same messages, storing nothing) and the
simulator (``quvvat simulate``), each its own process, on this machine.

Scenarios (issue 3 targets):
1. mix: ``--mix-n`` charge points (10 % transacting, meter values every 10 s,
   heartbeat 60 s) against the bare server and against Quvvat: p99 latency
   (target < 50 ms at 1,000).
2. saturation: ``--sat-n`` charge points all sending meter values back to back:
   answered/s of the bare server vs committed/s of Quvvat (target >= 50 %).
3. scale: ``--scale-n`` connected, ``--scale-tx`` transacting, ``--scale-s``
   seconds: all stay connected, p99 < 100 ms, nothing lost (rows counted against
   answered messages), server memory per 1,000 connections.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg

from app.db import migrate
from app.sim.fleet import merge

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DSN = os.environ.get(
    "QUVVAT_BENCH_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
)
SAMPLES_PER_MESSAGE = (
    5  # energy, power, current, voltage, SoC in every simulated meter message
)
METER_ACTIONS = ("MeterValues", "StopTransaction", "TransactionEvent")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


@dataclass
class Proc:
    popen: subprocess.Popen[bytes]
    rss_peak: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def ps(self) -> psutil.Process:
        return psutil.Process(self.popen.pid)

    def rss(self) -> int:
        return int(self.ps.memory_info().rss)

    def watch(self) -> None:
        self.rss_peak = self.rss()
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(0.5):
                try:
                    self.rss_peak = max(self.rss_peak, self.rss())
                except psutil.Error:
                    return

        threading.Thread(target=loop, daemon=True).start()

    def unwatch(self) -> None:
        self._stop.set()

    def stop(self) -> None:
        self.popen.terminate()
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.popen.kill()


def _cli(
    *args: str, env: dict[str, str] | None = None, quiet: bool = True
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        cwd=ROOT, env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if quiet else None,
    )  # fmt: skip


def simulate(
    url: str,
    n: int,
    prefix: str,
    transacting: float,
    duration: float,
    flood: bool = False,
    procs: int = 1,
) -> dict[str, Any]:
    """Run the fleet in ``procs`` simulator processes (ids split between them,
    the 50/s connection ramp too) and merge what they measured."""
    running = []
    for k in range(procs):
        first, count = 1 + k * n // procs, (k + 1) * n // procs - k * n // procs
        args = [
            "simulate", "--url", url, "--n", str(count), "--first", str(first),
            "--prefix", prefix, "--protocol", "mixed", "--transacting", str(transacting),
            "--meter-interval", "10", "--heartbeat", "60", "--session-minutes", "600",
            "--duration", str(duration), "--ramp", str(50 / procs), "--json", "--raw",
        ]  # fmt: skip
        if flood:
            args.append("--flood")
        running.append(_cli(*args))
    parts = []
    for proc in running:
        out, _ = proc.communicate(timeout=duration + n / 20 + 300)
        if proc.returncode != 0:
            raise RuntimeError(f"simulator failed ({proc.returncode})")
        parts.append(json.loads(out.decode().strip().splitlines()[-1]))
    return merge(parts)


def provision(conn: psycopg.Connection[Any], prefix: str, n: int) -> None:
    conn.execute(
        "INSERT INTO charge_point (id, security_profile, registration_status, source)"
        " SELECT %s || '-' || lpad(i::text, 5, '0'), 0, 'Accepted', 'bench'"
        " FROM generate_series(1, %s) i",
        (prefix, n),
    )


def meter_rows(conn: psycopg.Connection[Any], prefix: str) -> int:
    row = conn.execute(
        "SELECT count(*) FROM meter_value WHERE charge_point_id LIKE %s",
        (prefix + "-%",),
    ).fetchone()
    return int(row[0]) if row else 0


def meter_messages(summary: dict[str, Any]) -> int:
    return sum(summary["by_action"].get(a, {}).get("n", 0) for a in METER_ACTIONS)


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="python -m bench ocpp")
    p.add_argument("--mix-n", type=int, default=1000)
    p.add_argument("--mix-s", type=float, default=40)
    p.add_argument("--sat-n", type=int, default=100)
    p.add_argument("--sat-s", type=float, default=20)
    p.add_argument("--scale-n", type=int, default=2000)
    p.add_argument("--scale-tx", type=int, default=200)
    p.add_argument("--scale-s", type=float, default=60)
    p.add_argument(
        "--scale-procs",
        type=int,
        default=2,
        help="simulator processes for the scale scenario (the fleet split between them)",
    )
    p.add_argument(
        "--only",
        choices=("mix", "sat", "scale"),
        action="append",
        help="run only these scenarios (repeatable; default: all three)",
    )
    args, _ = p.parse_known_args([a for a in argv if a != "ocpp"])
    only = set(args.only or ("mix", "sat", "scale"))

    db = f"quvvat_bench_ocpp_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{db}"')
    info = psycopg.conninfo.conninfo_to_dict(ADMIN_DSN)
    url = f"postgresql+psycopg://{info.get('user', 'postgres')}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{db}"
    procs: list[Proc] = []
    try:
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        migrate.upgrade(url)
        port, bare_port = _free_port(), _free_port()
        server = Proc(
            _cli(
                "serve",
                "--port",
                str(port),
                env={
                    "DATABASE_URL": url,
                    "QUVVAT_LOG_LEVEL": "WARNING",
                    "QUVVAT_MQTT_URL": "mqtt://127.0.0.1:1883",
                },
                quiet=False,
            )
        )
        procs.append(server)
        bare = Proc(
            subprocess.Popen(
                [sys.executable, "-m", "bench.bare_ocpp", "--port", str(bare_port)],
                cwd=ROOT,
            )
        )
        procs.append(bare)
        _wait_port(port)
        _wait_port(bare_port)
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=30).raise_for_status()
        ours, base = f"ws://127.0.0.1:{port}/ocpp", f"ws://127.0.0.1:{bare_port}/ocpp"
        results: dict[str, Any] = {}
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            for prefix, n in (
                ("MIX", args.mix_n),
                ("SAT", args.sat_n),
                ("SCALE", args.scale_n),
            ):
                provision(conn, prefix, n)

            if "mix" in only:
                print(
                    f"# mix: {args.mix_n} charge points, 10 % transacting, {args.mix_s:.0f} s",
                    flush=True,
                )
                results["mix_bare"] = simulate(base, args.mix_n, "MIX", 0.1, args.mix_s)
                results["mix_ours"] = simulate(ours, args.mix_n, "MIX", 0.1, args.mix_s)

            if "sat" in only:
                print(
                    f"# saturation: {args.sat_n} charge points flooding meter values, {args.sat_s:.0f} s",
                    flush=True,
                )
                results["sat_bare"] = simulate(
                    base, args.sat_n, "SATB", 1.0, args.sat_s, flood=True
                )
                before = meter_rows(conn, "SAT")
                t0 = time.monotonic()
                results["sat_ours"] = simulate(
                    ours, args.sat_n, "SAT", 1.0, args.sat_s, flood=True
                )
                results["sat_rows"] = meter_rows(conn, "SAT") - before
                results["sat_wall_s"] = time.monotonic() - t0

            if "scale" not in only:
                report(args, results)
                return
            print(
                f"# scale: {args.scale_n} connected, {args.scale_tx} transacting, {args.scale_s:.0f} s",
                flush=True,
            )
            time.sleep(2)
            rss_idle = server.rss()
            server.watch()
            results["scale"] = simulate(
                ours,
                args.scale_n,
                "SCALE",
                args.scale_tx / args.scale_n,
                args.scale_s,
                procs=args.scale_procs,
            )
            server.unwatch()
            results["scale_rss_idle"] = rss_idle
            results["scale_rss_peak"] = server.rss_peak
            time.sleep(1)
            results["scale_rows"] = meter_rows(conn, "SCALE")
        report(args, results)
    finally:
        for proc in procs:
            proc.stop()
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def _rate(summary: dict[str, Any], key: str = "answered") -> float:
    return float(summary[key]) / max(float(summary["elapsed_s"]), 1e-9)


def report(args: argparse.Namespace, r: dict[str, Any]) -> None:
    only = " ".join(f"--only {o}" for o in args.only or ())
    lines = [
        f"## ocpp — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `python -m bench ocpp --mix-n {args.mix_n} --mix-s {args.mix_s:g} --sat-n {args.sat_n}"
        f" --sat-s {args.sat_s:g} --scale-n {args.scale_n} --scale-tx {args.scale_tx} --scale-s {args.scale_s:g}"
        f" --scale-procs {args.scale_procs}"
        f"{' ' + only if only else ''}`",
        f"Machine: {psutil.cpu_count()} cores / {psutil.virtual_memory().total / 2**30:.0f} GiB,"
        f" {platform.system()} (load average"
        f" {os.getloadavg()[0]:.1f} at the end). Server, baseline and simulator are separate processes"
        " on the same 2 cores; the simulator's own CPU use is part of every latency.",
        "",
        "| scenario | baseline (bare `ocpp` server) | Quvvat | target |",
        "|---|---|---|---|",
    ]
    errors: list[str] = []
    if "mix_ours" in r:
        mix_b, mix_o = r["mix_bare"], r["mix_ours"]
        lines += [
            f"| mix, {args.mix_n} CPs (10 % transacting): p99 latency | {mix_b['p99_ms']} ms"
            f" (p50 {mix_b['p50_ms']}) | {mix_o['p99_ms']} ms (p50 {mix_o['p50_ms']}) | < 50 ms at 1,000 |",
            f"| mix, after the connection storm (steady state): p99 latency | {mix_b['steady_p99_ms']} ms"
            f" (p50 {mix_b['steady_p50_ms']}, n {mix_b['steady_n']}) | {mix_o['steady_p99_ms']} ms"
            f" (p50 {mix_o['steady_p50_ms']}, n {mix_o['steady_n']}) | < 50 ms at 1,000 |",
        ]
        errors += [f"mix bare {mix_b['errors']}", f"mix Quvvat {mix_o['errors']}"]
    if "sat_ours" in r:
        # Saturation window: the flood runs for sat_s after the ramp; rates use
        # the simulator's own elapsed time (ramp included, the same for both).
        sat_b, sat_o = r["sat_bare"], r["sat_ours"]
        bare_rate, ours_rate = _rate(sat_b), _rate(sat_o)
        committed_rate = (
            r["sat_rows"] / SAMPLES_PER_MESSAGE / max(float(sat_o["elapsed_s"]), 1e-9)
        )
        lines.append(
            f"| saturation, {args.sat_n} CPs flooding: messages/s | {bare_rate:.0f} answered/s |"
            f" {ours_rate:.0f} answered/s, {committed_rate:.0f} committed/s"
            f" ({committed_rate / bare_rate * 100:.0f} % of bare) | >= 50 % of bare |"
        )
        errors += [
            f"saturation bare {sat_b['errors']}",
            f"saturation Quvvat {sat_o['errors']}",
        ]
    if "scale" in r:
        scale = r["scale"]
        answered_meter = meter_messages(scale) * SAMPLES_PER_MESSAGE
        per_1000_mib = (
            (r["scale_rss_peak"] - r["scale_rss_idle"])
            / max(scale["connected_max"], 1)
            * 1000
            / 2**20
        )
        lost = answered_meter - r["scale_rows"]
        lines += [
            f"| scale: connected (max / at end), disconnects | | {scale['connected_max']} /"
            f" {scale['connected_at_end']} of {args.scale_n}, {scale['disconnects']} | all stay connected |",
            f"| scale: p99 latency ({args.scale_tx} transacting, {args.scale_s:g} s) | |"
            f" {scale['p99_ms']} ms (p50 {scale['p50_ms']}); steady state {scale['steady_p99_ms']} ms"
            f" (n {scale['steady_n']}) | < 100 ms |",
            f"| scale: steady-state p99 per {scale['window_s']:g} s | |"
            f" {', '.join(f'{v:g}' for v in scale['steady_p99_ms_per_window'])} ms | < 100 ms |",
            f"| scale: simulators' own event-loop lag ({scale['processes']} processes; part of every latency) | |"
            f" p99 {scale['client_lag_p99_ms']} ms, max {scale['client_lag_max_ms']} ms | reported |",
            f"| scale: meter rows stored vs answered messages x {SAMPLES_PER_MESSAGE} | |"
            f" {r['scale_rows']} stored, {answered_meter} acknowledged"
            f" ({'none lost' if lost <= 0 else f'LOST {lost}'}) | nothing lost |",
            f"| scale: server memory | | {r['scale_rss_idle'] / 2**20:.0f} MiB idle, {r['scale_rss_peak'] / 2**20:.0f} MiB peak:"
            f" {per_1000_mib:.1f} MiB per 1,000 connections | reported |",
        ]
        errors.append(f"scale Quvvat {scale['errors']}")
    lines += ["", "Errors seen by the simulator: " + "; ".join(errors) + "."]
    print("\n".join(lines), flush=True)
    print("\nraw:", json.dumps(dict(r.items()), default=str), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
