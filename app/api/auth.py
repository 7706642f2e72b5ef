"""Who is calling, and what they may do.

Every route declares its rule with :func:`require_role` (or :func:`public`); a
test walks the app's routes and fails on any route without one. Until the
accounts issue lands, the only credential is the admin bearer token from
settings (compared by hash, in constant time).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Final, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.errors import ForbiddenError, UnauthorizedError

Role = Literal["admin", "technician", "client", "partner"]
ALL_ROLES: Final[tuple[Role, ...]] = ("admin", "technician", "client", "partner")

_bearer = HTTPBearer(auto_error=False, description="Access token or API key")


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    subject: str
    role: Role
    operator_ids: frozenset[int] = field(default_factory=frozenset)
    user_id: int | None = None

    @property
    def sees_all_operators(self) -> bool:
        return self.role == "admin"


def token_digest(token: str) -> str:
    """SHA-256 of a high-entropy token (for passwords use argon2, not this)."""
    return hashlib.sha256(token.encode()).hexdigest()


Authenticator = Callable[[Request, str], Awaitable[Principal | None]]


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


def require_role(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """Dependency: the caller must be authenticated with one of ``roles``."""
    allowed = frozenset(roles)

    async def check(principal: OptionalPrincipal) -> Principal:
        if principal is None:
            raise UnauthorizedError("authentication required", "not_authenticated")
        if principal.role not in allowed:
            raise ForbiddenError(
                f"role {principal.role!r} may not do this; allowed: "
                f"{', '.join(sorted(allowed))}",
                "forbidden_role",
            )
        return principal

    check.quvvat_roles = allowed  # type: ignore[attr-defined]  # read by the route audit
    return check


def public() -> Callable[..., Awaitable[Principal | None]]:
    """Dependency: anyone, signed in or not (the route says so explicitly)."""

    async def check(principal: OptionalPrincipal) -> Principal | None:
        return principal

    check.quvvat_roles = frozenset({"public"})  # type: ignore[attr-defined]
    return check


Admin = Annotated[Principal, Depends(require_role("admin"))]
Staff = Annotated[Principal, Depends(require_role("admin", "technician"))]
Anyone = Annotated[Principal | None, Depends(public())]
