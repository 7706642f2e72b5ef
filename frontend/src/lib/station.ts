/** Station details from `/api/stations/{id}` into a flat view model (pure). */

import { connectorStatusToStation, type StationStatus } from "./status";

export interface ConnectorView {
  chargePointId: string;
  evseId: number | null;
  connectorId: number | null;
  type: string;
  /** The last status the charge point reported (kept while it is offline). */
  status: string;
  maxPowerKw: number | null;
  /** Whether its charge point is connected now; `null` when not known. */
  online: boolean | null;
}

function obj(v: unknown): Record<string, unknown> | null {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function num(v: unknown): number | null {
  const n = typeof v === "string" ? Number(v) : v;
  return typeof n === "number" && Number.isFinite(n) ? n : null;
}

/** Accepts a GeoJSON Feature (details in `properties`) or a plain object. */
export function stationProps(body: unknown): Record<string, unknown> {
  const b = obj(body) ?? {};
  const p = obj(b.properties);
  return p ? { ...p, id: b.id ?? p.id } : b;
}

/** Charge points → EVSEs → connectors, flattened for a table. */
export function flattenConnectors(props: Record<string, unknown>): ConnectorView[] {
  const out: ConnectorView[] = [];
  for (const cpRaw of arr(props.charge_points)) {
    const cp = obj(cpRaw);
    if (!cp) continue;
    const cpId = String(cp.id ?? cp.charge_point_id ?? "");
    for (const evRaw of arr(cp.evses)) {
      const ev = obj(evRaw);
      if (!ev) continue;
      for (const cRaw of arr(ev.connectors)) {
        const c = obj(cRaw);
        if (!c) continue;
        out.push({
          chargePointId: cpId,
          evseId: num(ev.evse_id ?? ev.id),
          connectorId: num(c.connector_id ?? c.id),
          type: String(c.type ?? c.connector_type ?? ""),
          status: String(c.status ?? "Unknown"),
          maxPowerKw: num(c.max_power_kw),
          online: typeof cp.connected === "boolean" ? cp.connected : null,
        });
      }
    }
  }
  if (out.length === 0) {
    for (const cRaw of arr(props.connectors)) {
      const c = obj(cRaw);
      if (!c) continue;
      out.push({
        chargePointId: String(c.charge_point_id ?? ""),
        evseId: num(c.evse_id),
        connectorId: num(c.connector_id),
        type: String(c.type ?? ""),
        status: String(c.status ?? "Unknown"),
        maxPowerKw: num(c.max_power_kw),
        online: null,
      });
    }
  }
  return out;
}

export interface DayEnergy {
  day: string;
  energyWh: number;
}

const TASHKENT_OFFSET_MS = 5 * 3600 * 1000; // UTC+5 all year (no DST)

/** The Tashkent calendar day (YYYY-MM-DD) of an instant (ms) or an ISO timestamp:
 * the day the UI shows, not the UTC date in the string. Null when unparseable. */
export function tashkentDay(at: number | string): string | null {
  const t = typeof at === "number" ? at : Date.parse(at);
  return Number.isNaN(t) ? null : new Date(t + TASHKENT_OFFSET_MS).toISOString().slice(0, 10);
}

/** Sum session energy per local (Tashkent, UTC+5) day, oldest first, last `days` days. */
export function energyPerDay(
  sessions: readonly { started_at: string; energy_wh: number | null }[],
  days: number,
  now: Date,
): DayEnergy[] {
  const out = new Map<string, number>();
  for (let i = days - 1; i >= 0; i--) {
    out.set(tashkentDay(now.getTime() - i * 86_400_000) ?? "", 0);
  }
  for (const s of sessions) {
    const k = tashkentDay(s.started_at);
    if (k !== null && out.has(k)) out.set(k, (out.get(k) ?? 0) + (s.energy_wh ?? 0));
  }
  return [...out].map(([day, energyWh]) => ({ day, energyWh }));
}

/** The state a connector shows: offline while its charge point is, else its status. */
export function connectorState(c: ConnectorView): StationStatus {
  return c.online === false ? "offline" : connectorStatusToStation(c.status);
}

/** A connector's status as shown: the last one reported, marked as such while offline. */
export function connectorStatusText(
  t: (key: string, options?: Record<string, unknown>) => string,
  c: ConnectorView,
): string {
  return c.online === false ? t("station.offlineLast", { status: c.status }) : c.status;
}
