# Quvvat application image (API, OCPP server, web app). Build: docker compose build
FROM node:20-bookworm-slim AS web
WORKDIR /src/frontend
COPY frontend/ ./
RUN if [ -f package.json ]; then npm ci --no-audit --no-fund && npm run build; else mkdir -p dist; fi

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends libexpat1 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY app/ app/
COPY geo/ geo/
COPY planning/ planning/
RUN pip install --no-cache-dir .
COPY data/ data/
COPY sql/ sql/
COPY --from=web /src/frontend/dist frontend/dist
RUN useradd --system --uid 10001 quvvat && chown -R quvvat /app
USER quvvat
EXPOSE 8000
# quvvat run: migrate, load the sample once (when empty), serve.
CMD ["quvvat", "run", "--no-sim", "--host", "0.0.0.0", "--port", "8000"]
