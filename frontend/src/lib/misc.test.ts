import { describe, expect, it } from "vitest";
import { errorFromBody, jwtClaims, parseEventStream, tileRequest } from "./api";
import { toCsv } from "./csv";
import { offeredLayers, RESTRICTED_LAYERS, seesRestrictedLayers } from "./layers";
import { backoffMs, liveUrl, parseLiveEvent } from "./live";
import { haversineM, pathLengthM } from "./measure";
import { defaultState, LAYER_IDS } from "./state";
import {
  connectorState,
  connectorStatusText,
  energyPerDay,
  flattenConnectors,
  stationProps,
} from "./station";
import { connectorStatusToStation, hexToRgb, powerClass } from "./status";
import { buildStyle } from "./style";

describe("measure", () => {
  it("Tashkent to Samarkand is about 270 km", () => {
    const d = haversineM([69.2797, 41.3111], [66.9597, 39.6542]);
    expect(d).toBeGreaterThan(265_000);
    expect(d).toBeLessThan(275_000);
    expect(
      pathLengthM([
        [69, 41],
        [69, 41],
      ]),
    ).toBe(0);
    expect(
      pathLengthM([
        [69, 41],
        [70, 41],
        [70, 42],
      ]),
    ).toBeCloseTo(haversineM([69, 41], [70, 41]) + haversineM([70, 41], [70, 42]));
  });
});

describe("live events", () => {
  it("parses a status event", () => {
    const e = parseLiveEvent(
      JSON.stringify({
        type: "status",
        charge_point_id: "CP1",
        site_id: 42,
        region_iso: "UZ-TK",
        status: "Charging",
        station_status: "charging",
        at: "2026-01-01T00:00:00Z",
      }),
    );
    expect(e).toMatchObject({ siteId: 42, stationStatus: "charging", chargePointId: "CP1" });
  });

  it("drops what is not an event", () => {
    expect(parseLiveEvent("not json")).toBeNull();
    expect(parseLiveEvent("[1,2]")).toBeNull();
    expect(
      parseLiveEvent(JSON.stringify({ type: "x", station_status: "exploded" }))?.stationStatus,
    ).toBeNull();
  });

  it("builds the socket URL and backs off", () => {
    expect(liveUrl("https://q.uz", "UZ-TK")).toBe("wss://q.uz/ws/live?region=UZ-TK");
    expect(liveUrl("http://127.0.0.1:8000", null)).toBe("ws://127.0.0.1:8000/ws/live");
    expect([0, 1, 2, 10].map(backoffMs)).toEqual([1000, 2000, 4000, 30000]);
  });
});

describe("status and power", () => {
  it("maps OCPP connector statuses to station colours", () => {
    expect(connectorStatusToStation("SuspendedEV")).toBe("charging");
    expect(connectorStatusToStation("Faulted")).toBe("faulted");
    expect(connectorStatusToStation("Whatever")).toBe("unknown");
  });

  it("classes power", () => {
    expect([7, 50, 149, 150, 350].map(powerClass)).toEqual(["ac", "dc", "dc", "hpc", "ultra"]);
    expect(hexToRgb("#1a9850")).toEqual([26, 152, 80]);
  });
});

describe("style", () => {
  it("puts filters into the stations tile URL and hides switched-off layers", () => {
    const s = defaultState();
    s.filters.connector = "CCS2";
    s.layers.roads.visible = false;
    s.layers.stations.opacity = 0.5;
    s.year = 2027;
    const style = buildStyle(s, { origin: "http://x", lang: "ru", onlineBasemap: false });
    const src = style.sources.stations;
    expect(src && "tiles" in src ? src.tiles?.[0] : "").toBe(
      "http://x/tiles/stations/{z}/{x}/{y}.pbf?connector_type=CCS2",
    );
    const layer = (id: string) => style.layers.find((l) => l.id === id);
    expect(layer("roads-line")?.layout).toMatchObject({ visibility: "none" });
    expect(layer("stations-points")?.paint).toMatchObject({ "circle-opacity": 0.5 });
    expect((layer("planned-points") as { filter?: unknown } | undefined)?.filter).toEqual([
      "<=",
      ["get", "year"],
      2027,
    ]);
    expect(style.sources.osm).toBeUndefined();
    expect(JSON.stringify(style)).not.toContain("openstreetmap.org");
    const online = buildStyle(s, { origin: "http://x", lang: "ru", onlineBasemap: true });
    expect(online.sources.osm).toBeDefined();
  });

  it("the public embed has no operator layers", () => {
    const style = buildStyle(defaultState(), {
      origin: "http://x",
      lang: "en",
      onlineBasemap: false,
      publicOnly: true,
    });
    expect(Object.keys(style.sources).sort()).toEqual(["base", "measure", "planned", "stations"]);
  });

  it("has the restricted layers only when asked for, even when the state turns them on", () => {
    const s = defaultState();
    for (const id of RESTRICTED_LAYERS) s.layers[id].visible = true;
    const restrictedSources = ["candidates", "grid", "grid_lines", "parcels"];
    const restrictedLayers = [
      "candidates-points",
      "substations-points",
      "grid-lines",
      "parcels-fill",
      "parcels-line",
    ];
    const base = { origin: "http://x", lang: "en" as const, onlineBasemap: false };
    for (const style of [buildStyle(s, base), buildStyle(s, { ...base, restricted: false })]) {
      for (const src of restrictedSources) expect(style.sources[src]).toBeUndefined();
      const ids = style.layers.map((l) => l.id);
      for (const id of restrictedLayers) expect(ids).not.toContain(id);
      expect(style.sources.route).toBeDefined();
    }
    const staff = buildStyle(s, { ...base, restricted: true });
    for (const src of restrictedSources) expect(staff.sources[src]).toBeDefined();
    const ids = staff.layers.map((l) => l.id);
    for (const id of restrictedLayers) expect(ids).toContain(id);
    const embed = buildStyle(s, { ...base, restricted: true, publicOnly: true });
    expect(embed.sources.parcels).toBeUndefined();
  });
});

describe("restricted layers", () => {
  it("are offered to admins, technicians and partners only", () => {
    expect(RESTRICTED_LAYERS.slice().sort()).toEqual([
      "candidates",
      "grid_lines",
      "parcels",
      "substations",
    ]);
    for (const role of ["admin", "technician", "partner"]) {
      expect(seesRestrictedLayers(role)).toBe(true);
    }
    for (const role of [null, "client", "driver", ""])
      expect(seesRestrictedLayers(role)).toBe(false);
    expect(offeredLayers(true)).toEqual(LAYER_IDS);
    const open = offeredLayers(false);
    expect(open).toContain("stations");
    expect(open).toContain("h3");
    for (const id of RESTRICTED_LAYERS) expect(open).not.toContain(id);
    expect(offeredLayers(false)).toBe(open); // the same array: no hook re-runs
  });
});

describe("tile requests", () => {
  const claims = (c: object) =>
    `h.${btoa(JSON.stringify(c)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_")}.s`;
  const token = claims({ sub: "1", role: "technician", exp: 2_000_000_000 });
  const origin = "http://app.test:8000";

  it("carry the bearer token to the app's own /tiles/ only", () => {
    const url = `${origin}/tiles/substations/8/180/96.pbf`;
    expect(tileRequest(url, origin, token)).toEqual({
      url,
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(tileRequest(`${origin}/tiles/stations/1/1/1.pbf?q=a`, origin, token)).toBeDefined();
    expect(tileRequest(url, origin, null)).toBeUndefined();
    for (const other of [
      "https://tile.openstreetmap.org/8/180/96.png",
      "http://app.test:8001/tiles/parcels/1/1/1.pbf",
      "http://app.test:8000.evil.test/tiles/parcels/1/1/1.pbf",
      "https://app.test:8000/tiles/parcels/1/1/1.pbf",
      `${origin}/api/layers/parcels`,
      `${origin}/tilesx/parcels/1/1/1.pbf`,
      "not a url :",
    ]) {
      expect(tileRequest(other, origin, token)).toBeUndefined();
    }
  });

  it("leave out an expired token", () => {
    const old = claims({ sub: "1", role: "admin", exp: 1_000 });
    expect(tileRequest(`${origin}/tiles/parcels/1/1/1.pbf`, origin, old)).toBeUndefined();
  });
});

describe("station details", () => {
  const body = {
    id: 7,
    name: "A",
    charge_points: [
      {
        id: "CP7",
        connected: false,
        evses: [
          {
            evse_id: 1,
            connectors: [
              { connector_id: 1, type: "CCS2", status: "Charging", max_power_kw: "120.00" },
            ],
          },
          {
            evse_id: 2,
            connectors: [{ connector_id: 1, type: "TYPE2", status: "Available", max_power_kw: 22 }],
          },
        ],
      },
    ],
  };

  it("flattens charge points, EVSEs and connectors", () => {
    expect(flattenConnectors(stationProps(body))).toEqual([
      {
        chargePointId: "CP7",
        evseId: 1,
        connectorId: 1,
        type: "CCS2",
        status: "Charging",
        maxPowerKw: 120,
        online: false,
      },
      {
        chargePointId: "CP7",
        evseId: 2,
        connectorId: 1,
        type: "TYPE2",
        status: "Available",
        maxPowerKw: 22,
        online: false,
      },
    ]);
    expect(stationProps({ type: "Feature", id: 3, properties: { name: "B" } })).toEqual({
      id: 3,
      name: "B",
    });
  });

  it("shows an offline charge point's connectors as offline, with their last status", () => {
    const [c] = flattenConnectors(stationProps(body));
    if (!c) throw new Error("no connector");
    const t = (key: string, o?: Record<string, unknown>) => `${key}:${String(o?.status)}`;
    expect(connectorState(c)).toBe("offline");
    expect(connectorStatusText(t, c)).toBe("station.offlineLast:Charging");
    expect(connectorState({ ...c, online: true })).toBe("charging");
    expect(connectorStatusText(t, { ...c, online: null })).toBe("Charging");
  });

  it("sums energy per Tashkent day", () => {
    const now = new Date("2026-03-10T12:00:00Z");
    const days = energyPerDay(
      [
        { started_at: "2026-03-10T01:00:00Z", energy_wh: 1000 },
        { started_at: "2026-03-09T20:00:00Z", energy_wh: 500 }, // 01:00 on the 10th in Tashkent
        { started_at: "2026-03-09T10:00:00Z", energy_wh: 250 },
        { started_at: "2026-01-01T10:00:00Z", energy_wh: 999 },
      ],
      3,
      now,
    );
    expect(days).toEqual([
      { day: "2026-03-08", energyWh: 0 },
      { day: "2026-03-09", energyWh: 250 },
      { day: "2026-03-10", energyWh: 1500 },
    ]);
  });
});

describe("api helpers", () => {
  it("reads the API error body", () => {
    const e = errorFromBody(404, { detail: "station 9 not found", code: "station_not_found" });
    expect([e.status, e.detail, e.code]).toEqual([404, "station 9 not found", "station_not_found"]);
    expect(errorFromBody(500, null).code).toBe("http_error");
  });

  it("reads JWT claims", () => {
    const payload = btoa(JSON.stringify({ sub: "u1", role: "technician" })).replace(/=+$/, "");
    expect(jwtClaims(`h.${payload}.s`)).toEqual({ sub: "u1", role: "technician" });
    expect(jwtClaims("garbage")).toBeNull();
  });

  it("quotes CSV cells", () => {
    expect(
      toCsv(
        ["a", "b"],
        [
          [1, 'say "hi", ok'],
          [null, "x"],
        ],
      ),
    ).toBe('a,b\r\n1,"say ""hi"", ok"\r\n,x');
  });
});

describe("server-sent event stream", () => {
  it("splits complete events and keeps the unfinished rest", () => {
    const { events, rest } = parseEventStream(
      ': keep-alive\n\nevent: progress\ndata: {"a":1}\n\nevent: progress\r\ndata: {"a"',
    );
    expect(events).toEqual([{ event: "progress", data: '{"a":1}' }]);
    expect(rest).toBe('event: progress\ndata: {"a"');
    const next = parseEventStream(`${rest}:2}\n\n`);
    expect(next.events).toEqual([{ event: "progress", data: '{"a":2}' }]);
    expect(next.rest).toBe("");
  });

  it("joins multi-line data and names unnamed events 'message'", () => {
    const { events } = parseEventStream("data: one\ndata:two\nid: 7\n\n");
    expect(events).toEqual([{ event: "message", data: "one\ntwo" }]);
  });
});
