"""A technician commands only their own operators' charge points (no IDOR)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.app.accounts.conftest import ADMIN, make_account, seed_operator, seed_site


def test_technician_cannot_command_another_operators_charge_point(
    client: TestClient, db_engine: Engine
) -> None:
    a = seed_operator(db_engine, "Alpha")
    b = seed_operator(db_engine, "Beta")
    seed_site(db_engine, a, "a1", "Alpha 1", "CP-A")
    seed_site(db_engine, b, "b1", "Beta 1", "CP-B")
    with db_engine.begin() as conn:
        tx = conn.execute(
            text(
                "INSERT INTO transaction (charge_point_id, transaction_uid, started_at)"
                " VALUES ('CP-B', 't1', now()) RETURNING id"
            )
        ).scalar_one()
    tech = make_account(client, "tech@alpha.uz", role="technician", operator_ids=[a])

    # Own charge point: passes the scope check and fails only because it is offline.
    r = client.post("/charge-points/CP-A/reset", json={"type": "soft"}, headers=tech.h)
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "charge_point_offline"

    # Another operator's charge point and session: not found, as if they did not exist.
    for method, path, body in (
        ("POST", "/charge-points/CP-B/reset", {"type": "soft"}),
        ("POST", "/charge-points/CP-B/commands", {"action": "Reset", "payload": {}}),
        ("GET", "/charge-points/CP-B/commands", None),
        ("POST", f"/sessions/{tx}/remote-stop", None),
    ):
        r = client.request(method, path, json=body, headers=tech.h)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["code"] in {"charge_point_not_found", "session_not_found"}

    # The admin reaches both (offline, so 409).
    r = client.post("/charge-points/CP-B/reset", json={"type": "soft"}, headers=ADMIN)
    assert r.status_code == 409
