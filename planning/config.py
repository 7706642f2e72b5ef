"""Every planning parameter in one place, with units and defaults.

All classes are frozen dataclasses validated on construction: a negative,
missing (NaN) or out-of-range value raises
:class:`planning.errors.InvalidParameterError` naming the field.

Sources of the defaults
-----------------------
* EV fleet: the published figures in ``data/uz/facts_ev_energy.csv``
  (:data:`PUBLISHED_EV_FLEET`, National Statistics Committee via daryo.uz,
  2025-07-01: 73,600 registered EVs).
* Population: each region's official permanent population on 1 October 2025
  (State Committee on Statistics, ``data/uz/regions_population.csv``; the
  country 38,069,116) is the control total of the background; see
  :func:`planning.demand.regional_background`.
* Energy per EV and day: 6 kWh ≈ 35 km/day × 0.17 kWh/km (a compact Chinese
  EV, the bulk of 2023-2025 imports). An assumption, stated as such.
* Charger costs per power class (so'm, equipment + grid connection + works):
  planning assumptions for 2025 prices, to be replaced by tender figures.
* Corridor rules: EU AFIR, Regulation (EU) 2023/1804 Art. 3(1)(a): a pool at
  least every 60 km on the TEN-T core network, ≥ 400 kW per pool incl. ≥ 1 point
  of ≥ 150 kW by end 2025; US NEVI, 23 CFR 680.106: every 50 miles, within 1
  mile of the corridor, ≥ 4 DC ports of ≥ 150 kW each. The Uzbek rule is a
  proposal (every 100 km, within 5 km, one ≥ 150 kW point) and configurable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from types import MappingProxyType
from typing import Final

from planning.errors import InvalidParameterError

MIN_PLAN_RESOLUTION: Final = 6
MAX_PLAN_RESOLUTION: Final = 9
DEFAULT_RESOLUTION: Final = 8

#: Fast charger threshold used by the corridor audit, kW.
FAST_CHARGER_KW: Final = 150.0


@dataclass(frozen=True, slots=True)
class EvFleetFigure:
    """A published count of electric vehicles."""

    as_of: date
    vehicles: int
    geography: str
    source_url: str


#: Published fleet figures for the whole country (facts_ev_energy.csv).
PUBLISHED_EV_FLEET: Final[tuple[EvFleetFigure, ...]] = (
    EvFleetFigure(
        date(2024, 6, 11),
        35_000,
        "UZ",
        "https://kun.uz/en/news/2024/06/11/uzbekistan-permits-installing-ev-chargers-at-home-introduces-new-tariff-incentives-for-nighttime-charging",
    ),
    EvFleetFigure(
        date(2025, 1, 1),
        44_000,
        "UZ",
        "https://yurtimiz.com/en/biznes-1/otklyuchennyie-v-dekabre-elektrozapravki-1",
    ),
    EvFleetFigure(
        date(2025, 7, 1),
        73_600,
        "UZ",
        "https://daryo.uz/en/category/uzbekistan/mky993wynmg3",
    ),
)


def _check_nonneg(obj: object, names: tuple[str, ...] | None = None) -> None:
    for f in fields(obj):  # type: ignore[arg-type]  # only called on dataclasses
        if names is not None and f.name not in names:
            continue
        v = getattr(obj, f.name)
        if isinstance(v, bool) or not isinstance(v, int | float):
            continue
        if not math.isfinite(v):
            raise InvalidParameterError(f"{f.name} must be a finite number, got {v}")
        if v < 0:
            raise InvalidParameterError(f"{f.name} must be >= 0, got {v}")


def _check_share(name: str, v: float) -> None:
    if not 0.0 <= v <= 1.0:
        raise InvalidParameterError(f"{name} must be in [0, 1], got {v}")


def _frozen_map(m: Mapping[str, float], name: str) -> Mapping[str, float]:
    for k, v in m.items():
        if not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
            raise InvalidParameterError(f"{name}[{k!r}] must be a number >= 0, got {v}")
    return MappingProxyType(dict(m))


@dataclass(frozen=True, slots=True)
class DemandConfig:
    """Parameters of the daily charging demand model (:mod:`planning.demand`).

    Attributes
    ----------
    resolution
        H3 resolution, 6..9 (default 8, mean cell 0.74 km²).
    year
        Scenario year; the fleet is projected from the latest published figure.
    ev_fleet
        Number of EVs; ``None`` projects :data:`PUBLISHED_EV_FLEET` to ``year``
        with ``fleet_growth_per_year``.
    fleet_growth_per_year
        Compound annual growth of the fleet (0.35 = +35 %/year), dimensionless.
    kwh_per_ev_day
        Energy an average EV needs per day, kWh.
    public_charging_share
        Share of that energy charged at public stations (rest at home/work), 0..1.
    population_share, traffic_share, poi_share
        How the public demand splits between residents (population), through
        traffic (road-class-weighted road length) and destinations (POIs). They
        must sum to 1. Without POIs the POI share goes to population; without
        roads the traffic share does, so the total is always conserved.
    city_decay_km_at_100k
        Decay length λ of the city kernel for a city of 100,000 people, km.
        The kernel is ``w(d) = exp(-d / λ)`` with ``λ = λ₁₀₀ₖ · sqrt(pop/1e5)``,
        clipped to [``min_decay_km``, ``max_decay_km``], truncated at
        ``kernel_cutoff`` · λ and normalised so that each city's population is
        conserved exactly (a city with no cell within the cutoff goes whole to
        its nearest cell; a city outside the study area is counted as outside).
    rural_density_per_km2
        Background population spread evenly over the cells of a region that
        has no official figure (or of the whole area when no region has one),
        people/km² (34.9 M people minus ~13 M in GeoNames places, over
        449,000 km², discounted for desert: 40).
    road_class_weights
        Relative traffic per km for each ``road_class``; unknown classes weigh
        ``default_road_weight``.
    poi_category_weights
        Relative pull of a point of interest by ``category`` (the OSM tag value,
        or the imported ``category`` column, lower-cased); unknown categories
        weigh ``default_poi_weight``; a POI's own ``weight`` wins. Planning
        assumptions: places where drivers stop for 20 minutes to a night
        (fuel stations, malls, hotels) pull most.
    """

    resolution: int = DEFAULT_RESOLUTION
    year: int = 2030
    ev_fleet: float | None = None
    fleet_growth_per_year: float = 0.35
    kwh_per_ev_day: float = 6.0
    public_charging_share: float = 0.4
    population_share: float = 0.6
    traffic_share: float = 0.3
    poi_share: float = 0.1
    city_decay_km_at_100k: float = 2.0
    min_decay_km: float = 0.8
    max_decay_km: float = 12.0
    kernel_cutoff: float = 3.0
    rural_density_per_km2: float = 40.0
    road_class_weights: Mapping[str, float] = field(
        default_factory=lambda: {
            "motorway": 1.0,
            "international": 1.0,
            "trunk": 0.8,
            "national": 0.6,
            "primary": 0.5,
            "regional": 0.3,
            "secondary": 0.3,
            "local": 0.1,
        }
    )
    default_road_weight: float = 0.1
    poi_category_weights: Mapping[str, float] = field(
        default_factory=lambda: {
            "fuel": 3.0,
            "mall": 3.0,
            "hotel": 2.0,
            "motel": 2.0,
            "supermarket": 2.0,
            "department_store": 2.0,
            "marketplace": 2.0,
            "car": 1.5,
            "parking": 1.5,
            "university": 1.5,
            "attraction": 1.5,
            "restaurant": 1.0,
            "cafe": 1.0,
            "fast_food": 1.0,
            "hospital": 1.0,
            "college": 1.0,
            "cinema": 1.0,
            "theatre": 1.0,
            "museum": 1.0,
            "bus_station": 1.0,
        }
    )
    default_poi_weight: float = 0.5

    def __post_init__(self) -> None:
        if isinstance(self.resolution, bool) or not isinstance(self.resolution, int):
            raise InvalidParameterError(
                f"resolution must be an integer in {MIN_PLAN_RESOLUTION}..{MAX_PLAN_RESOLUTION}"
            )
        if not MIN_PLAN_RESOLUTION <= self.resolution <= MAX_PLAN_RESOLUTION:
            raise InvalidParameterError(
                f"resolution {self.resolution} is outside "
                f"{MIN_PLAN_RESOLUTION}..{MAX_PLAN_RESOLUTION}"
            )
        if not 2020 <= self.year <= 2060:
            raise InvalidParameterError(f"year must be in 2020..2060, got {self.year}")
        _check_nonneg(self)
        if self.ev_fleet is not None and (
            not math.isfinite(self.ev_fleet) or self.ev_fleet < 0
        ):
            raise InvalidParameterError(f"ev_fleet must be >= 0, got {self.ev_fleet}")
        _check_share("public_charging_share", self.public_charging_share)
        for n in ("population_share", "traffic_share", "poi_share"):
            _check_share(n, getattr(self, n))
        total = self.population_share + self.traffic_share + self.poi_share
        if abs(total - 1.0) > 1e-9:
            raise InvalidParameterError(
                f"population_share + traffic_share + poi_share must be 1, got {total:g}"
            )
        if self.min_decay_km <= 0 or self.max_decay_km < self.min_decay_km:
            raise InvalidParameterError(
                "need 0 < min_decay_km <= max_decay_km, got "
                f"{self.min_decay_km}, {self.max_decay_km}"
            )
        if self.kernel_cutoff <= 0 or self.city_decay_km_at_100k <= 0:
            raise InvalidParameterError(
                "kernel_cutoff and city_decay_km_at_100k must be > 0"
            )
        object.__setattr__(
            self,
            "road_class_weights",
            _frozen_map(self.road_class_weights, "road_class_weights"),
        )
        object.__setattr__(
            self,
            "poi_category_weights",
            _frozen_map(self.poi_category_weights, "poi_category_weights"),
        )

    def poi_weights(
        self, categories: Sequence[str | None], weights: Sequence[float | None]
    ) -> list[float]:
        """Each POI's weight: its own when given (finite), else its category's."""
        out: list[float] = []
        for c, w in zip(categories, weights, strict=True):
            if w is not None and math.isfinite(w):
                out.append(float(w))
            else:
                key = (c or "").strip().lower()
                out.append(
                    float(self.poi_category_weights.get(key, self.default_poi_weight))
                )
        return out

    def fleet(self, figures: tuple[EvFleetFigure, ...] = PUBLISHED_EV_FLEET) -> float:
        """EVs in :attr:`year`: ``ev_fleet`` or the latest figure projected.

        Examples
        --------
        >>> round(DemandConfig(year=2030).fleet())  # 73,600 on 2025-07-01, +35 %/year
        330432
        >>> DemandConfig(ev_fleet=1000).fleet()
        1000.0
        """
        if self.ev_fleet is not None:
            return float(self.ev_fleet)
        national = [f for f in figures if f.geography == "UZ"]
        if not national:
            raise InvalidParameterError("no national EV fleet figure given")
        last = max(national, key=lambda f: f.as_of)
        years = (self.year + 0.5) - (
            last.as_of.year + (last.as_of.timetuple().tm_yday - 1) / 365.0
        )
        return float(last.vehicles * (1.0 + self.fleet_growth_per_year) ** years)

    def public_kwh_day(
        self, figures: tuple[EvFleetFigure, ...] = PUBLISHED_EV_FLEET
    ) -> float:
        """Daily public charging demand of the whole fleet, kWh/day."""
        return self.fleet(figures) * self.kwh_per_ev_day * self.public_charging_share


@dataclass(frozen=True, slots=True)
class CoverageConfig:
    """Parameters of :mod:`planning.coverage`.

    Attributes
    ----------
    radius_km
        A cell is covered when a charger is within this distance, km.
    minutes
        ... or within this driving time, minutes (road graph, or straight-line
        distance × ``detour_factor`` at ``speed_kmh`` when no graph is given).
    detour_factor
        Road distance / straight-line distance when no road graph is used.
    speed_kmh
        Mean driving speed for time estimates without a road graph, km/h.
    underserved_min_kwh_day
        A cell is underserved when it is not covered and its demand is at
        least this, kWh/day.
    """

    radius_km: float = 5.0
    minutes: float = 10.0
    detour_factor: float = 1.3
    speed_kmh: float = 40.0
    underserved_min_kwh_day: float = 1.0

    def __post_init__(self) -> None:
        _check_nonneg(self)
        if self.detour_factor < 1.0 or self.speed_kmh <= 0:
            raise InvalidParameterError("need detour_factor >= 1 and speed_kmh > 0")


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """Weights of the score components (any scale; normalised to sum 1).

    A component whose input is absent (e.g. no utilisation data) is left out
    and the remaining weights are renormalised; the breakdown says so.
    """

    demand: float = 0.30
    coverage_gain: float = 0.25
    grid: float = 0.15
    parcel: float = 0.10
    road: float = 0.10
    competition: float = 0.05
    utilisation: float = 0.05

    def __post_init__(self) -> None:
        _check_nonneg(self)
        if sum(self.as_dict().values()) <= 0:
            raise InvalidParameterError("at least one score weight must be > 0")

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class ScoringConfig:
    """Parameters of :mod:`planning.scoring`.

    Attributes
    ----------
    catchment_km
        Demand within this distance of a candidate counts for it, km.
    substation_max_km
        Farthest substation that can serve a site (MV connection), km.
    road_decay_km
        Road component ``exp(-d / road_decay_km)`` of the distance to a main road.
    competition_km
        Existing chargers within this distance compete, km.
    min_parcel_area_m2
        A parcel smaller than this scores 0 on area, m².
    land_use_suitability, owner_suitability
        Suitability 0..1 per ``land_use`` / ``owner_type`` value; unknown
        values get ``unknown_suitability``.
    """

    weights: ScoreWeights = field(default_factory=ScoreWeights)
    catchment_km: float = 5.0
    substation_max_km: float = 10.0
    road_decay_km: float = 2.0
    competition_km: float = 3.0
    min_parcel_area_m2: float = 300.0
    default_power_kw: float = 150.0
    land_use_suitability: Mapping[str, float] = field(
        default_factory=lambda: {
            "commercial": 1.0,
            "transport": 1.0,
            "fuel_station": 1.0,
            "parking": 1.0,
            "industrial": 0.8,
            "public": 0.8,
            "residential": 0.6,
            "agricultural": 0.2,
            "protected": 0.0,
        }
    )
    owner_suitability: Mapping[str, float] = field(
        default_factory=lambda: {
            "state": 1.0,
            "municipal": 1.0,
            "private": 0.7,
            "unknown": 0.5,
        }
    )
    unknown_suitability: float = 0.5

    def __post_init__(self) -> None:
        _check_nonneg(self)
        for n in ("catchment_km", "substation_max_km", "road_decay_km"):
            if getattr(self, n) <= 0:
                raise InvalidParameterError(f"{n} must be > 0")
        object.__setattr__(
            self,
            "land_use_suitability",
            _frozen_map(self.land_use_suitability, "land_use_suitability"),
        )
        object.__setattr__(
            self,
            "owner_suitability",
            _frozen_map(self.owner_suitability, "owner_suitability"),
        )


#: Cost per power class, so'm: (minimum kW of the class, cost).
DEFAULT_COST_BY_POWER_UZS: Final[tuple[tuple[float, int], ...]] = (
    (0.0, 60_000_000),  # AC up to 22 kW
    (50.0, 350_000_000),  # DC 50-149 kW
    (150.0, 900_000_000),  # DC 150-349 kW
    (350.0, 2_000_000_000),  # DC 350 kW and more
)


def site_cost_uzs(
    power_kw: float,
    cost_by_power: tuple[tuple[float, int], ...] = DEFAULT_COST_BY_POWER_UZS,
) -> int:
    """Cost of one site of ``power_kw`` from its power class, so'm.

    Examples
    --------
    >>> site_cost_uzs(22), site_cost_uzs(150), site_cost_uzs(400)
    (60000000, 900000000, 2000000000)
    """
    if not math.isfinite(power_kw) or power_kw < 0:
        raise InvalidParameterError(f"power_kw must be >= 0, got {power_kw}")
    cost = cost_by_power[0][1]
    for min_kw, c in sorted(cost_by_power):
        if power_kw >= min_kw:
            cost = c
    return int(cost)


@dataclass(frozen=True, slots=True)
class SelectionConfig:
    """Parameters of :mod:`planning.mclp` (maximal covering location).

    Attributes
    ----------
    n_sites
        Choose exactly this many sites (or fewer if fewer exist); ``None``
        when a budget is given.
    budget_uzs
        Spend at most this, so'm (costs from ``cost_by_power``).
    radius_km
        A site covers demand within this distance, km.
    method
        ``"auto"`` (exact MILP when the covering matrix has at most
        ``max_exact_nonzeros`` entries, else greedy), ``"exact"`` or ``"greedy"``.
    mip_rel_gap
        Relative gap at which HiGHS may stop and call the MILP optimal.
    time_limit_s
        Solver time limit, s; hitting it is an error (:class:`SolverError`).
    """

    n_sites: int | None = 10
    budget_uzs: int | None = None
    radius_km: float = 5.0
    method: str = "auto"
    mip_rel_gap: float = 1e-4
    time_limit_s: float = 60.0
    max_exact_nonzeros: int = 400_000
    respect_grid: bool = True
    cost_by_power: tuple[tuple[float, int], ...] = DEFAULT_COST_BY_POWER_UZS

    def __post_init__(self) -> None:
        _check_nonneg(self)
        if (self.n_sites is None) == (self.budget_uzs is None):
            raise InvalidParameterError("give exactly one of n_sites or budget_uzs")
        if self.n_sites is not None and self.n_sites < 1:
            raise InvalidParameterError(f"n_sites must be >= 1, got {self.n_sites}")
        if self.method not in ("auto", "exact", "greedy"):
            raise InvalidParameterError(
                f"method must be one of auto, exact, greedy; got {self.method!r}"
            )
        if self.radius_km <= 0:
            raise InvalidParameterError("radius_km must be > 0")


@dataclass(frozen=True, slots=True)
class CorridorRule:
    """A rule for fast-charging pools along main roads.

    Attributes
    ----------
    name
        ``"afir"``, ``"nevi"``, ``"uz"`` or a custom name.
    max_gap_km
        Longest allowed distance between consecutive compliant pools (and from
        each end of the road to the first pool), km along the road.
    max_offset_km
        A pool counts when it is at most this far from the road, km.
    min_pool_kw
        Minimum total power of the pool, kW.
    min_points
        Minimum number of charge points of at least ``min_point_kw`` each.
    min_point_kw
        Power a point needs to count towards ``min_points``, kW.
    """

    name: str
    max_gap_km: float
    max_offset_km: float
    min_pool_kw: float
    min_points: int
    min_point_kw: float = FAST_CHARGER_KW

    def __post_init__(self) -> None:
        _check_nonneg(self)
        if self.max_gap_km <= 0:
            raise InvalidParameterError("max_gap_km must be > 0")


#: EU AFIR (Reg. 2023/1804 Art. 3): every 60 km, 400 kW pool with 1 × 150 kW (2025).
AFIR: Final = CorridorRule("afir", 60.0, 3.0, 400.0, 1)
#: US NEVI (23 CFR 680.106): every 50 miles, within 1 mile, 4 × 150 kW.
NEVI: Final = CorridorRule("nevi", 50 * 1.609344, 1.609344, 600.0, 4)
#: Proposed Uzbek rule (configurable): every 100 km, within 5 km, 1 × 150 kW.
UZ_RULE: Final = CorridorRule("uz", 100.0, 5.0, 150.0, 1)

CORRIDOR_RULES: Final[Mapping[str, CorridorRule]] = MappingProxyType(
    {"afir": AFIR, "nevi": NEVI, "uz": UZ_RULE}
)


def corridor_rule(name: str) -> CorridorRule:
    """Look up a rule set by name.

    Raises
    ------
    InvalidParameterError
        Listing the known names.
    """
    try:
        return CORRIDOR_RULES[name]
    except KeyError:
        raise InvalidParameterError(
            f"unknown corridor rule {name!r}; known: {', '.join(CORRIDOR_RULES)}"
        ) from None
