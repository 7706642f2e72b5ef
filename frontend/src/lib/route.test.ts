import { describe, expect, it } from "vitest";
import {
  decodeRoute,
  defaultRouteParams,
  encodeRoute,
  hoursMinutes,
  joinHash,
  pickedPoint,
  type RouteResult,
  routeBounds,
  routeFeatures,
  routeRequest,
} from "./route";

describe("route share link", () => {
  it("round-trips names, picked points, vehicle, SoCs and battery", () => {
    const p = {
      ...defaultRouteParams(),
      from: { text: "Tashkent", lonLat: null },
      to: pickedPoint([66.95972, 39.65417]),
      vehicle: "byd_han_ev",
      startSoc: 50,
      minSoc: 15,
      batteryKwh: 12,
    };
    const hash = joinHash("v=6/40/67/0/0", encodeRoute(p));
    expect(hash).toContain("from=Tashkent&to=66.95972%2C39.65417&car=byd_han_ev");
    expect(decodeRoute(`#${hash}`)).toEqual(p);
  });

  it("holds no trip without both ends and ignores garbage", () => {
    expect(encodeRoute(defaultRouteParams())).toBe("");
    expect(decodeRoute("#from=Tashkent")).toBeNull();
    const p = decodeRoute("#from=A&to=B&car=%3Cx%3E&soc=500&min_soc=abc&kwh=-1");
    expect(p).toMatchObject({ vehicle: "byd_yuan_plus", startSoc: 100, minSoc: 10 });
    expect(p?.batteryKwh).toBeNull();
  });

  it("asks the API in fractions, by place or by coordinates", () => {
    const p = {
      ...defaultRouteParams(),
      from: { text: " Tashkent ", lonLat: null },
      to: pickedPoint([66.9, 39.6]),
    };
    expect(routeRequest(p)).toEqual({
      origin: { place: "Tashkent" },
      destination: { lon: 66.9, lat: 39.6 },
      vehicle: { preset: "byd_yuan_plus" },
      start_soc: 0.9,
      min_soc_stop: 0.1,
      min_soc_arrival: 0.1,
    });
  });
});

describe("route drawing", () => {
  it("draws the line, the ends, numbered stops and the sites; fits all", () => {
    const r = {
      feasible: false,
      vehicle_id: "x",
      origin: { name: "A", lon: 69, lat: 41 },
      destination: { name: "B", lon: 59, lat: 42 },
      summary: null,
      stops: [{ name: "S", lon: 66, lat: 40 }],
      geometry: {
        type: "LineString",
        coordinates: [
          [69, 41],
          [66, 40],
          [59, 42],
        ],
      },
      impossible: {
        reason: "",
        gap: { from_lon: 64, from_lat: 40, to_lon: 60, to_lat: 41.5 },
        sites: [{ id: "1", name: "P", kind: "planned", lon: 62, lat: 41 }],
        possible_with_all_sites: true,
      },
      notes: [],
    } as unknown as RouteResult;
    const fc = routeFeatures(r);
    expect(fc.features.map((f) => f.properties?.kind)).toEqual([
      "route",
      "gap",
      "end",
      "end",
      "stop",
      "planned",
    ]);
    expect(fc.features[4]?.properties?.label).toBe("1");
    expect(routeBounds(fc)).toEqual([59, 40, 69, 42]);
    expect(routeFeatures(null).features).toEqual([]);
  });

  it("splits minutes into hours and minutes", () => {
    expect(hoursMinutes(222.4)).toEqual({ h: 3, m: 42 });
    expect(hoursMinutes(-3)).toEqual({ h: 0, m: 0 });
  });
});
