"""Which charge point is connected here, and how to reach it.

The OCPP server registers one link per live WebSocket; operator commands look
the link up here (``app.api`` and ``app.ocpp`` never import each other).
"""

from __future__ import annotations

from typing import Any, Protocol


class InvalidCommandPayloadError(ValueError):
    """The payload of an operator command does not fit the OCPP schema."""


class OcppLink(Protocol):
    """What the services need from a live OCPP session."""

    charge_point_id: str
    protocol: str

    async def send_command(
        self, action: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """Send a CALL and return the CALLRESULT payload (camelCase).

        Raises :class:`InvalidCommandPayloadError` before sending a payload that
        breaks the schema, ``ocpp.exceptions.OCPPError`` for a CALLERROR and
        ``TimeoutError`` when the charge point does not answer.
        """
        ...

    async def close(self, reason: str) -> None:
        """Close the socket (a newer connection replaced this one)."""
        ...


class ConnectionRegistry:
    """charge point id -> its live link (one process; see DESIGN.md for many)."""

    def __init__(self) -> None:
        self._links: dict[str, OcppLink] = {}

    def get(self, charge_point_id: str) -> OcppLink | None:
        return self._links.get(charge_point_id)

    def put(self, link: OcppLink) -> OcppLink | None:
        """Register ``link``; returns the link it replaces, if any."""
        old = self._links.get(link.charge_point_id)
        self._links[link.charge_point_id] = link
        return old

    def remove(self, link: OcppLink) -> bool:
        """Forget ``link`` unless a newer connection already replaced it."""
        if self._links.get(link.charge_point_id) is link:
            del self._links[link.charge_point_id]
            return True
        return False

    def __len__(self) -> int:
        return len(self._links)

    def ids(self) -> list[str]:
        return list(self._links)
