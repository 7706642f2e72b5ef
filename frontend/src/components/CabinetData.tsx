import { useState } from "preact/hooks";
import { jsonRequest, saveBlob } from "../lib/api";
import { type Me, meBlob, meFetch } from "../lib/cabinet";
import { ENDPOINTS } from "../lib/endpoints";
import type { CabinetProps } from "./CabinetApp";
import { ErrorNotice, InputField } from "./CabinetCommon";
import { useI18n } from "./i18n";

/** My data: the account, a JSON export of everything stored, deleting the account. */
export function CabinetData({
  onError,
  me,
  onDeleted,
}: CabinetProps & { me: Me | null; onDeleted: () => void }) {
  const { t } = useI18n();
  const [confirming, setConfirming] = useState(false);
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const exportData = () => {
    meBlob(ENDPOINTS.myExport)
      .then((b) => saveBlob(b, "quvvat-my-data.json"))
      .catch(onError);
  };

  const deleteAccount = (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    meFetch(ENDPOINTS.me, jsonRequest("DELETE", { password }))
      .then(onDeleted)
      .catch((err: unknown) => setError(err))
      .finally(() => setBusy(false));
  };

  return (
    <div class="cabinet-data">
      <section class="cabinet-card">
        <h2>{t("cabinet.data.title")}</h2>
        {me && (
          <dl class="cabinet-account" data-testid="account">
            {me.full_name && (
              <div>
                <dt>{t("cabinet.auth.name")}</dt>
                <dd>{me.full_name}</dd>
              </div>
            )}
            <div>
              <dt>{t("cabinet.auth.email")}</dt>
              <dd>{me.email ?? "—"}</dd>
            </div>
            <div>
              <dt>{t("cabinet.data.phone")}</dt>
              <dd>{me.phone ?? "—"}</dd>
            </div>
          </dl>
        )}
        <p class="muted">{t("cabinet.data.exportHint")}</p>
        <button type="button" data-testid="export-data" onClick={exportData}>
          {t("cabinet.data.export")}
        </button>
      </section>
      <section class="cabinet-card danger-zone">
        <h2>{t("cabinet.data.deleteTitle")}</h2>
        <p class="muted">{t("cabinet.data.deleteHint")}</p>
        {confirming ? (
          <form onSubmit={deleteAccount} data-testid="delete-form">
            <InputField
              label={t("cabinet.data.confirmPassword")}
              testId="delete-password"
              type="password"
              autocomplete="current-password"
              required
              value={password}
              onValue={setPassword}
            />
            <ErrorNotice error={error} testId="delete-error" />
            <div class="row">
              <button type="submit" class="danger" data-testid="delete-confirm" disabled={busy}>
                {t("cabinet.data.deleteForGood")}
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                {t("auth.cancel")}
              </button>
            </div>
          </form>
        ) : (
          <button
            type="button"
            class="danger"
            data-testid="delete-account"
            onClick={() => setConfirming(true)}
          >
            {t("cabinet.data.delete")}
          </button>
        )}
      </section>
    </div>
  );
}
