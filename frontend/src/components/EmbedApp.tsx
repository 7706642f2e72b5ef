import { useCallback, useEffect, useState } from "preact/hooks";
import type { EmbedParams } from "../lib/state";
import { type AppState, defaultState } from "../lib/state";
import { LanguageSelect, LiveIndicator, Messages, useConfig, useLive, useMessages } from "./common";
import { useI18n } from "./i18n";
import { LayersPanel } from "./LayersPanel";
import { type MapHandle, MapView, type SelectedFeature } from "./MapView";

const PUBLIC_LAYERS = ["stations", "planned"] as const;

/** The public, read-only map for iframes: no login, live status, light. */
export function EmbedApp({ params }: { params: EmbedParams }) {
  const { t, lang } = useI18n();
  const [state, setState] = useState<AppState>(() => {
    const s = defaultState();
    s.filters.region = params.region;
    return s;
  });
  const { messages, push, dismiss } = useMessages();
  const { config, regions } = useConfig(push);
  const [handle, setHandle] = useState<MapHandle | null>(null);
  const { link, statuses } = useLive(handle, params.region);
  const [selected, setSelected] = useState<SelectedFeature | null>(null);
  const [legend, setLegend] = useState(false);

  useEffect(() => {
    if (params.errors.length) push(t("errors.badParams", { params: params.errors.join(", ") }));
  }, [params, push, t]);

  // Fit to ?bbox=, else to ?region='s extent.
  useEffect(() => {
    if (!handle) return;
    if (params.bbox) handle.fitBounds(params.bbox);
    else if (params.region) {
      const r = regions.find((x) => x.iso_code === params.region);
      if (r?.bbox) handle.fitBounds(r.bbox);
    }
  }, [handle, regions, params]);

  const onError = useCallback((m: string) => push(t("errors.tiles", { detail: m })), [push, t]);
  const status = selected && typeof selected.id === "number" ? statuses[selected.id] : undefined;
  const shownStatus = status ?? String(selected?.properties.status ?? "unknown");

  return (
    <div class="embed">
      {config && (
        <MapView
          state={state}
          lang={lang}
          onlineBasemap={config.online_basemap}
          attribution={config.attribution}
          publicOnly
          onView={(v) => setState((s) => ({ ...s, view: v }))}
          onSelect={setSelected}
          onError={onError}
          onReady={setHandle}
        />
      )}
      <div class="embed-bar">
        <strong>{t("app.title")}</strong>
        <LiveIndicator state={link} />
        <LanguageSelect />
        <button type="button" data-testid="legend-toggle" onClick={() => setLegend(!legend)}>
          {t("layers.title")}
        </button>
      </div>
      {legend && (
        <div class="embed-legend">
          <LayersPanel
            layers={state.layers}
            info={{}}
            ids={PUBLIC_LAYERS}
            onChange={(id, setting) =>
              setState((s) => ({ ...s, layers: { ...s.layers, [id]: setting } }))
            }
            onZoomTo={() => undefined}
          />
        </div>
      )}
      {selected && (
        <div class="embed-popup" data-testid="station-panel">
          <button
            type="button"
            class="close"
            aria-label={t("station.close")}
            onClick={() => setSelected(null)}
          >
            ×
          </button>
          <strong data-testid="station-name">{String(selected.properties.name ?? "")}</strong>
          <div data-testid="station-status">{t(`legend.status.${shownStatus}`)}</div>
          {selected.properties.source === "demo" && (
            <div class="badge demo">{t("station.demo")}</div>
          )}
        </div>
      )}
      <div class="attribution" data-testid="attribution">
        {config?.attribution} ·{" "}
        <a href="/" target="_blank" rel="noreferrer">
          {t("app.openFull")}
        </a>
      </div>
      <Messages messages={messages} dismiss={dismiss} />
    </div>
  );
}
