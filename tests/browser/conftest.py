"""Browser tests: the real app on uvicorn (ephemeral port) with the sample data,
driven by Playwright on Debian's Chromium (no browser download)."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import create_engine, text

from app.main import create_app
from app.services.security import hash_password
from app.settings import ROOT, Settings
from tests.browser.driver import MapDriver
from tests.pg import PgServer, create_db, drop_db, new_db_name

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"


class LiveServer:
    """uvicorn serving ``create_app(settings)`` in a thread on 127.0.0.1:<free port>."""

    def __init__(self, settings: Settings) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def built_frontend() -> Path:
    dist = ROOT / "frontend" / "dist"
    assert (dist / "index.html").is_file(), (
        "frontend/dist is missing: scripts/setup.sh builds it (npm ci && npm run build)"
    )
    return dist


@pytest.fixture(scope="module")
def module_sample_db(pg: PgServer, sample_template: str) -> Iterator[str]:
    """The sample, shared by a module's read-only browser tests (starting one server
    per test would cost seconds each)."""
    name = new_db_name("quvvat_t_web")
    create_db(pg, name, template=sample_template)
    try:
        yield pg.url(name)
    finally:
        drop_db(pg, name)


@pytest.fixture(scope="module")
def live_server(module_sample_db: str, built_frontend: Path) -> Iterator[LiveServer]:
    settings = Settings(database_url=module_sample_db, frontend_dist=built_frontend)
    with LiveServer(settings) as server:
        yield server


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    role: str


@pytest.fixture(scope="module")
def technician(module_sample_db: str) -> Account:
    """A technician account in the module's sample (as an admin would make one): staff
    who may see the restricted layers (parcels, substations, grid lines, candidates)."""
    account = Account(
        f"tech-{uuid.uuid4().hex[:8]}@example.uz", "Str0ng!Passw0rd", "technician"
    )
    engine = create_engine(module_sample_db)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO user_account (email, full_name, password_hash, role)"
                " VALUES (:e, 'Technician', :h, :r)"
            ),
            {
                "e": account.email,
                "h": hash_password(account.password),
                "r": account.role,
            },
        )
    engine.dispose()
    return account


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-GB"
    )
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    context.close()
    assert errors == [], f"uncaught errors in the page: {errors}"


@pytest.fixture
def driver(page: Page, live_server: LiveServer) -> MapDriver:
    return MapDriver(page, live_server.url)
