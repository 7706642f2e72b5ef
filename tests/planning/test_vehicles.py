"""Vehicle presets: published figures, energy model, bad values."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from planning.route_errors import InvalidVehicleError, UnknownVehicleError
from planning.vehicles import (
    CONNECTOR_TYPES,
    Vehicle,
    consumption_factor,
    get_preset,
    vehicles_from_rows,
)

ROOT = Path(__file__).resolve().parents[2]


def _rows() -> list[dict[str, str]]:
    with (ROOT / "data/vehicles.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_presets_load_with_sources_and_known_connectors() -> None:
    presets = vehicles_from_rows(_rows())
    assert {"byd_yuan_plus", "byd_han_ev", "chevrolet_bolt_ev"} <= set(presets)
    for v in presets.values():
        assert v.sources and all(u.startswith("http") for u in v.sources)
        assert v.connectors <= CONNECTOR_TYPES
        assert v.dc_power_kw(0.1) <= v.dc_max_kw


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r["id"])
def test_charging_curve_reproduces_the_published_charge_time(
    row: dict[str, str],
) -> None:
    # published_charge is "from-to:minutes" as printed in the row's sources.
    span, minutes = row["published_charge"].split(":")
    lo, hi = (int(x) / 100 for x in span.split("-"))
    v = vehicles_from_rows([row])[row["id"]]
    model = v.charge_minutes(lo, hi, station_kw=350.0)
    # The Dolphin Surf curve is km77's measurement, 18 % slower than BYD's claim.
    assert model == pytest.approx(float(minutes), rel=0.2)


def test_consumption_grows_with_speed_through_both_published_points() -> None:
    v = vehicles_from_rows(_rows())["byd_yuan_plus"]
    assert v.consumption_wh_per_km(50) == pytest.approx(150)
    assert v.consumption_wh_per_km(110) == pytest.approx(205)
    assert v.consumption_wh_per_km(90) > v.consumption_wh_per_km(70)


def test_temperature_and_payload_factors() -> None:
    assert consumption_factor(20, 0) == 1.0
    assert consumption_factor(-5, 0) == pytest.approx(1.24)
    assert consumption_factor(40, 0) == pytest.approx(1.12)
    assert consumption_factor(None, 300) == pytest.approx(1.09)
    with pytest.raises(InvalidVehicleError, match="payload_kg") as e:
        consumption_factor(20, -1)
    assert e.value.field == "payload_kg"


BASE = {
    "id": "x",
    "name": "X",
    "battery_kwh": 60.0,
    "consumption_wh_per_km_50": 150.0,
    "consumption_wh_per_km_110": 200.0,
    "dc_max_kw": 50.0,
    "ac_max_kw": 7.0,
    "dc_curve": ((0.0, 50.0), (1.0, 20.0)),
    "connectors": frozenset({"CCS2"}),
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("battery_kwh", 0.0, "battery_kwh must be > 0"),
        ("consumption_wh_per_km_50", -10.0, "consumption_wh_per_km_50 must be > 0"),
        ("dc_max_kw", -1.0, "dc_max_kw must be >= 0"),
        ("connectors", frozenset({"SCHUKO"}), "connectors must be a non-empty subset"),
        ("dc_curve", ((0.5, 50.0), (0.2, 20.0)), "dc_curve must give"),
    ],
)
def test_impossible_vehicle_values_name_the_field(
    field: str, value: object, message: str
) -> None:
    with pytest.raises(InvalidVehicleError, match=message) as e:
        Vehicle(**{**BASE, field: value})  # type: ignore[arg-type]
    assert e.value.field == field


def test_unknown_preset_lists_the_known_ones() -> None:
    presets = vehicles_from_rows(_rows())
    with pytest.raises(UnknownVehicleError, match=r"'tesla_x'.*byd_han_ev"):
        get_preset(presets, "tesla_x")
