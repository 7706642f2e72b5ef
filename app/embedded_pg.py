"""A private PostgreSQL + PostGIS cluster under ``.data/`` for ``make run`` and tests.

Used when ``DATABASE_URL`` is unset. The cluster listens on 127.0.0.1 on a free
port chosen at first start and remembered in ``<data_dir>/port``. PostgreSQL
refuses to run as root, so when we are root the server runs as the ``postgres``
system user (created by Debian's postgresql packages).
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Final

logger = logging.getLogger(__name__)

DB_NAME: Final = "quvvat"


class EmbeddedPostgresError(RuntimeError):
    """The private cluster could not be created or started."""


def pg_bindir() -> Path:
    """Directory of ``initdb`` and ``pg_ctl`` (newest installed major version)."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2])
    )
    for c in reversed(candidates):
        if (Path(c) / "initdb").exists():
            return Path(c)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise EmbeddedPostgresError(
        "PostgreSQL server binaries not found: install postgresql-15 and "
        "postgresql-15-postgis-3 (make setup does this), or set DATABASE_URL"
    )


def _as_pg_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _chown_to_pg(path: Path) -> None:
    if os.geteuid() != 0:
        return
    pw = pwd.getpwnam("postgres")
    os.chown(path, pw.pw_uid, pw.pw_gid)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
    if proc.returncode != 0:
        raise EmbeddedPostgresError(
            f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}"
        )


def _is_running(pgdata: Path) -> bool:
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        pid = int(pid_file.read_text().splitlines()[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError, PermissionError):
        return False
    return True


def _wait_ready(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=0.5),
        ):
            return
        time.sleep(0.1)
    raise EmbeddedPostgresError(f"PostgreSQL did not accept connections on {port}")


def start(data_dir: Path) -> str:
    """Create (first time) and start the cluster; return its SQLAlchemy URL.

    Idempotent: a running cluster is reused.
    """
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pg"
    sock_dir = data_dir / "run"
    port_file = data_dir / "port"
    bindir = pg_bindir()
    if os.geteuid() == 0:
        # The postgres user must be able to reach the data directory.
        for parent in [data_dir, *data_dir.parents]:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                os.chmod(parent, mode | 0o001)
    if not (pgdata / "PG_VERSION").exists():
        pgdata.mkdir(exist_ok=True)
        _chown_to_pg(pgdata)
        logger.info("creating PostgreSQL cluster in %s", pgdata)
        _run(
            _as_pg_user(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(pgdata),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            )
        )
    sock_dir.mkdir(exist_ok=True)
    _chown_to_pg(sock_dir)
    port = int(port_file.read_text()) if port_file.exists() else free_port()
    if not _is_running(pgdata):
        try:
            _wait_ready(port, timeout_s=0.2)
            port = free_port()  # someone else took our port meanwhile
        except EmbeddedPostgresError:
            pass
        port_file.write_text(str(port))
        opts = (
            f"-p {port} -k {sock_dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=on -c max_connections=200 -c shared_buffers=256MB"
        )
        _run(
            _as_pg_user(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(pgdata),
                    "-o",
                    opts,
                    "-l",
                    str(sock_dir / "postgres.log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            )
        )
    _wait_ready(port)
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/{DB_NAME}"
    _ensure_database(port)
    return url


def _ensure_database(port: int) -> None:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(
        f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def stop(data_dir: Path) -> None:
    """Stop the cluster if it runs (fast shutdown: clients are disconnected)."""
    pgdata = data_dir.resolve() / "pg"
    if _is_running(pgdata):
        _run(
            _as_pg_user(
                [
                    str(pg_bindir() / "pg_ctl"),
                    "-D",
                    str(pgdata),
                    "-m",
                    "fast",
                    "-w",
                    "stop",
                ]
            )
        )
