import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, apiFetch, getToken, jwtClaims, setToken } from "../lib/api";
import { ENDPOINTS } from "../lib/endpoints";
import { formatDistanceM, formatNumber } from "../lib/format";
import { offeredLayers, seesRestrictedLayers } from "../lib/layers";
import type { LonLat } from "../lib/measure";
import { pathLengthM } from "../lib/measure";
import {
  decodeRoute,
  defaultRouteParams,
  encodeRoute,
  joinHash,
  pickedPoint,
  type RouteParams,
  type RouteResult,
  routeBounds,
  routeFeatures,
} from "../lib/route";
import {
  decodeScenario,
  drawingBounds,
  emptyCollection,
  encodeScenario,
  type ScenarioDrawing,
  type ScenarioSelection,
} from "../lib/scenario";
import {
  type AppState,
  decodeState,
  encodeState,
  type Filters,
  HOME_VIEW,
  type LayerId,
  YEAR_MAX,
  YEAR_MIN,
} from "../lib/state";

import {
  LanguageSelect,
  LiveIndicator,
  Messages,
  useConfig,
  useLayerInfo,
  useLive,
  useMessages,
} from "./common";
import { EmbedDialog, LoginDialog } from "./Dialogs";
import { FiltersPanel } from "./FiltersPanel";
import { useI18n } from "./i18n";
import { LayersPanel } from "./LayersPanel";
import { type MapHandle, MapView, type SelectedFeature } from "./MapView";
import { type RouteEnd, RoutePanel } from "./RoutePanel";
import { ScenarioPanel } from "./ScenarioPanel";
import { SessionsView } from "./SessionsView";
import { StationPanel } from "./StationPanel";

interface SearchHit {
  id: number;
  name: string;
  city: string;
  lonLat: LonLat;
  properties: Record<string, unknown>;
}

type Role = "admin" | "technician" | "client" | "partner";

function roleOf(token: string | null): Role | null {
  if (!token) return null;
  const c = jwtClaims(token);
  const r = c?.role;
  return r === "admin" || r === "technician" || r === "client" || r === "partner" ? r : null;
}

/** Milliseconds until the token expires (its `exp` claim); null when it has none. */
function msToExpiry(token: string): number | null {
  const exp = jwtClaims(token)?.exp;
  return typeof exp === "number" ? exp * 1000 - Date.now() : null;
}

/** The stored token unless it has expired (the API refuses every request that
 * carries an expired token, even on public routes: drop it and be signed out). */
function storedToken(): string | null {
  const tok = getToken();
  if (tok && (msToExpiry(tok) ?? 1) <= 0) {
    setToken(null);
    return null;
  }
  return tok;
}

export function App() {
  const { t, lang } = useI18n();
  const [state, setState] = useState<AppState>(() => decodeState(location.hash));
  const { messages, push, dismiss } = useMessages();
  const { config, regions } = useConfig(push);
  const [handle, setHandle] = useState<MapHandle | null>(null);
  const { link, statuses } = useLive(handle, null);
  const handleRef = useRef(handle);
  handleRef.current = handle;
  const [selected, setSelected] = useState<SelectedFeature | null>(null);
  const [sharedRoute] = useState(() => decodeRoute(location.hash));
  const [scenarioSel, setScenarioSel] = useState<ScenarioSelection>(() =>
    decodeScenario(location.hash),
  );
  const [tab, setTab] = useState<"layers" | "filters" | "route" | "scenarios">(
    sharedRoute ? "route" : scenarioSel.id !== null ? "scenarios" : "layers",
  );
  const [scenarioDrawing, setScenarioDrawing] = useState<ScenarioDrawing | null>(null);
  const [scenarioLoading, setScenarioLoading] = useState(false);
  const [scenarioCandidate, setScenarioCandidate] = useState<Record<string, unknown> | null>(null);
  const scenarioSeq = useRef(0);
  // Bumped when a run of the selected scenario ends: its layers are fetched again.
  const [scenarioVersion, setScenarioVersion] = useState(0);
  // A shared link keeps its own view: the first drawing does not move the map.
  const sharedScenario = useRef(scenarioSel.id !== null);
  const scenarioMap = useMemo(
    () => (scenarioDrawing ? { drawing: scenarioDrawing, metric: scenarioSel.metric } : undefined),
    [scenarioDrawing, scenarioSel.metric],
  );
  const [routeParams, setRouteParams] = useState<RouteParams>(
    () => sharedRoute ?? defaultRouteParams(),
  );
  const [routeResult, setRouteResult] = useState<RouteResult | null>(null);
  const [routePicking, setRoutePicking] = useState<RouteEnd | null>(null);
  // A shared link's trip is planned once, when the panel first shows.
  const [routeShared, setRouteShared] = useState(sharedRoute !== null);
  const routeDrawing = useMemo(() => routeFeatures(routeResult), [routeResult]);
  const [measuring, setMeasuring] = useState(false);
  const [measurePoints, setMeasurePoints] = useState<LonLat[]>([]);
  // A double-click ends the line: the distance stays shown, clicks add no points.
  const [measureDone, setMeasureDone] = useState(false);
  const [dialog, setDialog] = useState<"embed" | "login" | "sessions" | null>(null);
  const [token, setTok] = useState<string | null>(storedToken);
  const role = roleOf(token);
  // Parcels, substations, grid lines and candidate sites are for admins, technicians
  // and partners: anyone else is not offered them and the map does not ask for their
  // tiles (a shared link's hash keeps them on, for when such a user signs in).
  const restricted = seesRestrictedLayers(role);
  const layerIds = offeredLayers(restricted);
  const info = useLayerInfo(layerIds, push);
  // Who is signed in (name, e-mail or phone from /api/me).
  const [who, setWho] = useState<string | null>(null);
  const signOut = useCallback(() => {
    setToken(null);
    setTok(null);
    setWho(null);
  }, []);

  // A token that expires or that the API no longer accepts signs the user out.
  useEffect(() => {
    if (!token) return;
    let live = true;
    apiFetch<{ email?: string | null; phone?: string | null; full_name?: string | null }>(
      ENDPOINTS.me,
    )
      .then((me) => {
        if (live) setWho(me.full_name || me.email || me.phone || null);
      })
      .catch((e: unknown) => {
        if (live && e instanceof ApiError && e.status === 401) signOut();
      });
    const left = msToExpiry(token);
    const timer =
      left === null ? undefined : setTimeout(signOut, Math.min(Math.max(left, 0), 2 ** 31 - 1));
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [token, signOut]);
  const [query, setQuery] = useState(state.filters.q);
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const searchSeq = useRef(0);

  // The shareable link follows the state (and the route panel's trip).
  useEffect(() => {
    const hash = joinHash(
      encodeState(state),
      encodeRoute(routeParams),
      encodeScenario(scenarioSel),
    );
    history.replaceState(null, "", `${location.pathname}${location.search}#${hash}`);
  }, [state, routeParams, scenarioSel]);

  // The selected scenario's result layers (a shared link loads them too).
  useEffect(() => {
    const id = scenarioSel.id;
    const n = ++scenarioSeq.current;
    setScenarioDrawing(null);
    if (id === null) {
      setScenarioLoading(false);
      return;
    }
    setScenarioLoading(true);
    const layer = (name: string) =>
      apiFetch<ScenarioDrawing["cells"]>(ENDPOINTS.scenarioLayer(id, name)).catch((e: unknown) => {
        // A scenario not finished (409) has no results yet: draw nothing.
        if (e instanceof ApiError && e.status === 409) return emptyCollection();
        throw e;
      });
    Promise.all([layer("cells"), layer("candidates"), layer("corridors")])
      .then(([cells, candidates, corridors]) => {
        if (n !== scenarioSeq.current) return;
        const d = { cells, candidates, corridors };
        setScenarioDrawing(d);
        const b = drawingBounds(d);
        const h = handleRef.current;
        if (b && h && !sharedScenario.current) {
          h.map.fitBounds(b, { padding: 40, duration: 0, maxZoom: 11 });
        }
        sharedScenario.current = false;
      })
      .catch((e: unknown) => {
        if (n !== scenarioSeq.current) return;
        push(t("errors.generic", { detail: e instanceof ApiError ? e.detail : String(e) }));
      })
      .finally(() => {
        if (n === scenarioSeq.current) setScenarioLoading(false);
      });
  }, [scenarioSel.id, scenarioVersion]);

  // A new plan: show all of it.
  const onRouteResult = useCallback(
    (r: RouteResult | null) => {
      setRouteResult(r);
      setRouteShared(false);
      const b = r ? routeBounds(routeFeatures(r)) : null;
      if (b && handle) handle.map.fitBounds(b, { padding: 60, duration: 0, maxZoom: 12 });
    },
    [handle],
  );
  const onRouteError = useCallback(
    (m: string) => push(t("errors.generic", { detail: m })),
    [push, t],
  );

  const setFilters = useCallback((f: Filters) => setState((s) => ({ ...s, filters: f })), []);

  // Search: debounce, filter the map, list the matches.
  useEffect(() => {
    const q = query.trim();
    const timer = setTimeout(() => {
      setState((s) => (s.filters.q === q ? s : { ...s, filters: { ...s.filters, q } }));
      if (!q) {
        setHits(null);
        return;
      }
      const seq = ++searchSeq.current;
      apiFetch<{
        features: {
          id: number;
          geometry: { coordinates: number[] };
          properties: Record<string, unknown>;
        }[];
      }>(ENDPOINTS.stationsSearch(q))
        .then((fc) => {
          if (seq !== searchSeq.current) return;
          setHits(
            fc.features.map((f) => ({
              id: Number(f.properties.id ?? f.id),
              name: String(f.properties.name ?? ""),
              city: String(f.properties.city ?? ""),
              lonLat: [f.geometry.coordinates[0] ?? 0, f.geometry.coordinates[1] ?? 0],
              properties: f.properties,
            })),
          );
        })
        .catch((e: unknown) => {
          if (seq !== searchSeq.current) return;
          push(t("errors.generic", { detail: e instanceof ApiError ? e.detail : String(e) }));
          setHits([]);
        });
    }, 300);
    return () => clearTimeout(timer);
  }, [query, push, t]);

  const onError = useCallback((m: string) => push(t("errors.tiles", { detail: m })), [push, t]);

  const zoomTo = (id: LayerId) => {
    const b = info[id]?.bounds;
    if (b && handle) handle.fitBounds(b);
  };

  const share = () => {
    const url = location.href;
    navigator.clipboard
      ?.writeText(url)
      .then(() => push(t("toolbar.shareCopied")))
      .catch(() => push(url));
  };

  const exportPng = () => {
    if (!handle) return;
    handle
      .exportPng(config?.attribution ?? "")
      .then((blob) => {
        const a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = "quvvat-map.png";
        a.click();
      })
      .catch((e: unknown) => push(t("errors.generic", { detail: String(e) })));
  };

  const snippet = useMemo(() => {
    const p = new URLSearchParams({ lang });
    if (state.filters.region) p.set("region", state.filters.region);
    return `<iframe src="${location.origin}/embed?${p}" width="800" height="500" style="border:0" loading="lazy" title="Quvvat"></iframe>`;
  }, [lang, state.filters.region]);

  const distance = pathLengthM(measurePoints);
  const canCommand = role === "admin" || role === "technician";

  return (
    <div class="app">
      <header class="topbar">
        <h1 class="brand">
          {t("app.title")} <small>{t("app.tagline")}</small>
        </h1>
        <div class="search">
          <input
            type="search"
            data-testid="search"
            placeholder={t("search.placeholder")}
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
          {hits && (
            <ul class="hits" data-testid="search-results">
              {hits.length === 0 && <li class="muted">{t("search.noResults")}</li>}
              {hits.map((h) => (
                <li key={h.id}>
                  <button
                    type="button"
                    class="link"
                    onClick={() => {
                      handle?.map.flyTo({ center: [h.lonLat[0], h.lonLat[1]], zoom: 14 });
                      setSelected({
                        layer: "stations-points",
                        id: h.id,
                        properties: h.properties,
                        lonLat: h.lonLat,
                      });
                      setHits(null);
                    }}
                  >
                    {h.name} <span class="muted">{h.city}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
        <LiveIndicator state={link} />
        <LanguageSelect />
        {role ? (
          <span class="user" data-testid="user-role" data-role={role}>
            {who && (
              <strong class="user-name" data-testid="user-name">
                {who}
              </strong>
            )}{" "}
            {t("auth.signedInAs", { role: t(`auth.role.${role}`) })}
            <button
              type="button"
              class="link"
              data-testid="logout"
              onClick={() => {
                // End the login session on the server too, then forget the token.
                apiFetch(ENDPOINTS.logout, {
                  method: "POST",
                  headers: { Authorization: `Bearer ${token ?? ""}` },
                }).catch(() => undefined);
                signOut();
              }}
            >
              {t("auth.logout")}
            </button>
          </span>
        ) : (
          <button type="button" data-testid="login" onClick={() => setDialog("login")}>
            {t("auth.login")}
          </button>
        )}
      </header>
      <nav class="toolbar">
        <button
          type="button"
          data-testid="toggle-3d"
          aria-pressed={state.mode3d}
          onClick={() => setState((s) => ({ ...s, mode3d: !s.mode3d }))}
        >
          {state.mode3d ? t("toolbar.mode2d") : t("toolbar.mode3d")}
        </button>
        <button
          type="button"
          data-testid="measure"
          aria-pressed={measuring}
          onClick={() => {
            setMeasuring(!measuring);
            setMeasurePoints([]);
            setMeasureDone(false);
            setRoutePicking(null);
          }}
        >
          {measuring ? t("toolbar.measureStop") : t("toolbar.measure")}
        </button>
        <button type="button" data-testid="share" onClick={share}>
          {t("toolbar.share")}
        </button>
        <button type="button" data-testid="export-png" onClick={exportPng}>
          {t("toolbar.exportPng")}
        </button>
        <button type="button" data-testid="embed" onClick={() => setDialog("embed")}>
          {t("toolbar.embed")}
        </button>
        {canCommand && (
          <button type="button" data-testid="sessions" onClick={() => setDialog("sessions")}>
            {t("toolbar.sessions")}
          </button>
        )}
        <button
          type="button"
          data-testid="home"
          onClick={() =>
            handle?.map.flyTo({
              center: [HOME_VIEW.lon, HOME_VIEW.lat],
              zoom: HOME_VIEW.zoom,
              pitch: 0,
              bearing: 0,
            })
          }
        >
          {t("toolbar.home")}
        </button>
      </nav>
      <aside class="side left">
        <div class="tabs">
          <button
            type="button"
            aria-pressed={tab === "layers"}
            data-testid="tab-layers"
            onClick={() => setTab("layers")}
          >
            {t("toolbar.layers")}
          </button>
          <button
            type="button"
            aria-pressed={tab === "filters"}
            data-testid="tab-filters"
            onClick={() => setTab("filters")}
          >
            {t("toolbar.filters")}
          </button>
          <button
            type="button"
            aria-pressed={tab === "route"}
            data-testid="tab-route"
            onClick={() => setTab("route")}
          >
            {t("toolbar.route")}
          </button>
          <button
            type="button"
            aria-pressed={tab === "scenarios"}
            data-testid="tab-scenarios"
            onClick={() => setTab("scenarios")}
          >
            {t("toolbar.scenarios")}
          </button>
        </div>
        {tab === "scenarios" ? (
          <ScenarioPanel
            selection={scenarioSel}
            drawing={scenarioDrawing}
            loading={scenarioLoading}
            candidate={scenarioCandidate}
            onSelection={setScenarioSel}
            onCandidate={setScenarioCandidate}
            onError={onRouteError}
            canPlan={role === "admin" || role === "technician"}
            regions={regions}
            onResults={() => setScenarioVersion((v) => v + 1)}
          />
        ) : tab === "route" ? (
          handle && (
            <RoutePanel
              params={routeParams}
              result={routeResult}
              picking={routePicking}
              autoPlan={routeShared}
              onChange={setRouteParams}
              onResult={onRouteResult}
              onPicking={(end) => {
                setRoutePicking(end);
                if (end) setMeasuring(false);
              }}
              onError={onRouteError}
            />
          )
        ) : tab === "layers" ? (
          <LayersPanel
            layers={state.layers}
            info={info}
            ids={layerIds}
            onChange={(id, setting) =>
              setState((s) => ({ ...s, layers: { ...s.layers, [id]: setting } }))
            }
            onZoomTo={zoomTo}
          />
        ) : (
          <FiltersPanel filters={state.filters} regions={regions} onChange={setFilters} />
        )}
      </aside>
      <main class="map-wrap">
        {config && (
          <MapView
            state={state}
            lang={lang}
            onlineBasemap={config.online_basemap}
            attribution={config.attribution}
            restricted={restricted}
            measuring={measuring}
            measurePoints={measurePoints}
            onView={(v) => setState((s) => ({ ...s, view: v }))}
            onSelect={(f) => {
              if (f?.layer === "scenario-candidates") {
                setScenarioCandidate(f.properties);
                setTab("scenarios");
                setSelected(null);
              } else setSelected(f);
            }}
            onMeasureClick={(p) => {
              if (measureDone) return;
              // The two clicks of a double-click land on the same point: keep one.
              setMeasurePoints((m) => {
                const last = m[m.length - 1];
                return last && last[0] === p[0] && last[1] === p[1] ? m : [...m, p];
              });
            }}
            onMeasureFinish={() => setMeasureDone(true)}
            picking={routePicking !== null}
            onPick={(p) => {
              if (routePicking) {
                setRouteParams((r) => ({ ...r, [routePicking]: pickedPoint(p) }));
                setRoutePicking(routePicking === "from" && !routeParams.to.text ? "to" : null);
              }
            }}
            route={routeDrawing}
            scenario={scenarioMap}
            onError={onError}
            onReady={setHandle}
          />
        )}
        {state.layers.planned.visible && (
          <div class="timeline" data-testid="timeline">
            <label>
              {t("timeline.label", { year: state.year })}
              <input
                type="range"
                min={YEAR_MIN}
                max={YEAR_MAX}
                step={1}
                value={state.year}
                data-testid="year-slider"
                onInput={(e) => {
                  const year = Number(e.currentTarget.value);
                  setState((s) => ({ ...s, year }));
                }}
              />
            </label>
          </div>
        )}
        {measuring && (
          <div class="measure-box" data-testid="measure-result" data-done={measureDone}>
            {measurePoints.length > 1
              ? t("measure.total", { distance: formatDistanceM(lang, distance) })
              : t("measure.hint")}
          </div>
        )}
        <div class="attribution" data-testid="attribution">
          {config?.attribution}
          {state.filters.q &&
            hits &&
            ` · ${t("search.results", { count: hits.length, formatted: formatNumber(lang, hits.length) })}`}
        </div>
        <Messages messages={messages} dismiss={dismiss} />
      </main>
      {selected && (
        <StationPanel
          selected={selected}
          liveStatus={typeof selected.id === "number" ? statuses[selected.id] : undefined}
          canCommand={canCommand}
          flatTariffUzsPerKwh={config?.flat_tariff_uzs_per_kwh ?? null}
          onClose={() => setSelected(null)}
          onError={(m) => push(t("errors.generic", { detail: m }))}
        />
      )}
      {dialog === "embed" && <EmbedDialog snippet={snippet} onClose={() => setDialog(null)} />}
      {dialog === "sessions" && <SessionsView onClose={() => setDialog(null)} />}
      {dialog === "login" && (
        <LoginDialog
          onToken={(tok) => {
            setToken(tok);
            setTok(tok);
            setDialog(null);
          }}
          onClose={() => setDialog(null)}
        />
      )}
    </div>
  );
}
