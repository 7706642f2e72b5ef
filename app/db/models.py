"""The data model of DESIGN.md as SQLAlchemy 2 typed models with GeoAlchemy2 columns.

All geometries are EPSG:4326 with a GiST index and a validity check. Every row of
a layer carries ``source``: ``'demo'`` marks generated demo data, which the API and
the map label as such. ``ext_id`` is the identity of a row in its source, so that
re-importing updates rather than duplicates.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, Timestamps

CONNECTOR_TYPES = ("CCS2", "GBT_DC", "GBT_AC", "CHADEMO", "TYPE2")
CONNECTOR_STATUSES = (
    "Available",
    "Preparing",
    "Charging",
    "SuspendedEV",
    "SuspendedEVSE",
    "Finishing",
    "Reserved",
    "Unavailable",
    "Faulted",
    "Occupied",
    "Unknown",
)
ROLES = ("admin", "technician", "client", "partner")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _geom(kind: str, nullable: bool = False) -> Mapped[Any]:
    return mapped_column(
        Geometry(kind, srid=4326, spatial_index=True), nullable=nullable
    )


def _valid(name: str = "geom") -> CheckConstraint:
    return CheckConstraint(f"ST_IsValid({name})", name=f"{name}_valid")


# ---------------------------------------------------------------- places


class Region(Base):
    """First-level unit: 12 viloyat, Karakalpakstan and Tashkent city."""

    __tablename__ = "region"
    __table_args__ = (
        _valid(),
        CheckConstraint(
            "population IS NULL OR population >= 0", name="population_nonneg"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    iso_code: Mapped[str] = mapped_column(String(8), unique=True)
    name_en: Mapped[str] = mapped_column(Text)
    name_ru: Mapped[str | None] = mapped_column(Text)
    name_uz: Mapped[str | None] = mapped_column(Text)
    area_km2: Mapped[float | None]
    #: Official permanent population (people) and its date and source; planning
    #: uses it as the region's control total (None: the rural density applies).
    population: Mapped[int | None] = mapped_column(BigInteger)
    population_as_of: Mapped[date | None]
    population_source: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    license: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[Any] = _geom("MULTIPOLYGON")


class District(Base):
    __tablename__ = "district"
    __table_args__ = (_valid(), UniqueConstraint("ext_id", name="uq_district_ext_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ext_id: Mapped[str] = mapped_column(Text)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    name_en: Mapped[str | None] = mapped_column(Text)
    name_ru: Mapped[str | None] = mapped_column(Text)
    name_uz: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    geom: Mapped[Any] = _geom("MULTIPOLYGON")


class City(Base):
    """A populated place (GeoNames); ``id`` is the GeoNames id."""

    __tablename__ = "city"
    __table_args__ = (CheckConstraint("population >= 0", name="population_nonneg"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(Text, index=True)
    name_ru: Mapped[str | None] = mapped_column(Text)
    alternatenames: Mapped[str | None] = mapped_column(Text)
    population: Mapped[int] = mapped_column(BigInteger)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    source: Mapped[str] = mapped_column(Text)
    geom: Mapped[Any] = _geom("POINT")


class Road(Base):
    __tablename__ = "road"
    __table_args__ = (_valid(), UniqueConstraint("ext_id", name="uq_road_ext_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ext_id: Mapped[str] = mapped_column(Text)
    ref: Mapped[str | None] = mapped_column(Text, index=True)
    name: Mapped[str | None] = mapped_column(Text)
    road_class: Mapped[str] = mapped_column(Text)
    maxspeed_kmh: Mapped[int | None] = mapped_column(SmallInteger)
    length_km: Mapped[float | None]
    source: Mapped[str] = mapped_column(Text)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    geom: Mapped[Any] = _geom("LINESTRING")


# ---------------------------------------------------------------- network


class Operator(Timestamps, Base):
    __tablename__ = "operator"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    source: Mapped[str] = mapped_column(Text, server_default="import")


class Site(Timestamps, Base):
    """A station location: one point with one or more charge points."""

    __tablename__ = "site"
    __table_args__ = (UniqueConstraint("ext_id", name="uq_site_ext_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ext_id: Mapped[str] = mapped_column(Text)
    operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("operator.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(Text, index=True)
    address: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    source: Mapped[str] = mapped_column(Text)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    geom: Mapped[Any] = _geom("POINT")

    charge_points: Mapped[list[ChargePoint]] = relationship(
        back_populates="site", cascade="all, delete-orphan", order_by="ChargePoint.id"
    )


class ChargePoint(Timestamps, Base):
    """An OCPP charge point; ``id`` is its OCPP identity."""

    __tablename__ = "charge_point"
    __table_args__ = (
        CheckConstraint(
            "protocol IS NULL OR protocol IN ('ocpp1.6', 'ocpp2.0.1')", name="protocol"
        ),
        CheckConstraint("security_profile BETWEEN 0 AND 3", name="security_profile"),
        CheckConstraint(
            "registration_status IN ('Accepted', 'Pending', 'Rejected')",
            name="registration_status",
        ),
    )

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), index=True
    )
    vendor: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)
    serial_number: Mapped[str | None] = mapped_column(Text)
    firmware_version: Mapped[str | None] = mapped_column(Text)
    protocol: Mapped[str | None] = mapped_column(String(16))
    security_profile: Mapped[int] = mapped_column(SmallInteger, server_default="1")
    password_hash: Mapped[str | None] = mapped_column(Text)
    #: HMAC of (id, hash, password) under a server key, stored after the password
    #: passed argon2 once, so reconnects skip argon2 (migration 0016).
    password_verifier: Mapped[str | None] = mapped_column(String(64))
    registration_status: Mapped[str] = mapped_column(
        String(16), server_default="Accepted"
    )
    connected: Mapped[bool] = mapped_column(Boolean, server_default="false")
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(Text, server_default="import")
    firmware_status: Mapped[str | None] = mapped_column(Text)
    firmware_status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    diagnostics_status: Mapped[str | None] = mapped_column(Text)
    diagnostics_status_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True)
    )
    local_list_version: Mapped[int] = mapped_column(Integer, server_default="0")
    #: sha256 of the id tokens in the last list the charge point accepted.
    local_list_digest: Mapped[str | None] = mapped_column(String(64))

    site: Mapped[Site | None] = relationship(back_populates="charge_points")
    evses: Mapped[list[Evse]] = relationship(
        back_populates="charge_point",
        cascade="all, delete-orphan",
        order_by="Evse.evse_id",
    )


class Evse(Base):
    __tablename__ = "evse"
    __table_args__ = (
        UniqueConstraint("charge_point_id", "evse_id", name="uq_evse_cp_evse"),
        CheckConstraint("evse_id >= 1", name="evse_id_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    charge_point_id: Mapped[str] = mapped_column(
        ForeignKey("charge_point.id", ondelete="CASCADE"), index=True
    )
    evse_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), server_default="Unknown")
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    charge_point: Mapped[ChargePoint] = relationship(back_populates="evses")
    connectors: Mapped[list[Connector]] = relationship(
        back_populates="evse",
        cascade="all, delete-orphan",
        order_by="Connector.connector_id",
    )


class Connector(Base):
    __tablename__ = "connector"
    __table_args__ = (
        UniqueConstraint("evse_pk", "connector_id", name="uq_connector_evse_conn"),
        CheckConstraint(_in("type", CONNECTOR_TYPES), name="type"),
        CheckConstraint(_in("status", CONNECTOR_STATUSES), name="status"),
        CheckConstraint("max_power_kw > 0 AND max_power_kw <= 1000", name="power"),
        CheckConstraint("connector_id >= 1", name="connector_id_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evse_pk: Mapped[int] = mapped_column(
        ForeignKey("evse.id", ondelete="CASCADE"), index=True
    )
    connector_id: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(16), index=True)
    max_power_kw: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    status: Mapped[str] = mapped_column(String(16), server_default="Unknown")
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    evse: Mapped[Evse] = relationship(back_populates="connectors")


class StatusEvent(Base):
    """History of every status a charge point reported (or we derived)."""

    __tablename__ = "status_event"
    __table_args__ = (
        Index("ix_status_event_cp_time", "charge_point_id", "occurred_at"),
        # A retried (offline-queued) notification is stored once.
        UniqueConstraint(
            "charge_point_id",
            "evse_id",
            "connector_id",
            "status",
            "occurred_at",
            name="uq_status_event_sample",
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    charge_point_id: Mapped[str] = mapped_column(
        ForeignKey("charge_point.id", ondelete="CASCADE")
    )
    evse_id: Mapped[int | None] = mapped_column(Integer)
    connector_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24))
    error_code: Mapped[str | None] = mapped_column(Text)
    info: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


# ---------------------------------------------------------------- planning


class PlannedSite(Timestamps, Base):
    __tablename__ = "planned_site"
    __table_args__ = (
        UniqueConstraint("ext_id", name="uq_planned_site_ext_id"),
        CheckConstraint("year BETWEEN 2020 AND 2050", name="year"),
        CheckConstraint("power_kw IS NULL OR power_kw > 0", name="power"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ext_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    year: Mapped[int] = mapped_column(SmallInteger)
    phase: Mapped[str | None] = mapped_column(Text)
    power_kw: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    connector_types: Mapped[list[str] | None] = mapped_column(JSONB)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    source: Mapped[str] = mapped_column(Text)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    geom: Mapped[Any] = _geom("POINT")


class CandidateSite(Timestamps, Base):
    __tablename__ = "candidate_site"
    __table_args__ = (
        UniqueConstraint("ext_id", name="uq_candidate_site_ext_id"),
        CheckConstraint("power_kw IS NULL OR power_kw > 0", name="power"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ext_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    power_kw: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    source: Mapped[str] = mapped_column(Text)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    geom: Mapped[Any] = _geom("POINT")


class Poi(Timestamps, Base):
    """A point of interest that draws drivers (``category``: fuel, mall, hotel ...);
    ``weight`` overrides the category's weight in planning."""

    __tablename__ = "poi"
    __table_args__ = (
        UniqueConstraint("ext_id", name="uq_poi_ext_id"),
        CheckConstraint("weight IS NULL OR weight >= 0", name="weight_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ext_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text, index=True)
    weight: Mapped[float | None]
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    source: Mapped[str] = mapped_column(Text)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    geom: Mapped[Any] = _geom("POINT")


class CadastreParcel(Timestamps, Base):
    __tablename__ = "cadastre_parcel"
    __table_args__ = (
        _valid(),
        UniqueConstraint("ext_id", name="uq_cadastre_parcel_ext_id"),
        CheckConstraint("area_m2 IS NULL OR area_m2 >= 0", name="area"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ext_id: Mapped[str] = mapped_column(Text)
    land_use: Mapped[str | None] = mapped_column(Text)
    owner_type: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text)
    area_m2: Mapped[float | None]
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    source: Mapped[str] = mapped_column(Text)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    geom: Mapped[Any] = _geom("MULTIPOLYGON")


class GridSubstation(Timestamps, Base):
    __tablename__ = "grid_substation"
    __table_args__ = (
        UniqueConstraint("ext_id", name="uq_grid_substation_ext_id"),
        CheckConstraint("capacity_kw IS NULL OR capacity_kw >= 0", name="capacity"),
        CheckConstraint(
            "spare_kw IS NULL OR capacity_kw IS NULL OR spare_kw <= capacity_kw",
            name="spare_le_capacity",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ext_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    voltage_kv: Mapped[float | None]
    capacity_kw: Mapped[float | None]
    spare_kw: Mapped[float | None]
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    source: Mapped[str] = mapped_column(Text)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    geom: Mapped[Any] = _geom("POINT")


class GridLine(Timestamps, Base):
    __tablename__ = "grid_line"
    __table_args__ = (_valid(), UniqueConstraint("ext_id", name="uq_grid_line_ext_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ext_id: Mapped[str] = mapped_column(Text)
    voltage_kv: Mapped[float | None]
    capacity_kw: Mapped[float | None]
    spare_kw: Mapped[float | None]
    source: Mapped[str] = mapped_column(Text)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    geom: Mapped[Any] = _geom("LINESTRING")


class Scenario(Timestamps, Base):
    """A named planning run: parameters, input versions (hash) and results."""

    __tablename__ = "scenario"
    __table_args__ = (UniqueConstraint("name", name="uq_scenario_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="created")
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    input_hash: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    input_versions: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ScenarioH3Cell(Base):
    """Demand and coverage of one H3 cell in a scenario.

    ``h3`` is the canonical 15-character hexadecimal cell (see ``geo.h3``);
    distances are NULL when no charger exists.
    """

    __tablename__ = "scenario_h3_cell"
    __table_args__ = (PrimaryKeyConstraint("scenario_id", "h3"),)

    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenario.id", ondelete="CASCADE")
    )
    h3: Mapped[str] = mapped_column(String(15))
    population: Mapped[float]
    demand_kwh_day: Mapped[float]
    traffic_km: Mapped[float]
    distance_m: Mapped[float | None]
    minutes: Mapped[float | None]
    covered: Mapped[bool] = mapped_column(Boolean)
    covered_planned: Mapped[bool] = mapped_column(Boolean)
    underserved: Mapped[bool] = mapped_column(Boolean)


class ScenarioCandidate(Base):
    """A scored candidate site of a scenario, with its explained score."""

    __tablename__ = "scenario_candidate"
    __table_args__ = (
        Index("ix_scenario_candidate_scenario_rank", "scenario_id", "rank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenario.id", ondelete="CASCADE")
    )
    candidate_site_id: Mapped[int | None] = mapped_column(
        ForeignKey("candidate_site.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    power_kw: Mapped[float]
    cost_uzs: Mapped[int] = mapped_column(BigInteger)
    score: Mapped[float]
    rank: Mapped[int] = mapped_column(Integer)
    selected: Mapped[bool] = mapped_column(Boolean)
    selection_order: Mapped[int | None] = mapped_column(Integer)
    grid_ok: Mapped[bool] = mapped_column(Boolean)
    substation_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid_substation.id", ondelete="SET NULL")
    )
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSONB)
    reasons: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    geom: Mapped[Any] = _geom("POINT")


class ScenarioCorridor(Base):
    """Corridor audit output: a gap (line) or a proposed pool (point)."""

    __tablename__ = "scenario_corridor"
    __table_args__ = (CheckConstraint("kind IN ('gap', 'proposed')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenario.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(Text)
    road: Mapped[str] = mapped_column(Text)
    rule: Mapped[str] = mapped_column(Text)
    start_km: Mapped[float]
    end_km: Mapped[float]
    geom: Mapped[Any] = _geom("GEOMETRY")


class LayerVersion(Base):
    """Bumped by every import: scenarios record which inputs they used."""

    __tablename__ = "layer_version"

    layer: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


# ---------------------------------------------------------------- operations


class UserAccount(Timestamps, Base):
    """A person (``user`` is a reserved word in SQL, hence the table name)."""

    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(Text, unique=True)
    phone: Mapped[str | None] = mapped_column(Text, unique=True)
    full_name: Mapped[str | None] = mapped_column(Text)
    password_hash: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("operator.id", ondelete="SET NULL")
    )
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")


class IdToken(Timestamps, Base):
    """An RFID card or app token that may authorize charging."""

    __tablename__ = "id_token"
    __table_args__ = (
        CheckConstraint(
            "status IN ('Accepted', 'Blocked', 'Expired', 'Invalid')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    token_type: Mapped[str] = mapped_column(String(24), server_default="ISO14443")
    status: Mapped[str] = mapped_column(String(16), server_default="Accepted")
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    parent_id_tag: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )


class Tariff(Timestamps, Base):
    """A versioned price list. Money in whole so'm (int)."""

    __tablename__ = "tariff"
    __table_args__ = (
        CheckConstraint("energy_uzs_per_kwh >= 0", name="energy_nonneg"),
        CheckConstraint("time_uzs_per_min >= 0", name="time_nonneg"),
        CheckConstraint("session_fee_uzs >= 0", name="fee_nonneg"),
        CheckConstraint("idle_uzs_per_min >= 0", name="idle_nonneg"),
        CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name="valid_period"
        ),
        CheckConstraint(
            "night_energy_uzs_per_kwh IS NULL OR night_energy_uzs_per_kwh >= 0",
            name="night_energy_nonneg",
        ),
        CheckConstraint(
            "night_time_uzs_per_min IS NULL OR night_time_uzs_per_min >= 0",
            name="night_time_nonneg",
        ),
        CheckConstraint(
            "(night_start IS NULL) = (night_end IS NULL)", name="night_band_pair"
        ),
        CheckConstraint(
            "power_min_kw IS NULL OR power_max_kw IS NULL OR power_max_kw > power_min_kw",
            name="power_class",
        ),
        CheckConstraint("idle_grace_min >= 0", name="idle_grace_nonneg"),
        CheckConstraint("vat_percent >= 0 AND vat_percent < 100", name="vat_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("operator.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE")
    )
    connector_type: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    energy_uzs_per_kwh: Mapped[int] = mapped_column(Integer, server_default="0")
    time_uzs_per_min: Mapped[int] = mapped_column(Integer, server_default="0")
    session_fee_uzs: Mapped[int] = mapped_column(Integer, server_default="0")
    idle_uzs_per_min: Mapped[int] = mapped_column(Integer, server_default="0")
    idle_grace_min: Mapped[int] = mapped_column(Integer, server_default="0")
    vat_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), server_default="12")
    components: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    # Power class: the tariff applies to connectors with min <= max_power_kw < max.
    power_min_kw: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    power_max_kw: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    # Night band [night_start, night_end) in local time (may wrap midnight).
    night_start: Mapped[time | None] = mapped_column(Time)
    night_end: Mapped[time | None] = mapped_column(Time)
    night_energy_uzs_per_kwh: Mapped[int | None] = mapped_column(Integer)
    night_time_uzs_per_min: Mapped[int | None] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(Text, server_default="Asia/Tashkent")


class Transaction(Timestamps, Base):
    """A charging session."""

    __tablename__ = "transaction"
    __table_args__ = (
        UniqueConstraint(
            "charge_point_id", "transaction_uid", name="uq_transaction_cp_uid"
        ),
        CheckConstraint("energy_wh IS NULL OR energy_wh >= 0", name="energy_nonneg"),
        CheckConstraint("cost_uzs IS NULL OR cost_uzs >= 0", name="cost_nonneg"),
        Index("ix_transaction_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    charge_point_id: Mapped[str] = mapped_column(
        ForeignKey("charge_point.id", ondelete="CASCADE"), index=True
    )
    transaction_uid: Mapped[str] = mapped_column(String(64))
    evse_id: Mapped[int | None] = mapped_column(Integer)
    connector_id: Mapped[int | None] = mapped_column(Integer)
    id_tag: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), server_default="active")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    meter_start_wh: Mapped[int | None] = mapped_column(BigInteger)
    meter_stop_wh: Mapped[int | None] = mapped_column(BigInteger)
    energy_wh: Mapped[int | None] = mapped_column(BigInteger)
    cost_uzs: Mapped[int | None] = mapped_column(BigInteger)
    tariff_id: Mapped[int | None] = mapped_column(ForeignKey("tariff.id"))
    stop_reason: Mapped[str | None] = mapped_column(Text)
    last_seq_no: Mapped[int | None] = mapped_column(Integer)
    offline: Mapped[bool] = mapped_column(Boolean, server_default="false")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )


class MeterValue(Base):
    """Telemetry, range-partitioned by month on ``measured_at``.

    Partitions are created on demand by ``quvvat_ensure_meter_value_partition``
    (see the migration); a default partition catches anything else.
    """

    __tablename__ = "meter_value"
    __table_args__ = (
        PrimaryKeyConstraint("id", "measured_at", name="pk_meter_value"),
        UniqueConstraint(
            "charge_point_id",
            "evse_id",
            "measured_at",
            "measurand",
            "phase",
            "context",
            name="uq_meter_value_sample",
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_meter_value_tx", "transaction_id", "measured_at"),
        {"postgresql_partition_by": "RANGE (measured_at)"},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity())
    measured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    charge_point_id: Mapped[str] = mapped_column(String(48))
    transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    evse_id: Mapped[int | None] = mapped_column(Integer)
    connector_id: Mapped[int | None] = mapped_column(Integer)
    measurand: Mapped[str] = mapped_column(String(64))
    phase: Mapped[str | None] = mapped_column(String(8))
    context: Mapped[str | None] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(16))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))


class Payment(Timestamps, Base):
    __tablename__ = "payment"
    __table_args__ = (
        UniqueConstraint("provider", "external_id", name="uq_payment_provider_ext"),
        CheckConstraint("provider IN ('payme', 'click', 'uzcard')", name="provider"),
        CheckConstraint("amount_uzs >= 0", name="amount_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(Text)
    transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("transaction.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    amount_uzs: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), server_default="created")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_entity", "entity", "entity_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    actor: Mapped[str] = mapped_column(Text)
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor_api_key_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(Text)
    entity: Mapped[str] = mapped_column(Text)
    entity_id: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class OperatorMember(Base):
    """A technician or partner assigned to an operator (organisation)."""

    __tablename__ = "operator_member"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    operator_id: Mapped[int] = mapped_column(
        ForeignKey("operator.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class AuthSession(Base):
    """One login: its access tokens carry its id; revoking it ends them all."""

    __tablename__ = "auth_session"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoke_reason: Mapped[str | None] = mapped_column(Text)


class RefreshToken(Base):
    """A rotating refresh token (stored as SHA-256); reuse revokes the session."""

    __tablename__ = "refresh_token"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_session.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ApiKey(Base):
    """A partner's API key: shown once, stored as SHA-256, scoped, revocable."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """Failed and successful logins, for throttling (kept a day)."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    key: Mapped[str] = mapped_column(Text)
    success: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class PasswordReset(Base):
    """A one-time password reset code (stored as an HMAC)."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class FavouriteSite(Base):
    """A driver's favourite station."""

    __tablename__ = "favourite_site"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class OcppMessage(Base):
    """Raw OCPP frames, both directions, kept ``ocpp_message_retention_days``."""

    __tablename__ = "ocpp_message"
    __table_args__ = (
        CheckConstraint("direction IN ('in', 'out')", name="direction"),
        Index("ix_ocpp_message_cp_at", "charge_point_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    charge_point_id: Mapped[str] = mapped_column(String(48))
    direction: Mapped[str] = mapped_column(String(3))
    message_type: Mapped[int | None] = mapped_column(SmallInteger)
    unique_id: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class OcppCommand(Base):
    """An operator command sent to a charge point, with its answer."""

    __tablename__ = "ocpp_command"
    __table_args__ = (
        CheckConstraint(
            "status IN ('sent', 'answered', 'error', 'timeout')", name="status"
        ),
        Index("ix_ocpp_command_cp_at", "charge_point_id", "requested_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    charge_point_id: Mapped[str] = mapped_column(
        ForeignKey("charge_point.id", ondelete="CASCADE")
    )
    action: Mapped[str] = mapped_column(Text)
    request: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(16), server_default="sent")
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error_code: Mapped[str | None] = mapped_column(Text)
    error_detail: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Reservation(Base):
    """A connector held for one id token until ``expires_at`` (ReserveNow); its id is
    the OCPP reservationId."""

    __tablename__ = "reservation"
    __table_args__ = (
        CheckConstraint(
            "status IN ('Pending', 'Active', 'Rejected', 'Cancelled', 'Used', 'Expired',"
            " 'Removed')",
            name="status",
        ),
        Index("ix_reservation_cp_status", "charge_point_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    charge_point_id: Mapped[str] = mapped_column(
        ForeignKey("charge_point.id", ondelete="CASCADE")
    )
    #: None: any EVSE of the charge point (1.6 connectorId 0).
    evse_id: Mapped[int | None] = mapped_column(Integer)
    id_tag: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), server_default="Pending")
    detail: Mapped[str | None] = mapped_column(Text)
    transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    requested_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ImportRun(Base):
    """One run of ``quvvat import``: what was read, accepted and rejected."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    layer: Mapped[str] = mapped_column(Text)
    source_name: Mapped[str] = mapped_column(Text)
    read: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    rejects: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class RasterLayer(Base):
    """An imported raster (population grid): the GeoTIFF is kept as a file under
    ``<data_dir>/rasters/`` (planning reads it with rasterio for zonal sums);
    this row records where it is, what it covers and its checksum."""

    __tablename__ = "raster_layer"
    __table_args__ = (
        UniqueConstraint("name", name="uq_raster_layer_name"),
        CheckConstraint("width > 0 AND height > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text, server_default="population")
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    crs_wkt: Mapped[str] = mapped_column(Text)
    epsg: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    band_count: Mapped[int] = mapped_column(SmallInteger)
    dtype: Mapped[str] = mapped_column(Text)
    nodata: Mapped[float | None]
    pixel_size_x: Mapped[float]
    pixel_size_y: Mapped[float]
    band1_sum: Mapped[float]
    source: Mapped[str] = mapped_column(Text)
    source_name: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    geom: Mapped[Any] = _geom("POLYGON")


class StationStatus(Base):
    """Per-site summary kept current by triggers on charge_point, evse and connector.

    Read through the ``station_summary`` view (sites without charge points are
    'unknown' there). Written only by ``quvvat_refresh_site_status`` (migration 0005).
    """

    __tablename__ = "station_status"

    site_id: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    charge_points: Mapped[int] = mapped_column(Integer)
    connectors: Mapped[int] = mapped_column(Integer)
    max_power_kw: Mapped[float | None]
    connector_types: Mapped[list[str]] = mapped_column(ARRAY(Text))
    status: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
