"""What the operator cabinet relies on: id token changes are audited, and the
effective tariff can be previewed for an operator, connector type and time."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.app.accounts.conftest import ADMIN, seed_operator


def test_id_token_changes_are_in_the_audit_log(client: TestClient) -> None:
    r = client.post("/id-tokens", json={"token": "0A0B0C0D"}, headers=ADMIN)
    assert r.status_code == 201, r.text
    token_id = r.json()["id"]
    r = client.patch("/id-tokens/0A0B0C0D", json={"status": "Blocked"}, headers=ADMIN)
    assert r.status_code == 200 and r.json()["status"] == "Blocked", r.text
    assert client.delete("/id-tokens/0A0B0C0D", headers=ADMIN).status_code == 204
    entries = client.get(
        "/api/audit", params={"entity": "id_token"}, headers=ADMIN
    ).json()["data"]
    assert [(e["action"], e["entity_id"], e["actor"]) for e in entries] == [
        ("delete", str(token_id), "admin-token"),
        ("update", str(token_id), "admin-token"),
        ("create", str(token_id), "admin-token"),
    ]
    update = entries[1]
    assert (update["before"]["status"], update["after"]["status"]) == (
        "Accepted",
        "Blocked",
    )


def test_effective_tariff_preview_without_a_charge_point(
    client: TestClient, db_engine: Engine
) -> None:
    op = seed_operator(db_engine, "Op")
    base = {"valid_from": "2026-01-01T00:00:00+05:00", "operator_id": op}
    for body in (
        {**base, "name": "Any", "energy_uzs_per_kwh": 1500},
        {**base, "name": "DC", "energy_uzs_per_kwh": 2500, "connector_type": "CCS2"},
        {
            **base,
            "name": "Spring",
            "valid_from": "2025-01-01T00:00:00+05:00",
            "valid_to": "2026-01-01T00:00:00+05:00",
            "energy_uzs_per_kwh": 900,
        },
    ):
        r = client.post("/api/tariffs", json=body, headers=ADMIN)
        assert r.status_code == 201, r.text

    def effective(**params: object) -> tuple[int, dict[str, object]]:
        r = client.get("/api/tariffs/effective", params=params)
        return r.status_code, r.json()

    at = "2026-03-01T12:00:00+05:00"
    assert effective(operator_id=op, at=at)[1]["name"] == "Any"
    assert effective(operator_id=op, connector_type="CCS2", at=at)[1]["name"] == "DC"
    assert effective(operator_id=op, connector_type="TYPE2", at=at)[1]["name"] == "Any"
    assert effective(operator_id=op, at="2025-06-01T00:00:00+05:00")[1]["name"] == (
        "Spring"
    )
    status, body = effective(operator_id=op, at="2024-06-01T00:00:00+05:00")
    assert (status, body["code"]) == (404, "no_tariff")
    assert effective(operator_id=op, at="2026-03-01T12:00:00")[1]["code"] == (
        "naive_datetime"
    )
    assert effective(charge_point_id="NOPE")[0] == 404


def test_a_new_version_may_name_its_end(client: TestClient, db_engine: Engine) -> None:
    """``valid_to`` in a version's body (even null) used to crash with a 500."""
    op = seed_operator(db_engine, "Op")
    r = client.post(
        "/api/tariffs",
        json={
            "name": "Base",
            "operator_id": op,
            "valid_from": "2026-01-01T00:00:00+05:00",
            "energy_uzs_per_kwh": 1000,
        },
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    v1 = r.json()["id"]
    r = client.post(
        f"/api/tariffs/{v1}/versions",
        json={
            "valid_from": "2026-03-01T00:00:00+05:00",
            "valid_to": None,
            "energy_uzs_per_kwh": 1200,
        },
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    assert (r.json()["version"], r.json()["valid_to"]) == (2, None)
    r = client.post(
        f"/api/tariffs/{r.json()['id']}/versions",
        json={
            "valid_from": "2026-06-01T00:00:00+05:00",
            "valid_to": "2026-09-01T00:00:00+05:00",
        },
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    assert r.json()["valid_to"].startswith("2026-09-01")
    assert r.json()["energy_uzs_per_kwh"] == 1200
