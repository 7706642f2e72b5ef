import { useState } from "preact/hooks";
import { apiFetch, jsonRequest, passwordLogin, type TokenAnswer } from "../lib/api";
import { ENDPOINTS } from "../lib/endpoints";
import { ErrorNotice } from "./CabinetCommon";
import { useI18n } from "./i18n";

/** Sign in (e-mail or +998 phone) or create a driver account, then sign in. */
export function CabinetAuth({ onSignedIn }: { onSignedIn: (a: TokenAnswer) => void }) {
  const { t } = useI18n();
  const [mode, setMode] = useState<"login" | "register">("login");
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [phone, setPhone] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    const done =
      mode === "login"
        ? passwordLogin(username.trim(), password)
        : apiFetch(ENDPOINTS.register, {
            ...jsonRequest("POST", {
              email: email.trim(),
              password,
              phone: phone.trim() || null,
              full_name: name.trim() || null,
            }),
            anonymous: true,
          }).then(() => passwordLogin(email.trim(), password));
    done
      .then(onSignedIn)
      .catch((err: unknown) => setError(err))
      .finally(() => setBusy(false));
  };

  const switchTo = (m: "login" | "register") => {
    setMode(m);
    setError(null);
  };

  return (
    <form class="cabinet-card cabinet-auth" onSubmit={submit} data-testid={`auth-${mode}`}>
      <h1>{mode === "login" ? t("cabinet.auth.loginTitle") : t("cabinet.auth.registerTitle")}</h1>
      <p class="muted">{t("cabinet.auth.intro")}</p>
      {mode === "login" ? (
        <label class="field">
          {t("auth.username")}
          <input
            data-testid="auth-username"
            autocomplete="username"
            inputMode="email"
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
      ) : (
        <>
          <label class="field">
            {t("cabinet.auth.email")}
            <input
              data-testid="auth-email"
              type="email"
              autocomplete="email"
              required
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            {t("cabinet.auth.phone")}
            <input
              data-testid="auth-phone"
              type="tel"
              autocomplete="tel"
              placeholder="+998 90 123 45 67"
              value={phone}
              onInput={(e) => setPhone(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            {t("cabinet.auth.name")}
            <input
              data-testid="auth-name"
              autocomplete="name"
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
        </>
      )}
      <label class="field">
        {t("auth.password")}
        <input
          data-testid="auth-password"
          type="password"
          autocomplete={mode === "login" ? "current-password" : "new-password"}
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      {mode === "register" && <p class="muted small">{t("cabinet.auth.passwordRules")}</p>}
      <ErrorNotice error={error} testId="auth-error" />
      <button type="submit" class="primary" data-testid="auth-submit" disabled={busy}>
        {mode === "login" ? t("auth.submit") : t("cabinet.auth.register")}
      </button>
      <p>
        {mode === "login" ? (
          <button
            type="button"
            class="link"
            data-testid="auth-to-register"
            onClick={() => switchTo("register")}
          >
            {t("cabinet.auth.noAccount")}
          </button>
        ) : (
          <button
            type="button"
            class="link"
            data-testid="auth-to-login"
            onClick={() => switchTo("login")}
          >
            {t("cabinet.auth.haveAccount")}
          </button>
        )}
      </p>
    </form>
  );
}
