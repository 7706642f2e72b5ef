"""Stations at the HTTP edge: a site with its charge points, EVSEs and connectors."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ConnectorType = Literal["CCS2", "GBT_DC", "GBT_AC", "CHADEMO", "TYPE2"]
StationStatus = Literal[
    "available", "charging", "faulted", "unavailable", "offline", "unknown"
]


class ConnectorIn(BaseModel):
    connector_id: int = Field(ge=1, description="OCPP connector number within the EVSE")
    type: ConnectorType
    max_power_kw: Decimal = Field(gt=0, le=1000, description="Maximum power in kW")


class EvseIn(BaseModel):
    evse_id: int = Field(ge=1, description="OCPP EVSE number (1.6: connector number)")
    connectors: list[ConnectorIn] = Field(min_length=1)


class ChargePointIn(BaseModel):
    id: str = Field(
        min_length=1,
        max_length=48,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="OCPP identity (the last path segment of its WebSocket URL)",
    )
    vendor: str | None = Field(default=None, max_length=255)
    model: str | None = Field(default=None, max_length=255)
    evses: list[EvseIn] = Field(min_length=1)


class StationCreate(BaseModel):
    ext_id: str | None = Field(
        default=None, max_length=255, description="Identity in the source; default auto"
    )
    name: str = Field(min_length=1, max_length=255)
    operator: str | None = Field(default=None, max_length=255, description="Name")
    address: str | None = Field(default=None, max_length=500)
    city: str | None = Field(default=None, max_length=255)
    lon: float = Field(ge=-180, le=180, description="Longitude, EPSG:4326")
    lat: float = Field(ge=-90, le=90, description="Latitude, EPSG:4326")
    charge_points: list[ChargePointIn] = Field(default_factory=list)


class StationUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    operator: str | None = Field(default=None, max_length=255)
    address: str | None = Field(default=None, max_length=500)
    city: str | None = Field(default=None, max_length=255)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)


class ConnectorPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    connector_id: int
    type: ConnectorType
    max_power_kw: Decimal
    status: str
    status_at: datetime | None


class EvsePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    evse_id: int
    status: str
    connectors: list[ConnectorPublic]


class ChargePointPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    vendor: str | None
    model: str | None
    firmware_version: str | None
    protocol: str | None
    registration_status: str
    connected: bool
    last_seen_at: datetime | None
    evses: list[EvsePublic]


class StationPublic(BaseModel):
    id: int
    ext_id: str
    name: str
    operator: str | None
    operator_id: int | None
    region_iso: str | None
    city: str | None
    address: str | None
    source: str = Field(description="'demo' marks generated demo data")
    lon: float
    lat: float
    status: StationStatus
    max_power_kw: float | None
    connector_types: list[ConnectorType]
    charge_points: list[ChargePointPublic]
