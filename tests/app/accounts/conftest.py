"""Fixtures of the accounts tests: the app on a fresh migrated PostGIS database,
an admin token, and helpers that make users through the API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from app.main import create_app
from app.settings import Settings

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
JWT_SECRET = "test-jwt-secret-0123456789abcdef0123456789"
PASSWORD = "Str0ng!Passw0rd"


def make_settings(url: str, **over: object) -> Settings:
    return Settings.model_validate(
        {
            "DATABASE_URL": url,
            "admin_token": ADMIN_TOKEN,
            "jwt_secret": JWT_SECRET,
            "environment": "test",
            "payme_key": "payme-test-key",
            "click_secret_key": "click-test-secret",
            "uzcard_secret": "uzcard-test-secret",
            **over,
        }
    )


@pytest.fixture
def db_engine(migrated_db: str) -> Iterator[Engine]:
    engine = create_engine(migrated_db)
    yield engine
    engine.dispose()


@pytest.fixture
def client(migrated_db: str) -> Iterator[TestClient]:
    app = create_app(make_settings(migrated_db))
    with TestClient(app) as c:
        yield c


ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Account:
    id: int
    email: str
    access: str
    refresh: str

    @property
    def h(self) -> dict[str, str]:
        return bearer(self.access)


def login(client: TestClient, email: str, password: str = PASSWORD) -> tuple[str, str]:
    r = client.post("/api/auth/token", data={"username": email, "password": password})
    assert r.status_code == 200, r.text
    body = r.json()
    return body["access_token"], body["refresh_token"]


def make_account(
    client: TestClient,
    email: str,
    role: str = "client",
    operator_ids: list[int] | None = None,
    phone: str | None = None,
) -> Account:
    r = client.post(
        "/api/users",
        json={
            "email": email,
            "password": PASSWORD,
            "role": role,
            "operator_ids": operator_ids or [],
            "phone": phone,
        },
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    access, refresh = login(client, email)
    return Account(r.json()["id"], email, access, refresh)


def seed_operator(engine: Engine, name: str) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                text("INSERT INTO operator (name) VALUES (:n) RETURNING id"),
                {"n": name},
            ).scalar_one()
        )


def seed_site(
    engine: Engine, operator_id: int, ext_id: str, name: str, cp_id: str
) -> int:
    """A site with one charge point, one EVSE and a 60 kW CCS2 connector."""
    with engine.begin() as conn:
        site_id = int(
            conn.execute(
                text(
                    "INSERT INTO site (ext_id, operator_id, name, source, geom) VALUES"
                    " (:e, :o, :n, 'test', ST_SetSRID(ST_MakePoint(69.24, 41.30), 4326))"
                    " RETURNING id"
                ),
                {"e": ext_id, "o": operator_id, "n": name},
            ).scalar_one()
        )
        conn.execute(
            text("INSERT INTO charge_point (id, site_id) VALUES (:c, :s)"),
            {"c": cp_id, "s": site_id},
        )
        conn.execute(
            text("INSERT INTO evse (charge_point_id, evse_id) VALUES (:c, 1)"),
            {"c": cp_id},
        )
        conn.execute(
            text(
                "INSERT INTO connector (evse_pk, connector_id, type, max_power_kw)"
                " SELECT id, 1, 'CCS2', 60 FROM evse WHERE charge_point_id = :c"
            ),
            {"c": cp_id},
        )
    return site_id
