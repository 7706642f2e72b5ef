"""Sign-up, login, token expiry and revocation, refresh rotation, throttling, reset."""

from __future__ import annotations

import time

import jwt
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine, text

from app.main import create_app
from app.settings import Settings
from tests.app.accounts.conftest import (
    ADMIN,
    JWT_SECRET,
    PASSWORD,
    bearer,
    login,
    make_account,
    make_settings,
)


def _register(client: TestClient, **body: object) -> tuple[int, dict[str, str]]:
    r = client.post("/api/auth/register", json={"password": PASSWORD, **body})
    return r.status_code, r.json()


def test_sign_up_login_and_me(client: TestClient, db_engine: Engine) -> None:
    status, body = _register(
        client, email="Driver@Example.uz", phone="+998 90 123 45 67"
    )
    assert status == 201, body
    assert body["email"] == "driver@example.uz"
    assert body["phone"] == "+998901234567"
    assert body["role"] == "client"
    access, _ = login(client, "driver@example.uz")
    me = client.get("/api/me", headers=bearer(access))
    assert me.status_code == 200
    assert me.json()["id"] == body["id"]
    # Login by phone works too.
    access2, _ = login(client, "+998901234567")
    assert client.get("/api/me", headers=bearer(access2)).json()["id"] == body["id"]
    with db_engine.connect() as conn:
        stored = conn.execute(
            text("SELECT password_hash FROM user_account WHERE id = :i"),
            {"i": body["id"]},
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_bad_sign_up_input_is_refused_and_nothing_saved(
    client: TestClient, db_engine: Engine
) -> None:
    cases = [
        ({"email": "a@b.uz", "password": "short"}, 422, "weak_password"),
        ({"email": "a@b.uz", "password": "alllowercaseletters"}, 422, "weak_password"),
        ({"email": "a@b.uz", "password": "Password123"}, 422, "weak_password"),
        ({"email": "not-an-email"}, 422, "invalid_email"),
        ({"email": "a@b.uz", "phone": "+7 999 123 45 67"}, 422, "invalid_phone"),
        ({"email": "a@b.uz", "phone": "+99890123"}, 422, "invalid_phone"),
        ({"email": "a@b.uz", "role": "admin"}, 403, "role_escalation"),
    ]
    for body, status, code in cases:
        r = client.post("/api/auth/register", json={"password": PASSWORD, **body})
        assert (r.status_code, r.json()["code"]) == (status, code), (body, r.text)
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM user_account")).scalar() == 0

    assert _register(client, email="a@b.uz", phone="+998901112233")[0] == 201
    status, body = _register(client, email="A@B.uz")
    assert (status, body["code"]) == (409, "duplicate_email")
    status, body = _register(client, email="c@b.uz", phone="998901112233")
    assert (status, body["code"]) == (409, "duplicate_phone")
    assert body["detail"] == "phone: +998901112233 is already registered"
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM user_account")).scalar() == 1


def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: TestClient,
) -> None:
    make_account(client, "tech@example.uz", "technician")
    a = client.post(
        "/api/auth/token", data={"username": "tech@example.uz", "password": "x"}
    )
    b = client.post(
        "/api/auth/token", data={"username": "nobody@example.uz", "password": "x"}
    )
    assert a.status_code == b.status_code == 401
    assert (
        a.json()
        == b.json()
        == {
            "detail": "incorrect e-mail/phone or password",
            "code": "bad_credentials",
        }
    )


def test_expired_and_forged_access_tokens_are_refused(migrated_db: str) -> None:
    app = create_app(make_settings(migrated_db, access_token_ttl_s=3))
    with TestClient(app) as client:
        acct = make_account(client, "short@example.uz")
        assert client.get("/api/me", headers=acct.h).status_code == 200
        claims = jwt.decode(
            acct.access, JWT_SECRET, algorithms=["HS256"], issuer="quvvat"
        )
        assert claims["exp"] - claims["iat"] == 3
        # Wait for expiry from the token itself, not a guess at the clock.
        time.sleep(max(0.0, claims["exp"] - time.time()) + 1.1)
        r = client.get("/api/me", headers=acct.h)
        assert r.status_code == 401
        assert r.json()["code"] == "invalid_token"
        assert r.headers["www-authenticate"] == "Bearer"
        forged = jwt.encode(
            {**claims, "exp": claims["exp"] + 3600}, "wrong-secret-" * 4
        )
        assert client.get("/api/me", headers=bearer(forged)).status_code == 401
        # Raising one's role inside the token needs the secret: refused.
        client2_claims = {**claims, "role": "admin", "exp": int(time.time()) + 60}
        forged2 = jwt.encode(client2_claims, "another-wrong-secret-0123456789ab")
        assert client.get("/api/users", headers=bearer(forged2)).status_code == 401


def test_logout_revokes_access_and_refresh(client: TestClient) -> None:
    acct = make_account(client, "out@example.uz")
    other_access, _ = login(client, "out@example.uz")
    assert client.post("/api/auth/logout", headers=acct.h).status_code == 204
    assert client.get("/api/me", headers=acct.h).json()["code"] == "invalid_token"
    r = client.post("/api/auth/refresh", json={"refresh_token": acct.refresh})
    assert (r.status_code, r.json()["code"]) == (401, "refresh_token_revoked")
    # Another login session of the same user is untouched.
    assert client.get("/api/me", headers=bearer(other_access)).status_code == 200


def test_refresh_rotates_and_reuse_revokes_the_session(client: TestClient) -> None:
    acct = make_account(client, "rot@example.uz")
    r1 = client.post("/api/auth/refresh", json={"refresh_token": acct.refresh})
    assert r1.status_code == 200
    new = r1.json()
    assert new["refresh_token"] != acct.refresh
    assert client.get("/api/me", headers=bearer(new["access_token"])).status_code == 200
    # The old refresh token was spent: presenting it again revokes the session.
    r2 = client.post("/api/auth/refresh", json={"refresh_token": acct.refresh})
    assert (r2.status_code, r2.json()["code"]) == (401, "refresh_token_reused")
    assert client.get("/api/me", headers=bearer(new["access_token"])).status_code == 401
    r3 = client.post("/api/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert (r3.status_code, r3.json()["code"]) == (401, "refresh_token_revoked")
    r4 = client.post("/api/auth/refresh", json={"refresh_token": "made-up"})
    assert (r4.status_code, r4.json()["code"]) == (401, "invalid_refresh_token")


def test_expired_refresh_token_is_refused(migrated_db: str) -> None:
    app = create_app(make_settings(migrated_db, refresh_token_ttl_s=1))
    with TestClient(app) as client:
        acct = make_account(client, "exp@example.uz")
        time.sleep(1.2)
        r = client.post("/api/auth/refresh", json={"refresh_token": acct.refresh})
        assert (r.status_code, r.json()["code"]) == (401, "refresh_token_expired")


def test_login_throttling(migrated_db: str) -> None:
    app = create_app(make_settings(migrated_db, login_max_failures=3))
    with TestClient(app) as client:
        make_account(client, "victim@example.uz")
        for _ in range(3):
            r = client.post(
                "/api/auth/token",
                data={"username": "victim@example.uz", "password": "guess"},
            )
            assert r.status_code == 401
        r = client.post(
            "/api/auth/token",
            data={"username": "victim@example.uz", "password": PASSWORD},
        )
        assert (r.status_code, r.json()["code"]) == (429, "login_throttled")
        assert 1 <= int(r.headers["retry-after"]) <= 900
        # Another account is not locked by this one's failures.
        make_account(client, "bystander@example.uz")


def test_deactivated_user_loses_access(client: TestClient) -> None:
    acct = make_account(client, "gone@example.uz")
    r = client.patch(f"/api/users/{acct.id}", json={"is_active": False}, headers=ADMIN)
    assert r.status_code == 200
    assert client.get("/api/me", headers=acct.h).status_code == 401
    r = client.post(
        "/api/auth/token", data={"username": acct.email, "password": PASSWORD}
    )
    assert r.status_code == 401


def test_password_reset_by_one_time_code(client: TestClient) -> None:
    acct = make_account(client, "forgot@example.uz")
    sender = client.app.state.code_sender  # type: ignore[attr-defined]
    r = client.post(
        "/api/auth/password-reset/request", json={"email": "nobody@example.uz"}
    )
    assert r.status_code == 202
    assert len(sender.sent) == 0
    r = client.post("/api/auth/password-reset/request", json={"email": acct.email})
    assert r.status_code == 202
    code = sender.sent[-1].code
    assert sender.sent[-1].recipient == acct.email
    new_pw = "N3w!Secret-Phrase"
    wrong = "000000" if code != "000000" else "111111"
    r = client.post(
        "/api/auth/password-reset/confirm",
        json={"email": acct.email, "code": wrong, "new_password": new_pw},
    )
    assert (r.status_code, r.json()["code"]) == (422, "invalid_reset_code")
    r = client.post(
        "/api/auth/password-reset/confirm",
        json={"email": acct.email, "code": code, "new_password": "weak"},
    )
    assert r.json()["code"] == "weak_password"
    r = client.post(
        "/api/auth/password-reset/confirm",
        json={"email": acct.email, "code": code, "new_password": new_pw},
    )
    assert r.status_code == 204
    # Old sessions end, the old password fails, the new one works, the code is spent.
    assert client.get("/api/me", headers=acct.h).status_code == 401
    assert (
        client.post(
            "/api/auth/token", data={"username": acct.email, "password": PASSWORD}
        ).status_code
        == 401
    )
    login(client, acct.email, new_pw)
    r = client.post(
        "/api/auth/password-reset/confirm",
        json={"email": acct.email, "code": code, "new_password": "An0ther!Phrase"},
    )
    assert r.json()["code"] == "invalid_reset_code"


def test_role_escalation_through_profile_is_refused(client: TestClient) -> None:
    acct = make_account(client, "climber@example.uz")
    r = client.patch("/api/me", json={"role": "admin"}, headers=acct.h)
    assert (r.status_code, r.json()["code"]) == (403, "role_escalation")
    r = client.patch(f"/api/users/{acct.id}", json={"role": "admin"}, headers=acct.h)
    assert r.status_code == 403
    assert client.get("/api/me", headers=acct.h).json()["role"] == "client"


def test_settings_refuse_default_secrets() -> None:
    for secret in ("", "changethis", "short"):
        with pytest.raises(ValidationError, match="QUVVAT_JWT_SECRET"):
            Settings.model_validate({"environment": "production", "jwt_secret": secret})
    Settings.model_validate({"environment": "development", "jwt_secret": ""})
