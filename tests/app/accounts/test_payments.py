"""Payments: signed callbacks of Payme, Click and Uzcard; bad signatures change
nothing; repeated callbacks store nothing twice."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.services.payments import Click, Uzcard
from tests.app.accounts.conftest import Account, make_account, seed_operator, seed_site

CLICK_SECRET = "click-test-secret"
UZCARD_SECRET = "uzcard-test-secret"
PAYME_AUTH = "Basic " + base64.b64encode(b"Paycom:payme-test-key").decode()


def _finished_session(
    client: TestClient, engine: Engine, email: str
) -> tuple[Account, int]:
    op = seed_operator(engine, f"Op {email}")
    seed_site(engine, op, f"S-{email}", "Site", f"CP-{email}")
    driver = make_account(client, email)
    tag = client.post("/api/me/tokens", json={"kind": "app"}, headers=driver.h).json()
    t0 = datetime.now(UTC) - timedelta(hours=2)
    with engine.begin() as conn:
        tx = conn.execute(
            text(
                'INSERT INTO "transaction" (charge_point_id, transaction_uid, id_tag,'
                " started_at, stopped_at, status, meter_start_wh, meter_stop_wh,"
                " energy_wh) VALUES (:cp, 'u', :tag, :a, :b, 'completed', 0, 12500,"
                " 12500) RETURNING id"
            ),
            {
                "cp": f"CP-{email}",
                "tag": tag["token"],
                "a": t0,
                "b": t0 + timedelta(hours=1),
            },
        ).scalar_one()
    return driver, int(tx)


def _pay(
    client: TestClient, driver: Account, tx: int, provider: str
) -> dict[str, object]:
    r = client.post(
        "/api/me/payments",
        json={"session_id": tx, "provider": provider},
        headers=driver.h,
    )
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


def _payment_rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT id, status, payload->>'provider_tx' FROM payment ORDER BY id"
                )
            )
        ]


def _click_form(ref: str, amount: int, action: str, **extra: str) -> dict[str, str]:
    f = {
        "click_trans_id": "777", "service_id": "1", "click_paydoc_id": "9",
        "merchant_trans_id": ref, "amount": f"{amount}.00", "action": action,
        "error": "0", "error_note": "Success", "sign_time": "2026-11-27 01:00:00", **extra,
    }  # fmt: skip
    f["sign_string"] = Click.sign(CLICK_SECRET, f)
    return f


def _post_form(client: TestClient, form: dict[str, str]) -> dict[str, object]:
    r = client.post(
        "/api/payments/click/callback",
        content=urlencode(form),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200
    body: dict[str, object] = r.json()
    return body


def test_click_prepare_complete_with_signature_checks(
    client: TestClient, db_engine: Engine
) -> None:
    driver, tx = _finished_session(client, db_engine, "click@example.uz")
    started = _pay(client, driver, tx, "click")
    payment = started["payment"]
    assert isinstance(payment, dict)
    assert payment["amount_uzs"] == 25000  # 12.5 kWh at the flat 2000 so'm/kWh
    assert "my.click.uz" in str(started["checkout_url"])
    ref = str(payment["reference"])

    forged = _click_form(ref, 25000, "0")
    forged["sign_string"] = "0" * 32
    answer = _post_form(client, forged)
    assert answer["error"] == -1
    assert "sign_string" in str(answer["error_note"])
    assert _payment_rows(db_engine) == [(payment["id"], "created", None)]

    tampered = _click_form(ref, 25000, "0")
    tampered["amount"] = "1.00"  # amount changed after signing
    assert _post_form(client, tampered)["error"] == -1

    assert (
        _post_form(client, _click_form(ref, 1000, "0"))["error"] == -2
    )  # wrong amount
    ok = _post_form(client, _click_form(ref, 25000, "0"))
    assert ok["error"] == 0
    prepare_id = str(ok["merchant_prepare_id"])
    done = _post_form(
        client, _click_form(ref, 25000, "1", merchant_prepare_id=prepare_id)
    )
    assert done["error"] == 0
    again = _post_form(
        client, _click_form(ref, 25000, "1", merchant_prepare_id=prepare_id)
    )
    assert again == done
    assert _payment_rows(db_engine) == [(payment["id"], "paid", "777")]
    with db_engine.connect() as conn:
        actions = conn.execute(
            text(
                "SELECT actor, action FROM audit_log WHERE entity = 'payment' ORDER BY id"
            )
        ).all()
    assert [tuple(a) for a in actions] == [
        (f"user:{driver.id}", "create"),
        ("provider:click", "reserve"),
        ("provider:click", "pay"),
    ]
    listed = client.get("/api/me/payments", headers=driver.h).json()
    assert [(p["id"], p["status"]) for p in listed] == [(payment["id"], "paid")]
    r = client.post(
        "/api/me/payments",
        json={"session_id": tx, "provider": "payme"},
        headers=driver.h,
    )
    assert (r.status_code, r.json()["code"]) == (409, "already_paid")


def _rpc(
    client: TestClient, method: str, params: dict[str, object], auth: str = PAYME_AUTH
) -> dict[str, object]:
    r = client.post(
        "/api/payments/payme/callback",
        json={"jsonrpc": "2.0", "id": 5, "method": method, "params": params},
        headers={"Authorization": auth},
    )
    assert r.status_code == 200
    body: dict[str, object] = r.json()
    return body


def test_payme_json_rpc_with_authorization_check(
    client: TestClient, db_engine: Engine
) -> None:
    driver, tx = _finished_session(client, db_engine, "payme@example.uz")
    payment = _pay(client, driver, tx, "payme")["payment"]
    assert isinstance(payment, dict)
    ref = payment["reference"]
    params = {
        "id": "pm-1",
        "time": 1,
        "amount": 2_500_000,
        "account": {"payment_id": ref},
    }
    bad_auth = "Basic " + base64.b64encode(b"Paycom:guess").decode()
    denied = _rpc(client, "CreateTransaction", params, auth=bad_auth)
    assert denied["error"]["code"] == -32504  # type: ignore[index]
    assert _payment_rows(db_engine) == [(payment["id"], "created", None)]
    wrong = _rpc(client, "CheckPerformTransaction", {**params, "amount": 100})
    assert wrong["error"]["code"] == -31001  # type: ignore[index]
    assert _rpc(client, "CheckPerformTransaction", params)["result"] == {"allow": True}
    created = _rpc(client, "CreateTransaction", params)
    assert created["result"]["state"] == 1  # type: ignore[index]
    performed = _rpc(client, "PerformTransaction", {"id": "pm-1"})
    assert performed["result"]["state"] == 2  # type: ignore[index]
    assert _rpc(client, "PerformTransaction", {"id": "pm-1"}) == performed
    other = _rpc(client, "CreateTransaction", {**params, "id": "pm-2"})
    assert other["error"]["code"] == -31008  # type: ignore[index]
    assert _payment_rows(db_engine) == [(payment["id"], "paid", "pm-1")]


def test_uzcard_webhook_signature(client: TestClient, db_engine: Engine) -> None:
    driver, tx = _finished_session(client, db_engine, "uzcard@example.uz")
    payment = _pay(client, driver, tx, "uzcard")["payment"]
    assert isinstance(payment, dict)
    body = json.dumps(
        {
            "reference": payment["reference"],
            "transaction_id": "uz-1",
            "amount_uzs": 25000,
            "status": "paid",
        }
    ).encode()
    r = client.post(
        "/api/payments/uzcard/callback", content=body, headers={"X-Signature": "bad"}
    )
    assert r.status_code == 401
    assert r.json() == {
        "detail": "Uzcard X-Signature does not match the body",
        "code": "invalid_signature",
    }
    assert _payment_rows(db_engine) == [(payment["id"], "created", None)]
    sig = Uzcard.sign(UZCARD_SECRET, body)
    for _ in range(2):
        r = client.post(
            "/api/payments/uzcard/callback", content=body, headers={"X-Signature": sig}
        )
        assert r.json() == {"payment_id": payment["id"], "status": "paid"}
    assert _payment_rows(db_engine) == [(payment["id"], "paid", "uz-1")]
    r = client.post("/api/payments/nosuch/callback", content=body)
    assert r.status_code == 422


def test_running_session_cannot_be_paid(client: TestClient, db_engine: Engine) -> None:
    op = seed_operator(db_engine, "Op")
    seed_site(db_engine, op, "S", "Site", "CP-R")
    driver = make_account(client, "run@example.uz")
    tag = client.post("/api/me/tokens", json={"kind": "app"}, headers=driver.h).json()
    with db_engine.begin() as conn:
        tx = conn.execute(
            text(
                'INSERT INTO "transaction" (charge_point_id, transaction_uid, id_tag,'
                " started_at, status) VALUES ('CP-R', 'r', :t, now(), 'active') RETURNING id"
            ),
            {"t": tag["token"]},
        ).scalar_one()
    r = client.post(
        "/api/me/payments",
        json={"session_id": tx, "provider": "click"},
        headers=driver.h,
    )
    assert (r.status_code, r.json()["code"]) == (409, "session_running")
    other = make_account(client, "thief@example.uz")
    r = client.post(
        "/api/me/payments",
        json={"session_id": tx, "provider": "click"},
        headers=other.h,
    )
    assert r.status_code == 404
