/** Locale-aware formatting of numbers, money (so'm), power, energy and dates (pure). */

export const LANGUAGES = ["uz", "ru", "en", "de"] as const;
export type Language = (typeof LANGUAGES)[number];

const LOCALES: Record<Language, string> = {
  uz: "uz-Latn-UZ",
  ru: "ru-RU",
  en: "en-GB",
  de: "de-DE",
};

const SOM: Record<Language, string> = { uz: "so'm", ru: "сум", en: "so'm", de: "Sum" };

export function isLanguage(value: unknown): value is Language {
  return typeof value === "string" && (LANGUAGES as readonly string[]).includes(value);
}

export function localeOf(lang: Language): string {
  return LOCALES[lang];
}

export function formatNumber(lang: Language, value: number, maxFractionDigits = 0): string {
  return new Intl.NumberFormat(LOCALES[lang], {
    maximumFractionDigits: maxFractionDigits,
  }).format(value);
}

/** Whole so'm (money is an integer in the API): "12 500 so'm", "12 500 сум", "12.500 Sum". */
export function formatSom(lang: Language, amountUzs: number): string {
  return `${formatNumber(lang, Math.round(amountUzs))}\u00a0${SOM[lang]}`;
}

export function formatPowerKw(lang: Language, kw: number): string {
  return `${formatNumber(lang, kw, 1)}\u00a0kW`;
}

export function formatEnergyWh(lang: Language, wh: number): string {
  return `${formatNumber(lang, wh / 1000, 1)}\u00a0kWh`;
}

export function formatDate(lang: Language, iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(LOCALES[lang], {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: "Asia/Tashkent",
  }).format(d);
}

export function formatDay(lang: Language, iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(LOCALES[lang], {
    day: "2-digit",
    month: "short",
    timeZone: "Asia/Tashkent",
  }).format(d);
}

export function formatDistanceM(lang: Language, metres: number): string {
  if (metres < 1000) return `${formatNumber(lang, metres)}\u00a0m`;
  return `${formatNumber(lang, metres / 1000, metres < 10000 ? 2 : 1)}\u00a0km`;
}
