"""The price of a charging session in whole so'm.

Until the tariffs issue lands this applies the flat tariff from settings. The
accounts engineer replaces the body of :func:`price_session` (same signature)
to look up the versioned tariff in effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class SessionToPrice:
    """What a tariff may depend on."""

    charge_point_id: str
    site_id: int | None
    connector_id: int | None
    started_at: datetime
    stopped_at: datetime
    energy_wh: int
    flat_uzs_per_kwh: int


@dataclass(frozen=True, slots=True)
class Price:
    cost_uzs: int
    tariff_id: int | None


async def price_session(db: AsyncSession, s: SessionToPrice) -> Price:  # noqa: ARG001
    """Flat tariff: ``energy_wh * flat_uzs_per_kwh / 1000``, rounded half up."""
    energy_wh = max(s.energy_wh, 0)
    return Price(
        cost_uzs=(energy_wh * s.flat_uzs_per_kwh + 500) // 1000, tariff_id=None
    )
