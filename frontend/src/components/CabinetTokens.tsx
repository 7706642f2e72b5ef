import { useState } from "preact/hooks";
import { jsonRequest } from "../lib/api";
import { type MyToken, meFetch, signedOutOr, tokenKindKey } from "../lib/cabinet";
import { ENDPOINTS } from "../lib/endpoints";
import { formatDate } from "../lib/format";
import type { CabinetProps } from "./CabinetApp";
import { ConfirmButton, ErrorNotice, InputField, useMeFetched } from "./CabinetCommon";
import { useI18n } from "./i18n";

/** RFID cards and app tokens: link a card by its UID, create an app token, remove. */
export function CabinetTokens({ onError }: CabinetProps) {
  const { t, lang } = useI18n();
  const [uid, setUid] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [linked, setLinked] = useState<string | null>(null);

  const [tokens, load] = useMeFetched<MyToken[]>(ENDPOINTS.myTokens, onError);

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
      .catch(signedOutOr(onError, setError))
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
                <strong>{t(tokenKindKey(row.token_type))}</strong> <code>{row.token}</code>
                <div class="muted small">
                  {row.status === "Accepted"
                    ? t("cabinet.tokens.active")
                    : t("cabinet.tokens.blocked", { status: row.status })}
                  {" · "}
                  {formatDate(lang, row.created_at)}
                </div>
              </div>
              <ConfirmButton
                testId="token-remove"
                label={t("cabinet.tokens.remove")}
                question={t("cabinet.tokens.confirmRemove")}
                open={confirming === row.id}
                onOpen={() => setConfirming(row.id)}
                onClose={() => setConfirming(null)}
                onConfirm={() => remove(row)}
              />
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
        <InputField
          label={t("cabinet.tokens.uid")}
          testId="token-uid"
          required
          autocapitalize="characters"
          placeholder="04A2B3C4D5E680"
          value={uid}
          onValue={setUid}
        />
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
