"""OCPP payload checks with the ``ocpp`` library's own JSON schemas, compiled.

The library validates every CALL and CALLRESULT with ``jsonschema``'s
``Draft4Validator``: about 0.1 ms for a StatusNotification and 0.5 ms for a
MeterValues with five samples, the largest single cost of a busy server. Here
each schema is also compiled to Python by ``fastjsonschema`` (20x faster), with
the same draft (4) and, like the library, without ``format`` checks. A payload
the compiled check accepts is valid; one it refuses is checked again by the
library's validator, so every error, and the CALLERROR code the library
derives from it, stays exactly the library's.

:func:`install` puts the compiled checks behind ``ocpp.messages.get_validator``
(the function the library calls for every message); validators built for
``Decimal`` floats (1.6 charging schedules) are left as they are.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any, Final

import fastjsonschema
import ocpp.messages

_DRAFT4: Final = "http://json-schema.org/draft-04/schema#"


class CompiledValidator:
    """``validate(payload)`` as the library's validator, fast when valid."""

    def __init__(self, slow: Any) -> None:
        self.slow = slow
        schema = copy.deepcopy(slow.schema)
        schema["$schema"] = _DRAFT4  # the draft the library validates with
        self._fast: Callable[[Any], Any] = fastjsonschema.compile(
            schema, use_default=False, use_formats=False, detailed_exceptions=False
        )  # use_default=False: never write defaults into the payload
        self.schema = slow.schema

    def validate(self, payload: Any) -> None:
        try:
            self._fast(payload)
        except fastjsonschema.JsonSchemaException:
            self.slow.validate(payload)  # the library's error, if it agrees


def _not_installed(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("app.ocpp.schema.install() was not called")


_original: Callable[..., Any] = _not_installed


@functools.cache
def _compiled(
    message_type_id: int, action: str, ocpp_version: str
) -> CompiledValidator:
    """One compiled validator per schema, built on its first message."""
    return CompiledValidator(_original(message_type_id, action, ocpp_version))


def _get_validator(
    message_type_id: int,
    action: str,
    ocpp_version: str,
    parse_float: Callable[[str], Any] = float,
) -> Any:
    if parse_float is not float:  # Decimal schemas (1.6 charging schedules)
        return _original(message_type_id, action, ocpp_version, parse_float=parse_float)
    return _compiled(message_type_id, action, ocpp_version)


def install() -> None:
    """Route the library's schema checks through :class:`CompiledValidator`,
    run inline (idempotent). Validation is CPU work either way; the library's
    default thread hop per check only adds latency."""
    global _original  # noqa: PLW0603  # one patch per process
    ocpp.messages.ASYNC_VALIDATION = False
    if _original is _not_installed:
        _original = ocpp.messages.get_validator
        ocpp.messages.get_validator = _get_validator
