import { describe, expect, it } from "vitest";
import { formatDate, formatDistanceM, formatNumber, formatPowerKw, formatSom } from "./format";

const NBSP = "\u00a0";
const norm = (s: string) => s.replace(/[\u00a0\u202f]/g, " ");

describe("locale formatting", () => {
  it("formats so'm per language, as whole numbers", () => {
    expect(norm(formatSom("ru", 1234567))).toBe("1 234 567 сум");
    expect(norm(formatSom("de", 1234567))).toBe("1.234.567 Sum");
    expect(norm(formatSom("en", 1234567.4))).toBe("1,234,567 so'm");
    expect(formatSom("uz", 2000)).toContain("so'm");
    expect(norm(formatSom("uz", 2000))).toMatch(/^2[\s\u00a0]?000 so'm$/);
  });

  it("uses the locale's decimal separator", () => {
    expect(formatNumber("de", 1.5, 1)).toBe("1,5");
    expect(formatNumber("en", 1.5, 1)).toBe("1.5");
    expect(formatPowerKw("ru", 22.5)).toBe(`22,5${NBSP}kW`);
  });

  it("formats dates in Tashkent time", () => {
    // 19:30 UTC is 00:30 the next day in Tashkent (UTC+5).
    expect(formatDate("en", "2026-03-01T19:30:00Z")).toContain("00:30");
    expect(formatDate("de", "2026-03-01T19:30:00Z")).toContain("02.03.2026");
    expect(formatDate("en", "not a date")).toBe("not a date");
  });

  it("switches from m to km", () => {
    expect(norm(formatDistanceM("en", 950))).toBe("950 m");
    expect(norm(formatDistanceM("de", 12345))).toBe("12,3 km");
  });
});
