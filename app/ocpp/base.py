"""What both protocol versions share: frame handling, errors, commands.

The ``ocpp`` library's ``route_message`` only logs a frame it cannot parse; a
charge point must get a CALLERROR instead, with the connection kept open. This
mixin answers every bad frame (malformed JSON, wrong message type id, unknown
action, oversize frame) with the right CALLERROR.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import sys
import time
from collections.abc import Coroutine
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Final, Protocol, cast

from ocpp.charge_point import camel_to_snake_case, remove_nones, snake_to_camel_case
from ocpp.exceptions import FormatViolationError, InternalError, OCPPError
from ocpp.messages import Call, CallError, MessageType, _validate_payload, unpack
from starlette.websockets import WebSocketDisconnect, WebSocketDisconnected

from app.services import commands
from app.services.charging import Identity, OcppContext
from app.services.registry import InvalidCommandPayloadError

logger = logging.getLogger(__name__)

_UID: Final = re.compile(r'^\s*\[\s*\d+\s*,\s*"((?:[^"\\]|\\.){1,36})"')


class LibraryLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """The ``ocpp`` library logs every bad payload with a traceback at ERROR.

    A charge point's bad payload is its problem and gets a CALLERROR: WARNING,
    no traceback. Anything else stays an ERROR with its traceback.
    """

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        """Every frame: kept in the ``ocpp_message`` table instead of the log."""

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OCPPError):
            self.warning("%s: %s", str(msg) % args if args else msg, exc)
        else:
            self.error(msg, *args, exc_info=True, **kwargs)


LIB_LOGGER: Final = LibraryLogger(logging.getLogger("app.ocpp.frames"), {})


class Connection(Protocol):
    async def recv(self) -> str: ...
    async def send(self, message: str) -> None: ...
    async def close(self, code: int, reason: str) -> None: ...


def guess_unique_id(raw: str) -> str:
    """The unique id of a frame we could not parse, or ``-1`` (OCPP-J 4.2.3)."""
    m = _UID.match(raw[:200])
    return m.group(1) if m else "-1"


def parse_ts(value: str, field: str) -> datetime:
    try:
        ts = datetime.fromisoformat(value)
    except (TypeError, ValueError) as e:
        raise FormatViolationError(
            details={"cause": f"{field} {value!r} is not an ISO 8601 date-time"}
        ) from e
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def parse_decimal(value: Any, field: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except InvalidOperation as e:
        raise FormatViolationError(
            details={"cause": f"{field} {value!r} is not a number"}
        ) from e
    if not d.is_finite() or abs(d) >= Decimal("1e14"):
        raise FormatViolationError(
            details={"cause": f"{field} {value!r} is out of range"}
        )
    return d


class SessionBase:
    """Mixed into ``ocpp.v16.ChargePoint`` / ``ocpp.v201.ChargePoint`` subclasses."""

    protocol: ClassVar[str]
    #: Actions a charge point may send us (CALLs we handle).
    _ocpp_version: str
    _call: Any
    _call_result: Any
    _connection: Connection
    _response_queue: asyncio.Queue[Any]
    route_map: dict[str, Any]
    id: str

    ctx: OcppContext
    charge_point_id: str
    last_message_at: float
    max_frame_bytes: int
    identity: Identity | None

    def _init_session(
        self, ctx: OcppContext, max_frame_bytes: int, ident: Identity | None = None
    ) -> None:
        #: Site, operator and region for live events (None: unknown until it boots).
        self.identity = ident
        self.ctx = ctx
        self.charge_point_id = self.id
        self.last_message_at = time.monotonic()
        self.max_frame_bytes = max_frame_bytes
        #: Work a session started in the background (kept referenced until done).
        self.background: set[asyncio.Task[Any]] = set()
        #: OCPP 2.0.1: when the running cost of each transaction was last sent.
        self.cost_sent_at: dict[str, float] = {}

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run ``coro`` in the background; the answer in progress does not wait."""
        task = asyncio.create_task(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    # ------------------------------------------------------------ errors

    def _error_code(self, code: str) -> str:
        """Error codes differ a little between OCPP-J 1.6 and 2.0.1."""
        return code

    async def _send_call_error(
        self,
        unique_id: str,
        code: str,
        description: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        frame = CallError(unique_id, self._error_code(code), description, details or {})
        await self._send(frame.to_json())

    async def _send(self, message: str) -> None:
        if message.startswith("[4,") and self.protocol == "ocpp1.6":
            # The library builds CALLERRORs from handler exceptions with 2.0.1 codes.
            frame = json.loads(message)
            fixed = self._error_code(frame[2])
            if fixed != frame[2]:
                frame[2] = fixed
                message = json.dumps(frame, separators=(",", ":"))
        await self._connection.send(message)

    def _known_action(self, action: str) -> bool:
        raise NotImplementedError

    # ------------------------------------------------------------ frames in

    async def route_message(self, raw_msg: str) -> None:
        self.last_message_at = time.monotonic()
        size = len(raw_msg) if raw_msg.isascii() else len(raw_msg.encode())
        if size > self.max_frame_bytes:
            await self._send_call_error(
                guess_unique_id(raw_msg),
                "FormatViolation",
                f"frame of {size} bytes exceeds the limit of {self.max_frame_bytes} bytes",
            )
            return
        try:
            msg = unpack(raw_msg)
        except OCPPError as e:
            code = e.code
            if (
                self.protocol == "ocpp2.0.1"
                and code == "PropertyConstraintViolation"
                and "MessageTypeId" in str(e.details)
            ):
                code = "MessageTypeNotSupported"
            await self._send_call_error(
                guess_unique_id(raw_msg), code, e.description or code, _plain(e.details)
            )
            return
        if not isinstance(msg.unique_id, str) or not 0 < len(msg.unique_id) <= 36:
            await self._send_call_error(
                "-1",
                "ProtocolError",
                "unique id must be a string of 1 to 36 characters",
            )
            return
        if msg.message_type_id == MessageType.Call:
            await self._route_call(msg)
        elif msg.message_type_id in (MessageType.CallResult, MessageType.CallError):
            self._response_queue.put_nowait(msg)

    async def _route_call(self, msg: Call) -> None:
        if not isinstance(msg.action, str) or not isinstance(msg.payload, dict):
            await self._send_call_error(
                msg.unique_id,
                "FormatViolation",
                "a CALL is [2, uniqueId, action (string), payload (object)]",
            )
            return
        if (
            msg.action not in self.route_map
            or "_on_action" not in self.route_map[msg.action]
        ):
            if self._known_action(msg.action):
                await self._send_call_error(
                    msg.unique_id,
                    "NotSupported",
                    f"{msg.action} is not supported by a central system",
                )
            else:
                await self._send_call_error(
                    msg.unique_id, "NotImplemented", f"unknown action {msg.action!r}"
                )
            return
        try:
            await self._handle_call(msg)  # type: ignore[attr-defined]  # ocpp ChargePoint
        except OCPPError as error:
            await self._send_call_error(
                msg.unique_id,
                error.code,
                error.description or error.code,
                _plain(error.details),
            )
        except (WebSocketDisconnect, WebSocketDisconnected, OSError):
            raise  # the charge point left while we answered: nothing to answer
        except Exception:
            logger.exception("%s: error while handling %s", self.id, msg.action)
            err = InternalError()
            await self._send_call_error(msg.unique_id, err.code, "internal error")

    # ------------------------------------------------------------ commands out

    async def send_command(
        self, action: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        cls: Any = getattr(self._call, action, None)
        if cls is None or not is_dataclass(cls):
            raise InvalidCommandPayloadError(f"unknown action {action}")
        try:
            _validate_payload(Call("check", action, payload), self._ocpp_version)
            request = cast(Any, cls)(**camel_to_snake_case(payload))
        except OCPPError as e:
            cause = (
                e.details.get("cause", e.description)
                if isinstance(e.details, dict)
                else e
            )
            raise InvalidCommandPayloadError(str(cause)) from e
        except TypeError as e:
            raise InvalidCommandPayloadError(
                f"payload does not fit {action}: {e}"
            ) from e
        result = await self.call(request, suppress=False)  # type: ignore[attr-defined]
        out = snake_to_camel_case(remove_nones(asdict(result)))
        # 1.6 schedules are validated as Decimal; answers are stored as JSON.
        plain: dict[str, Any] = json.loads(json.dumps(out, default=_json_default))
        return plain

    async def close(self, reason: str) -> None:
        await self._connection.close(1000, reason)

    def after_boot(self, status: str) -> None:
        """Once accepted: bring the local authorization list up to date in the
        background (after the BootNotification answer, spread over 0.2-2 s)."""
        if (
            status != "Accepted"
            or self.ctx.registry is None
            or not self.ctx.settings.ocpp_local_list_sync_on_boot
        ):
            return
        self.spawn(
            commands.sync_local_list_if_changed(
                self.ctx.maker,
                self.ctx.registry,
                self.id,
                delay_s=random.uniform(0.2, 2.0),  # noqa: S311  # spreading, not security
            )
        )


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _plain(details: Any) -> dict[str, Any]:
    """CALLERROR details must be JSON; the library puts message objects in them."""
    if not isinstance(details, dict):
        return {}
    out: dict[str, Any] = {}
    for k, value in details.items():
        if k == "ocpp_message":
            continue
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            out[str(k)] = str(value)
        else:
            out[str(k)] = value
    return out
