import type { ComponentChildren, InputHTMLAttributes } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { saveBlob } from "../lib/api";
import { errorView, meBlob, meFetch, type OwnSession } from "../lib/cabinet";
import { ENDPOINTS } from "../lib/endpoints";
import { formatEnergyWh, formatSom } from "../lib/format";
import { useI18n } from "./i18n";

/** What `path` answers (with the caller's token), read now and whenever `path` changes
 * (null until then); `reload` reads it again. A failure goes to `onError`. */
export function useMeFetched<T>(
  path: string,
  onError: (e: unknown) => void,
): [T | null, () => void] {
  const [data, setData] = useState<T | null>(null);
  const reload = useCallback(() => {
    meFetch<T>(path)
      .then((d) => setData(d))
      .catch(onError);
  }, [path, onError]);
  useEffect(reload, [reload]);
  return [data, reload];
}

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

/** A labelled input of a cabinet form: `onValue` gets what is typed; the other props
 * (type, required, placeholder, autocomplete…) go to the input. */
export function InputField({
  label,
  testId,
  onValue,
  ...input
}: Omit<InputHTMLAttributes<HTMLInputElement>, "label" | "onInput"> & {
  label: ComponentChildren;
  testId: string;
  onValue: (value: string) => void;
}) {
  return (
    <label class="field">
      {label}
      <input data-testid={testId} {...input} onInput={(e) => onValue(e.currentTarget.value)} />
    </label>
  );
}

/** A destructive action asked twice: the button, then the question with yes and no
 * (`${testId}-yes`). Whether the question is open is the caller's, so that a list shows
 * one question at a time. */
export function ConfirmButton({
  testId,
  label,
  question,
  open,
  onOpen,
  onClose,
  onConfirm,
}: {
  testId: string;
  label: string;
  question: string;
  open: boolean;
  onOpen: () => void;
  onClose: () => void;
  onConfirm: () => void;
}) {
  const { t } = useI18n();
  if (!open)
    return (
      <button type="button" class="link danger" data-testid={testId} onClick={onOpen}>
        {label}
      </button>
    );
  return (
    <span class="confirm">
      {question}{" "}
      <button type="button" class="danger" data-testid={`${testId}-yes`} onClick={onConfirm}>
        {t("cabinet.yes")}
      </button>{" "}
      <button type="button" onClick={onClose}>
        {t("cabinet.no")}
      </button>
    </span>
  );
}

/** A table of the operator area: the column heads (an empty one over the actions) and
 * the rows. */
export function OperatorTable({
  columns,
  testId,
  children,
}: {
  columns: string[];
  testId?: string;
  children: ComponentChildren;
}) {
  return (
    <div class="table-wrap">
      <table class="operator-table" data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
