"""Tariffs through the API (overlaps, negative prices, versions, audit) and the
driver's cabinet (tokens, sessions priced by the tariff at start, receipts,
favourites, export and delete)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.app.accounts.conftest import (
    ADMIN,
    PASSWORD,
    make_account,
    seed_operator,
    seed_site,
)


def _tariff(client: TestClient, **over: object) -> tuple[int, dict[str, object]]:
    body = {
        "name": "Standard",
        "valid_from": "2026-01-01T00:00:00+05:00",
        "energy_uzs_per_kwh": 1500,
        **over,
    }
    r = client.post("/api/tariffs", json=body, headers=ADMIN)
    return r.status_code, r.json()


def test_tariff_bad_input_and_overlaps(client: TestClient, db_engine: Engine) -> None:
    op = seed_operator(db_engine, "Op")
    status, t1 = _tariff(client, operator_id=op, valid_to="2026-07-01T00:00:00+05:00")
    assert status == 201, t1
    assert t1["vat_included"] is True
    assert t1["version"] == 1
    bad: list[tuple[dict[str, object], int, str]] = [
        ({"energy_uzs_per_kwh": -5}, 422, "invalid_input"),
        ({"idle_uzs_per_min": -1}, 422, "invalid_input"),
        ({"valid_to": "2025-01-01T00:00:00+05:00"}, 422, "invalid_period"),
        ({"night_start": "22:00"}, 422, "night_band"),
        ({"connector_type": "SCHUKO"}, 422, "invalid_input"),
        ({"power_min_kw": 50, "power_max_kw": 22}, 422, "power_class"),
        ({"energy_uzs_per_kwh": 1.5}, 422, "invalid_input"),  # money is never a float
        ({"operator_id": 999999}, 422, "unknown_operator"),
    ]
    for over, status_code, code in bad:
        fields: dict[str, object] = {
            "operator_id": op,
            "valid_from": "2027-01-01T00:00:00+05:00",
        }
        fields.update(over)
        s, body = _tariff(
            client,
            **{"operator_id": op, "valid_from": "2027-01-01T00:00:00+05:00", **over},
        )
        assert (s, body["code"]) == (status_code, code), (over, body)
    # Same scope, overlapping period: refused, naming the other tariff.
    s, body = _tariff(
        client, operator_id=op, valid_from="2026-06-01T00:00:00+05:00", name="Summer"
    )
    assert (s, body["code"]) == (409, "tariff_overlap")
    assert f"overlaps tariff {t1['id']}" in str(body["detail"])
    # Adjacent period, or another scope (a connector type): accepted.
    assert (
        _tariff(client, operator_id=op, valid_from="2026-07-01T00:00:00+05:00")[0]
        == 201
    )
    assert _tariff(client, operator_id=op, connector_type="CCS2")[0] == 201
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tariff")).scalar() == 3
        entries = conn.execute(
            text(
                "SELECT actor, action FROM audit_log WHERE entity = 'tariff' ORDER BY id"
            )
        ).all()
    assert [tuple(e) for e in entries] == [("admin-token", "create")] * 3


def test_new_version_prices_sessions_by_the_tariff_at_their_start(
    client: TestClient, db_engine: Engine
) -> None:
    op = seed_operator(db_engine, "Op")
    seed_site(db_engine, op, "S1", "Chilonzor hub", "CP-1")
    start = datetime.now(UTC) - timedelta(days=2)
    s, v1 = _tariff(
        client, operator_id=op, valid_from=start.isoformat(), energy_uzs_per_kwh=1000,
        session_fee_uzs=2000,
    )  # fmt: skip
    assert s == 201
    change = datetime.now(UTC) - timedelta(days=1)
    r = client.post(
        f"/api/tariffs/{v1['id']}/versions",
        json={"valid_from": change.isoformat(), "energy_uzs_per_kwh": 3000},
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    v2 = r.json()
    assert (v2["version"], v2["energy_uzs_per_kwh"], v2["session_fee_uzs"]) == (
        2,
        3000,
        2000,
    )
    old = client.get(f"/api/tariffs/{v1['id']}", headers=ADMIN).json()
    assert datetime.fromisoformat(old["valid_to"]) == change
    # The public price of the connector is the new version.
    r = client.get("/api/tariffs/effective", params={"charge_point_id": "CP-1"})
    assert r.json()["id"] == v2["id"]

    driver = make_account(client, "driver@example.uz")
    tag = client.post(
        "/api/me/tokens", json={"kind": "rfid", "uid": "04:a2:b3:c4"}, headers=driver.h
    )
    assert tag.status_code == 201, tag.text
    assert tag.json()["token"] == "04A2B3C4"
    # A session that started under version 1 and ended under version 2: 10 kWh.
    t0 = change - timedelta(hours=1)
    with db_engine.begin() as conn:
        tx = conn.execute(
            text(
                'INSERT INTO "transaction" (charge_point_id, transaction_uid, id_tag,'
                " started_at, stopped_at, status, meter_start_wh, meter_stop_wh,"
                " energy_wh) VALUES ('CP-1', 'u1', '04A2B3C4', :a, :b, 'completed',"
                " 5000, 15000, 10000) RETURNING id"
            ),
            {"a": t0, "b": change + timedelta(hours=1)},
        ).scalar_one()
    r = client.get(f"/api/me/sessions/{tx}", headers=driver.h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["energy_wh"] == 10000
    assert body["price"]["tariff_id"] == v1["id"]
    assert body["cost_uzs"] == 10 * 1000 + 2000
    assert body["price"]["vat_uzs"] == round(12000 * 12 / 112)
    # Receipts in the four languages.
    for lang, word in (
        ("uz", "Jami"),
        ("ru", "Итого"),
        ("en", "Total"),
        ("de", "Gesamt"),
    ):
        pdf = client.get(
            f"/api/me/sessions/{tx}/receipt.pdf",
            params={"lang": lang},
            headers=driver.h,
        )
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        assert len(pdf.content) > 1000, word
    # Another driver sees nothing of it.
    other = make_account(client, "other@example.uz")
    assert client.get(f"/api/me/sessions/{tx}", headers=other.h).status_code == 404
    assert client.get("/api/me/sessions", headers=other.h).json()["count"] == 0
    assert client.get("/api/me/sessions", headers=driver.h).json()["count"] == 1


def test_withdrawing_a_future_version_lets_the_current_one_run_on(
    client: TestClient, db_engine: Engine
) -> None:
    op = seed_operator(db_engine, "Op")
    seed_site(db_engine, op, "S1", "Yunusobod hub", "CP-1")
    s, v1 = _tariff(
        client,
        operator_id=op,
        valid_from=(datetime.now(UTC) - timedelta(days=1)).isoformat(),
    )
    assert s == 201
    later = datetime.now(UTC) + timedelta(days=3)
    r = client.post(
        f"/api/tariffs/{v1['id']}/versions",
        json={"valid_from": later.isoformat(), "energy_uzs_per_kwh": 2500},
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    v2 = r.json()
    ended = client.get(f"/api/tariffs/{v1['id']}", headers=ADMIN).json()
    assert datetime.fromisoformat(ended["valid_to"]) == later

    # The version in effect cannot be deleted; the one not yet in effect can.
    r = client.delete(f"/api/tariffs/{v1['id']}", headers=ADMIN)
    assert (r.status_code, r.json()["code"]) == (409, "tariff_in_use")
    r = client.delete(f"/api/tariffs/{v2['id']}", headers=ADMIN)
    assert r.status_code == 204, r.text
    assert client.get(f"/api/tariffs/{v2['id']}", headers=ADMIN).status_code == 404
    # Version 1 runs on with no end again: after `later` a session is still priced.
    assert (
        client.get(f"/api/tariffs/{v1['id']}", headers=ADMIN).json()["valid_to"] is None
    )
    r = client.get(
        "/api/tariffs/effective",
        params={
            "charge_point_id": "CP-1",
            "at": (later + timedelta(days=1)).isoformat(),
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["id"] == v1["id"]
    with db_engine.connect() as conn:
        actions = conn.execute(
            text(
                "SELECT action, entity_id FROM audit_log WHERE entity = 'tariff'"
                " AND action IN ('delete', 'reopen') ORDER BY id"
            )
        ).all()
    assert [tuple(a) for a in actions] == [
        ("delete", str(v2["id"])),
        ("reopen", str(v1["id"])),
    ]
    # Unknown id: a clear 404.
    r = client.delete("/api/tariffs/999999", headers=ADMIN)
    assert r.status_code == 404 and "999999" in r.json()["detail"]

    # A tariff created on its own after one that ends where it starts: deleting
    # it leaves that end as the admin set it (only a withdrawn version reopens).
    op2 = seed_operator(db_engine, "Op2")
    s, ends = _tariff(
        client, operator_id=op2, valid_from=datetime.now(UTC).isoformat(),
        valid_to=later.isoformat(),
    )  # fmt: skip
    assert s == 201, ends
    s, after = _tariff(client, operator_id=op2, valid_from=later.isoformat())
    assert s == 201 and after["version"] == 1, after
    assert (
        client.delete(f"/api/tariffs/{after['id']}", headers=ADMIN).status_code == 204
    )
    kept = client.get(f"/api/tariffs/{ends['id']}", headers=ADMIN).json()
    assert datetime.fromisoformat(kept["valid_to"]) == later


def test_live_cost_while_charging(client: TestClient, db_engine: Engine) -> None:
    op = seed_operator(db_engine, "Op")
    seed_site(db_engine, op, "S1", "Yunusobod", "CP-9")
    _tariff(
        client, operator_id=op, valid_from=(datetime.now(UTC) - timedelta(days=1)).isoformat(),
        energy_uzs_per_kwh=2000, time_uzs_per_min=0,
    )  # fmt: skip
    driver = make_account(client, "live@example.uz")
    app_token = client.post(
        "/api/me/tokens", json={"kind": "app"}, headers=driver.h
    ).json()
    start = datetime.now(UTC) - timedelta(minutes=20)
    with db_engine.begin() as conn:
        tx = conn.execute(
            text(
                'INSERT INTO "transaction" (charge_point_id, transaction_uid, id_tag,'
                " started_at, status, meter_start_wh) VALUES ('CP-9', 'live', :t, :a,"
                " 'active', 0) RETURNING id"
            ),
            {"t": app_token["token"], "a": start},
        ).scalar_one()
        conn.execute(text("SELECT quvvat_ensure_meter_value_partition(now())"))
        conn.execute(
            text(
                "INSERT INTO meter_value (measured_at, charge_point_id, transaction_id,"
                " measurand, unit, value) VALUES (:m, 'CP-9', :tx,"
                " 'Energy.Active.Import.Register', 'kWh', 7.25)"
            ),
            {"m": start + timedelta(minutes=15), "tx": tx},
        )
    body = client.get(f"/api/me/sessions/{tx}", headers=driver.h).json()
    assert body["status"] == "active"
    assert body["price"]["final"] is False
    assert body["energy_wh"] == 7250
    assert body["cost_uzs"] == 14500
    active = client.get(
        "/api/me/sessions", params={"status": "active"}, headers=driver.h
    )
    assert [s["id"] for s in active.json()["data"]] == [tx]
    done = client.get(
        "/api/me/sessions", params={"status": "completed"}, headers=driver.h
    )
    assert done.json()["data"] == []


def test_tokens_favourites_export_and_delete(
    client: TestClient, db_engine: Engine
) -> None:
    op = seed_operator(db_engine, "Op")
    site = seed_site(db_engine, op, "S1", "Samarkand Gate", "CP-5")
    driver = make_account(client, "me@example.uz", phone="+998933334455")
    other = make_account(client, "you@example.uz")
    r = client.post(
        "/api/me/tokens", json={"kind": "rfid", "uid": "DEADBEEF"}, headers=driver.h
    )
    token_id = r.json()["id"]
    r = client.post(
        "/api/me/tokens", json={"kind": "rfid", "uid": "deadbeef"}, headers=other.h
    )
    assert (r.status_code, r.json()["code"]) == (409, "token_taken")
    r = client.post(
        "/api/me/tokens", json={"kind": "rfid", "uid": "XYZ"}, headers=other.h
    )
    assert (r.status_code, r.json()["code"]) == (422, "invalid_uid")
    assert (
        client.delete(f"/api/me/tokens/{token_id}", headers=other.h).status_code == 404
    )
    assert client.put(f"/api/me/favourites/{site}", headers=driver.h).status_code == 200
    assert client.put(f"/api/me/favourites/{site}", headers=driver.h).status_code == 200
    favs = client.get("/api/me/favourites", headers=driver.h).json()
    assert [f["name"] for f in favs] == ["Samarkand Gate"]
    assert client.put("/api/me/favourites/999999", headers=driver.h).status_code == 404

    export = client.get("/api/me/export", headers=driver.h)
    assert export.status_code == 200
    data = export.json()
    assert data["account"]["email"] == "me@example.uz"
    assert data["account"]["phone"] == "+998933334455"
    assert "password_hash" not in data["account"]
    assert [t["token"] for t in data["id_tokens"]] == ["DEADBEEF"]
    assert data["favourite_sites"] == [{"id": site, "name": "Samarkand Gate"}]

    r = client.request(
        "DELETE", "/api/me", json={"password": "wrong"}, headers=driver.h
    )
    assert (r.status_code, r.json()["code"]) == (401, "bad_credentials")
    r = client.request(
        "DELETE", "/api/me", json={"password": PASSWORD}, headers=driver.h
    )
    assert r.status_code == 204
    with db_engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM user_account WHERE email = 'me@example.uz'")
            ).scalar()
            == 0
        )
        assert (
            conn.execute(
                text("SELECT count(*) FROM id_token WHERE token = 'DEADBEEF'")
            ).scalar()
            == 0
        )
        assert conn.execute(text("SELECT count(*) FROM favourite_site")).scalar() == 0
        # The audit trail keeps that it happened, not who it was.
        row = conn.execute(
            text(
                "SELECT before FROM audit_log WHERE action = 'delete' AND entity = 'user'"
            )
        ).scalar_one()
    assert row == {"id": driver.id, "role": "client"}
    assert client.get("/api/me", headers=driver.h).status_code == 401


def test_admin_sees_audit_with_before_and_after(client: TestClient) -> None:
    tech = make_account(client, "tech@example.uz", "technician")
    r = client.patch(
        f"/api/users/{tech.id}", json={"full_name": "Ali Valiyev"}, headers=ADMIN
    )
    assert r.status_code == 200
    log = client.get(
        "/api/audit",
        params={"entity": "user", "entity_id": str(tech.id)},
        headers=ADMIN,
    )
    assert log.status_code == 200
    entries = log.json()["data"]
    update = next(e for e in entries if e["action"] == "update")
    assert update["actor"] == "admin-token"
    assert update["before"]["full_name"] is None
    assert update["after"]["full_name"] == "Ali Valiyev"
    assert "password_hash" not in update["after"]
    assert client.get("/api/audit", headers=tech.h).status_code == 403
