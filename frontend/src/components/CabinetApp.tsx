import { useCallback, useEffect, useState } from "preact/hooks";
import { apiFetch, getToken } from "../lib/api";
import {
  CABINET_TABS,
  type CabinetTab,
  errorView,
  isCabinetTab,
  isSignedOut,
  type Me,
  meFetch,
  storeTokens,
} from "../lib/cabinet";
import { ENDPOINTS } from "../lib/endpoints";
import { hasOperatorArea } from "../lib/operator";
import { CabinetAuth } from "./CabinetAuth";
import { CabinetCharge } from "./CabinetCharge";
import { CabinetData } from "./CabinetData";
import { CabinetFavourites } from "./CabinetFavourites";
import { CabinetOperator } from "./CabinetOperator";
import { CabinetSessions } from "./CabinetSessions";
import { CabinetTokens } from "./CabinetTokens";
import { LanguageSelect, Messages, useMessages } from "./common";
import { useI18n } from "./i18n";

/** A driver's tab, or the operator area (admins, technicians, partners: `#operator/<tab>`). */
type Tab = CabinetTab | "operator";

function tabFromHash(): Tab {
  const h = location.hash.replace(/^#/, "").split("/")[0];
  return isCabinetTab(h) || h === "operator" ? h : "charge";
}

/** What every cabinet screen gets: report an error, say something, go to a tab. */
export interface CabinetProps {
  onError: (e: unknown) => void;
  notify: (text: string) => void;
}

export function CabinetApp() {
  const { t } = useI18n();
  const [token, setTok] = useState<string | null>(getToken());
  const [me, setMe] = useState<Me | null>(null);
  const [tab, setTabState] = useState<Tab>(tabFromHash());
  const [meFailed, setMeFailed] = useState(false);
  const [chargeSite, setChargeSite] = useState<number | null>(null);
  const [signedOutNote, setSignedOutNote] = useState<string | null>(null);
  const { messages, push, dismiss } = useMessages();

  const setTab = useCallback((next: Tab) => {
    setTabState(next);
    history.replaceState(null, "", `#${next}`);
  }, []);
  useEffect(() => {
    const onHash = () => setTabState(tabFromHash());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  const signOut = useCallback((note: string | null) => {
    storeTokens(null);
    setTok(null);
    setMe(null);
    setSignedOutNote(note);
  }, []);

  const onError = useCallback(
    (e: unknown) => {
      if (isSignedOut(e)) {
        signOut(t("cabinet.auth.expired"));
        return;
      }
      const v = errorView(e);
      push(v.key ? `${t(v.key)} (${v.detail})` : t("errors.generic", { detail: v.detail }));
    },
    [push, signOut, t],
  );

  useEffect(() => {
    document.title = `${t("app.title")} — ${t("cabinet.title")}`;
  }, [t]);

  useEffect(() => {
    if (!token) return;
    setMeFailed(false);
    meFetch<Me>(ENDPOINTS.me)
      .then(setMe)
      .catch((e: unknown) => {
        setMeFailed(true);
        onError(e);
      });
  }, [token, onError]);

  const logout = () => {
    apiFetch(ENDPOINTS.logout, { method: "POST" })
      .catch(() => undefined)
      .finally(() => signOut(null));
  };

  if (!token) {
    return (
      <div class="cabinet">
        <header class="cabinet-bar">
          <span class="brand">{t("app.title")}</span>
          <LanguageSelect />
        </header>
        <main class="cabinet-main">
          {signedOutNote && (
            <p class="notice" data-testid="signed-out-note">
              {signedOutNote}
            </p>
          )}
          <CabinetAuth
            onSignedIn={(a) => {
              storeTokens(a);
              setSignedOutNote(null);
              setTok(a.access_token);
            }}
          />
        </main>
      </div>
    );
  }

  const props: CabinetProps = { onError, notify: push };
  // Drivers get the driver's tabs; admins, technicians and partners the operator area
  // (the /api/me driver routes refuse them). Nothing is shown until the role is known.
  const staff = me !== null && me.role !== "client";
  const tabs: readonly Tab[] = staff
    ? hasOperatorArea(me.role)
      ? ["operator"]
      : []
    : me || meFailed
      ? CABINET_TABS
      : [];
  const active: Tab | undefined = tabs.includes(tab) ? tab : tabs[0];
  return (
    <div class="cabinet" data-testid="cabinet">
      <header class="cabinet-bar">
        <span class="brand">{t("app.title")}</span>
        <span class="cabinet-user muted" data-testid="cabinet-user">
          {me ? (me.full_name ?? me.email ?? me.phone ?? "") : ""}
        </span>
        <LanguageSelect />
        <button type="button" class="link" data-testid="cabinet-logout" onClick={logout}>
          {t("auth.logout")}
        </button>
      </header>
      <nav class="cabinet-tabs" aria-label={t("cabinet.title")}>
        {tabs.map((id) => (
          <button
            type="button"
            key={id}
            data-testid={`tab-${id}`}
            aria-pressed={active === id}
            onClick={() => setTab(id)}
          >
            {id === "operator" ? t("operator.title") : t(`cabinet.tab.${id}`)}
          </button>
        ))}
      </nav>
      <main class={active === "operator" ? "cabinet-main wide" : "cabinet-main"}>
        {me && me.role !== "client" && !hasOperatorArea(me.role) && (
          <p class="notice error" data-testid="not-a-driver">
            {t("cabinet.auth.notDriver")}
          </p>
        )}
        {active === "operator" && me && <CabinetOperator {...props} me={me} />}
        {active === "charge" && <CabinetCharge {...props} siteId={chargeSite} />}
        {active === "sessions" && <CabinetSessions {...props} />}
        {active === "tokens" && <CabinetTokens {...props} />}
        {active === "favourites" && (
          <CabinetFavourites
            {...props}
            onCharge={(siteId) => {
              setChargeSite(siteId);
              setTab("charge");
            }}
          />
        )}
        {active === "data" && (
          <CabinetData {...props} me={me} onDeleted={() => signOut(t("cabinet.data.deleted"))} />
        )}
      </main>
      <Messages messages={messages} dismiss={dismiss} />
    </div>
  );
}
