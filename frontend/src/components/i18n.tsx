import type { i18n as I18n } from "i18next";
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Language } from "../lib/format";

export interface I18nValue {
  t: (key: string, options?: Record<string, unknown>) => string;
  lang: Language;
  setLang: (lang: Language) => void;
}

export const I18nContext = createContext<I18nValue>({
  t: (key) => key,
  lang: "uz",
  setLang: () => undefined,
});

export function useI18n(): I18nValue {
  return useContext(I18nContext);
}

export function makeT(instance: I18n): I18nValue["t"] {
  return (key, options) => String(instance.t(key, options));
}
