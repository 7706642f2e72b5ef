"""A typed face for ``ocpp.routing.on`` (the library ships no type information)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from ocpp.routing import on as _on

F = TypeVar("F", bound=Callable[..., Any])


def on(action: str) -> Callable[[F], F]:
    """Register the decorated method as the handler of ``action``."""
    return cast(Callable[[F], F], _on(action))
