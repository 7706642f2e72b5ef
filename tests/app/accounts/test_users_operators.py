"""Operator cabinet: users, roles and operator membership; operators."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.app.accounts.conftest import (
    ADMIN,
    PASSWORD,
    login,
    make_account,
    seed_operator,
    seed_site,
)


def test_role_and_membership_changes_apply_at_once(
    client: TestClient, db_engine: Engine
) -> None:
    op_a = seed_operator(db_engine, "A")
    op_b = seed_operator(db_engine, "B")
    user = make_account(client, "worker@example.uz")
    assert client.get("/api/operators", headers=user.h).status_code == 403
    r = client.patch(
        f"/api/users/{user.id}",
        json={"role": "technician", "operator_ids": [op_a]},
        headers=ADMIN,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["role"], r.json()["operator_ids"]) == ("technician", [op_a])
    # The same access token now carries the new role and scope.
    assert [o["id"] for o in client.get("/api/operators", headers=user.h).json()] == [
        op_a
    ]
    assert client.get(f"/api/operators/{op_b}", headers=user.h).status_code == 404
    # Back to client: the memberships go with the role.
    r = client.patch(f"/api/users/{user.id}", json={"role": "client"}, headers=ADMIN)
    assert r.json()["operator_ids"] == []
    r = client.patch(
        f"/api/users/{user.id}", json={"operator_ids": [op_a]}, headers=ADMIN
    )
    assert (r.status_code, r.json()["code"]) == (422, "operator_membership_role")
    r = client.post(
        "/api/users",
        json={"email": "t2@example.uz", "password": PASSWORD, "role": "technician",
              "operator_ids": [999999]},
        headers=ADMIN,
    )  # fmt: skip
    assert (r.status_code, r.json()["code"]) == (422, "unknown_operator")
    with db_engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM user_account WHERE email = 't2@example.uz'")
            ).scalar()
            == 0
        )
    listed = client.get("/api/users", params={"role": "client"}, headers=ADMIN).json()
    assert [u["email"] for u in listed["data"]] == ["worker@example.uz"]


def test_password_change(client: TestClient) -> None:
    user = make_account(client, "change@example.uz")
    _, _ = login(client, user.email)
    other_access, _ = login(client, user.email)
    r = client.post(
        "/api/me/password",
        json={"current_password": "wrong", "new_password": "Brand!New-Pass9"},
        headers=user.h,
    )
    assert (r.status_code, r.json()["code"]) == (401, "bad_credentials")
    r = client.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=user.h,
    )
    assert r.json()["code"] == "weak_password"
    r = client.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": "Brand!New-Pass9"},
        headers=user.h,
    )
    assert r.status_code == 204
    assert (
        client.get(
            "/api/me", headers={"Authorization": f"Bearer {other_access}"}
        ).status_code
        == 401
    )
    login(client, user.email, "Brand!New-Pass9")


def test_operators_crud(client: TestClient, db_engine: Engine) -> None:
    r = client.post("/api/operators", json={"name": "Uzbekenergo EV"}, headers=ADMIN)
    assert r.status_code == 201
    op = r.json()["id"]
    r = client.post("/api/operators", json={"name": "Uzbekenergo EV"}, headers=ADMIN)
    assert (r.status_code, r.json()["code"]) == (409, "duplicate_operator")
    r = client.patch(f"/api/operators/{op}", json={"name": "UzEV"}, headers=ADMIN)
    assert r.json()["name"] == "UzEV"
    seed_site(db_engine, op, "X1", "Site", "CP-X1")
    r = client.delete(f"/api/operators/{op}", headers=ADMIN)
    assert (r.status_code, r.json()["code"]) == (409, "operator_in_use")
    assert client.get(f"/api/operators/{op}", headers=ADMIN).json()["site_count"] == 1
    empty = client.post("/api/operators", json={"name": "Empty"}, headers=ADMIN).json()[
        "id"
    ]
    assert client.delete(f"/api/operators/{empty}", headers=ADMIN).status_code == 204
    assert client.get(f"/api/operators/{empty}", headers=ADMIN).status_code == 404
    log = client.get("/api/audit", params={"entity": "operator"}, headers=ADMIN).json()
    assert [e["action"] for e in log["data"]] == [
        "delete",
        "create",
        "update",
        "create",
    ]
