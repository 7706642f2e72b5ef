import { useState } from "preact/hooks";
import { saveBlob } from "../lib/api";
import { errorView, meBlob, type OwnSession } from "../lib/cabinet";
import { ENDPOINTS } from "../lib/endpoints";
import { formatEnergyWh, formatSom } from "../lib/format";
import { useI18n } from "./i18n";

/** An error under a form: the explanation in the driver's language and the server's words.
 * `explain` picks the explanation (the operator area explains more codes). */
export function ErrorNotice({
  error,
  testId,
  explain = errorView,
}: {
  error: unknown;
  testId: string;
  explain?: (e: unknown) => { key: string | null; detail: string };
}) {
  const { t } = useI18n();
  if (error === null || error === undefined) return null;
  const v = explain(error);
  return (
    <div class="notice error" role="alert" data-testid={testId}>
      {v.key ? <strong>{t(v.key)}</strong> : null}
      <span class={v.key ? "muted detail" : "detail"}>{v.detail}</span>
    </div>
  );
}

/** Download a session's receipt (PDF, in the page's language) with the driver's token. */
export function ReceiptButton({
  sessionId,
  onError,
}: {
  sessionId: number;
  onError: (e: unknown) => void;
}) {
  const { t, lang } = useI18n();
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      class="link"
      data-testid="receipt"
      disabled={busy}
      onClick={() => {
        setBusy(true);
        meBlob(ENDPOINTS.myReceipt(sessionId, lang))
          .then((b) => saveBlob(b, `quvvat-${sessionId}-${lang}.pdf`))
          .catch(onError)
          .finally(() => setBusy(false));
      }}
    >
      {t("cabinet.sessions.receipt")}
    </button>
  );
}

/** Energy and cost of a session as the driver reads them (kWh, whole so'm). */
export function EnergyCost({ s }: { s: OwnSession }) {
  const { t, lang } = useI18n();
  return (
    <dl class="cabinet-figures">
      <div>
        <dt>{t("cabinet.sessions.energy")}</dt>
        <dd data-testid="energy">{formatEnergyWh(lang, s.energy_wh)}</dd>
      </div>
      <div>
        <dt>{s.price.final ? t("cabinet.sessions.cost") : t("cabinet.sessions.costSoFar")}</dt>
        <dd data-testid="cost">{formatSom(lang, s.cost_uzs)}</dd>
      </div>
    </dl>
  );
}
