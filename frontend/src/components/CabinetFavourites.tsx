import { useState } from "preact/hooks";
import { apiFetch } from "../lib/api";
import { type Favourite, meFetch } from "../lib/cabinet";
import { ENDPOINTS } from "../lib/endpoints";
import type { CabinetProps } from "./CabinetApp";
import { useMeFetched } from "./CabinetCommon";
import { useI18n } from "./i18n";

interface Hit {
  id: number;
  name: string;
  city: string;
}

/** Favourite stations: charge at one, remove one, find a station to add. */
export function CabinetFavourites({
  onError,
  onCharge,
}: CabinetProps & { onCharge: (siteId: number) => void }) {
  const { t } = useI18n();
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<Hit[] | null>(null);

  const [rows, load] = useMeFetched<Favourite[]>(ENDPOINTS.myFavourites, onError);

  const remove = (id: number) =>
    meFetch(ENDPOINTS.myFavourite(id), { method: "DELETE" }).then(load).catch(onError);
  const add = (id: number) =>
    meFetch(ENDPOINTS.myFavourite(id), { method: "PUT" })
      .then(() => {
        setHits(null);
        setQuery("");
        load();
      })
      .catch(onError);

  const search = (e: Event) => {
    e.preventDefault();
    const q = query.trim();
    if (!q) return;
    apiFetch<{ features: { id?: unknown; properties: Record<string, unknown> }[] }>(
      ENDPOINTS.stationsSearch(q),
      { anonymous: true },
    )
      .then((fc) =>
        setHits(
          fc.features.map((f) => ({
            id: Number(f.properties.id ?? f.id),
            name: String(f.properties.name ?? ""),
            city: String(f.properties.city ?? ""),
          })),
        ),
      )
      .catch(onError);
  };

  return (
    <div class="cabinet-favourites">
      <section class="cabinet-card">
        <h2>{t("cabinet.favourites.title")}</h2>
        {rows && rows.length === 0 && (
          <p class="muted" data-testid="favourites-empty">
            {t("cabinet.favourites.empty")}
          </p>
        )}
        <ul class="cabinet-list">
          {(rows ?? []).map((f) => (
            <li key={f.id} class="favourite-row" data-testid="favourite-row" data-site-id={f.id}>
              <div>
                <strong>{f.name}</strong>
                <div class="muted small">{[f.address, f.city].filter(Boolean).join(", ")}</div>
              </div>
              <div class="row">
                <button
                  type="button"
                  class="primary"
                  data-testid="favourite-charge"
                  onClick={() => onCharge(f.id)}
                >
                  {t("cabinet.favourites.charge")}
                </button>
                <button
                  type="button"
                  class="link danger"
                  data-testid="favourite-remove"
                  onClick={() => void remove(f.id)}
                >
                  {t("cabinet.favourites.remove")}
                </button>
              </div>
            </li>
          ))}
        </ul>
      </section>
      <form class="cabinet-card" onSubmit={search}>
        <h2>{t("cabinet.favourites.addTitle")}</h2>
        <div class="row">
          <input
            data-testid="favourite-search"
            type="search"
            placeholder={t("search.placeholder")}
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
          <button type="submit">{t("cabinet.favourites.find")}</button>
        </div>
        {hits && hits.length === 0 && <p class="muted">{t("search.noResults")}</p>}
        <ul class="cabinet-list">
          {(hits ?? []).map((h) => (
            <li key={h.id} class="favourite-row">
              <span>
                {h.name} <span class="muted">{h.city}</span>
              </span>
              <button
                type="button"
                data-testid="favourite-add"
                disabled={(rows ?? []).some((r) => r.id === h.id)}
                onClick={() => void add(h.id)}
              >
                {t("cabinet.favourites.add")}
              </button>
            </li>
          ))}
        </ul>
      </form>
    </div>
  );
}
