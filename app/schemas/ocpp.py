"""HTTP models of the charge point, session, id token and command routes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class EvseStatusPublic(_Out):
    evse_id: int
    status: str
    status_at: datetime | None


class ChargePointPublic(_Out):
    id: str
    site_id: int | None
    region_iso: str | None
    vendor: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    protocol: str | None
    security_profile: int
    registration_status: str
    connected: bool = Field(description="A socket to this charge point is open now")
    last_seen_at: datetime | None
    station_status: str = Field(
        description="offline, charging, available, faulted, unavailable or unknown"
    )
    firmware_status: str | None
    diagnostics_status: str | None
    source: str
    evses: list[EvseStatusPublic]


class ChargePointsPublic(BaseModel):
    data: list[ChargePointPublic]
    count: int


class StatusHistoryPublic(_Out):
    evse_id: int | None
    connector_id: int | None
    status: str
    error_code: str | None
    info: str | None
    occurred_at: datetime


class ApproveRequest(BaseModel):
    password: str | None = Field(
        default=None,
        min_length=16,
        max_length=40,
        description="Basic-auth password for the charge point; generated when omitted",
    )
    security_profile: int = Field(default=1, ge=1, le=3)


class PasswordPublic(BaseModel):
    charge_point_id: str
    password: str = Field(description="Shown once; stored only as an argon2 hash")
    security_profile: int


class RegistrationPublic(BaseModel):
    charge_point_id: str
    registration_status: str


class OcppFramePublic(_Out):
    id: int
    direction: Literal["in", "out"]
    message_type: int | None
    unique_id: str | None
    action: str | None
    raw: str
    at: datetime


class CommandRequest(BaseModel):
    action: str = Field(min_length=1, max_length=64, examples=["GetConfiguration"])
    payload: dict[str, Any] = Field(
        default_factory=dict,
        description="The OCPP request payload (camelCase), validated against the official schema",
    )


class CommandPublic(_Out):
    id: int
    charge_point_id: str
    action: str
    request: dict[str, Any]
    status: Literal["sent", "answered", "error", "timeout"]
    response: dict[str, Any] | None
    error_code: str | None
    error_detail: str | None
    requested_by: str
    requested_at: datetime
    completed_at: datetime | None


class ReservationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_tag: str = Field(min_length=1, max_length=36, description="Who may use it")
    evse_id: int | None = Field(
        default=None, ge=1, description="The EVSE (1.6: connector); none: any"
    )
    expires_at: datetime = Field(description="Until when (ISO 8601, in the future)")


class ReservationPublic(_Out):
    id: int = Field(description="Also the OCPP reservationId")
    charge_point_id: str
    evse_id: int | None
    id_tag: str
    expires_at: datetime
    status: Literal[
        "Pending", "Active", "Rejected", "Cancelled", "Used", "Expired", "Removed"
    ]
    detail: str | None
    transaction_id: int | None
    requested_by: str
    created_at: datetime


class RemoteStartRequest(BaseModel):
    id_tag: str = Field(min_length=1, max_length=36)
    evse_id: int | None = Field(default=None, ge=1)


class ResetRequest(BaseModel):
    type: Literal["soft", "hard"] = "soft"


class AvailabilityRequest(BaseModel):
    evse_id: int = Field(default=0, ge=0, description="0: the whole charge point")
    operative: bool


class UnlockRequest(BaseModel):
    evse_id: int = Field(ge=1)
    connector_id: int = Field(default=1, ge=1)


class SessionPublic(_Out):
    id: int
    charge_point_id: str
    transaction_uid: str
    evse_id: int | None
    connector_id: int | None
    id_tag: str | None
    status: str
    started_at: datetime
    stopped_at: datetime | None
    duration_s: int | None
    energy_wh: int | None
    energy_kwh: float | None
    cost_uzs: int | None
    stop_reason: str | None
    offline: bool


class SessionsPublic(BaseModel):
    data: list[SessionPublic]
    count: int


class MeterSamplePublic(_Out):
    measured_at: datetime
    measurand: str
    phase: str | None
    context: str | None
    unit: str | None
    value: Decimal


class SessionDetailPublic(BaseModel):
    session: SessionPublic
    meter_values: list[MeterSamplePublic]


TokenStatus = Literal["Accepted", "Blocked", "Expired", "Invalid"]


class IdTokenCreate(BaseModel):
    token: str = Field(min_length=1, max_length=36)
    token_type: Literal[
        "Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress"
    ] = "ISO14443"  # noqa: S105  # a kind of token, not a secret
    status: TokenStatus = "Accepted"
    expires_at: datetime | None = None
    parent_id_tag: str | None = Field(default=None, min_length=1, max_length=36)


class IdTokenUpdate(BaseModel):
    status: TokenStatus | None = None
    expires_at: datetime | None = None
    parent_id_tag: str | None = Field(default=None, max_length=36)


class IdTokenPublic(_Out):
    id: int
    token: str
    token_type: str
    status: str
    expires_at: datetime | None
    parent_id_tag: str | None
