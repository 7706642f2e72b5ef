"""Tariff pricing on hand-computed sessions (night band, idle period, VAT)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise

from app.services.pricing import EnergySample, Rates, compute_price, split_bands

# Day 1500 so'm/kWh and 100 so'm/min; night (22:00-06:00 Tashkent, UTC+5)
# 1000 so'm/kWh and 50 so'm/min; idle 500 so'm/min after 10 min; fee 3000.
RATES = Rates(
    energy_uzs_per_kwh=1500,
    time_uzs_per_min=100,
    session_fee_uzs=3000,
    idle_uzs_per_min=500,
    idle_grace_min=10,
    vat_percent=Decimal(12),
    night_start=time(22, 0),
    night_end=time(6, 0),
    night_energy_uzs_per_kwh=1000,
    night_time_uzs_per_min=50,
    tariff_id=7,
)


def utc(h: int, m: int, day: int = 10) -> datetime:
    return datetime(2026, 3, day, h, m, tzinfo=UTC)


def test_evening_session_crossing_into_the_night_band_with_idle_time() -> None:
    # 21:30-22:30 local = 16:30-17:30 UTC at a steady 30 kW: 15 kWh by day,
    # 15 kWh by night. The car then stays plugged in until 23:10 local: 40 min
    # idle, 30 min billed after the 10 min grace.
    readings = [(16, 30, 0), (16, 45, 7500), (17, 0, 15000), (17, 15, 22500),
                (17, 30, 30000), (17, 45, 30000), (18, 0, 30000)]  # fmt: skip
    samples = [EnergySample(utc(h, m), wh) for h, m, wh in readings]
    p = compute_price(
        RATES, started_at=utc(16, 30), ended_at=utc(18, 10), samples=samples
    )
    assert p.energy_wh == 30000
    assert (p.energy_day_wh, p.energy_night_wh) == (Decimal(15000), Decimal(15000))
    assert (p.charging_min_day, p.charging_min_night) == (Decimal(30), Decimal(30))
    assert p.charging_ended_at == utc(17, 30)
    assert (p.idle_min, p.idle_billed_min) == (Decimal(40), Decimal(30))
    assert p.energy_uzs == 15 * 1500 + 15 * 1000  # 37 500
    assert p.time_uzs == 30 * 100 + 30 * 50  # 4 500
    assert p.idle_uzs == 30 * 500  # 15 000
    assert p.session_fee_uzs == 3000
    assert p.total_uzs == 60000
    assert p.vat_uzs == 6429  # 60 000 * 12 / 112 = 6428.57
    assert isinstance(p.total_uzs, int)


def test_early_morning_session_crossing_the_end_of_the_night_band() -> None:
    # 05:40-06:25 local (00:40-01:25 UTC). Readings 1000 Wh at 05:40, 4000 Wh at
    # 05:55, 10000 Wh at 06:25. The last interval (6000 Wh over 30 min) has
    # 5 min of night: 1000 Wh. Night 3000 + 1000 = 4000 Wh; day 5000 Wh.
    samples = [EnergySample(utc(0, 40), 1000), EnergySample(utc(0, 55), 4000),
               EnergySample(utc(1, 25), 10000)]  # fmt: skip
    p = compute_price(
        RATES, started_at=utc(0, 40), ended_at=utc(1, 25), samples=samples
    )
    assert p.energy_wh == 9000
    assert (p.energy_night_wh, p.energy_day_wh) == (Decimal(4000), Decimal(5000))
    assert (p.charging_min_night, p.charging_min_day) == (Decimal(20), Decimal(25))
    assert p.idle_min == 0
    assert p.energy_uzs == 4 * 1000 + 5 * 1500  # 11 500
    assert p.time_uzs == 20 * 50 + 25 * 100  # 3 500
    assert p.total_uzs == 11500 + 3500 + 3000
    assert p.vat_uzs == 1929  # 18 000 * 12 / 112 = 1928.57


def test_idle_within_the_grace_period_is_free_and_rounding_is_half_up() -> None:
    rates = Rates(energy_uzs_per_kwh=1999, idle_uzs_per_min=500, idle_grace_min=10)
    samples = [EnergySample(utc(10, 0), 0), EnergySample(utc(10, 20), 1500)]
    p = compute_price(
        rates, started_at=utc(10, 0), ended_at=utc(10, 28), samples=samples
    )
    assert p.idle_min == 8
    assert p.idle_uzs == 0
    assert p.energy_uzs == 2999  # 1.5 kWh * 1999 = 2998.5, half up
    assert p.total_uzs == 2999


def test_live_price_counts_time_until_now_while_energy_still_flows() -> None:
    rates = Rates(energy_uzs_per_kwh=2000, time_uzs_per_min=60)
    samples = [EnergySample(utc(12, 0), 0), EnergySample(utc(12, 10), 5000)]
    p = compute_price(
        rates, started_at=utc(12, 0), ended_at=utc(12, 12), samples=samples, final=False
    )
    assert not p.final
    assert p.charging_min_day == 12
    assert p.idle_min == 0
    assert p.total_uzs == 5 * 2000 + 12 * 60


def test_band_split_over_two_nights() -> None:
    pieces = list(split_bands(utc(12, 0), utc(12, 0, day=12), RATES))
    night = sum((e - s for s, e, n in pieces if n), timedelta())
    day = sum((e - s for s, e, n in pieces if not n), timedelta())
    assert night == timedelta(hours=16)
    assert day == timedelta(hours=32)
    assert all(a[1] == b[0] for a, b in pairwise(pieces))
