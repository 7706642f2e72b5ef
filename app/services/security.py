"""Credentials: argon2 password hashes, access JWTs, opaque tokens, password rules.

Pure functions (no database); :mod:`app.services.accounts` uses them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.errors import InvalidInputError

_hasher: Final = PasswordHasher()
# Verified against when the e-mail is unknown, so timing does not reveal accounts.
_DUMMY_HASH: Final = _hasher.hash("quvvat-dummy-password-for-timing")

JWT_ALGORITHM: Final = "HS256"
API_KEY_PREFIX: Final = "qvk_"
MIN_PASSWORD_LENGTH: Final = 10
UZ_PHONE: Final = re.compile(r"^\+998\d{9}$")
EMAIL: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_COMMON: Final = frozenset(
    {
        "password", "password1", "password123", "qwerty123", "1234567890",
        "123456789", "qwertyuiop", "iloveyou", "admin12345", "parol12345",
        "quvvat12345", "tashkent123", "toshkent123", "0123456789",
    }
)  # fmt: skip


def hash_password(password: str) -> str:
    """Argon2id hash (argon2-cffi's defaults, RFC 9106 low-memory profile)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-work check; ``None`` (no password set) never matches."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def check_password_strength(password: str, *, email: str | None = None) -> None:
    """Raise :class:`InvalidInputError` naming what makes ``password`` weak."""
    problems: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"at least {MIN_PASSWORD_LENGTH} characters")
    classes = sum(
        bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^\w]")
    )
    if classes < 3:
        problems.append("three of: lower-case letter, upper-case letter, digit, symbol")
    lowered = password.lower()
    if lowered in _COMMON or len(set(password)) < 4:
        problems.append("not a common or repetitive password")
    name = email.split("@")[0].lower() if email else ""
    if len(name) >= 4 and name in lowered:
        problems.append("not containing the e-mail name")
    if problems:
        raise InvalidInputError(
            "password: too weak; needs " + "; ".join(problems), "weak_password"
        )


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        raise InvalidInputError(
            f"email: {email!r} is not an e-mail address", "invalid_email"
        )
    return email


def normalize_phone(phone: str) -> str:
    """Uzbek mobile numbers in E.164: ``+998`` and nine digits."""
    compact = re.sub(r"[\s\-()]", "", phone)
    if compact.startswith("998") and len(compact) == 12:
        compact = "+" + compact
    if not UZ_PHONE.match(compact):
        raise InvalidInputError(
            f"phone: {phone!r} is not an Uzbek number (+998 and 9 digits,"
            " e.g. +998901234567)",
            "invalid_phone",
        )
    return compact


def token_digest(token: str) -> str:
    """SHA-256 of a high-entropy token (for passwords use argon2, not this)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_opaque_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def new_api_key() -> tuple[str, str]:
    """A new API key and its display prefix (the key is shown once)."""
    prefix = secrets.token_hex(4)
    return f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix


def new_reset_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def code_digest(secret: str, reset_id: int, code: str) -> str:
    """HMAC of a short one-time code, bound to its reset row."""
    return hmac.new(
        secret.encode(), f"{reset_id}:{code}".encode(), "sha256"
    ).hexdigest()


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    session_id: uuid.UUID
    role: str
    expires_at: datetime


def issue_access_token(
    secret: str,
    *,
    user_id: int,
    session_id: uuid.UUID,
    role: str,
    ttl_s: int,
    now: datetime | None = None,
) -> tuple[str, datetime]:
    now = now or datetime.now(UTC)
    exp = now + timedelta(seconds=ttl_s)
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "role": role,
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int(exp.timestamp()),
        "iss": "quvvat",
    }
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM), exp


def decode_access_token(secret: str, token: str) -> AccessClaims | None:
    """Claims of a valid, unexpired access token; ``None`` for anything else."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            issuer="quvvat",
            options={"require": ["exp", "sub", "sid", "typ"]},
        )
        if claims["typ"] != "access":
            return None
        return AccessClaims(
            user_id=int(claims["sub"]),
            session_id=uuid.UUID(claims["sid"]),
            role=str(claims["role"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
    except (jwt.PyJWTError, ValueError, KeyError):
        return None
