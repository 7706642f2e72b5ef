"""A real server for the OCPP tests: uvicorn on an ephemeral port, in a thread,
on its own migrated database; clients are real ``ocpp`` charge points."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from app.main import create_app
from app.services.charge_points import password_hasher
from app.serving import server_config
from app.settings import Settings
from tests.pg import PgServer, create_db, drop_db, new_db_name

ADMIN_TOKEN = "ocpp-test-admin-token-0123456789"
PASSWORD = "correct-horse-battery-staple"  # 16..40 chars as OCPP wants


@dataclass
class LiveServer:
    port: int
    db_url: str
    settings: Settings
    app: Any
    engine: Engine

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"

    def client(self, token: str | None = ADMIN_TOKEN) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.http, headers=headers, timeout=30)

    def sql(self, query: str, **params: Any) -> list[Any]:
        with self.engine.begin() as conn:
            result = conn.execute(text(query), params)
            return list(result.all()) if result.returns_rows else []

    def add_charge_point(
        self,
        cp_id: str | None = None,
        *,
        password: str | None = PASSWORD,
        profile: int = 1,
        status: str = "Accepted",
    ) -> str:
        """Provision a charge point the way an operator does (argon2-hashed password)."""
        cp_id = cp_id or f"T-{uuid.uuid4().hex[:10]}"
        digest = password_hasher().hash(password) if password else None
        self.sql(
            "INSERT INTO charge_point (id, password_hash, security_profile,"
            " registration_status, source) VALUES (:id, :h, :p, :s, 'test')",
            id=cp_id, h=digest, p=profile, s=status,
        )  # fmt: skip
        return cp_id


def _start(settings: Settings) -> tuple[uvicorn.Server, threading.Thread, Any]:
    app = create_app(settings)
    config = server_config(
        app, settings, host="127.0.0.1", port=0, log_config=None, lifespan="on",
        ws_ping_interval=None,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True, name="uvicorn-test")
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return server, thread, app


@pytest.fixture(scope="session")
def ocpp_db(pg: PgServer, schema_template: str) -> Iterator[str]:
    name = new_db_name("quvvat_t_ocpp")
    create_db(pg, name, template=schema_template)
    try:
        yield pg.url(name)
    finally:
        drop_db(pg, name)


def _server(db_url: str, **overrides: Any) -> Iterator[LiveServer]:
    settings = Settings(
        database_url=db_url,
        admin_token=SecretStr(ADMIN_TOKEN),
        ocpp_call_timeout_s=1.5,
        mqtt_url="mqtt://127.0.0.1:1883",
        # Off on the shared servers: their tests count the commands they send.
        **{"ocpp_local_list_sync_on_boot": False, **overrides},
    )
    server, thread, app = _start(settings)
    port = server.servers[0].sockets[0].getsockname()[1]
    engine = create_engine(db_url)
    try:
        yield LiveServer(port, db_url, settings, app, engine)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        engine.dispose()


@pytest.fixture(scope="session")
def live_server(ocpp_db: str) -> Iterator[LiveServer]:
    """One server for the whole OCPP suite (unknown charge points: Pending)."""
    yield from _server(ocpp_db)


def dedicated_server(
    pg: PgServer, schema_template: str, prefix: str, **overrides: Any
) -> Iterator[LiveServer]:
    """A server of its own, on a fresh database, with settings ``overrides``."""
    name = new_db_name(prefix)
    create_db(pg, name, template=schema_template)
    try:
        yield from _server(pg.url(name), **overrides)
    finally:
        drop_db(pg, name)


@pytest.fixture(scope="session")
def strict_server(pg: PgServer, schema_template: str) -> Iterator[LiveServer]:
    """A second server that rejects unknown identities at the handshake."""
    yield from dedicated_server(
        pg,
        schema_template,
        "quvvat_t_ocpp_strict",
        ocpp_unknown_charge_point="rejected",
    )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def eventually(check: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll ``check()`` until it returns something truthy (async tests only)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout}s (last: {value!r})")
        await asyncio.sleep(interval)
