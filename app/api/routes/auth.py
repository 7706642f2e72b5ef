"""Sign-up, OAuth2 password login, refresh rotation, logout, password reset, profile."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from app.api.auth import Anyone, AnyUser, public_write
from app.api.deps import SessionDep
from app.api.params import async_params
from app.errors import ForbiddenError, InvalidInputError, UnauthorizedError
from app.schemas.accounts import (
    Message,
    MeUpdate,
    PasswordChange,
    RefreshRequest,
    ResetConfirm,
    ResetRequest,
    SignUp,
    Token,
    UserPublic,
)
from app.services import accounts, security
from app.services.notify import CodeSender

router = APIRouter(prefix="/api/auth", tags=["auth"])
me_router = APIRouter(prefix="/api/me", tags=["me"])


async def _cfg(request: Request) -> accounts.AuthConfig:
    cfg: accounts.AuthConfig = request.app.state.auth_config
    return cfg


def _sender(request: Request) -> CodeSender:
    sender: CodeSender = request.app.state.code_sender
    return sender


Cfg = Annotated[accounts.AuthConfig, Depends(_cfg)]


def user_public(user: object, operator_ids: list[int]) -> UserPublic:
    fields = ("id", "email", "phone", "full_name", "role", "is_active", "created_at")
    data = {k: getattr(user, k) for k in fields}
    return UserPublic.model_validate({**data, "operator_ids": operator_ids})


def _token(pair: accounts.TokenPair) -> Token:
    return Token(
        access_token=pair.access_token,
        expires_in=pair.expires_in_s,
        refresh_token=pair.refresh_token,
    )


@router.post("/register", status_code=status.HTTP_201_CREATED)
@public_write("sign-up happens before there is an account")
async def register(body: SignUp, session: SessionDep, _: Anyone) -> UserPublic:
    """Create a driver account (role ``client``); other roles come from an admin."""
    if body.role not in (None, "client"):
        raise ForbiddenError(
            f"role: sign-up creates drivers only; {body.role!r} is given by an admin",
            "role_escalation",
        )
    user = await accounts.register(
        session,
        email=body.email,
        password=body.password,
        phone=body.phone,
        full_name=body.full_name,
    )
    return user_public(user, [])


@router.post("/token")
@public_write("login happens before there is a token")
async def login(
    request: Request,
    form: Annotated[
        OAuth2PasswordRequestForm, Depends(async_params(OAuth2PasswordRequestForm))
    ],
    session: SessionDep,
    cfg: Cfg,
    _: Anyone,
) -> Token:
    """OAuth2 password flow: ``username`` is the e-mail or the +998 phone."""
    ip = request.client.host if request.client else None
    pair = await accounts.login(
        session, cfg, username=form.username, password=form.password, client_ip=ip
    )
    return _token(pair)


@router.post("/refresh")
@public_write("the refresh token is the credential")
async def refresh(
    body: RefreshRequest, session: SessionDep, cfg: Cfg, _: Anyone
) -> Token:
    """Spend a refresh token for a new pair; a reused one revokes the session."""
    return _token(await accounts.refresh(session, cfg, body.refresh_token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: AnyUser, session: SessionDep) -> None:
    """End this login session: its access and refresh tokens stop working."""
    if principal.session_id is None:
        raise InvalidInputError("only a login session can log out", "no_session")
    await accounts.logout(session, uuid.UUID(principal.session_id))


@router.post("/password-reset/request", status_code=status.HTTP_202_ACCEPTED)
@public_write("a user who forgot the password has no token")
async def password_reset_request(
    body: ResetRequest, request: Request, session: SessionDep, cfg: Cfg, _: Anyone
) -> Message:
    """Send a one-time code to the account's e-mail, if there is such an account."""
    await accounts.request_password_reset(session, cfg, _sender(request), body.email)
    return Message(message="if the account exists, a code was sent")


@router.post("/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT)
@public_write("the one-time code is the credential")
async def password_reset_confirm(
    body: ResetConfirm, session: SessionDep, cfg: Cfg, _: Anyone
) -> None:
    """Set a new password with the code; every login session is ended."""
    await accounts.reset_password(
        session, cfg, email=body.email, code=body.code, new_password=body.new_password
    )


def _user_id(principal: AnyUser) -> int:
    if principal.user_id is None:
        raise InvalidInputError("the admin token has no profile", "no_profile")
    return principal.user_id


@me_router.get("")
async def read_me(principal: AnyUser, session: SessionDep) -> UserPublic:
    """The caller's own account."""
    user, ids = await accounts.get_user(session, _user_id(principal))
    return user_public(user, ids)


@me_router.patch("")
async def update_me(
    body: MeUpdate, principal: AnyUser, session: SessionDep
) -> UserPublic:
    """Change one's own e-mail, phone or name (never one's role)."""
    if body.role is not None:
        raise ForbiddenError(
            "role: you may not change your own role", "role_escalation"
        )
    user, ids = await accounts.update_user(
        session,
        principal,
        _user_id(principal),
        email=body.email,
        phone=body.phone,
        full_name=body.full_name,
    )
    return user_public(user, ids)


@me_router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    body: PasswordChange, principal: AnyUser, session: SessionDep
) -> None:
    """Change one's password (other login sessions end)."""
    user, _ = await accounts.get_user(session, _user_id(principal))
    stored, user_id = user.password_hash, user.id
    await session.rollback()
    if not security.verify_password(stored, body.current_password):
        raise UnauthorizedError("current_password: incorrect", "bad_credentials")
    await accounts.update_user(session, principal, user_id, password=body.new_password)
