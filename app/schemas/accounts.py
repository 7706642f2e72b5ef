"""HTTP models of accounts: users, tokens, API keys, operators, audit entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RoleName = Literal["admin", "technician", "client", "partner"]
Language = Literal["uz", "ru", "en", "de"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignUp(_Strict):
    email: str = Field(min_length=3, max_length=254, examples=["driver@example.uz"])
    password: str = Field(min_length=1, max_length=256)
    phone: str | None = Field(default=None, max_length=32, examples=["+998901234567"])
    full_name: str | None = Field(default=None, max_length=200)
    role: RoleName | None = Field(
        default=None,
        description="Must be absent or 'client': other roles are given by an admin",
    )


class UserCreate(_Strict):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=256)
    role: RoleName
    phone: str | None = Field(default=None, max_length=32)
    full_name: str | None = Field(default=None, max_length=200)
    operator_ids: list[int] = Field(default_factory=list, max_length=100)


class UserUpdate(_Strict):
    email: str | None = Field(default=None, min_length=3, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    full_name: str | None = Field(default=None, max_length=200)
    role: RoleName | None = None
    operator_ids: list[int] | None = Field(default=None, max_length=100)
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=1, max_length=256)


class MeUpdate(_Strict):
    email: str | None = Field(default=None, min_length=3, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    full_name: str | None = Field(default=None, max_length=200)
    role: RoleName | None = Field(default=None, description="Refused: role escalation")


class PasswordChange(_Strict):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class UserPublic(BaseModel):
    id: int
    email: str | None
    phone: str | None
    full_name: str | None
    role: RoleName
    operator_ids: list[int]
    is_active: bool
    created_at: datetime


class UsersPublic(BaseModel):
    data: list[UserPublic]
    count: int


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105  # OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds the access token is valid")
    refresh_token: str


class RefreshRequest(_Strict):
    refresh_token: str = Field(min_length=1, max_length=512)


class ResetRequest(_Strict):
    email: str = Field(min_length=3, max_length=254)


class ResetConfirm(_Strict):
    email: str = Field(min_length=3, max_length=254)
    code: str = Field(pattern=r"^\d{6}$")
    new_password: str = Field(min_length=1, max_length=256)


class Message(BaseModel):
    message: str


class ApiKeyCreate(_Strict):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=10, examples=[["stations:read"]])
    expires_at: datetime | None = None
    owner_user_id: int | None = Field(
        default=None, description="Admin only: the partner who owns the key"
    )


class ApiKeyPublic(BaseModel):
    id: int
    user_id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="Shown once; store it now")


class OperatorCreate(_Strict):
    name: str = Field(min_length=1, max_length=200)


class OperatorUpdate(_Strict):
    name: str = Field(min_length=1, max_length=200)


class OperatorPublic(BaseModel):
    id: int
    name: str
    source: str
    site_count: int


class AuditEntry(BaseModel):
    id: int
    actor: str
    actor_user_id: int | None
    actor_api_key_id: int | None
    action: str
    entity: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime


class AuditEntries(BaseModel):
    data: list[AuditEntry]
    count: int
