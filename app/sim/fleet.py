"""Run a fleet of simulated charge points against a central system.

Each charge point connects (HTTP Basic when a password is known), boots,
reports its EVSEs, sends heartbeats and, when it is one of the transacting
ones, runs back-to-back charging sessions with meter values. A dropped link is
reconnected and whatever was queued meanwhile is replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any

import websockets

from app.sim.charge_point import SIM_CLASSES, Stats, basic_auth

logger = logging.getLogger(__name__)


STEADY_SETTLE_S = 5.0


@dataclass(frozen=True)
class FleetConfig:
    url: str
    ids: list[str]
    protocols: list[str]
    passwords: dict[str, str] = field(default_factory=dict)
    transacting: int = 0
    heartbeat_s: float = 60.0
    meter_interval_s: float = 10.0
    session_s: float = 600.0
    duration_s: float = 0.0  # 0: until cancelled
    evses: int = 2
    ramp_per_s: float = 200.0
    flood: bool = False  # transacting charge points send meter values back to back
    id_tags: tuple[str, ...] = ("SIM-TAG",)


@dataclass
class FleetReport:
    stats: Stats
    connected_now: int = 0
    connected_max: int = 0
    connect_failures: int = 0
    disconnects: int = 0
    connected_at_end: int = 0
    started_at: float = field(default_factory=time.monotonic)


async def _run_one(
    cfg: FleetConfig,
    cp_id: str,
    protocol: str,
    transacting: bool,
    report: FleetReport,
    stop: asyncio.Event,
) -> None:
    headers = (
        basic_auth(cp_id, cfg.passwords[cp_id]) if cp_id in cfg.passwords else None
    )
    cp: Any = None
    delay = 1.0
    while not stop.is_set():
        try:
            ws = await websockets.connect(
                f"{cfg.url.rstrip('/')}/{cp_id}", subprotocols=[protocol],  # type: ignore[list-item]
                additional_headers=headers, open_timeout=60, ping_interval=None, max_size=2**22,
            )  # fmt: skip
        except (OSError, websockets.InvalidHandshake, TimeoutError) as e:
            report.connect_failures += 1
            logger.debug("%s: connect failed: %s", cp_id, e)
            await asyncio.sleep(delay + random.random())
            delay = min(delay * 2, 30)
            continue
        delay = 1.0
        if cp is None:
            cp = SIM_CLASSES[protocol](cp_id, ws, evses=cfg.evses, stats=report.stats)
        else:
            cp._connection = ws
        loop = asyncio.create_task(cp.start())
        report.connected_now += 1
        report.connected_max = max(report.connected_max, report.connected_now)
        try:
            await _behave(cfg, cp, transacting, stop, loop)
        except (websockets.ConnectionClosed, TimeoutError) as e:
            report.disconnects += 1
            logger.debug("%s: link lost: %s", cp_id, e)
        except Exception as e:  # a CALLERROR etc.: count, reconnect
            report.stats.error(type(e).__name__)
            logger.debug("%s: %s", cp_id, e)
        finally:
            report.connected_now -= 1
            cp.online = False
            loop.cancel()
            with contextlib.suppress(
                asyncio.CancelledError, websockets.ConnectionClosed
            ):
                await loop
            await ws.close()
        if not stop.is_set():
            await asyncio.sleep(1 + random.random())


async def _behave(
    cfg: FleetConfig,
    cp: Any,
    transacting: bool,
    stop: asyncio.Event,
    loop: asyncio.Task[None],
) -> None:
    status = await cp.boot()
    while status != "Accepted":
        await asyncio.sleep(min(cfg.heartbeat_s, 30))
        status = await cp.boot()
    await cp.replay()
    for e in range(1, cfg.evses + 1):
        await cp.status(e, "Charging" if e in cp.sessions else "Available")
    next_hb = time.monotonic() + cfg.heartbeat_s * random.random()
    session: Any = next(iter(cp.sessions.values()), None)
    session_end = time.monotonic() + cfg.session_s
    next_tick = time.monotonic() + cfg.meter_interval_s * random.random()
    while not stop.is_set():
        if loop.done():
            raise websockets.ConnectionClosedError(None, None)
        now = time.monotonic()
        if now >= next_hb:
            await cp.heartbeat()
            next_hb = now + cfg.heartbeat_s
        if transacting:
            if session is None:
                tag = random.choice(cfg.id_tags)
                await cp.authorize(tag)
                session = await cp.start_session(
                    1, tag, power_kw=random.choice((22.0, 50.0, 120.0))
                )
                session_end = now + cfg.session_s
            elif session.stop_requested or now >= session_end:
                if not session.stop_requested:
                    await cp.stop_session(session)
                session = None
                continue
            elif cfg.flood or now >= next_tick:
                await cp.meter_tick(session, cfg.meter_interval_s)
                next_tick = now + cfg.meter_interval_s
                if cfg.flood:
                    continue
        wake = min(next_hb, next_tick if transacting else next_hb)
        # A plain sleep (run_fleet cancels every charge point when it stops):
        # wait_for(stop.wait()) cost a task and a timer per wake-up.
        await asyncio.sleep(max(0.0, wake - time.monotonic()))


async def _watch_loop_lag(stats: Stats, stop: asyncio.Event) -> None:
    """Sample how late this process's event loop wakes up (10 times a second)."""
    tick = 0.1
    while not stop.is_set():
        t = time.monotonic()
        await asyncio.sleep(tick)
        stats.loop_lag.append(max(0.0, time.monotonic() - t - tick))


async def run_fleet(
    cfg: FleetConfig,
    report: FleetReport | None = None,
    stop: asyncio.Event | None = None,
) -> FleetReport:
    """Run until ``duration_s`` passes (or ``stop`` is set); returns the report."""
    report = report or FleetReport(Stats())
    stop = stop or asyncio.Event()
    tasks = [asyncio.create_task(_watch_loop_lag(report.stats, stop))]
    for i, cp_id in enumerate(cfg.ids):
        proto = cfg.protocols[i % len(cfg.protocols)]
        tasks.append(
            asyncio.create_task(
                _run_one(cfg, cp_id, proto, i < cfg.transacting, report, stop)
            )
        )
        if cfg.ramp_per_s and i % max(1, int(cfg.ramp_per_s / 10)) == 0:
            await asyncio.sleep(0.1)
    # Steady state: the connection storm is over (the last ones had 5 s to boot).
    report.stats.steady_after = time.monotonic() + STEADY_SETTLE_S
    try:
        if cfg.duration_s:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), cfg.duration_s)
            stop.set()
        else:
            await stop.wait()
    finally:
        report.connected_at_end = report.connected_now
        stop.set()
        await asyncio.sleep(0.2)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return report


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))
    return s[k]


def summary(report: FleetReport, *, raw: bool = False) -> dict[str, Any]:
    """Counts and percentiles; with ``raw`` also every latency (for :func:`merge`)."""
    lat = [x for v in report.stats.latencies.values() for x in v]
    steady = report.stats.steady
    out = {
        "connected_max": report.connected_max,
        "connected_at_end": report.connected_at_end,
        "connect_failures": report.connect_failures,
        "disconnects": report.disconnects,
        "sent": report.stats.sent,
        "answered": report.stats.answered,
        "errors": report.stats.errors,
        "elapsed_s": round(time.monotonic() - report.started_at, 2),
        "p50_ms": round(percentile(lat, 50) * 1000, 2),
        "p99_ms": round(percentile(lat, 99) * 1000, 2),
        # After the connection storm (every charge point connected and booted).
        "steady_n": len(steady),
        "steady_p50_ms": round(percentile(steady, 50) * 1000, 2),
        "steady_p99_ms": round(percentile(steady, 99) * 1000, 2),
        "steady_p99_ms_per_window": [
            round(percentile(report.stats.windows[w], 99) * 1000, 1)
            for w in sorted(report.stats.windows)
        ],
        "window_s": report.stats.WINDOW_S,
        # The simulator's own event loop: how late it woke up (part of every latency).
        "client_lag_p99_ms": round(percentile(report.stats.loop_lag, 99) * 1000, 1),
        "client_lag_max_ms": round(max(report.stats.loop_lag, default=0.0) * 1000, 1),
        "by_action": {
            a: {"n": len(v), "p99_ms": round(percentile(v, 99) * 1000, 2)}
            for a, v in sorted(report.stats.latencies.items())
        },
    }
    if raw:
        out["raw"] = {
            "by_action": report.stats.latencies,
            "windows": report.stats.windows,
            "loop_lag": report.stats.loop_lag,
        }
    return out


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One summary of several simulator processes run side by side (each with
    ``summary(..., raw=True)``): percentiles over all their latencies."""
    stats = Stats()
    report = FleetReport(stats)
    for part in parts:
        r = part["raw"]
        for action, values in r["by_action"].items():
            stats.latencies.setdefault(action, []).extend(values)
        for window, values in r["windows"].items():
            stats.windows.setdefault(int(window), []).extend(values)
        stats.loop_lag.extend(r["loop_lag"])
        stats.sent += part["sent"]
        stats.answered += part["answered"]
        for kind, count in part["errors"].items():
            stats.errors[kind] = stats.errors.get(kind, 0) + count
        report.connected_max += part["connected_max"]
        report.connected_at_end += part["connected_at_end"]
        report.connect_failures += part["connect_failures"]
        report.disconnects += part["disconnects"]
    out = summary(report)
    out["elapsed_s"] = max(float(p["elapsed_s"]) for p in parts)
    out["processes"] = len(parts)
    return out
