import { describe, expect, it } from "vitest";
import {
  decodeState,
  defaultState,
  encodeState,
  filterQuery,
  parseEmbedParams,
  YEAR_MIN,
} from "./state";

describe("shareable state", () => {
  it("round-trips view, layers, opacity, filters, year and 3D", () => {
    const s = defaultState();
    s.view = { lon: 69.25, lat: 41.31, zoom: 10.5, bearing: 20, pitch: 30 };
    s.layers.parcels = { visible: true, opacity: 0.4 };
    s.layers.roads = { visible: false, opacity: 1 };
    s.filters = {
      status: ["available", "faulted"],
      connector: "CCS2",
      minPowerKw: 50,
      operator: "Tok",
      region: "UZ-TK",
      q: "Chilonzor",
    };
    s.year = 2028;
    s.mode3d = true;
    expect(decodeState(encodeState(s))).toEqual(s);
  });

  it("ignores garbage instead of breaking", () => {
    const s = decodeState(
      "#v=a/b/c&l=nope,stations:abc&status=open,available&connector=USB&region=X&year=1999&min_kw=-3",
    );
    expect(s.view).toEqual(defaultState().view);
    expect(s.layers.stations.visible).toBe(true);
    expect(s.layers.stations.opacity).toBe(1);
    expect(s.layers.roads.visible).toBe(false);
    expect(s.filters.status).toEqual(["available"]);
    expect(s.filters.connector).toBeNull();
    expect(s.filters.region).toBeNull();
    expect(s.filters.minPowerKw).toBeNull();
    expect(s.year).toBe(YEAR_MIN);
  });

  it("builds the API filter query", () => {
    const f = {
      ...defaultState().filters,
      status: ["charging" as const],
      minPowerKw: 100,
      q: " a b ",
    };
    expect(filterQuery(f)).toBe("status=charging&min_power_kw=100&q=a+b");
    expect(filterQuery(defaultState().filters)).toBe("");
  });
});

describe("embed parameters", () => {
  it("accepts a region and a bbox", () => {
    expect(parseEmbedParams("?lang=ru&region=UZ-SA&bbox=66.5,39.4,67.3,40")).toEqual({
      lang: "ru",
      region: "UZ-SA",
      bbox: [66.5, 39.4, 67.3, 40],
      errors: [],
    });
  });

  it("reports what it cannot use", () => {
    const p = parseEmbedParams("?region=Samarkand&bbox=67,40,66,39");
    expect(p.region).toBeNull();
    expect(p.bbox).toBeNull();
    expect(p.errors).toEqual(["region=Samarkand", "bbox=67,40,66,39"]);
  });
});
