import { describe, expect, it } from "vitest";
import { tashkentDay } from "./station";

describe("tashkentDay", () => {
  it("is the calendar day in Tashkent (UTC+5), not the UTC date", () => {
    expect(tashkentDay("2026-12-04T20:30:00Z")).toBe("2026-12-05");
    expect(tashkentDay("2026-12-04T18:59:59Z")).toBe("2026-12-04");
    expect(tashkentDay("2026-12-05T01:30:00+05:00")).toBe("2026-12-05");
    expect(tashkentDay(Date.UTC(2026, 11, 31, 19))).toBe("2027-01-01");
  });

  it("is null for what is not a date", () => {
    expect(tashkentDay("yesterday")).toBeNull();
  });
});
