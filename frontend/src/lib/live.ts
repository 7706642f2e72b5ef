/** The live status link over `/ws/live`: parse events, reconnect with backoff. */

import { isStationStatus, type StationStatus } from "./status";

export interface LiveEvent {
  type: string;
  chargePointId: string | null;
  siteId: number | null;
  regionIso: string | null;
  /** The EVSE and connector a status event is about (as stored: a 1.6 connectorId
   * is already mapped); `null` when the event is about the whole charge point. */
  evseId: number | null;
  connectorId: number | null;
  status: string | null;
  stationStatus: StationStatus | null;
  at: string | null;
}

function intOrNull(v: unknown): number | null {
  return typeof v === "number" && Number.isInteger(v) ? v : null;
}

/** Turn one WebSocket message into an event; `null` for anything that is not one. */
export function parseLiveEvent(raw: string): LiveEvent | null {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!data || typeof data !== "object") return null;
  const d = data as Record<string, unknown>;
  if (typeof d.type !== "string") return null;
  const site = typeof d.site_id === "number" ? d.site_id : Number(d.site_id);
  return {
    type: d.type,
    chargePointId: typeof d.charge_point_id === "string" ? d.charge_point_id : null,
    siteId: Number.isInteger(site) ? site : null,
    regionIso: typeof d.region_iso === "string" ? d.region_iso : null,
    evseId: intOrNull(d.evse_id),
    connectorId: intOrNull(d.connector_id),
    status: typeof d.status === "string" ? d.status : null,
    stationStatus: isStationStatus(d.station_status) ? d.station_status : null,
    at: typeof d.at === "string" ? d.at : null,
  };
}

export function liveUrl(origin: string, region: string | null): string {
  const u = new URL("/ws/live", origin);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  if (region) u.searchParams.set("region", region);
  return u.toString();
}

/** Backoff in ms for reconnect attempt n (1 s, 2 s, 4 s, ... capped at 30 s). */
export function backoffMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
}

export type LinkState = "connecting" | "up" | "down";

/** What else in the page follows the live link (an open station panel): every
 * event, and `resync` after a reconnect (events sent while down are lost). */
export interface LiveListener {
  event?: (e: LiveEvent) => void;
  resync?: () => void;
}

const listeners = new Set<LiveListener>();

/** Follow the page's live link; returns the function that stops following. */
export function subscribeLive(listener: LiveListener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

function announce(call: (l: LiveListener) => void): void {
  for (const l of [...listeners]) {
    try {
      call(l);
    } catch (err) {
      console.error(err);
    }
  }
}

export class LiveLink {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private wasUp = false;

  constructor(
    private readonly url: string,
    private readonly onEvent: (e: LiveEvent) => void,
    private readonly onState: (s: LinkState) => void,
  ) {}

  start(): void {
    this.closed = false;
    this.open();
  }

  stop(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close();
    this.ws = null;
  }

  private open(): void {
    this.onState("connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.onState("up");
      if (this.wasUp) announce((l) => l.resync?.());
      this.wasUp = true;
    };
    ws.onmessage = (m) => {
      if (typeof m.data !== "string") return;
      const e = parseLiveEvent(m.data);
      if (!e) return;
      this.onEvent(e);
      announce((l) => l.event?.(e));
    };
    ws.onclose = () => {
      this.onState("down");
      if (this.closed) return;
      this.timer = setTimeout(() => this.open(), backoffMs(this.attempt++));
    };
  }
}
