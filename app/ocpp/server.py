"""The OCPP WebSocket endpoint ``/ocpp/{charge_point_id}``.

Before a session exists the handshake is checked: sub-protocol (``ocpp1.6`` or
``ocpp2.0.1``), identity, HTTP Basic password (security profile 1/2, argon2
hash) and TLS for profiles 2/3. Refusals are HTTP answers with a JSON reason,
and are logged. A reconnect with the same id replaces the old socket; a
watchdog closes sockets whose heartbeats stopped.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import logging
import re
import secrets
import time
from typing import Any, Final

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter, WebSocket
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from starlette.websockets import (
    WebSocketDisconnect,
    WebSocketDisconnected,
    WebSocketState,
)

from app.live import LiveBus, MqttPublisher
from app.ocpp import schema
from app.ocpp.base import LIB_LOGGER, SessionBase
from app.ocpp.v16 import ChargePointSessionV16
from app.ocpp.v201 import ChargePointSessionV201
from app.services import charging
from app.services.charging import OcppContext
from app.services.group_commit import GroupCommitter
from app.services.ocpp_log import MessageLog
from app.services.registry import ConnectionRegistry
from app.serving import common_name
from app.settings import Settings

logger = logging.getLogger(__name__)

schema.install()  # the library's schemas, compiled, checked inline (app.ocpp.schema)

SUBPROTOCOLS: Final = {
    "ocpp1.6": ChargePointSessionV16,
    "ocpp2.0.1": ChargePointSessionV201,
}
CHARGE_POINT_ID: Final = re.compile(r"^[A-Za-z0-9._\-*+#@]{1,48}$")

router = APIRouter(tags=["ocpp"])


class Refusal(Exception):
    """The handshake is refused with an HTTP status and a JSON reason."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


class WebSocketAdapter:
    """The 2-method ``recv``/``send`` connection the ``ocpp`` library expects."""

    def __init__(self, ws: WebSocket, charge_point_id: str, log: MessageLog) -> None:
        self._ws = ws
        self._id = charge_point_id
        self._log = log

    async def recv(self) -> str:
        msg = await self._ws.receive()
        if msg["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(msg.get("code", 1000))
        text = msg.get("text")
        if text is None:
            data: bytes = msg.get("bytes") or b""
            text = data.decode("utf-8", errors="replace")
        self._log.add(self._id, "in", text)
        return text

    async def send(self, message: str) -> None:
        self._log.add(self._id, "out", message)
        await self._ws.send_text(message)

    async def close(self, code: int, reason: str) -> None:
        if self._ws.client_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, OSError):
                await self._ws.close(code, reason)


class OcppServer:
    """Connection registry + handshake checks + session lifecycle (one per app)."""

    def __init__(
        self, ctx: OcppContext, registry: ConnectionRegistry, log: MessageLog
    ) -> None:
        self.ctx = ctx
        self.registry = registry
        self.log = log
        self._hasher = PasswordHasher()
        # Keyed check of passwords that passed argon2 once (stored per charge
        # point): derived from the JWT secret, or random for this process only.
        secret = ctx.settings.jwt_secret.get_secret_value() or secrets.token_hex(32)
        self._verifier_key = hmac.new(
            secret.encode(), b"quvvat: ocpp password verifier", "sha256"
        ).digest()
        # argon2 costs 20-30 ms of CPU: one at a time, so that a reconnect storm
        # of unknown passwords cannot take both cores from the live sessions.
        self._argon2 = anyio.CapacityLimiter(1)
        # id -> times of recent wrong passwords (guessing is throttled per id).
        self._failures: dict[str, list[float]] = {}
        self._watchdog: asyncio.Task[None] | None = None
        self._tls = ctx.settings.tls_certfile is not None

    async def start(self) -> None:
        self._watchdog = asyncio.create_task(self._watch(), name="ocpp-watchdog")

    async def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        for cp in self.registry.ids():
            link = self.registry.get(cp)
            if link is not None:
                await link.close("server shutting down")

    async def _watch(self) -> None:
        """Close sockets whose charge point went silent (missed heartbeats)."""
        interval = self.ctx.settings.ocpp_heartbeat_interval_s
        limit = 2 * interval + self.ctx.settings.ocpp_heartbeat_grace_s
        while True:
            await asyncio.sleep(min(max(0.2, limit / 8), interval / 4))
            now = time.monotonic()
            for cp in self.registry.ids():
                link = self.registry.get(cp)
                if isinstance(link, SessionBase) and now - link.last_message_at > limit:
                    logger.warning("%s silent for %.0fs: closing its socket", cp, limit)
                    await link.close("heartbeat timeout")

    # ------------------------------------------------------------ handshake

    @staticmethod
    def choose_subprotocol(offered: list[str]) -> str:
        for proto in offered:
            if proto in SUBPROTOCOLS:
                return proto
        raise Refusal(
            400,
            "unsupported_subprotocol",
            f"no supported OCPP sub-protocol offered ({', '.join(offered) or 'none'}); "
            f"use one of: {', '.join(SUBPROTOCOLS)}",
        )

    @staticmethod
    def basic_password(ws: WebSocket, charge_point_id: str) -> str | None:
        header = ws.headers.get("authorization")
        if header is None:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            raise Refusal(
                401, "bad_credentials", "only HTTP Basic authentication is accepted"
            )
        try:
            user, sep, password = (
                base64.b64decode(value, validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError) as e:
            raise Refusal(401, "bad_credentials", "malformed Basic credentials") from e
        if not sep or user != charge_point_id:
            raise Refusal(
                401, "bad_credentials", "Basic user name must be the charge point id"
            )
        return password

    async def authenticate(
        self, ws: WebSocket, charge_point_id: str
    ) -> charging.Identity | None:
        if not CHARGE_POINT_ID.match(charge_point_id):
            raise Refusal(
                400, "bad_identity", f"invalid charge point id {charge_point_id!r}"
            )
        password = self.basic_password(ws, charge_point_id)
        ident = await charging.identity(self.ctx, charge_point_id)
        if ident is None:
            if self.ctx.settings.ocpp_unknown_charge_point == "rejected":
                raise Refusal(
                    404,
                    "unknown_charge_point",
                    f"unknown charge point {charge_point_id}",
                )
            return None  # registers as Pending/Accepted at its BootNotification
        if ident.registration_status == "Rejected":
            raise Refusal(
                403, "rejected", f"charge point {charge_point_id} is rejected"
            )
        if ident.security_profile >= 2 and ws.url.scheme != "wss":
            raise Refusal(
                403,
                "tls_required",
                f"security profile {ident.security_profile} requires wss://",
            )
        if ident.security_profile == 3:
            self.check_certificate(ws, charge_point_id)
            return ident
        if ident.password_hash is None:
            if ident.security_profile == 0:
                return ident
            raise Refusal(
                401,
                "no_password",
                f"no password is provisioned for {charge_point_id} (security profile "
                f"{ident.security_profile}); set one with PUT /charge-points/{{id}}/password",
            )
        if password is None:
            raise Refusal(401, "password_required", "HTTP Basic password required")
        await self._verify(ident, ident.password_hash, password)
        return ident

    @staticmethod
    def check_certificate(ws: WebSocket, charge_point_id: str) -> None:
        """Security profile 3: the TLS client certificate (already verified
        against the CA by the TLS layer) must name this charge point as its
        common name, so one station's certificate cannot log in as another."""
        tls = ws.scope.get("extensions", {}).get("tls") or {}
        name = tls.get("client_cert_name")
        if not name:
            raise Refusal(
                401,
                "certificate_required",
                "security profile 3 requires a TLS client certificate"
                " (the server needs QUVVAT_TLS_CA_CERTS)",
            )
        cn = common_name(name)
        if cn != charge_point_id:
            raise Refusal(
                403,
                "certificate_mismatch",
                f"the client certificate is issued to CN={cn!r}, not to"
                f" {charge_point_id!r}",
            )

    async def _verify(
        self, ident: charging.Identity, password_hash: str, password: str
    ) -> None:
        """argon2 once per password; afterwards (also after a restart) the stored
        keyed verifier, which takes microseconds instead of 20-30 ms of CPU."""
        mac = hmac.new(
            self._verifier_key,
            f"{ident.id}\x00{password_hash}\x00{password}".encode(),
            "sha256",
        ).hexdigest()
        if ident.password_verifier and hmac.compare_digest(
            mac, ident.password_verifier
        ):
            return

        settings = self.ctx.settings
        now = time.monotonic()
        recent = [
            t
            for t in self._failures.get(ident.id, ())
            if now - t < settings.ocpp_auth_window_s
        ]
        if len(recent) >= settings.ocpp_auth_max_failures:
            wait = settings.ocpp_auth_window_s - (now - recent[0])
            raise Refusal(
                429,
                "too_many_failures",
                f"{len(recent)} wrong passwords for {ident.id} within"
                f" {settings.ocpp_auth_window_s:g} s: try again in {wait:.0f} s",
            )

        def check() -> bool:
            try:
                return bool(self._hasher.verify(password_hash, password))
            except (VerificationError, InvalidHashError):
                return False

        if not await anyio.to_thread.run_sync(check, limiter=self._argon2):
            self._failures[ident.id] = [*recent, now]
            raise Refusal(401, "bad_credentials", "wrong password")
        self._failures.pop(ident.id, None)
        await charging.store_password_verifier(self.ctx, ident.id, password_hash, mac)

    @staticmethod
    async def refuse(ws: WebSocket, charge_point_id: str, r: Refusal) -> None:
        logger.warning(
            "OCPP handshake of %r refused (%s): %s",
            charge_point_id[:64],
            r.code,
            r.detail,
        )
        headers = (
            {"WWW-Authenticate": 'Basic realm="ocpp"'} if r.status == 401 else None
        )
        body = JSONResponse(
            {"detail": r.detail, "code": r.code}, r.status, headers=headers
        )
        if "websocket.http.response" in ws.scope.get("extensions", {}):
            await ws.send_denial_response(body)
        else:
            await ws.close(1008, r.detail[:120])

    # ------------------------------------------------------------ session

    async def serve(self, ws: WebSocket, charge_point_id: str) -> None:
        try:
            proto = self.choose_subprotocol(list(ws.scope.get("subprotocols", [])))
            ident = await self.authenticate(ws, charge_point_id)
        except Refusal as r:
            await self.refuse(ws, charge_point_id, r)
            return
        await ws.accept(subprotocol=proto)
        adapter = WebSocketAdapter(ws, charge_point_id, self.log)
        session_cls = SUBPROTOCOLS[proto]
        session: Any = session_cls(
            charge_point_id,
            adapter,
            response_timeout=self.ctx.settings.ocpp_call_timeout_s,
            logger=LIB_LOGGER,
        )
        session._init_session(self.ctx, self.ctx.settings.ocpp_max_frame_bytes, ident)
        old = self.registry.put(session)
        if old is not None:
            logger.info("%s reconnected: replacing its old socket", charge_point_id)
            await old.close("replaced by a new connection")
        logger.info("%s connected (%s)", charge_point_id, proto)
        try:
            await charging.connected(self.ctx, charge_point_id, proto, ident)
            await session.start()
        except (WebSocketDisconnect, WebSocketDisconnected, OSError):
            pass  # the charge point went away (possibly while we were answering it)
        finally:
            if self.registry.remove(session):
                logger.info("%s disconnected", charge_point_id)
                await charging.disconnected(self.ctx, charge_point_id, session.identity)


async def start_runtime(app: Any, settings: Settings) -> None:
    """Lifespan start: MQTT publisher, group commit, frame log, OCPP server."""
    # Its own pool: thousands of charge points must not starve the API, and a
    # pre-ping round trip per message would double the database latency.
    engine = create_async_engine(
        app.state.database_url, pool_size=20, max_overflow=10, pool_recycle=600
    )
    app.state.ocpp_engine = engine
    maker = async_sessionmaker(engine, expire_on_commit=False)
    bus: LiveBus = app.state.live
    mqtt = MqttPublisher(bus, settings.mqtt_url) if settings.mqtt_url else None
    committer = GroupCommitter(maker)
    log = MessageLog(maker, settings.ocpp_message_retention_days)
    ctx = OcppContext(
        maker=maker,
        bus=bus,
        committer=committer,
        settings=settings,
        registry=app.state.registry,
    )
    app.state.ocpp_context = ctx
    app.state.mqtt = mqtt
    app.state.ocpp = OcppServer(ctx, app.state.registry, log)
    await charging.mark_all_disconnected(maker)
    if mqtt is not None:
        await mqtt.start()
    await committer.start()
    await log.start()
    await app.state.ocpp.start()


async def stop_runtime(app: Any) -> None:
    """Lifespan end: close sockets, finish pending commits, flush the frame log."""
    server: OcppServer = app.state.ocpp
    await server.stop()
    await server.ctx.committer.stop()
    await server.log.stop()
    if app.state.mqtt is not None:
        await app.state.mqtt.stop()
    await app.state.ocpp_engine.dispose()


@router.websocket("/ocpp/{charge_point_id}")
async def ocpp_endpoint(websocket: WebSocket, charge_point_id: str) -> None:
    """OCPP-J 1.6 / 2.0.1 charge point connection (auth: HTTP Basic, profile 1-3)."""
    server: OcppServer = websocket.app.state.ocpp
    await server.serve(websocket, charge_point_id)
