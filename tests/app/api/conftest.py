"""The app under test on a fresh migrated database, through Starlette's TestClient."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.main import create_app
from app.settings import Settings

ADMIN_TOKEN = "test-admin-token-0123456789"


@pytest.fixture
def settings(migrated_db: str) -> Settings:
    return Settings(database_url=migrated_db, admin_token=SecretStr(ADMIN_TOKEN))


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def sample_client(sample_db: str) -> Iterator[TestClient]:
    """The app on a fresh database with the Uzbekistan sample loaded."""
    s = Settings(database_url=sample_db, admin_token=SecretStr(ADMIN_TOKEN))
    with TestClient(create_app(s)) as c:
        yield c
