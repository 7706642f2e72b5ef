"""EV route planning at the HTTP edge: request, answer, vehicles, geocoding."""

from __future__ import annotations

from typing import Literal

from geojson_pydantic import LineString
from pydantic import BaseModel, ConfigDict, Field, model_validator

ConnectorType = Literal["CCS2", "GBT_DC", "GBT_AC", "CHADEMO", "TYPE2"]


class PointIn(BaseModel):
    """A point given by coordinates, or by a place or station name (offline geocoder)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"place": "Tashkent"}, {"lon": 66.9597, "lat": 39.6542}]
        }
    )

    lon: float | None = Field(default=None, ge=-180, le=180, description="EPSG:4326")
    lat: float | None = Field(default=None, ge=-90, le=90, description="EPSG:4326")
    place: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="City or station name in Uzbek, Russian or English spelling",
    )

    @model_validator(mode="after")
    def _one_way(self) -> PointIn:
        if (self.lon is None) != (self.lat is None):
            raise ValueError("lon and lat go together")
        if self.lon is None and self.place is None:
            raise ValueError("give lon and lat, or place")
        return self


class VehicleIn(BaseModel):
    """A preset id (see ``GET /api/vehicles``), optionally with values overridden,
    or a full custom vehicle."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"preset": "byd_yuan_plus"}]}
    )

    preset: str | None = Field(default=None, max_length=64, description="Preset id")
    battery_kwh: float | None = Field(
        default=None, gt=0, le=1000, description="Usable kWh"
    )
    consumption_wh_per_km_50: float | None = Field(
        default=None, gt=0, le=2000, description="Wh/km at a steady 50 km/h"
    )
    consumption_wh_per_km_110: float | None = Field(
        default=None, gt=0, le=2000, description="Wh/km at a steady 110 km/h"
    )
    dc_max_kw: float | None = Field(default=None, ge=0, le=1000)
    ac_max_kw: float | None = Field(default=None, ge=0, le=100)
    dc_curve: list[tuple[float, float]] | None = Field(
        default=None,
        max_length=50,
        description="DC power by SoC: [[soc 0..1, kW], ...], soc from 0 to 1",
    )
    connectors: list[ConnectorType] | None = Field(default=None, min_length=1)


class RouteRequest(BaseModel):
    """What to plan. SoC values are fractions 0..1."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "origin": {"place": "Tashkent"},
                    "destination": {"place": "Samarkand"},
                    "vehicle": {"preset": "byd_yuan_plus"},
                    "start_soc": 0.9,
                    "min_soc_stop": 0.1,
                    "min_soc_arrival": 0.15,
                }
            ]
        }
    )

    origin: PointIn
    destination: PointIn
    vias: list[PointIn] = Field(default_factory=list, max_length=5)
    vehicle: VehicleIn
    start_soc: float = Field(default=0.9, ge=0, le=1)
    min_soc_stop: float = Field(
        default=0.1, ge=0, le=1, description="Least SoC on arrival at a charger"
    )
    min_soc_arrival: float = Field(
        default=0.1, ge=0, le=1, description="Least SoC at the destination"
    )
    max_charge_soc: float = Field(
        default=1.0, gt=0, le=1, description="Charge at most to this SoC"
    )
    temperature_c: float | None = Field(
        default=None, ge=-50, le=60, description="Outside temperature"
    )
    payload_kg: float = Field(
        default=0, ge=0, le=2000, description="Load above the driver"
    )
    use_live_status: bool = Field(
        default=True, description="Skip offline/faulted, penalise busy"
    )
    busy_penalty_min: float = Field(
        default=15, ge=0, le=240, description="Expected wait at a busy station"
    )


class ResolvedPoint(BaseModel):
    name: str
    lon: float
    lat: float
    snapped_lon: float
    snapped_lat: float
    snap_distance_m: float = Field(
        description="Straight distance to the road it was snapped to"
    )


class StopOut(BaseModel):
    station_id: str
    name: str
    lon: float
    lat: float
    connector_type: ConnectorType
    power_kw: float = Field(
        description="Power the car can take here (station and car limits)"
    )
    arrival_soc: float
    departure_soc: float
    charging_min: float = Field(description="From the car's charging curve")
    wait_min: float = Field(description="Stop overhead plus the busy penalty")
    energy_kwh: float = Field(
        description="Energy bought (stored energy / charging efficiency)"
    )
    cost_uzs: int
    busy: bool


class LegOut(BaseModel):
    from_name: str
    to_name: str
    length_km: float
    drive_min: float
    energy_kwh: float
    departure_soc: float
    arrival_soc: float


class SummaryOut(BaseModel):
    length_km: float
    drive_min: float
    charging_min: float
    wait_min: float
    total_min: float
    energy_kwh: float = Field(description="Energy used driving")
    cost_uzs: int = Field(description="Sum of the stops' prices")
    arrival_soc: float
    stops: int


class GapOut(BaseModel):
    from_name: str
    to_name: str
    from_lon: float
    from_lat: float
    to_lon: float
    to_lat: float
    length_km: float
    energy_needed_kwh: float
    usable_energy_kwh: float
    range_km: float


class SiteOut(BaseModel):
    id: str
    name: str
    kind: Literal["planned", "candidate"]
    lon: float
    lat: float
    year: int | None
    power_kw: float | None
    alone_makes_possible: bool | None = Field(
        description="Would this site alone make the trip possible (null: not checked)"
    )


class ImpossibleOut(BaseModel):
    reason: str
    gap: GapOut | None
    sites: list[SiteOut] = Field(description="Planned/candidate sites inside the gap")
    possible_with_all_sites: bool
    compatible_chargers: int
    skipped_offline: int


class RouteResponse(BaseModel):
    """A plan (``feasible``) or the reason none exists (``impossible``)."""

    feasible: bool
    vehicle_id: str
    origin: ResolvedPoint
    destination: ResolvedPoint
    summary: SummaryOut | None = None
    stops: list[StopOut] = Field(default_factory=list)
    legs: list[LegOut] = Field(default_factory=list)
    geometry: LineString | None = Field(
        default=None, description="Route along the roads, EPSG:4326"
    )
    impossible: ImpossibleOut | None = None
    notes: list[str] = Field(default_factory=list)


class VehiclePublic(BaseModel):
    id: str
    name: str
    battery_kwh: float
    consumption_wh_per_km_50: float
    consumption_wh_per_km_110: float
    dc_max_kw: float
    ac_max_kw: float
    dc_curve: list[tuple[float, float]]
    connectors: list[ConnectorType]
    sources: list[str]
    notes: str


class GeocodeMatch(BaseModel):
    kind: Literal["city", "station"]
    id: str
    name: str
    lon: float
    lat: float
    population: int
    region: str | None
    score: float = Field(description="1.0 for an exact match of a known spelling")
