import type { ComponentChildren } from "preact";
import { render } from "preact";
import { useLanguage } from "./components/common";
import { I18nContext } from "./components/i18n";
import type { Language } from "./lib/format";
import { initI18n, pickLanguage, storedLanguage } from "./lib/i18n";
import "./styles.css";

export async function boot(app: () => ComponentChildren): Promise<void> {
  const param = new URLSearchParams(location.search).get("lang");
  const lang: Language = pickLanguage(param, storedLanguage(), navigator.languages ?? []);
  const instance = await initI18n(lang);
  function Root() {
    const value = useLanguage(instance, lang);
    return <I18nContext.Provider value={value}>{app()}</I18nContext.Provider>;
  }
  const el = document.getElementById("app");
  if (el) render(<Root />, el);
}
