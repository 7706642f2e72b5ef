#!/usr/bin/env bash
# Installs what Quvvat needs on a fresh Debian machine; quick when all is there.
#   scripts/setup.sh            Python env + PostGIS (+ frontend build when present)
#   scripts/setup.sh --test     also Chromium for the browser tests
#   scripts/setup.sh --bench    also Chromium and wrk (the HTTP load client) for make bench
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
want_bench=0
[ "${1:-}" = "--test" ] && want_test=1
[ "${1:-}" = "--bench" ] && want_test=1 && want_bench=1

apt_pkgs=()
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || apt_pkgs+=(postgresql-15-postgis-3)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_pkgs+=(postgresql-15)
# Leaflet JS/CSS embedded into offline planning reports (no CDN, no tiles).
[ -f /usr/share/javascript/leaflet/leaflet.js ] || apt_pkgs+=(libjs-leaflet)
if [ "$want_test" = 1 ] && [ ! -x /usr/bin/chromium ]; then apt_pkgs+=(chromium fonts-dejavu-core); fi
if [ "$want_bench" = 1 ] && ! command -v wrk >/dev/null; then apt_pkgs+=(wrk); fi
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${apt_pkgs[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null
fi

# Python environment, reinstalled only when pyproject.toml changes.
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python dependencies into .venv"
  [ -x .venv/bin/python ] || python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -U pip
  .venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# Frontend, rebuilt only when its sources change.
if [ -f frontend/package.json ]; then
  fstamp=frontend/dist/.built-$(cat frontend/package.json frontend/package-lock.json 2>/dev/null | sha1sum | cut -c1-12)-$(find frontend/src frontend/*.html frontend/vite.config.ts -type f 2>/dev/null | sort | xargs cat 2>/dev/null | sha1sum | cut -c1-12)
  if [ ! -f "$fstamp" ]; then
    echo "setup: building the frontend"
    (cd frontend && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run -s build)
    touch "$fstamp"
  fi
fi
