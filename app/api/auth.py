"""Who is calling, and what they may do.

Every route declares its rule with :func:`require_role` (or :func:`public`); a
test walks the app's routes and fails on any route without one. Credentials:

* the admin bearer token from settings (compared by hash, in constant time),
* a short-lived access JWT from ``POST /auth/token`` (OAuth2 password flow),
* a partner API key (``qvk_...``): read-only, limited to its scopes, where the
  scope of a route is ``<first tag>:read`` (e.g. ``stations:read``).

``app.state.authenticator`` resolves the last two (see :func:`install`).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.errors import ForbiddenError, UnauthorizedError
from app.services import accounts
from app.services.principal import ALL_ROLES, Principal, Role
from app.services.security import token_digest

__all__ = [
    "ALL_ROLES",
    "Admin",
    "Anyone",
    "CurrentPrincipal",
    "Principal",
    "Role",
    "Staff",
    "install",
    "principal_of",
    "public",
    "public_lazy",
    "public_write",
    "require_role",
    "token_digest",
]

_bearer = HTTPBearer(auto_error=False, description="Access token or API key")

Authenticator = Callable[[Request, str], Awaitable[Principal | None]]
_READ_METHODS = frozenset({"GET", "HEAD"})


async def _authenticate(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    if creds is None:
        return None
    token = creds.credentials
    admin_digest: str = request.app.state.admin_token_digest
    if admin_digest and hmac.compare_digest(token_digest(token), admin_digest):
        return Principal(subject="admin-token", role="admin")
    extra: Authenticator | None = getattr(request.app.state, "authenticator", None)
    if extra is not None:
        principal = await extra(request, token)
        if principal is not None:
            return principal
    raise UnauthorizedError("invalid or expired token", "invalid_token")


OptionalPrincipal = Annotated[Principal | None, Depends(_authenticate)]


def _check_api_key(request: Request, principal: Principal) -> None:
    """An API key reads only, and only what its scopes name."""
    if principal.api_key_id is None:
        return
    if request.method not in _READ_METHODS:
        raise ForbiddenError("API keys are read-only", "api_key_read_only")
    route = request.scope.get("route")
    tags = getattr(route, "tags", None) or ["default"]
    needed = f"{tags[0]}:read"
    if needed not in principal.scopes:
        raise ForbiddenError(
            f"API key lacks scope {needed!r}; it has: "
            f"{', '.join(sorted(principal.scopes)) or 'none'}",
            "api_key_scope",
        )


def require_role(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """Dependency: the caller must be authenticated with one of ``roles``."""
    allowed = frozenset(roles)

    async def check(request: Request, principal: OptionalPrincipal) -> Principal:
        if principal is None:
            raise UnauthorizedError("authentication required", "not_authenticated")
        if principal.role not in allowed:
            raise ForbiddenError(
                f"role {principal.role!r} may not do this; allowed: "
                f"{', '.join(sorted(allowed))}",
                "forbidden_role",
            )
        _check_api_key(request, principal)
        return principal

    check.quvvat_roles = allowed  # type: ignore[attr-defined]  # read by the route audit
    return check


def public() -> Callable[..., Awaitable[Principal | None]]:
    """Dependency: anyone, signed in or not (the route says so explicitly)."""

    async def check(principal: OptionalPrincipal) -> Principal | None:
        return principal

    check.quvvat_roles = frozenset({"public"})  # type: ignore[attr-defined]
    return check


async def principal_of(request: Request) -> Principal | None:
    """The caller of ``request``, read when a route needs it (same rules as the
    dependencies: None without a token, 401 for a bad one)."""
    return await _authenticate(request, await _bearer(request))


def public_lazy() -> Callable[..., Awaitable[None]]:
    """Dependency: anyone, and the route reads the caller itself with
    :func:`principal_of` only when it needs to (vector tiles: most layers are
    public, and the dependency chain cost more than the tile)."""

    async def check() -> None:
        return None

    check.quvvat_roles = frozenset({"public"})  # type: ignore[attr-defined]
    return check


_F = TypeVar("_F", bound=Callable[..., Any])


def public_write(reason: str) -> Callable[[_F], _F]:
    """Mark a public POST/PATCH/DELETE endpoint with why it must be open
    (sign-up, login, payment callbacks); the route audit checks for it."""

    def mark(endpoint: _F) -> _F:
        endpoint.quvvat_public_write_reason = reason  # type: ignore[attr-defined]  # read by the route audit
        return endpoint

    return mark


def install(app: FastAPI, cfg: accounts.AuthConfig) -> None:
    """Resolve access JWTs and API keys against the database."""

    async def authenticator(request: Request, token: str) -> Principal | None:
        async with request.app.state.sessionmaker() as session:
            return await accounts.authenticate(session, cfg, token)

    app.state.auth_config = cfg
    app.state.authenticator = authenticator


Admin = Annotated[Principal, Depends(require_role("admin"))]
Staff = Annotated[Principal, Depends(require_role("admin", "technician"))]
Anyone = Annotated[Principal | None, Depends(public())]
AnyUser = Annotated[Principal, Depends(require_role(*ALL_ROLES))]
CurrentPrincipal = AnyUser
Client = Annotated[Principal, Depends(require_role("client"))]
