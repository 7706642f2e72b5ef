import { useState } from "preact/hooks";
import { ApiError, passwordLogin } from "../lib/api";
import { useI18n } from "./i18n";

export function EmbedDialog({ snippet, onClose }: { snippet: string; onClose: () => void }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  return (
    <div class="modal" data-testid="embed-dialog">
      <div class="modal-body">
        <header>
          <h2>{t("embed.title")}</h2>
          <button type="button" class="close" aria-label={t("embed.close")} onClick={onClose}>
            ×
          </button>
        </header>
        <p>{t("embed.hint")}</p>
        <textarea readOnly rows={4} data-testid="embed-snippet" value={snippet} />
        <button
          type="button"
          onClick={() => {
            navigator.clipboard
              ?.writeText(snippet)
              .then(() => setCopied(true))
              .catch(() => setCopied(false));
          }}
        >
          {copied ? t("embed.copied") : t("embed.copy")}
        </button>
      </div>
    </div>
  );
}

export function LoginDialog({
  onToken,
  onClose,
}: {
  onToken: (token: string) => void;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const submit = (e: Event) => {
    e.preventDefault();
    passwordLogin(username, password)
      .then((a) => onToken(a.access_token))
      .catch((err: unknown) => setError(err instanceof ApiError ? err.detail : String(err)));
  };
  return (
    <div class="modal" data-testid="login-dialog">
      <form class="modal-body" onSubmit={submit}>
        <header>
          <h2>{t("auth.login")}</h2>
        </header>
        <label class="field">
          {t("auth.username")}
          <input
            data-testid="login-username"
            autocomplete="username"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          {t("auth.password")}
          <input
            data-testid="login-password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {error && (
          <p class="notice error" data-testid="login-error">
            {t("auth.failed", { detail: error })}
          </p>
        )}
        <div class="row">
          <button type="submit" data-testid="login-submit">
            {t("auth.submit")}
          </button>
          <button type="button" onClick={onClose}>
            {t("auth.cancel")}
          </button>
        </div>
      </form>
    </div>
  );
}
