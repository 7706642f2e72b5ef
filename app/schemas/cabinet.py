"""HTTP models of the driver's cabinet."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.tariffs import PricePublic


class TokenLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["rfid", "app"] = Field(
        description="rfid: a card's UID; app: new app token"
    )
    uid: str | None = Field(default=None, max_length=40, examples=["04A2B3C4D5E680"])


class StartCharge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    charge_point_id: str = Field(min_length=1, max_length=48, examples=["QV-TAS-0001"])
    evse_id: int | None = Field(
        default=None,
        ge=1,
        description="The connector (EVSE) to use; none: any free one",
    )
    token_id: int | None = Field(
        default=None, description="Which own token to start with; none: an app token"
    )


class TokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    token: str
    token_type: str
    status: str
    expires_at: datetime | None
    created_at: datetime


class OwnSession(BaseModel):
    id: int
    charge_point_id: str
    evse_id: int | None
    connector_id: int | None
    site_id: int | None
    site_name: str | None
    status: str
    started_at: datetime
    stopped_at: datetime | None
    energy_wh: int
    cost_uzs: int = Field(description="Final, or live up to now while charging")
    price: PricePublic


class OwnSessions(BaseModel):
    data: list[OwnSession]
    count: int


class FavouritePublic(BaseModel):
    id: int
    name: str
    address: str | None
    city: str | None
    operator_id: int | None


class DeleteAccount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(
        min_length=1, max_length=256, description="Confirms the deletion"
    )
