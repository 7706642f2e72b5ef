"""Users, sign-up, login with throttling, rotating refresh tokens, password reset,
partner API keys, and turning a bearer token into a :class:`Principal`.

Every function is one unit of work (it opens and commits its own transaction)
and records an audit entry for each change.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, cast

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import (
    ApiKey,
    AuthSession,
    FavouriteSite,
    IdToken,
    LoginAttempt,
    Operator,
    OperatorMember,
    PasswordReset,
    RefreshToken,
    UserAccount,
)
from app.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    TooManyRequestsError,
    UnauthorizedError,
)
from app.services import audit, security
from app.services.notify import CodeSender
from app.services.principal import ALL_ROLES, Principal, Role

logger = logging.getLogger(__name__)

API_KEY_SCOPES: Final = frozenset(
    {"stations:read", "sessions:read", "tariffs:read", "operators:read"}
)
MAX_RESET_ATTEMPTS: Final = 5
ORG_ROLES: Final = frozenset({"technician", "partner"})


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in_s: int
    session_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """What the account services need from the settings."""

    jwt_secret: str
    access_ttl_s: int = 900
    refresh_ttl_s: int = 30 * 86400
    max_failures: int = 5
    window_s: int = 900
    reset_ttl_s: int = 900


def _now() -> datetime:
    return datetime.now(UTC)


def _user_label(user: UserAccount) -> str:
    return f"user:{user.id}"


# ---------------------------------------------------------------- users


async def _check_unique(
    session: AsyncSession, email: str | None, phone: str | None, exclude_id: int | None
) -> None:
    if email is not None:
        q = select(UserAccount.id).where(func.lower(UserAccount.email) == email)
        if exclude_id is not None:
            q = q.where(UserAccount.id != exclude_id)
        if (await session.execute(q)).first():
            raise ConflictError(
                f"email: {email} is already registered", "duplicate_email"
            )
    if phone is not None:
        q = select(UserAccount.id).where(UserAccount.phone == phone)
        if exclude_id is not None:
            q = q.where(UserAccount.id != exclude_id)
        if (await session.execute(q)).first():
            raise ConflictError(
                f"phone: {phone} is already registered", "duplicate_phone"
            )


async def _set_operators(
    session: AsyncSession, user: UserAccount, operator_ids: Sequence[int]
) -> list[int]:
    ids = sorted(set(operator_ids))
    if ids:
        found = set(
            (
                await session.execute(select(Operator.id).where(Operator.id.in_(ids)))
            ).scalars()
        )
        missing = [i for i in ids if i not in found]
        if missing:
            raise InvalidInputError(
                f"operator_ids: unknown operator(s) {missing}", "unknown_operator"
            )
    if ids and user.role not in ORG_ROLES:
        raise InvalidInputError(
            f"operator_ids: only technicians and partners belong to operators, not"
            f" {user.role!r}",
            "operator_membership_role",
        )
    await session.execute(
        delete(OperatorMember).where(OperatorMember.user_id == user.id)
    )
    for oid in ids:
        session.add(OperatorMember(user_id=user.id, operator_id=oid))
    return ids


async def operator_ids_of(session: AsyncSession, user_id: int) -> list[int]:
    rows = await session.execute(
        select(OperatorMember.operator_id)
        .where(OperatorMember.user_id == user_id)
        .order_by(OperatorMember.operator_id)
    )
    return list(rows.scalars())


def user_snapshot(user: UserAccount, operator_ids: Sequence[int]) -> dict[str, object]:
    snap = audit.snapshot(user)
    snap["operator_ids"] = list(operator_ids)
    return snap


async def _flush_unique(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as e:  # a concurrent sign-up won the race
        msg = str(e.orig)
        if "phone" in msg:
            raise ConflictError("phone: already registered", "duplicate_phone") from e
        raise ConflictError("email: already registered", "duplicate_email") from e


async def register(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    phone: str | None = None,
    full_name: str | None = None,
) -> UserAccount:
    """Self sign-up of a driver (role ``client``)."""
    email = security.normalize_email(email)
    phone = security.normalize_phone(phone) if phone else None
    security.check_password_strength(password, email=email)
    async with session.begin():
        await _check_unique(session, email, phone, None)
        user = UserAccount(
            email=email,
            phone=phone,
            full_name=full_name,
            password_hash=security.hash_password(password),
            role="client",
            is_active=True,
        )
        session.add(user)
        await _flush_unique(session)
        me = Principal(subject=f"user:{user.id}", role="client", user_id=user.id)
        await audit.record(
            session, me, "register", "user", user.id, after=user_snapshot(user, [])
        )
    return user


async def create_user(
    session: AsyncSession,
    principal: Principal,
    *,
    email: str,
    password: str,
    role: Role,
    phone: str | None = None,
    full_name: str | None = None,
    operator_ids: Sequence[int] = (),
) -> tuple[UserAccount, list[int]]:
    """An admin creates an account of any role."""
    if role not in ALL_ROLES:
        raise InvalidInputError(f"role: unknown {role!r}", "invalid_role")
    email = security.normalize_email(email)
    phone = security.normalize_phone(phone) if phone else None
    security.check_password_strength(password, email=email)
    async with session.begin():
        await _check_unique(session, email, phone, None)
        user = UserAccount(
            email=email,
            phone=phone,
            full_name=full_name,
            password_hash=security.hash_password(password),
            role=role,
            is_active=True,
        )
        session.add(user)
        await _flush_unique(session)
        ids = await _set_operators(session, user, operator_ids)
        await audit.record(
            session,
            principal,
            "create",
            "user",
            user.id,
            after=user_snapshot(user, ids),
        )
    return user, ids


async def get_user(
    session: AsyncSession, user_id: int
) -> tuple[UserAccount, list[int]]:
    user = await session.get(UserAccount, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} not found")
    return user, await operator_ids_of(session, user_id)


async def list_users(
    session: AsyncSession,
    *,
    role: str | None = None,
    operator_id: int | None = None,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[tuple[UserAccount, list[int]]]:
    stmt = select(UserAccount).order_by(UserAccount.id).limit(limit).offset(offset)
    if role:
        stmt = stmt.where(UserAccount.role == role)
    if operator_id is not None:
        stmt = stmt.where(
            UserAccount.id.in_(
                select(OperatorMember.user_id).where(
                    OperatorMember.operator_id == operator_id
                )
            )
        )
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            func.lower(func.coalesce(UserAccount.email, "")).like(like)
            | func.lower(func.coalesce(UserAccount.full_name, "")).like(like)
            | func.coalesce(UserAccount.phone, "").like(like)
        )
    users = list((await session.execute(stmt)).scalars())
    out = []
    for u in users:
        out.append((u, await operator_ids_of(session, u.id)))
    return out


async def update_user(  # noqa: PLR0912  # one branch per optional field
    session: AsyncSession,
    principal: Principal,
    user_id: int,
    *,
    email: str | None = None,
    phone: str | None = None,
    full_name: str | None = None,
    role: Role | None = None,
    operator_ids: Sequence[int] | None = None,
    is_active: bool | None = None,
    password: str | None = None,
) -> tuple[UserAccount, list[int]]:
    """Admins change anything; others may only change their own profile fields."""
    is_admin = principal.role == "admin"
    if not is_admin:
        if principal.user_id != user_id:
            raise NotFoundError(f"user {user_id} not found")
        if role is not None or operator_ids is not None or is_active is not None:
            raise ForbiddenError(
                "role, operator_ids and is_active are set by an admin only",
                "role_escalation",
            )
    if role is not None and role not in ALL_ROLES:
        raise InvalidInputError(f"role: unknown {role!r}", "invalid_role")
    email = security.normalize_email(email) if email is not None else None
    phone = security.normalize_phone(phone) if phone else None
    if password is not None:
        security.check_password_strength(password, email=email)
    async with session.begin():
        user = await session.get(UserAccount, user_id, with_for_update=True)
        if user is None:
            raise NotFoundError(f"user {user_id} not found")
        before_ids = await operator_ids_of(session, user_id)
        before = user_snapshot(user, before_ids)
        await _check_unique(session, email, phone, user_id)
        if email is not None:
            user.email = email
        if phone is not None:
            user.phone = phone
        if full_name is not None:
            user.full_name = full_name
        if password is not None:
            user.password_hash = security.hash_password(password)
            await _revoke_sessions(session, user_id, "password changed")
        if role is not None:
            if principal.user_id == user_id and role != "admin":
                raise ConflictError(
                    "role: an admin may not demote themselves", "self_demotion"
                )
            user.role = role
        ids = before_ids
        if operator_ids is not None or role is not None:
            wanted = before_ids if operator_ids is None else operator_ids
            if role is not None and role not in ORG_ROLES and operator_ids is None:
                wanted = []
            ids = await _set_operators(session, user, wanted)
        if is_active is not None:
            user.is_active = is_active
            if not is_active:
                await _revoke_sessions(session, user_id, "deactivated")
        await _flush_unique(session)
        await audit.record(
            session, principal, "update", "user", user_id,
            before=before, after=user_snapshot(user, ids),
        )  # fmt: skip
    return user, ids


async def delete_user(
    session: AsyncSession, principal: Principal, user_id: int
) -> None:
    """Remove an account and its personal data (tokens blocked, sessions kept
    anonymously for the operators' accounting)."""
    async with session.begin():
        user = await session.get(UserAccount, user_id, with_for_update=True)
        if user is None:
            raise NotFoundError(f"user {user_id} not found")
        if principal.role == "admin" and principal.user_id == user_id:
            raise ConflictError("an admin may not delete themselves", "self_delete")
        await session.execute(delete(IdToken).where(IdToken.user_id == user_id))
        await session.execute(
            delete(FavouriteSite).where(FavouriteSite.user_id == user_id)
        )
        await session.delete(user)
        await audit.record(
            session, principal, "delete", "user", user_id,
            before={"id": user_id, "role": user.role},
        )  # fmt: skip


# ---------------------------------------------------------------- login


async def _throttled(session: AsyncSession, key: str, cfg: AuthConfig) -> int:
    """Seconds to wait when ``key`` had too many failures in the window, else 0."""
    since = _now() - timedelta(seconds=cfg.window_s)
    last_ok = (
        await session.execute(
            select(func.max(LoginAttempt.at)).where(
                LoginAttempt.key == key, LoginAttempt.success.is_(True)
            )
        )
    ).scalar()
    if last_ok is not None and last_ok > since:
        since = last_ok
    rows = (
        await session.execute(
            select(func.count(), func.min(LoginAttempt.at)).where(
                LoginAttempt.key == key,
                LoginAttempt.success.is_(False),
                LoginAttempt.at > since,
            )
        )
    ).one()
    count, first = int(rows[0]), rows[1]
    if count < cfg.max_failures or first is None:
        return 0
    wait = (first + timedelta(seconds=cfg.window_s) - _now()).total_seconds()
    return max(1, int(wait) + 1)


async def _new_session_tokens(
    session: AsyncSession, user: UserAccount, cfg: AuthConfig, sid: uuid.UUID | None
) -> TokenPair:
    if sid is None:
        sid = uuid.uuid4()
        session.add(AuthSession(id=sid, user_id=user.id))
        await session.flush()
    refresh = security.new_opaque_token()
    session.add(
        RefreshToken(
            session_id=sid,
            token_hash=security.token_digest(refresh),
            expires_at=_now() + timedelta(seconds=cfg.refresh_ttl_s),
        )
    )
    access, _ = security.issue_access_token(
        cfg.jwt_secret, user_id=user.id, session_id=sid, role=user.role,
        ttl_s=cfg.access_ttl_s,
    )  # fmt: skip
    return TokenPair(access, refresh, cfg.access_ttl_s, sid)


async def login(
    session: AsyncSession,
    cfg: AuthConfig,
    *,
    username: str,
    password: str,
    client_ip: str | None,
) -> TokenPair:
    """Password login (by e-mail or +998 phone) with throttling per account and IP."""
    ident = username.strip().lower()
    keys = [f"acct:{ident}"] + ([f"ip:{client_ip}"] if client_ip else [])
    async with session.begin():
        for key in keys:
            limit = (
                cfg
                if key.startswith("acct:")
                else AuthConfig(
                    cfg.jwt_secret,
                    max_failures=cfg.max_failures * 4,
                    window_s=cfg.window_s,
                )
            )
            wait = await _throttled(session, key, limit)
            if wait:
                raise TooManyRequestsError(
                    f"too many failed logins; try again in {wait} s",
                    "login_throttled",
                    retry_after_s=wait,
                )
        stmt = select(UserAccount)
        if ident.startswith("+") or ident[:1].isdigit():
            try:
                stmt = stmt.where(UserAccount.phone == security.normalize_phone(ident))
            except InvalidInputError:
                stmt = stmt.where(func.lower(UserAccount.email) == ident)
        else:
            stmt = stmt.where(func.lower(UserAccount.email) == ident)
        user = (await session.execute(stmt)).scalar_one_or_none()
        ok = security.verify_password(user.password_hash if user else None, password)
        ok = ok and user is not None and user.is_active
        for key in keys:
            session.add(LoginAttempt(key=key, success=ok))
        if not ok or user is None:
            pair = None
        else:
            if user.password_hash and security.needs_rehash(user.password_hash):
                user.password_hash = security.hash_password(password)
            pair = await _new_session_tokens(session, user, cfg, None)
    if pair is None:
        raise UnauthorizedError("incorrect e-mail/phone or password", "bad_credentials")
    return pair


async def refresh(session: AsyncSession, cfg: AuthConfig, token: str) -> TokenPair:
    """Rotate: the presented refresh token is spent and a new pair issued.

    Presenting a spent token again means it leaked: the whole login session
    is revoked (RFC 6819 §5.2.2.3, OAuth 2.0 Security BCP refresh rotation).
    """
    digest = security.token_digest(token)
    reused = False
    async with session.begin():
        row = (
            await session.execute(
                select(RefreshToken)
                .where(RefreshToken.token_hash == digest)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if row is None:
            raise UnauthorizedError("refresh token unknown", "invalid_refresh_token")
        auth = await session.get(AuthSession, row.session_id, with_for_update=True)
        if auth is None or auth.revoked_at is not None:
            raise UnauthorizedError("refresh token revoked", "refresh_token_revoked")
        if row.used_at is not None:
            auth.revoked_at = _now()
            auth.revoke_reason = "refresh token reused"
            reused = True
        elif row.expires_at <= _now():
            raise UnauthorizedError("refresh token expired", "refresh_token_expired")
        else:
            user = await session.get(UserAccount, auth.user_id)
            if user is None or not user.is_active:
                raise UnauthorizedError("account disabled", "account_disabled")
            row.used_at = _now()
            pair = await _new_session_tokens(session, user, cfg, auth.id)
    if reused:
        logger.warning("refresh token reuse: session %s revoked", row.session_id)
        raise UnauthorizedError(
            "refresh token already used; the session is revoked, log in again",
            "refresh_token_reused",
        )
    return pair


async def _revoke_sessions(session: AsyncSession, user_id: int, reason: str) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=_now(), revoke_reason=reason)
    )


async def logout(session: AsyncSession, session_id: uuid.UUID) -> None:
    async with session.begin():
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=_now(), revoke_reason="logout")
        )


# ---------------------------------------------------------------- password reset


async def request_password_reset(
    session: AsyncSession, cfg: AuthConfig, sender: CodeSender, email: str
) -> None:
    """Send a one-time code when the account exists (the answer never says)."""
    try:
        email = security.normalize_email(email)
    except InvalidInputError:
        return
    code = security.new_reset_code()
    async with session.begin():
        user = (
            await session.execute(
                select(UserAccount).where(func.lower(UserAccount.email) == email)
            )
        ).scalar_one_or_none()
        if user is None or not user.is_active:
            return
        # Earlier codes stop working when a new one is requested.
        await session.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
            .values(used_at=_now())
        )
        row = PasswordReset(
            user_id=user.id,
            code_hash="pending",
            expires_at=_now() + timedelta(seconds=cfg.reset_ttl_s),
        )
        session.add(row)
        await session.flush()
        row.code_hash = security.code_digest(cfg.jwt_secret, row.id, code)
    await sender.send_code(email, code, "password-reset")


async def reset_password(
    session: AsyncSession, cfg: AuthConfig, *, email: str, code: str, new_password: str
) -> None:
    email = security.normalize_email(email)
    security.check_password_strength(new_password, email=email)
    bad = InvalidInputError("code: invalid or expired reset code", "invalid_reset_code")
    failed = False
    async with session.begin():
        user = (
            await session.execute(
                select(UserAccount).where(func.lower(UserAccount.email) == email)
            )
        ).scalar_one_or_none()
        if user is None:
            raise bad
        row = (
            await session.execute(
                select(PasswordReset)
                .where(
                    PasswordReset.user_id == user.id,
                    PasswordReset.used_at.is_(None),
                    PasswordReset.expires_at > _now(),
                )
                .order_by(PasswordReset.id.desc())
                .limit(1)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if row is None or row.attempts >= MAX_RESET_ATTEMPTS:
            raise bad
        expected = security.code_digest(cfg.jwt_secret, row.id, code.strip())
        if not hmac.compare_digest(expected, row.code_hash):
            row.attempts += 1
            failed = True
        else:
            row.used_at = _now()
            user.password_hash = security.hash_password(new_password)
            await _revoke_sessions(session, user.id, "password reset")
            me = Principal(subject=f"user:{user.id}", role="client", user_id=user.id)
            await audit.record(
                session, me, "password_reset", "user", user.id,
                after={"password": "changed"},
            )  # fmt: skip
    if failed:
        raise bad


# ---------------------------------------------------------------- API keys


async def create_api_key(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    scopes: Sequence[str],
    expires_at: datetime | None,
    owner_user_id: int | None = None,
) -> tuple[ApiKey, str]:
    """A new key for a partner (shown once); admins may create one for a partner."""
    unknown = sorted(set(scopes) - API_KEY_SCOPES)
    if unknown or not scopes:
        raise InvalidInputError(
            f"scopes: unknown {unknown}; allowed: {', '.join(sorted(API_KEY_SCOPES))}"
            if unknown
            else "scopes: at least one scope is needed",
            "invalid_scope",
        )
    if expires_at is not None and expires_at <= _now():
        raise InvalidInputError("expires_at: must be in the future", "invalid_expiry")
    if principal.api_key_id is not None:
        raise ForbiddenError("an API key may not create API keys", "api_key_forbidden")
    owner = (
        owner_user_id
        if principal.role == "admin" and owner_user_id
        else principal.user_id
    )
    if owner is None:
        raise InvalidInputError("owner_user_id: needed for the admin token", "no_owner")
    key, prefix = security.new_api_key()
    async with session.begin():
        user = await session.get(UserAccount, owner)
        if user is None or user.role != "partner":
            raise InvalidInputError(
                f"owner_user_id: user {owner} is not a partner", "not_a_partner"
            )
        row = ApiKey(
            user_id=owner,
            name=name,
            prefix=prefix,
            key_hash=security.token_digest(key),
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
        )
        session.add(row)
        await session.flush()
        await audit.record(
            session, principal, "create", "api_key", row.id, after=audit.snapshot(row)
        )
    return row, key


async def list_api_keys(session: AsyncSession, principal: Principal) -> list[ApiKey]:
    stmt = select(ApiKey).order_by(ApiKey.id)
    if principal.role != "admin":
        stmt = stmt.where(ApiKey.user_id == principal.user_id)
    return list((await session.execute(stmt)).scalars())


async def revoke_api_key(
    session: AsyncSession, principal: Principal, key_id: int
) -> ApiKey:
    async with session.begin():
        row = await session.get(ApiKey, key_id, with_for_update=True)
        if row is None or (
            principal.role != "admin" and row.user_id != principal.user_id
        ):
            raise NotFoundError(f"api key {key_id} not found")
        before = audit.snapshot(row)
        if row.revoked_at is None:
            row.revoked_at = _now()
        await audit.record(
            session, principal, "revoke", "api_key", key_id,
            before=before, after=audit.snapshot(row),
        )  # fmt: skip
    return row


# ---------------------------------------------------------------- authentication


async def authenticate(
    session: AsyncSession, cfg: AuthConfig, token: str
) -> Principal | None:
    """The principal of an access JWT or a partner API key; ``None`` if invalid."""
    if token.startswith(security.API_KEY_PREFIX):
        return await _authenticate_key(session, token)
    claims = security.decode_access_token(cfg.jwt_secret, token)
    if claims is None:
        return None
    row = (
        await session.execute(
            select(UserAccount, AuthSession.revoked_at)
            .join(AuthSession, AuthSession.user_id == UserAccount.id)
            .where(
                UserAccount.id == claims.user_id, AuthSession.id == claims.session_id
            )
        )
    ).first()
    if row is None:
        return None
    user, revoked_at = row
    if revoked_at is not None or not user.is_active:
        return None
    ops = await operator_ids_of(session, user.id)
    role = cast(Role, user.role)
    return Principal(
        subject=f"user:{user.id}",
        role=role,
        operator_ids=frozenset(ops),
        user_id=user.id,
        session_id=str(claims.session_id),
    )


async def _authenticate_key(session: AsyncSession, token: str) -> Principal | None:
    row = (
        await session.execute(
            select(ApiKey, UserAccount)
            .join(UserAccount, UserAccount.id == ApiKey.user_id)
            .where(ApiKey.key_hash == security.token_digest(token))
        )
    ).first()
    if row is None:
        return None
    key, user = row
    now = _now()
    if key.revoked_at is not None or not user.is_active or user.role != "partner":
        return None
    if key.expires_at is not None and key.expires_at <= now:
        return None
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        await session.execute(
            update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now)
        )
        await session.commit()
    ops = await operator_ids_of(session, user.id)
    return Principal(
        subject=f"api_key:{key.id}",
        role="partner",
        operator_ids=frozenset(ops),
        user_id=user.id,
        api_key_id=key.id,
        scopes=frozenset(key.scopes),
    )
