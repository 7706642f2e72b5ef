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


def test_plain_routes_shadow_an_audited_route() -> None:
    """A plain Starlette route (the fast tile route, matched before FastAPI's)
    must serve the path of an API route that has a role rule, so the audit
    above covers it too; only FastAPI's own docs routes are exempt."""
    from starlette.routing import Route  # noqa: PLC0415

    app = create_app(Settings(database_url="postgresql://unused/x"))
    audited = {r.path: r.roles for r in api_routes(app)}
    docs = {
        app.openapi_url,
        app.docs_url,
        app.redoc_url,
        app.swagger_ui_oauth2_redirect_url,
    }
    plain = [r.path for r in app.routes if type(r) is Route and r.path not in docs]
    assert "/tiles/{layer}/{z}/{x}/{y}.pbf" in plain
    assert [p for p in plain if not audited.get(p)] == []
