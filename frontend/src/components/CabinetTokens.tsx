import { useCallback, useEffect, useState } from "preact/hooks";
import { jsonRequest } from "../lib/api";
import { isSignedOut, type MyToken, meFetch } from "../lib/cabinet";
import { ENDPOINTS } from "../lib/endpoints";
import { formatDate } from "../lib/format";
import type { CabinetProps } from "./CabinetApp";
import { ErrorNotice } from "./CabinetCommon";
import { useI18n } from "./i18n";

/** RFID cards and app tokens: link a card by its UID, create an app token, remove. */
export function CabinetTokens({ onError }: CabinetProps) {
  const { t, lang } = useI18n();
  const [tokens, setTokens] = useState<MyToken[] | null>(null);
  const [uid, setUid] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [linked, setLinked] = useState<string | null>(null);

  const load = useCallback(() => {
    meFetch<MyToken[]>(ENDPOINTS.myTokens).then(setTokens).catch(onError);
  }, [onError]);
  useEffect(load, [load]);

  const add = (body: { kind: "rfid" | "app"; uid?: string }) => {
    setError(null);
    setLinked(null);
    setBusy(true);
    meFetch<MyToken>(ENDPOINTS.myTokens, jsonRequest("POST", body))
      .then((row) => {
        setUid("");
        setLinked(row.token);
        load();
      })
      .catch((e: unknown) => (isSignedOut(e) ? onError(e) : setError(e)))
      .finally(() => setBusy(false));
  };

  const remove = (row: MyToken) => {
    setConfirming(null);
    meFetch(ENDPOINTS.myToken(row.id), { method: "DELETE" }).then(load).catch(onError);
  };

  return (
    <div class="cabinet-tokens">
      <section class="cabinet-card">
        <h2>{t("cabinet.tokens.title")}</h2>
        {tokens && tokens.length === 0 && (
          <p class="muted" data-testid="tokens-empty">
            {t("cabinet.tokens.empty")}
          </p>
        )}
        <ul class="cabinet-list">
          {(tokens ?? []).map((row) => (
            <li key={row.id} class="token-row" data-testid="token-row" data-token={row.token}>
              <div>
                <strong>
                  {row.token_type === "Central"
                    ? t("cabinet.tokens.app")
                    : t("cabinet.tokens.rfid")}
                </strong>{" "}
                <code>{row.token}</code>
                <div class="muted small">
                  {row.status === "Accepted"
                    ? t("cabinet.tokens.active")
                    : t("cabinet.tokens.blocked", { status: row.status })}
                  {" · "}
                  {formatDate(lang, row.created_at)}
                </div>
              </div>
              {confirming === row.id ? (
                <span class="confirm">
                  {t("cabinet.tokens.confirmRemove")}{" "}
                  <button
                    type="button"
                    class="danger"
                    data-testid="token-remove-yes"
                    onClick={() => remove(row)}
                  >
                    {t("cabinet.yes")}
                  </button>{" "}
                  <button type="button" onClick={() => setConfirming(null)}>
                    {t("cabinet.no")}
                  </button>
                </span>
              ) : (
                <button
                  type="button"
                  class="link danger"
                  data-testid="token-remove"
                  onClick={() => setConfirming(row.id)}
                >
                  {t("cabinet.tokens.remove")}
                </button>
              )}
            </li>
          ))}
        </ul>
      </section>
      <form
        class="cabinet-card"
        data-testid="token-form"
        onSubmit={(e) => {
          e.preventDefault();
          add({ kind: "rfid", uid: uid.trim() });
        }}
      >
        <h2>{t("cabinet.tokens.linkTitle")}</h2>
        <label class="field">
          {t("cabinet.tokens.uid")}
          <input
            data-testid="token-uid"
            required
            autocapitalize="characters"
            placeholder="04A2B3C4D5E680"
            value={uid}
            onInput={(e) => setUid(e.currentTarget.value)}
          />
        </label>
        <p class="muted small">{t("cabinet.tokens.uidHint")}</p>
        <ErrorNotice error={error} testId="token-error" />
        {linked && (
          <p class="notice ok" role="status" data-testid="token-linked">
            {t("cabinet.tokens.linked", { token: linked })}
          </p>
        )}
        <div class="row">
          <button type="submit" class="primary" data-testid="token-link" disabled={busy}>
            {t("cabinet.tokens.link")}
          </button>
          <button
            type="button"
            data-testid="token-app"
            disabled={busy}
            onClick={() => add({ kind: "app" })}
          >
            {t("cabinet.tokens.createApp")}
          </button>
        </div>
      </form>
    </div>
  );
}
