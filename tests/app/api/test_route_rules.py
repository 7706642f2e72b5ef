"""Every API route declares who may call it (non-negotiable 6)."""

from __future__ import annotations

from app.api.introspect import api_routes
from app.main import create_app
from app.settings import Settings


def test_every_route_has_a_role_rule() -> None:
    app = create_app(Settings(database_url="postgresql://unused/x"))
    routes = list(api_routes(app))
    assert {"/health", "/api/stations", "/api/stations/{station_id}"} <= {
        r.path for r in routes
    }
    missing = [f"{sorted(r.methods)} {r.path}" for r in routes if not r.roles]
    assert missing == []


def test_writes_are_never_public() -> None:
    app = create_app(Settings(database_url="postgresql://unused/x"))
    public_writes = [
        f"{sorted(r.methods)} {r.path}"
        for r in api_routes(app)
        if r.methods & {"POST", "PATCH", "PUT", "DELETE"}
        and "public" in r.roles
        and not getattr(r.endpoint, "quvvat_public_write_reason", None)
    ]
    assert public_writes == []
