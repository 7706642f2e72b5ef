"""Planning scenarios at the HTTP edge."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RuleName = Literal["afir", "nevi", "uz"]
CandidateSource = Literal["imported", "roads"]
_ALL_RULES: tuple[RuleName, ...] = ("afir", "nevi", "uz")
_ALL_SOURCES: tuple[CandidateSource, ...] = ("imported", "roads")
ScenarioStatus = Literal["created", "running", "done", "failed", "cancelled"]


class WeightsIn(BaseModel):
    """Score weights (>= 0, any scale; normalised). Omitted ones keep defaults."""

    model_config = ConfigDict(extra="forbid")

    demand: float = Field(default=0.30, ge=0, allow_inf_nan=False)
    coverage_gain: float = Field(default=0.25, ge=0, allow_inf_nan=False)
    grid: float = Field(default=0.15, ge=0, allow_inf_nan=False)
    parcel: float = Field(default=0.10, ge=0, allow_inf_nan=False)
    road: float = Field(default=0.10, ge=0, allow_inf_nan=False)
    competition: float = Field(default=0.05, ge=0, allow_inf_nan=False)
    utilisation: float = Field(default=0.05, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _some_weight(self) -> WeightsIn:
        if sum(self.model_dump().values()) <= 0:
            raise ValueError("at least one weight must be > 0")
        return self


class UzRuleIn(BaseModel):
    """The configurable Uzbek corridor rule."""

    model_config = ConfigDict(extra="forbid")

    max_gap_km: float = Field(default=100.0, gt=0, le=1000)
    max_offset_km: float = Field(default=5.0, ge=0, le=50)
    min_pool_kw: float = Field(default=150.0, ge=0, le=10_000)
    min_points: int = Field(default=1, ge=0, le=50)


class ScenarioCreate(BaseModel):
    """Parameters of a planning scenario (units in the names)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    region: str | None = Field(
        default=None,
        max_length=16,
        description="ISO 3166-2 code, e.g. UZ-TK; none = country",
    )
    resolution: int = Field(default=8, ge=6, le=9, description="H3 resolution 6..9")
    year: int = Field(default=2030, ge=2024, le=2060)
    ev_fleet: float | None = Field(
        default=None, ge=0, description="EVs; none = projected"
    )
    kwh_per_ev_day: float = Field(default=6.0, ge=0, le=100)
    public_charging_share: float = Field(default=0.4, ge=0, le=1)
    radius_km: float = Field(
        default=5.0, gt=0, le=100, description="Coverage radius, km"
    )
    minutes: float = Field(default=10.0, ge=0, le=600, description="Coverage time, min")
    catchment_km: float = Field(default=5.0, gt=0, le=100)
    weights: WeightsIn = Field(default_factory=WeightsIn)
    n_sites: int | None = Field(default=10, ge=1, le=5000)
    budget_uzs: int | None = Field(default=None, ge=0, description="Budget in so'm")
    method: Literal["auto", "exact", "greedy"] = "auto"
    rules: list[RuleName] = Field(default_factory=lambda: list(_ALL_RULES))
    uz_rule: UzRuleIn = Field(default_factory=UzRuleIn)
    candidate_sources: list[CandidateSource] = Field(
        default_factory=lambda: list(_ALL_SOURCES)
    )
    population_raster: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Name of an imported population GeoTIFF (quvvat import "
        "population); none = populated places scaled to each region's official "
        "population",
    )

    @model_validator(mode="after")
    def _n_or_budget(self) -> ScenarioCreate:
        if self.budget_uzs is not None:
            self.n_sites = None
        return self


class ScenarioPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    status: ScenarioStatus
    params: dict[str, Any]
    input_hash: str | None
    input_versions: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ScenariosPublic(BaseModel):
    data: list[ScenarioPublic]
    count: int


class ProgressPublic(BaseModel):
    scenario_id: int
    status: ScenarioStatus
    stage: str
    done: int
    total: int


#: The unit of each parameter of :class:`ScenarioCreate` the planner form shows.
PARAMETER_UNITS: dict[str, str] = {
    "resolution": "h3",
    "year": "year",
    "ev_fleet": "evs",
    "kwh_per_ev_day": "kwh_per_ev_day",
    "public_charging_share": "share",
    "radius_km": "km",
    "minutes": "min",
    "catchment_km": "km",
    "n_sites": "sites",
    "budget_uzs": "uzs",
}


class ParameterInfo(BaseModel):
    """One parameter of a new scenario: its default (what an omitted value
    becomes), unit and bounds (``None``: unbounded; ``exclusive_minimum``: the
    value must be greater than ``minimum``)."""

    name: str
    unit: str
    default: float | int | None
    minimum: float | None
    maximum: float | None
    exclusive_minimum: bool
    integer: bool
    optional: bool = Field(description="null is allowed (e.g. ev_fleet: projected)")
    description: str | None


class RuleInfo(BaseModel):
    """A corridor rule set (``uz`` is configurable through ``uz_rule``)."""

    name: RuleName
    max_gap_km: float
    max_offset_km: float
    min_pool_kw: float
    min_points: int
    min_point_kw: float


class ScenarioDefaults(BaseModel):
    parameters: list[ParameterInfo]
    rules: list[RuleInfo]
    default_rules: list[RuleName]
