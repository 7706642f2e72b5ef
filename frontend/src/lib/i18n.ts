/** i18next set-up: four languages, bundled; the choice is remembered in localStorage. */

import i18next, { type i18n as I18n } from "i18next";
import de from "../locales/de/translation.json";
import en from "../locales/en/translation.json";
import ru from "../locales/ru/translation.json";
import uz from "../locales/uz/translation.json";
import { isLanguage, type Language } from "./format";

export const RESOURCES = { uz, ru, en, de } as const;
export const LANGUAGE_NAMES: Record<Language, string> = {
  uz: "Oʻzbekcha",
  ru: "Русский",
  en: "English",
  de: "Deutsch",
};
const STORAGE_KEY = "quvvat.lang";

/** ?lang= beats the remembered choice, which beats the browser's language; default Uzbek. */
export function pickLanguage(
  param: string | null,
  stored: string | null,
  browser: readonly string[],
): Language {
  if (isLanguage(param)) return param;
  if (isLanguage(stored)) return stored;
  for (const b of browser) {
    const short = b.slice(0, 2).toLowerCase();
    if (isLanguage(short)) return short;
  }
  return "uz";
}

export function rememberLanguage(lang: Language): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Private mode: the choice just is not remembered.
  }
}

export function storedLanguage(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export async function initI18n(lang: Language): Promise<I18n> {
  const instance = i18next.createInstance();
  await instance.init({
    lng: lang,
    fallbackLng: false,
    resources: {
      uz: { translation: uz },
      ru: { translation: ru },
      en: { translation: en },
      de: { translation: de },
    },
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return instance;
}

/** Every key path of a nested translation object ("a.b.c"). */
export function keyPaths(obj: unknown, prefix = ""): string[] {
  if (!obj || typeof obj !== "object") return [prefix];
  return Object.entries(obj as Record<string, unknown>).flatMap(([k, v]) =>
    keyPaths(v, prefix ? `${prefix}.${k}` : k),
  );
}
