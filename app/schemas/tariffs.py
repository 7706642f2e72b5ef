"""HTTP models of tariffs. Money is whole so'm (int), VAT included in prices."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ConnectorType = Literal["CCS2", "GBT_DC", "GBT_AC", "CHADEMO", "TYPE2"]


class TariffPrices(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    valid_from: datetime
    valid_to: datetime | None = None
    energy_uzs_per_kwh: int = Field(default=0, ge=0, le=10_000_000)
    time_uzs_per_min: int = Field(default=0, ge=0, le=10_000_000)
    session_fee_uzs: int = Field(default=0, ge=0, le=10_000_000)
    idle_uzs_per_min: int = Field(default=0, ge=0, le=10_000_000)
    idle_grace_min: int = Field(default=0, ge=0, le=24 * 60)
    vat_percent: Decimal = Field(default=Decimal(12), ge=0, lt=100, decimal_places=2)
    night_start: time | None = Field(default=None, examples=["22:00"])
    night_end: time | None = Field(default=None, examples=["06:00"])
    night_energy_uzs_per_kwh: int | None = Field(default=None, ge=0, le=10_000_000)
    night_time_uzs_per_min: int | None = Field(default=None, ge=0, le=10_000_000)
    timezone: str = Field(default="Asia/Tashkent", max_length=64)


class TariffCreate(TariffPrices):
    operator_id: int | None = Field(default=None, description="None: network default")
    site_id: int | None = None
    connector_type: ConnectorType | None = None
    power_min_kw: Decimal | None = Field(default=None, ge=0, le=1000)
    power_max_kw: Decimal | None = Field(default=None, gt=0, le=1000)


class TariffVersion(BaseModel):
    """Changes for a new version from ``valid_from`` (omitted fields are kept)."""

    model_config = ConfigDict(extra="forbid")

    valid_from: datetime
    name: str | None = Field(default=None, min_length=1, max_length=200)
    valid_to: datetime | None = None
    energy_uzs_per_kwh: int | None = Field(default=None, ge=0, le=10_000_000)
    time_uzs_per_min: int | None = Field(default=None, ge=0, le=10_000_000)
    session_fee_uzs: int | None = Field(default=None, ge=0, le=10_000_000)
    idle_uzs_per_min: int | None = Field(default=None, ge=0, le=10_000_000)
    idle_grace_min: int | None = Field(default=None, ge=0, le=24 * 60)
    vat_percent: Decimal | None = Field(default=None, ge=0, lt=100)
    night_start: time | None = None
    night_end: time | None = None
    night_energy_uzs_per_kwh: int | None = Field(default=None, ge=0, le=10_000_000)
    night_time_uzs_per_min: int | None = Field(default=None, ge=0, le=10_000_000)


class TariffPublic(TariffCreate):
    model_config = ConfigDict(extra="ignore", from_attributes=True)

    id: int
    version: int
    vat_included: bool = True


class PricePublic(BaseModel):
    """A session's price by component (whole so'm; ``total_uzs`` includes VAT)."""

    tariff_id: int | None
    final: bool
    energy_wh: int
    energy_day_wh: int
    energy_night_wh: int
    charging_min_day: Decimal
    charging_min_night: Decimal
    idle_min: Decimal
    idle_billed_min: Decimal
    energy_uzs: int
    time_uzs: int
    idle_uzs: int
    session_fee_uzs: int
    total_uzs: int
    vat_percent: Decimal
    vat_uzs: int
