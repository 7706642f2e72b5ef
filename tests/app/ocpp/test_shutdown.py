"""``quvvat serve`` stops cleanly on SIGTERM (Ctrl-C) with charge points online."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from tests.pg import PgServer, create_db, drop_db, new_db_name

ROOT = Path(__file__).resolve().parents[3]
FLEET = 300


def _cli(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from app.cli import main; main()", *args],
            cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def test_sigterm_after_a_fleet_stops_the_server(
    pg: PgServer, schema_template: str, tmp_path: Path
) -> None:
    """300 charge points connect, boot and report (hundreds of live events for
    MQTT), then the server gets SIGTERM with them still connected: it closes
    their sockets, flushes and exits within seconds. (It used to hang in the
    MQTT client's disconnect, now and then, with a server process left behind.)"""
    name = new_db_name("quvvat_t_stop")
    create_db(pg, name, template=schema_template)
    url = pg.url(name)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO charge_point (id, security_profile, registration_status, source)"
                " SELECT 'STOP-' || lpad(i::text, 5, '0'), 0, 'Accepted', 'test'"
                " FROM generate_series(1, :n) i"
            ),
            {"n": FLEET},
        )
    engine.dispose()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        "DATABASE_URL": url,
        "QUVVAT_MQTT_URL": "mqtt://127.0.0.1:1883",
        "QUVVAT_LOG_LEVEL": "WARNING",
    }
    server_log = tmp_path / "server.log"
    server = _cli("serve", "--port", str(port), env=env, log=server_log)
    fleet: subprocess.Popen[bytes] | None = None
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        fleet = _cli(
            "simulate", "--url", f"ws://127.0.0.1:{port}/ocpp", "--n", str(FLEET),
            "--prefix", "STOP", "--protocol", "mixed", "--transacting", "0.1",
            "--duration", "6", "--ramp", "100", "--json",
            env={}, log=tmp_path / "fleet.log",
        )  # fmt: skip
        time.sleep(6)  # all connected (ramp 100/s), booted, reported
        server.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            raise AssertionError(
                "the server did not stop within 20 s of SIGTERM"
            ) from None
        assert server.returncode == 0, server_log.read_text()
        assert time.monotonic() - t0 < 20
        fleet.wait(timeout=60)
    finally:
        for proc in (server, fleet):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        drop_db(pg, name)
