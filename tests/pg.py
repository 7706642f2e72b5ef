"""Throwaway PostgreSQL + PostGIS databases for the test suite.

The server is ``QUVVAT_TEST_ADMIN_DSN`` when set, else the machine's PostgreSQL
on 127.0.0.1:5432 when it answers, else a private cluster started in a temporary
directory (:mod:`app.embedded_pg`). Each test session gets databases with a
unique prefix and drops them at the end, so parallel runs do not collide.
"""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from app import embedded_pg


@dataclass(frozen=True)
class PgServer:
    """Where the test databases live."""

    host: str
    port: int
    user: str

    def dsn(self, dbname: str) -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={dbname}"

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.dsn("postgres"), autocommit=True)


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def pg_server() -> Iterator[PgServer]:
    """Yield a server we may create databases on."""
    dsn = os.environ.get("QUVVAT_TEST_ADMIN_DSN")
    if dsn:
        info = psycopg.conninfo.conninfo_to_dict(dsn)
        yield PgServer(
            str(info.get("host", "127.0.0.1")),
            int(str(info.get("port", 5432))),
            str(info.get("user", "postgres")),
        )
        return
    if _answers("127.0.0.1", 5432):
        server = PgServer("127.0.0.1", 5432, "postgres")
        try:
            with server.admin():
                pass
            yield server
            return
        except psycopg.OperationalError:
            pass
    with tempfile.TemporaryDirectory(prefix="quvvat-pg-") as tmp:
        url = embedded_pg.start(Path(tmp))
        port = int(url.split(":")[-1].split("/")[0])
        try:
            yield PgServer("127.0.0.1", port, "postgres")
        finally:
            embedded_pg.stop(Path(tmp))


def new_db_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def create_db(server: PgServer, name: str, template: str | None = None) -> None:
    with server.admin() as conn:
        if template:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_db(server: PgServer, name: str) -> None:
    with server.admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
