"""Electric vehicles for the route planner: energy use and charging.

A :class:`Vehicle` holds the published figures of a model: usable battery
energy, consumption at two speeds, maximum DC and AC charging power, the DC
charging curve and the connector types it can use. Presets for EVs common in
Uzbekistan ship in ``data/vehicles.csv`` with the source of every figure; the
app reads that file and passes the rows to :func:`vehicles_from_rows`.

Energy model
------------
Consumption per km grows with the square of speed (rolling resistance plus
aerodynamic drag, the usual road-load model, e.g. Fiori et al. 2016, Applied
Energy 168): ``c(v) = a + b * v**2`` Wh/km, with ``a`` and ``b`` fitted through
the consumption at 50 and 110 km/h. :func:`consumption_factor` scales it for
temperature and payload.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from planning.route_errors import InvalidVehicleError, UnknownVehicleError

#: Connector types known to the network (``connector.type`` in the database).
CONNECTOR_TYPES: Final[frozenset[str]] = frozenset(
    {"CCS2", "GBT_DC", "GBT_AC", "CHADEMO", "TYPE2"}
)
#: Connector types that deliver DC (the car's DC curve applies).
DC_CONNECTORS: Final[frozenset[str]] = frozenset({"CCS2", "GBT_DC", "CHADEMO"})

#: Temperature model (assumption, stated): consumption rises 1.2 % per degree
#: below 15 C (cabin and battery heating) and 0.8 % per degree above 25 C
#: (air conditioning); no change in between.
COLD_PER_DEG: Final = 0.012
HOT_PER_DEG: Final = 0.008
#: Payload model (assumption, stated): +3 % consumption per 100 kg above the
#: driver (rolling resistance and acceleration grow with mass; drag does not).
PAYLOAD_PER_100_KG: Final = 0.03


@dataclass(frozen=True, slots=True)
class Vehicle:
    """One electric vehicle model.

    Attributes
    ----------
    id, name
        Stable preset id (``byd_yuan_plus``) and display name.
    battery_kwh
        Usable battery energy, kWh (> 0).
    consumption_wh_per_km_50, consumption_wh_per_km_110
        Energy use at a steady 50 and 110 km/h, Wh/km (> 0).
    dc_max_kw, ac_max_kw
        Maximum DC and AC charging power, kW (>= 0; 0 = cannot).
    dc_curve
        DC charging power by state of charge: ``((soc, kw), ...)`` with soc in
        0..1 increasing; linear in between, capped at ``dc_max_kw``.
    connectors
        Connector types the car can use (see :data:`CONNECTOR_TYPES`).
    sources
        URLs of the published figures.
    notes
        What is assumed rather than published.
    """

    id: str
    name: str
    battery_kwh: float
    consumption_wh_per_km_50: float
    consumption_wh_per_km_110: float
    dc_max_kw: float
    ac_max_kw: float
    dc_curve: tuple[tuple[float, float], ...]
    connectors: frozenset[str]
    sources: tuple[str, ...] = ()
    notes: str = ""

    def __post_init__(self) -> None:
        """Reject impossible values, naming the field."""
        checks: list[tuple[str, float, bool]] = [
            ("battery_kwh", self.battery_kwh, self.battery_kwh > 0),
            (
                "consumption_wh_per_km_50",
                self.consumption_wh_per_km_50,
                self.consumption_wh_per_km_50 > 0,
            ),
            (
                "consumption_wh_per_km_110",
                self.consumption_wh_per_km_110,
                self.consumption_wh_per_km_110 > 0,
            ),
            ("dc_max_kw", self.dc_max_kw, self.dc_max_kw >= 0),
            ("ac_max_kw", self.ac_max_kw, self.ac_max_kw >= 0),
        ]
        for field, value, ok in checks:
            if not (math.isfinite(value) and ok):
                sign = "> 0" if field.startswith(("battery", "consumption")) else ">= 0"
                raise InvalidVehicleError(
                    f"{field} must be {sign} and finite (got {value})", field
                )
        if self.battery_kwh > 1000:
            raise InvalidVehicleError(
                f"battery_kwh must be at most 1000 (got {self.battery_kwh})",
                "battery_kwh",
            )
        if self.dc_max_kw == 0 and self.ac_max_kw == 0:
            raise InvalidVehicleError(
                "dc_max_kw and ac_max_kw are both 0: the car cannot charge",
                "dc_max_kw",
            )
        unknown = set(self.connectors) - CONNECTOR_TYPES
        if unknown or not self.connectors:
            raise InvalidVehicleError(
                f"connectors must be a non-empty subset of "
                f"{', '.join(sorted(CONNECTOR_TYPES))} (got {sorted(self.connectors)})",
                "connectors",
            )
        socs = [s for s, _ in self.dc_curve]
        if self.dc_curve and (
            socs != sorted(socs)
            or socs[0] > 0
            or socs[-1] < 1
            or any(not 0 <= s <= 1 or p < 0 for s, p in self.dc_curve)
        ):
            raise InvalidVehicleError(
                "dc_curve must give (soc, kW) pairs with soc increasing from 0 "
                "to 1 and kW >= 0",
                "dc_curve",
            )

    @property
    def consumption_coeffs(self) -> tuple[float, float]:
        """``(a, b)`` of ``c(v) = a + b v^2`` in Wh/km with v in km/h.

        Examples
        --------
        >>> v = Vehicle("x", "X", 60, 150, 200, 50, 7, ((0, 50), (1, 50)),
        ...             frozenset({"CCS2"}))
        >>> a, b = v.consumption_coeffs
        >>> round(a + b * 50**2), round(a + b * 110**2)
        (150, 200)
        """
        b = (self.consumption_wh_per_km_110 - self.consumption_wh_per_km_50) / (
            110.0**2 - 50.0**2
        )
        a = self.consumption_wh_per_km_50 - b * 50.0**2
        return a, b

    def consumption_wh_per_km(self, speed_kmh: float) -> float:
        """Energy use at a steady speed (Wh/km), never below 40 % of the 50 km/h value."""
        a, b = self.consumption_coeffs
        return max(a + b * speed_kmh**2, 0.4 * self.consumption_wh_per_km_50)

    def dc_power_kw(self, soc: float) -> float:
        """DC charging power accepted at ``soc`` (0..1), kW."""
        if self.dc_max_kw == 0 or not self.dc_curve:
            return self.dc_max_kw
        pts = self.dc_curve
        if soc <= pts[0][0]:
            return min(pts[0][1], self.dc_max_kw)
        for (s0, p0), (s1, p1) in itertools.pairwise(pts):
            if soc <= s1:
                t = 0.0 if s1 == s0 else (soc - s0) / (s1 - s0)
                return min(p0 + t * (p1 - p0), self.dc_max_kw)
        return min(pts[-1][1], self.dc_max_kw)

    def dc_power_kw_array(
        self, soc: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """:meth:`dc_power_kw` for many SoC values at once."""
        if self.dc_max_kw == 0 or not self.dc_curve:
            return np.full(np.shape(soc), self.dc_max_kw, dtype=np.float64)
        xs = np.array([s for s, _ in self.dc_curve])
        ys = np.array([p for _, p in self.dc_curve])
        out: npt.NDArray[np.float64] = np.minimum(
            np.interp(soc, xs, ys), self.dc_max_kw
        )
        return out

    def charge_minutes(
        self, from_soc: float, to_soc: float, station_kw: float, *, dc: bool = True
    ) -> float:
        """Minutes to charge from ``from_soc`` to ``to_soc`` at a station of ``station_kw``.

        DC follows the car's curve capped by the station; AC is flat at
        ``min(station_kw, ac_max_kw)``. Integrated in 0.5 % steps.

        Examples
        --------
        >>> v = Vehicle("x", "X", 60, 150, 200, 50, 7, ((0, 50), (1, 50)),
        ...             frozenset({"CCS2"}))
        >>> round(v.charge_minutes(0.2, 0.7, 150), 1)  # 30 kWh at 50 kW
        36.0
        """
        if to_soc <= from_soc:
            return 0.0
        steps = max(1, math.ceil((to_soc - from_soc) / 0.005))
        ds = (to_soc - from_soc) / steps
        hours = 0.0
        for i in range(steps):
            s = from_soc + (i + 0.5) * ds
            p = (
                min(self.dc_power_kw(s), station_kw)
                if dc
                else min(self.ac_max_kw, station_kw)
            )
            if p <= 0:
                return math.inf
            hours += self.battery_kwh * ds / p
        return hours * 60.0


def consumption_factor(
    temperature_c: float | None = None, payload_kg: float = 0.0
) -> float:
    """Multiplier on consumption for outside temperature and extra payload.

    Parameters
    ----------
    temperature_c
        Outside temperature, degrees C (``None``: mild, factor 1).
    payload_kg
        Load above the driver, kg (>= 0).

    Returns
    -------
    float
        ``1.0`` between 15 and 25 C with no payload.

    Raises
    ------
    InvalidVehicleError
        Negative payload or a temperature outside -50..60 C.

    Examples
    --------
    >>> consumption_factor(20, 0)
    1.0
    >>> round(consumption_factor(-10, 200), 3)
    1.36
    """
    if payload_kg < 0 or not math.isfinite(payload_kg) or payload_kg > 5000:
        raise InvalidVehicleError(
            f"payload_kg must be between 0 and 5000 (got {payload_kg})", "payload_kg"
        )
    f = 1.0 + PAYLOAD_PER_100_KG * payload_kg / 100.0
    if temperature_c is None:
        return f
    if not -50 <= temperature_c <= 60:
        raise InvalidVehicleError(
            f"temperature_c must be between -50 and 60 (got {temperature_c})",
            "temperature_c",
        )
    if temperature_c < 15:
        f += COLD_PER_DEG * (15 - temperature_c)
    elif temperature_c > 25:
        f += HOT_PER_DEG * (temperature_c - 25)
    return f


def _curve(text: str) -> tuple[tuple[float, float], ...]:
    pts = []
    for token in text.split():
        soc, kw = token.split(":")
        pts.append((float(soc) / 100.0, float(kw)))
    return tuple(pts)


def vehicles_from_rows(rows: Iterable[Mapping[str, str]]) -> dict[str, Vehicle]:
    """Build presets from ``data/vehicles.csv`` rows (``csv.DictReader``).

    Columns: ``id, name, battery_kwh, consumption_wh_per_km_50,
    consumption_wh_per_km_110, dc_max_kw, ac_max_kw, dc_curve`` (``"soc%:kW"``
    pairs separated by spaces), ``connectors`` (``;``-separated),
    ``source_urls`` (space-separated), ``notes``.

    Raises
    ------
    InvalidVehicleError
        A row with impossible values (the message names the row id and field).
    """
    out: dict[str, Vehicle] = {}
    for row in rows:
        vid = row["id"]
        try:
            out[vid] = Vehicle(
                id=vid,
                name=row["name"],
                battery_kwh=float(row["battery_kwh"]),
                consumption_wh_per_km_50=float(row["consumption_wh_per_km_50"]),
                consumption_wh_per_km_110=float(row["consumption_wh_per_km_110"]),
                dc_max_kw=float(row["dc_max_kw"]),
                ac_max_kw=float(row["ac_max_kw"]),
                dc_curve=_curve(row["dc_curve"]),
                connectors=frozenset(c for c in row["connectors"].split(";") if c),
                sources=tuple(row.get("source_urls", "").split()),
                notes=row.get("notes", ""),
            )
        except (KeyError, ValueError) as e:
            raise InvalidVehicleError(f"vehicle preset {vid!r}: {e}", "preset") from e
    return out


def get_preset(presets: Mapping[str, Vehicle], vehicle_id: str) -> Vehicle:
    """The preset ``vehicle_id``; the error lists the known ids."""
    try:
        return presets[vehicle_id]
    except KeyError:
        raise UnknownVehicleError(
            f"unknown vehicle preset {vehicle_id!r}; known: {', '.join(sorted(presets))}",
            "preset",
        ) from None
