import { describe, expect, it } from "vitest";
import {
  breakdownRows,
  cellColor,
  decodeScenario,
  drawingBounds,
  emptyCollection,
  encodeScenario,
  reasonsOf,
} from "./scenario";

describe("scenario selection in the link", () => {
  it("round-trips id and metric, omitting the defaults", () => {
    expect(encodeScenario({ id: null, metric: "distance" })).toBe("");
    expect(encodeScenario({ id: 7, metric: "demand" })).toBe("scn=7");
    const hash = encodeScenario({ id: 7, metric: "distance" });
    expect(hash).toBe("scn=7&scn_by=distance");
    expect(decodeScenario(`#v=6/40/67/0/0&${hash}`)).toEqual({ id: 7, metric: "distance" });
  });

  it("ignores invalid values", () => {
    expect(decodeScenario("#scn=abc&scn_by=x")).toEqual({ id: null, metric: "demand" });
    expect(decodeScenario("#scn=-3")).toEqual({ id: null, metric: "demand" });
    expect(decodeScenario("")).toEqual({ id: null, metric: "demand" });
  });
});

describe("scenario results", () => {
  it("reads a breakdown and reasons stored as JSON text", () => {
    expect(breakdownRows('{"demand": 0.5, "grid": 1, "substation_spare_kw": null}')).toEqual([
      ["demand", 0.5],
      ["grid", 1],
    ]);
    expect(breakdownRows("not json")).toEqual([]);
    expect(reasonsOf('["no spare capacity"]')).toEqual(["no spare capacity"]);
    expect(reasonsOf(null)).toEqual([]);
  });

  it("colours distance cells without a charger grey", () => {
    expect(cellColor("demand")[0]).toBe("interpolate");
    expect(cellColor("distance")[0]).toBe("case");
  });

  it("bounds every layer's coordinates", () => {
    const d = {
      cells: {
        type: "FeatureCollection" as const,
        features: [
          {
            type: "Feature" as const,
            properties: {},
            geometry: {
              type: "Polygon" as const,
              coordinates: [
                [
                  [69, 41],
                  [69.5, 41],
                  [69.5, 41.5],
                  [69, 41],
                ],
              ],
            },
          },
        ],
      },
      candidates: {
        type: "FeatureCollection" as const,
        features: [
          {
            type: "Feature" as const,
            properties: {},
            geometry: { type: "Point" as const, coordinates: [70, 40.5] },
          },
        ],
      },
      corridors: emptyCollection(),
    };
    expect(drawingBounds(d)).toEqual([69, 40.5, 70, 41.5]);
    expect(
      drawingBounds({
        cells: emptyCollection(),
        candidates: emptyCollection(),
        corridors: emptyCollection(),
      }),
    ).toBeNull();
  });
});
