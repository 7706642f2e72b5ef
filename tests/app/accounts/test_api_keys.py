"""Partner API keys: shown once, stored hashed, scoped, read-only, revocable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.services.security import token_digest
from tests.app.accounts.conftest import ADMIN, bearer, make_account, seed_operator


def test_partner_api_key_lifecycle(client: TestClient, db_engine: Engine) -> None:
    op = seed_operator(db_engine, "Partner Op")
    seed_operator(db_engine, "Someone Else")
    partner = make_account(client, "partner@example.uz", "partner", [op])
    r = client.post(
        "/api/api-keys",
        json={"name": "fleet app", "scopes": ["operators:read"]},
        headers=partner.h,
    )
    assert r.status_code == 201, r.text
    created = r.json()
    key = created["key"]
    assert key.startswith(f"qvk_{created['prefix']}_")
    with db_engine.connect() as conn:
        stored = conn.execute(text("SELECT key_hash FROM api_key")).scalar_one()
    assert stored == token_digest(key)
    assert key not in stored
    listed = client.get("/api/api-keys", headers=partner.h).json()
    assert "key" not in listed[0]

    # Scoped: it reads operators (its own only), nothing else, and never writes.
    ops = client.get("/api/operators", headers=bearer(key))
    assert ops.status_code == 200
    assert [o["id"] for o in ops.json()] == [op]
    r = client.get("/api/tariffs", headers=bearer(key))
    assert (r.status_code, r.json()["code"]) == (403, "api_key_scope")
    r = client.post(
        "/api/api-keys",
        json={"name": "x", "scopes": ["operators:read"]},
        headers=bearer(key),
    )
    assert (r.status_code, r.json()["code"]) == (403, "api_key_read_only")

    # Bad input.
    r = client.post(
        "/api/api-keys",
        json={"name": "x", "scopes": ["users:write"]},
        headers=partner.h,
    )
    assert (r.status_code, r.json()["code"]) == (422, "invalid_scope")
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    r = client.post(
        "/api/api-keys",
        json={"name": "x", "scopes": ["operators:read"], "expires_at": past},
        headers=partner.h,
    )
    assert (r.status_code, r.json()["code"]) == (422, "invalid_expiry")
    driver = make_account(client, "driver@example.uz")
    r = client.post(
        "/api/api-keys",
        json={"name": "x", "scopes": ["operators:read"]},
        headers=driver.h,
    )
    assert r.status_code == 403

    # Another partner cannot revoke it; its owner can, and it stops at once.
    other = make_account(client, "partner2@example.uz", "partner", [op])
    assert (
        client.delete(f"/api/api-keys/{created['id']}", headers=other.h).status_code
        == 404
    )
    r = client.delete(f"/api/api-keys/{created['id']}", headers=partner.h)
    assert r.status_code == 200
    assert r.json()["revoked_at"] is not None
    r = client.get("/api/operators", headers=bearer(key))
    assert (r.status_code, r.json()["code"]) == (401, "invalid_token")
    log = client.get("/api/audit", params={"entity": "api_key"}, headers=ADMIN).json()[
        "data"
    ]
    assert [(e["action"], e["actor"]) for e in log] == [
        ("revoke", f"user:{partner.id}"),
        ("create", f"user:{partner.id}"),
    ]


def test_expired_api_key_is_refused(client: TestClient, db_engine: Engine) -> None:
    op = seed_operator(db_engine, "Op")
    partner = make_account(client, "p@example.uz", "partner", [op])
    soon = (datetime.now(UTC) + timedelta(seconds=30)).isoformat()
    key = client.post(
        "/api/api-keys",
        json={"name": "short", "scopes": ["operators:read"], "expires_at": soon},
        headers=partner.h,
    ).json()["key"]
    assert client.get("/api/operators", headers=bearer(key)).status_code == 200
    with db_engine.begin() as conn:
        conn.execute(
            text("UPDATE api_key SET expires_at = now() - interval '1 second'")
        )
    assert client.get("/api/operators", headers=bearer(key)).status_code == 401
