"""Pluggable delivery of one-time codes (password reset).

A sender is anything with ``async send_code(recipient, code, purpose)``; the
registry maps the ``QUVVAT_RESET_SENDER`` setting to a factory. In development
the log sender writes the code to the log (and keeps the last ones in memory so
tests and the demo can read them). An SMS (Eskiz, Play Mobile) or e-mail sender
is one more entry in :data:`SENDERS`.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

logger = logging.getLogger(__name__)


class CodeSender(Protocol):
    async def send_code(self, recipient: str, code: str, purpose: str) -> None: ...


@dataclass(frozen=True, slots=True)
class SentCode:
    recipient: str
    code: str
    purpose: str


class LogSender:
    """Development sender: logs the code (never use in production)."""

    def __init__(self) -> None:
        self.sent: deque[SentCode] = deque(maxlen=100)

    async def send_code(self, recipient: str, code: str, purpose: str) -> None:
        self.sent.append(SentCode(recipient, code, purpose))
        logger.warning("one-time %s code for %s: %s", purpose, recipient, code)


SENDERS: Final[dict[str, Callable[[], CodeSender]]] = {"log": LogSender}


def make_sender(name: str) -> CodeSender:
    try:
        return SENDERS[name]()
    except KeyError:
        raise ValueError(
            f"unknown code sender {name!r}; known: {', '.join(sorted(SENDERS))}"
        ) from None
