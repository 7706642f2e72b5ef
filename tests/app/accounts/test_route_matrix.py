"""Role x route matrix: EVERY route of the app, every role, and no credentials.

* Every HTTP route carries an explicit rule (a dependency with ``quvvat_roles``).
* Without credentials a non-public route answers 401; a role outside the rule 403.
* A role inside the rule never gets a 5xx or a 401.
* IDOR: every path parameter is filled with an id belonging to operator B (or to
  client B), and callers scoped to operator A (technician, partner, partner API
  key) or other clients must never see B's data: no answer of theirs contains
  the marker that every B row carries.

The route list comes from the app itself, so routes added by any engineer are
walked too; path parameters unknown here get B's charge point id or B's ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.main import create_app
from app.services import security
from tests.app.accounts.conftest import (
    ADMIN_TOKEN,
    JWT_SECRET,
    PASSWORD,
    make_settings,
    seed_operator,
    seed_site,
)

MARKER = "zzsecretb"  # every row of operator B / client B carries it
SCOPED = ("technician", "partner", "partner-key", "client")
CALLERS = (None, *SCOPED, "admin", "admin-token")


def _rules(dep: Dependant) -> Iterator[frozenset[str]]:
    roles = getattr(dep.call, "quvvat_roles", None)
    if roles is not None:
        yield frozenset(roles)
    for sub in dep.dependencies:
        yield from _rules(sub)


@dataclass(frozen=True)
class Walked:
    """One HTTP route as the app serves it (prefixes of included routers applied)."""

    path: str
    methods: frozenset[str]
    dependant: Dependant
    has_body: bool


def route_rule(route: Walked) -> frozenset[str] | None:
    rules = list(_rules(route.dependant))
    if not rules:
        return None
    allowed = frozenset[str]().union(*rules)
    # Several rules on one route: each must pass, so the intersection applies.
    for r in rules:
        if "public" not in r:
            allowed &= r
    return allowed


def api_routes(app: FastAPI) -> list[Walked]:
    """Every API route, also those of nested routers (FastAPI's own walker)."""
    out = []
    for rc in iter_route_contexts(app.routes):
        if not isinstance(rc.original_route, APIRoute):
            continue  # /openapi.json and the docs pages: framework, not API
        route: Any = rc
        if not route.include_in_schema:
            continue
        out.append(
            Walked(
                path=str(route.path),
                methods=frozenset(route.methods),
                dependant=route.dependant,
                has_body=route.body_field is not None,
            )
        )
    return out


def test_every_route_declares_its_roles(migrated_db: str) -> None:
    app = create_app(make_settings(migrated_db))
    missing = [
        f"{sorted(r.methods)} {r.path}"
        for r in api_routes(app)
        if route_rule(r) is None
    ]
    assert missing == []
    # The OpenAPI document lists exactly these routes.
    paths = app.openapi()["paths"]
    walked = {(m.lower(), r.path) for r in api_routes(app) for m in r.methods}
    documented = {(m, p) for p, ops in paths.items() for m in ops}
    assert documented == walked


@dataclass
class World:
    ids: dict[str, Any]
    token_for: Callable[[str], str | None]


def _user(engine: Engine, email: str, role: str, ops: list[int]) -> int:
    with engine.begin() as conn:
        uid = int(
            conn.execute(
                text(
                    "INSERT INTO user_account (email, full_name, password_hash, role)"
                    " VALUES (:e, :n, :h, :r) RETURNING id"
                ),
                {
                    "e": email,
                    "n": email.split("@", maxsplit=1)[0],
                    "h": security.hash_password(PASSWORD),
                    "r": role,
                },
            ).scalar_one()
        )
        for op in ops:
            conn.execute(
                text(
                    "INSERT INTO operator_member (user_id, operator_id) VALUES (:u, :o)"
                ),
                {"u": uid, "o": op},
            )
    return uid


def _access(engine: Engine, user_id: int, role: str) -> str:
    sid = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO auth_session (id, user_id) VALUES (:s, :u)"),
            {"s": sid, "u": user_id},
        )
    token, _ = security.issue_access_token(
        JWT_SECRET, user_id=user_id, session_id=sid, role=role, ttl_s=600
    )
    return token


def _api_key(engine: Engine, user_id: int, name: str) -> tuple[int, str]:
    key, prefix = security.new_api_key()
    with engine.begin() as conn:
        kid = conn.execute(
            text(
                "INSERT INTO api_key (user_id, name, prefix, key_hash, scopes) VALUES"
                " (:u, :n, :p, :h, :s) RETURNING id"
            ),
            {
                "u": user_id,
                "n": name,
                "p": prefix,
                "h": security.token_digest(key),
                "s": [
                    "stations:read",
                    "sessions:read",
                    "tariffs:read",
                    "operators:read",
                ],
            },
        ).scalar_one()
    return int(kid), key


def build_world(engine: Engine) -> World:
    op_a = seed_operator(engine, "Operator A")
    op_b = seed_operator(engine, f"Operator {MARKER.upper()}")
    site_a = seed_site(engine, op_a, "A-1", "Site A", "CP-A-1")
    # Stations are public (the map): B's site carries no marker, its private
    # rows (accounts, tokens, sessions, payments, keys, tariffs) do.
    site_b = seed_site(engine, op_b, "B-1", "Site B", f"CP-{MARKER.upper()}-1")
    admin = _user(engine, "boss@example.uz", "admin", [])
    tech_a = _user(engine, "tech-a@example.uz", "technician", [op_a])
    partner_a = _user(engine, "partner-a@example.uz", "partner", [op_a])
    client_a = _user(engine, "client-a@example.uz", "client", [])
    _user(engine, f"tech-{MARKER}@example.uz", "technician", [op_b])
    partner_b = _user(engine, f"partner-{MARKER}@example.uz", "partner", [op_b])
    client_b = _user(engine, f"client-{MARKER}@example.uz", "client", [])
    _, key_a = _api_key(engine, partner_a, "key A")
    key_b_id, _ = _api_key(engine, partner_b, f"key {MARKER}")
    with engine.begin() as conn:
        token_b = conn.execute(
            text("INSERT INTO id_token (token, user_id) VALUES (:t, :u) RETURNING id"),
            {"t": f"{MARKER.upper()}TAG", "u": client_b},
        ).scalar_one()
        conn.execute(
            text("INSERT INTO id_token (token, user_id) VALUES ('ATAG', :u)"),
            {"u": client_a},
        )
        tariff_b = conn.execute(
            text(
                "INSERT INTO tariff (operator_id, name, valid_from, energy_uzs_per_kwh)"
                " VALUES (:o, :n, now() - interval '1 day', 1500) RETURNING id"
            ),
            {"o": op_b, "n": f"tariff {MARKER}"},
        ).scalar_one()
        tx_b = conn.execute(
            text(
                'INSERT INTO "transaction" (charge_point_id, transaction_uid, id_tag,'
                " started_at, stopped_at, status, meter_start_wh, meter_stop_wh,"
                " energy_wh, cost_uzs, user_id) VALUES (:cp, :uid, :tag, now() -"
                " interval '2 hours', now() - interval '1 hour', 'completed', 0,"
                " 12345, 12345, 24690, :u) RETURNING id"
            ),
            {
                "cp": f"CP-{MARKER.upper()}-1",
                "uid": f"{MARKER}-tx",
                "tag": f"{MARKER.upper()}TAG",
                "u": client_b,
            },
        ).scalar_one()
        conn.execute(
            text(
                'INSERT INTO "transaction" (charge_point_id, transaction_uid, id_tag,'
                " started_at, status, user_id) VALUES ('CP-A-1', 'a-tx', 'ATAG',"
                " now() - interval '10 minutes', 'active', :u)"
            ),
            {"u": client_a},
        )
        pay_b = conn.execute(
            text(
                "INSERT INTO payment (provider, external_id, transaction_id, user_id,"
                " amount_uzs, payload) VALUES ('payme', :e, :t, :u, 24690, :p)"
                " RETURNING id"
            ),
            {
                "e": f"{MARKER}-pay",
                "t": tx_b,
                "u": client_b,
                "p": f'{{"m": "{MARKER}"}}',
            },
        ).scalar_one()
        conn.execute(
            text("INSERT INTO favourite_site (user_id, site_id) VALUES (:u, :s)"),
            {"u": client_b, "s": site_b},
        )
    users = {
        "admin": (admin, "admin"),
        "technician": (tech_a, "technician"),
        "partner": (partner_a, "partner"),
        "client": (client_a, "client"),
    }

    def token_for(caller: str) -> str | None:
        if caller == "admin-token":
            return ADMIN_TOKEN
        if caller == "partner-key":
            return key_a
        uid, role = users[caller]
        return _access(engine, uid, role)

    ids = {
        "operator_id": op_b,
        "site_id": site_b,
        "user_id": client_b,
        "key_id": key_b_id,
        "token_id": token_b,
        "tariff_id": tariff_b,
        "transaction_id": tx_b,
        "session_id": tx_b,
        "payment_id": pay_b,
        "charge_point_id": f"CP-{MARKER.upper()}-1",
        "cp_id": f"CP-{MARKER.upper()}-1",
        "_site_a": site_a,
    }
    return World(ids, token_for)


def _path(route: Walked, ids: dict[str, Any]) -> str:
    path = route.path
    for param in route.dependant.path_params:
        value = ids.get(param.name)
        if value is None:
            value = (
                ids["charge_point_id"]
                if param.field_info.annotation is str
                else ids["site_id"]
            )
        path = path.replace("{" + param.name + "}", str(value))
        path = path.replace("{" + param.name + ":path}", str(value))
    return path


def _without_echo(content: bytes, path: str) -> str:
    """The answer, minus echoes of the ids the caller itself put in the path
    ("unknown layer 'CP-...'" reveals nothing the caller did not send)."""
    text = content.decode(errors="replace").lower()
    for part in path.lower().split("/"):
        if MARKER in part:
            text = text.replace(part, "")
    return text


def _order(item: tuple[Walked, str]) -> tuple[int, str]:
    rank = {"GET": 0, "HEAD": 0, "POST": 1, "PUT": 1, "PATCH": 1, "DELETE": 2}
    return rank.get(item[1], 1), item[0].path


@pytest.fixture
def world_client(
    migrated_db: str, db_engine: Engine
) -> Iterator[tuple[TestClient, World]]:
    world = build_world(db_engine)
    app = create_app(make_settings(migrated_db))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, world


def test_role_route_matrix_and_no_idor(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    app: FastAPI = client.app  # type: ignore[assignment]
    items = sorted(
        ((r, m) for r in api_routes(app) for m in r.methods if m != "HEAD"),
        key=_order,
    )
    assert len(items) >= 20
    problems: list[str] = []
    checked = 0
    for route, method in items:
        rule = route_rule(route)
        assert rule is not None, route.path
        path = _path(route, world.ids)
        for caller in CALLERS:
            token = world.token_for(caller) if caller else None
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            has_body = route.has_body
            r = client.request(
                method, path, headers=headers, json={} if has_body else None
            )
            checked += 1
            role = {"partner-key": "partner", "admin-token": "admin"}.get(
                caller or "", caller
            )
            where = f"{method} {path} as {caller}: {r.status_code} {r.text[:200]}"
            if r.status_code >= 500:
                problems.append(f"server error: {where}")
            elif "public" in rule:
                if r.status_code == 401 and caller is not None:
                    problems.append(f"valid credentials refused: {where}")
            elif caller is None:
                if r.status_code != 401:
                    problems.append(f"no auth not refused: {where}")
            elif role not in rule:
                if r.status_code != 403:
                    problems.append(f"role not refused: {where}")
            elif r.status_code == 401:
                problems.append(f"valid credentials refused: {where}")
            elif r.status_code == 403 and caller != "partner-key":
                problems.append(f"allowed role refused: {where}")
            # Public routes (the station map) show every operator to everyone.
            if (
                caller in SCOPED
                and "public" not in rule
                and MARKER in _without_echo(r.content, path)
            ):
                problems.append(f"IDOR, operator B data visible: {where}")
    assert problems == [], "\n".join(problems)
    assert checked == len(items) * len(CALLERS)


def test_scoped_lists_show_own_operator_only(
    world_client: tuple[TestClient, World],
) -> None:
    """The positive side of the matrix: scoped callers do see their own data."""
    client, world = world_client
    for caller in ("technician", "partner", "partner-key"):
        h = {"Authorization": f"Bearer {world.token_for(caller)}"}
        ops = client.get("/api/operators", headers=h)
        assert ops.status_code == 200, (caller, ops.text)
        assert [o["name"] for o in ops.json()] == ["Operator A"]
    admin = {"Authorization": f"Bearer {world.token_for('admin')}"}
    names = [o["name"] for o in client.get("/api/operators", headers=admin).json()]
    assert names == ["Operator A", f"Operator {MARKER.upper()}"]
