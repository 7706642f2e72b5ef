import type { LayerInfo, LegendItem } from "../lib/layers";
import { legendFor } from "../lib/layers";
import { LAYER_IDS, type LayerId, type LayerSetting } from "../lib/state";
import { useI18n } from "./i18n";

interface Props {
  layers: Record<LayerId, LayerSetting>;
  info: Partial<Record<LayerId, LayerInfo>>;
  ids?: readonly LayerId[];
  onChange: (id: LayerId, setting: LayerSetting) => void;
  onZoomTo: (id: LayerId) => void;
}

function Legend({ items }: { items: LegendItem[] }) {
  const { t } = useI18n();
  return (
    <ul class="legend">
      {items.map((it) =>
        it.kind === "ramp" ? (
          <li key={it.low}>
            <span class="ramp-label">{t(it.low)}</span>
            <span
              class="ramp"
              style={{ background: `linear-gradient(90deg, ${it.colors.join(",")})` }}
            />
            <span class="ramp-label">{t(it.high)}</span>
          </li>
        ) : (
          <li key={it.label}>
            <span
              class={`swatch ${it.shape}`}
              style={{
                background: it.shape === "line" ? "transparent" : it.color,
                borderColor: it.color,
                width: it.size ? `${it.size}px` : undefined,
                height: it.size ? `${it.size}px` : undefined,
              }}
            />
            {t(it.label)}
          </li>
        ),
      )}
    </ul>
  );
}

export function LayersPanel({ layers, info, ids = LAYER_IDS, onChange, onZoomTo }: Props) {
  const { t } = useI18n();
  return (
    <section class="panel" data-testid="layers-panel">
      <h2>{t("layers.title")}</h2>
      {ids.map((id) => {
        const s = layers[id];
        const meta = info[id];
        return (
          <div class="layer" key={id} data-testid={`layer-${id}`}>
            <label class="layer-head">
              <input
                type="checkbox"
                checked={s.visible}
                data-testid={`layer-toggle-${id}`}
                onChange={(e) => onChange(id, { ...s, visible: e.currentTarget.checked })}
              />
              <span>{t(`layers.name.${id}`)}</span>
              {meta?.demo && (
                <span class="badge demo" data-testid={`layer-demo-${id}`}>
                  {t("layers.demo")}
                </span>
              )}
              {meta && meta.count === 0 && (
                <span class="badge muted">
                  {id === "h3" || id === "candidates" ? t("layers.pending") : t("layers.noData")}
                </span>
              )}
            </label>
            {s.visible && (
              <div class="layer-body">
                <label class="opacity">
                  {t("layers.opacity")}
                  <input
                    type="range"
                    min={0}
                    max={100}
                    value={Math.round(s.opacity * 100)}
                    data-testid={`layer-opacity-${id}`}
                    onInput={(e) =>
                      onChange(id, { ...s, opacity: Number(e.currentTarget.value) / 100 })
                    }
                  />
                </label>
                <button
                  type="button"
                  class="link"
                  disabled={!meta?.bounds}
                  data-testid={`layer-zoom-${id}`}
                  onClick={() => onZoomTo(id)}
                >
                  {t("layers.zoomTo")}
                </button>
                <Legend items={legendFor(id)} />
              </div>
            )}
          </div>
        );
      })}
    </section>
  );
}
