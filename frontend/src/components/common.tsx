import type { i18n as I18n } from "i18next";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { apiFetch } from "../lib/api";
import type { Language } from "../lib/format";
import { LANGUAGES } from "../lib/format";
import { LANGUAGE_NAMES, rememberLanguage } from "../lib/i18n";
import type { LayerInfo } from "../lib/layers";
import { type LinkState, LiveLink, liveUrl } from "../lib/live";
import type { LayerId } from "../lib/state";
import type { StationStatus } from "../lib/status";
import { TILE_LAYER } from "../lib/style";
import type { RegionOption } from "./FiltersPanel";
import { type I18nValue, makeT, useI18n } from "./i18n";
import type { MapHandle } from "./MapView";

export interface WebConfig {
  online_basemap: boolean;
  attribution: string;
  flat_tariff_uzs_per_kwh: number | null;
}

export function useLanguage(instance: I18n, initial: Language): I18nValue {
  const [lang, setLangState] = useState<Language>(initial);
  const setLang = useCallback(
    (l: Language) => {
      instance
        .changeLanguage(l)
        .then(() => {
          rememberLanguage(l);
          document.documentElement.lang = l;
          setLangState(l);
        })
        .catch(() => setLangState(l));
    },
    [instance],
  );
  useEffect(() => {
    document.documentElement.lang = initial;
  }, [initial]);
  // `t` changes identity with the language so components re-render.
  const t = useCallback(makeT(instance), [instance, lang]);
  return { t, lang, setLang };
}

export function LanguageSelect() {
  const { t, lang, setLang } = useI18n();
  return (
    <select
      aria-label={t("lang.label")}
      title={t("lang.label")}
      data-testid="lang-select"
      value={lang}
      onChange={(e) => setLang(e.currentTarget.value as Language)}
    >
      {LANGUAGES.map((l) => (
        <option key={l} value={l}>
          {LANGUAGE_NAMES[l]}
        </option>
      ))}
    </select>
  );
}

export function LiveIndicator({ state }: { state: LinkState }) {
  const { t } = useI18n();
  const label =
    state === "up" ? t("live.up") : state === "down" ? t("live.down") : t("live.connecting");
  return (
    <span class={`live ${state}`} data-testid="live-indicator" data-state={state} title={label}>
      <span class="live-dot" />
      {label}
    </span>
  );
}

export interface Message {
  id: number;
  text: string;
}

export function useMessages() {
  const [messages, setMessages] = useState<Message[]>([]);
  const seq = useRef(0);
  const push = useCallback((text: string) => {
    setMessages((m) =>
      m.some((x) => x.text === text) ? m : [...m.slice(-3), { id: ++seq.current, text }],
    );
  }, []);
  const dismiss = useCallback((id: number) => setMessages((m) => m.filter((x) => x.id !== id)), []);
  return { messages, push, dismiss };
}

export function Messages({
  messages,
  dismiss,
}: {
  messages: Message[];
  dismiss: (id: number) => void;
}) {
  const { t } = useI18n();
  return (
    <div class="messages" role="status">
      {messages.map((m) => (
        <div class="message" key={m.id} data-testid="message">
          <span>{m.text}</span>
          <button
            type="button"
            class="close"
            aria-label={t("errors.dismiss")}
            onClick={() => dismiss(m.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

export function useLive(handle: MapHandle | null, region: string | null) {
  const [link, setLink] = useState<LinkState>("connecting");
  const [statuses, setStatuses] = useState<Record<number, StationStatus>>({});
  useEffect(() => {
    if (!handle) return;
    const live = new LiveLink(
      liveUrl(location.origin, region),
      (e) => {
        if (e.siteId !== null && e.stationStatus) {
          const { siteId, stationStatus } = e;
          handle.setLiveStatus(siteId, stationStatus);
          setStatuses((s) => ({ ...s, [siteId]: stationStatus }));
        }
      },
      setLink,
    );
    live.start();
    return () => live.stop();
  }, [handle, region]);
  return { link, statuses };
}

export function useConfig(onError: (m: string) => void) {
  const [config, setConfig] = useState<WebConfig | null>(null);
  const [regions, setRegions] = useState<RegionOption[]>([]);
  useEffect(() => {
    apiFetch<WebConfig>("/api/web/config")
      .then(setConfig)
      .catch((e: unknown) => onError(String(e)));
    apiFetch<RegionOption[]>("/api/web/regions")
      .then(setRegions)
      .catch((e: unknown) => onError(String(e)));
  }, [onError]);
  return { config, regions };
}

export function useLayerInfo(ids: readonly LayerId[], onError: (m: string) => void) {
  const [info, setInfo] = useState<Partial<Record<LayerId, LayerInfo>>>({});
  useEffect(() => {
    for (const id of ids) {
      const tile = TILE_LAYER[id];
      if (!tile) {
        setInfo((i) => ({ ...i, [id]: { name: id, bounds: null, count: 0, demo: false } }));
        continue;
      }
      apiFetch<{
        bounds: [number, number, number, number] | null;
        quvvat: { count: number; demo: boolean };
      }>(`/tiles/${tile}.json`)
        .then((j) =>
          setInfo((i) => ({
            ...i,
            [id]: { name: id, bounds: j.bounds, count: j.quvvat.count, demo: j.quvvat.demo },
          })),
        )
        .catch((e: unknown) => onError(`${id}: ${String(e)}`));
    }
  }, [ids, onError]);
  return info;
}
