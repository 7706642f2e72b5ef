"""Handshake: sub-protocol, identity, HTTP Basic password; refusals are clear."""

from __future__ import annotations

import json
import uuid

import pytest
import websockets
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from app.sim.charge_point import basic_auth, connected
from tests.app.ocpp.conftest import ADMIN_TOKEN, PASSWORD, LiveServer, eventually


async def _refused(
    url: str, protocols: list[str] | None, headers: dict[str, str] | None
) -> tuple[int, dict[str, str]]:
    with pytest.raises(InvalidStatus) as exc:
        offered = [Subprotocol(p) for p in protocols] if protocols is not None else None
        async with websockets.connect(
            url, subprotocols=offered, additional_headers=headers
        ):
            pass
    response = exc.value.response
    return response.status_code, json.loads(response.body or b"{}")


@pytest.mark.anyio
async def test_missing_or_unsupported_subprotocol_is_refused(
    live_server: LiveServer,
) -> None:
    cp = live_server.add_charge_point()
    url = f"{live_server.ws}/{cp}"
    status, body = await _refused(url, None, basic_auth(cp, PASSWORD))
    assert status == 400
    assert body["code"] == "unsupported_subprotocol"
    assert "ocpp1.6, ocpp2.0.1" in body["detail"]
    status, body = await _refused(url, ["ocpp1.5"], basic_auth(cp, PASSWORD))
    assert (status, body["code"]) == (400, "unsupported_subprotocol")
    assert "ocpp1.5" in body["detail"]


@pytest.mark.anyio
async def test_subprotocol_negotiated_in_the_clients_order(
    live_server: LiveServer,
) -> None:
    cp = live_server.add_charge_point()
    async with websockets.connect(
        f"{live_server.ws}/{cp}", subprotocols=["ocpp2.0.1", "ocpp1.6"],  # type: ignore[list-item]
        additional_headers=basic_auth(cp, PASSWORD),
    ) as ws:  # fmt: skip
        assert ws.subprotocol == "ocpp2.0.1"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("headers", "code"),
    [
        (None, "password_required"),
        ("wrong", "bad_credentials"),
        ("other-user", "bad_credentials"),
    ],
)
async def test_wrong_or_missing_password_is_refused_and_logged(
    live_server: LiveServer,
    headers: str | None,
    code: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cp = live_server.add_charge_point()
    h = None
    if headers == "wrong":
        h = basic_auth(cp, "not-the-password-at-all")
    elif headers == "other-user":
        h = basic_auth("SOMEONE-ELSE", PASSWORD)
    status, body = await _refused(f"{live_server.ws}/{cp}", ["ocpp1.6"], h)
    assert (status, body["code"]) == (401, code)
    assert any(
        "refused" in r.getMessage() and code in r.getMessage() for r in caplog.records
    )


@pytest.mark.anyio
async def test_charge_point_without_provisioned_password_is_refused(
    live_server: LiveServer,
) -> None:
    cp = live_server.add_charge_point(password=None, profile=1)
    status, body = await _refused(
        f"{live_server.ws}/{cp}", ["ocpp1.6"], basic_auth(cp, PASSWORD)
    )
    assert (status, body["code"]) == (401, "no_password")


@pytest.mark.anyio
async def test_profile_2_requires_tls(live_server: LiveServer) -> None:
    cp = live_server.add_charge_point(profile=2)
    status, body = await _refused(
        f"{live_server.ws}/{cp}", ["ocpp1.6"], basic_auth(cp, PASSWORD)
    )
    assert (status, body["code"]) == (403, "tls_required")


@pytest.mark.anyio
async def test_unknown_identity_refused_when_policy_is_rejected(
    strict_server: LiveServer,
) -> None:
    status, body = await _refused(
        f"{strict_server.ws}/NOBODY-{uuid.uuid4().hex[:6]}", ["ocpp2.0.1"], None
    )
    assert (status, body["code"]) == (404, "unknown_charge_point")


@pytest.mark.anyio
@pytest.mark.parametrize("proto", ["ocpp1.6", "ocpp2.0.1"])
async def test_unknown_charge_point_is_pending_until_approved(
    live_server: LiveServer, proto: str
) -> None:
    cp_id = f"NEW-{uuid.uuid4().hex[:8]}"
    async with connected(live_server.ws, cp_id, proto) as cp:
        assert await cp.boot() == "Pending"
    async with live_server.client() as http:
        pending = (await http.get("/charge-points/pending")).json()
        assert cp_id in [c["id"] for c in pending["data"]]
        r = await http.post(f"/charge-points/{cp_id}/approve", json={})
        assert r.status_code == 200
        password = r.json()["password"]
        assert 16 <= len(password) <= 40
        # Only the hash is stored.
        stored = live_server.sql(
            "SELECT password_hash FROM charge_point WHERE id=:i", i=cp_id
        )[0][0]
        assert stored.startswith("$argon2") and password not in stored
        pending = (await http.get("/charge-points/pending")).json()
        assert cp_id not in [c["id"] for c in pending["data"]]
    # Now a password is required, and the approved charge point is Accepted.
    status, _ = await _refused(f"{live_server.ws}/{cp_id}", [proto], None)
    assert status == 401
    async with connected(live_server.ws, cp_id, proto, password=password) as cp:
        assert await cp.boot() == "Accepted"


@pytest.mark.anyio
async def test_approve_needs_admin(live_server: LiveServer) -> None:
    async with live_server.client(token=None) as anon:
        r = await anon.post("/charge-points/X/approve", json={})
        assert r.status_code == 401
        assert r.json()["code"] == "not_authenticated"
    async with live_server.client() as http:
        r = await http.post("/charge-points/NOPE-NOT-THERE/approve", json={})
        assert r.status_code == 404
        assert r.json() == {
            "detail": "charge point NOPE-NOT-THERE not found",
            "code": "charge_point_not_found",
        }
    assert ADMIN_TOKEN


@pytest.mark.anyio
async def test_reconnect_replaces_the_old_socket(live_server: LiveServer) -> None:
    cp_id = live_server.add_charge_point()
    async with connected(live_server.ws, cp_id, "ocpp1.6", password=PASSWORD) as old:
        await old.boot()
        async with connected(
            live_server.ws, cp_id, "ocpp1.6", password=PASSWORD
        ) as new:
            await new.boot()
            # The old socket is closed by the server ...
            await eventually(lambda: old._connection.close_code is not None)
            # ... and commands reach the new one.
            async with live_server.client() as http:
                r = await http.post(
                    f"/charge-points/{cp_id}/commands",
                    json={"action": "GetConfiguration", "payload": {}},
                )
                assert r.status_code == 200, r.text
                assert r.json()["status"] == "answered"
                cpv = (await http.get(f"/charge-points/{cp_id}")).json()
                assert cpv["connected"] is True
    await eventually(
        lambda: (
            live_server.sql("SELECT connected FROM charge_point WHERE id=:i", i=cp_id)[
                0
            ][0]
            is False
        )
    )


async def _connect_once(url: str, cp: str, password: str) -> None:
    """Open an OCPP 1.6 connection with Basic auth and close it again."""
    async with websockets.connect(
        url, subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers=basic_auth(cp, password),
    ):  # fmt: skip
        pass


@pytest.mark.anyio
async def test_a_password_that_passed_argon2_is_checked_by_its_keyed_verifier(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After one argon2 check the charge point reconnects on the stored keyed
    verifier (a fleet reconnecting after a restart costs no argon2 at all); a
    wrong password is still refused, and a new password voids the verifier."""
    cp = live_server.add_charge_point()
    url = f"{live_server.ws}/{cp}"
    await _connect_once(url, cp, PASSWORD)
    (verifier,) = live_server.sql(
        "SELECT password_verifier FROM charge_point WHERE id = :id", id=cp
    )[0]
    assert verifier is not None and len(verifier) == 64 and PASSWORD not in verifier

    calls: list[str] = []
    server = live_server.app.state.ocpp
    real = server._hasher

    class Counting:
        def verify(self, digest: str, password: str) -> bool:
            calls.append(password)
            return bool(real.verify(digest, password))

    monkeypatch.setattr(server, "_hasher", Counting())
    async with websockets.connect(
        url, subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers=basic_auth(cp, PASSWORD),
    ) as ws:  # fmt: skip
        assert ws.subprotocol == "ocpp1.6"
    assert calls == []  # the verifier, not argon2
    status, body = await _refused(
        url, ["ocpp1.6"], basic_auth(cp, "not-the-password-at-all")
    )
    assert (status, body["code"]) == (401, "bad_credentials")
    assert calls == ["not-the-password-at-all"]  # unknown password: argon2

    new = "a-brand-new-password-123"
    async with live_server.client() as c:
        r = await c.put(f"/charge-points/{cp}/password", json={"password": new})
        assert r.status_code == 200, r.text
    assert live_server.sql(
        "SELECT password_verifier FROM charge_point WHERE id = :id", id=cp
    ) == [(None,)]
    status, body = await _refused(url, ["ocpp1.6"], basic_auth(cp, PASSWORD))
    assert (status, body["code"]) == (401, "bad_credentials")


@pytest.mark.anyio
async def test_password_guessing_is_throttled_per_charge_point(
    live_server: LiveServer,
) -> None:
    """After 5 wrong passwords within a minute the id's handshakes get a 429
    without any argon2 work; the station itself, whose password passed before,
    still gets in."""
    cp = live_server.add_charge_point()
    url = f"{live_server.ws}/{cp}"
    await _connect_once(url, cp, PASSWORD)
    for i in range(5):
        status, body = await _refused(
            url, ["ocpp1.6"], basic_auth(cp, f"guess-number-{i:02d}-xxxxxx")
        )
        assert (status, body["code"]) == (401, "bad_credentials")
    status, body = await _refused(
        url, ["ocpp1.6"], basic_auth(cp, "guess-again-xxxxxxxx")
    )
    assert (status, body["code"]) == (429, "too_many_failures")
    assert "5 wrong passwords" in body["detail"] and "try again in" in body["detail"]
    async with websockets.connect(
        url, subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers=basic_auth(cp, PASSWORD),
    ) as ws:  # fmt: skip
        assert ws.subprotocol == "ocpp1.6"
