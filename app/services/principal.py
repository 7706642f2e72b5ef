"""Who is calling: the authenticated principal that services filter by.

Lives in services (not in ``app.api``) so that services and the OCPP server can
take it without importing the web layer; ``app.api.auth`` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

Role = Literal["admin", "technician", "client", "partner"]
ALL_ROLES: Final[tuple[Role, ...]] = ("admin", "technician", "client", "partner")


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller.

    ``operator_ids`` are the organisations a technician or partner is assigned
    to; ``api_key_id`` is set when the caller used a partner API key, whose
    ``scopes`` then limit what it may read.
    """

    subject: str
    role: Role
    operator_ids: frozenset[int] = field(default_factory=frozenset)
    user_id: int | None = None
    api_key_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    session_id: str | None = None

    @property
    def sees_all_operators(self) -> bool:
        return self.role == "admin"
