"""Helpers shared by the benchmarks: throwaway databases, servers, percentiles."""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psutil
import psycopg

from app.db import migrate

ADMIN_DSN = os.environ.get(
    "QUVVAT_BENCH_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
)
ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    mem_gib = psutil.virtual_memory().total / 2**30
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"{mem_gib:.0f} GiB, Python {platform.python_version()}"
    )


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


@contextlib.contextmanager
def bench_database(prefix: str = "quvvat_bench") -> Iterator[tuple[str, str]]:
    """A migrated throwaway database; yields (SQLAlchemy URL, libpq DSN)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    info = psycopg.conninfo.conninfo_to_dict(ADMIN_DSN)
    host, port, user = info.get("host"), info.get("port"), info.get("user")
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://{user}@{host}:{port}/{name}"
    try:
        migrate.upgrade(url)
        yield url, f"host={host} port={port} user={user} dbname={name}"
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def app_server(url: str, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """``quvvat serve`` in a subprocess on a free port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "QUVVAT_LOG_LEVEL": "WARNING"}
    env.update(extra_env or {})
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=0.5),
            ):
                break
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def percentiles(samples_s: list[float]) -> dict[str, float]:
    a = np.asarray(samples_s) * 1000.0
    return {
        "p50_ms": float(np.percentile(a, 50)),
        "p95_ms": float(np.percentile(a, 95)),
        "p99_ms": float(np.percentile(a, 99)),
        "mean_ms": float(a.mean()),
    }
