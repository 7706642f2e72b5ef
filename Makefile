# Quvvat: `make run` starts the whole product, `make test` runs every test.
.DEFAULT_GOAL := help
PY := .venv/bin/python
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: help setup run test lint fmt bench db-upgrade import clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

setup: ## install Debian packages, the Python env and the frontend build
	@scripts/setup.sh

run: setup ## set up and start everything on the Uzbekistan sample data (Ctrl-C stops)
	quvvat run

test: ## set up from nothing, lint, then run the whole test suite
	@scripts/setup.sh --test
	$(MAKE) --no-print-directory lint
	cd frontend && npm test --silent
	$(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS)

lint: ## ruff, format check, mypy --strict, import-linter, tsc + biome
	ruff check app geo planning tests bench sql/env.py
	ruff format --check app geo planning tests bench sql/env.py
	mypy
	lint-imports
	@if [ -f frontend/package.json ]; then cd frontend && npm run -s lint; fi

fmt: ## format and fix what ruff can
	ruff format app geo planning tests bench sql/env.py
	ruff check --fix app geo planning tests bench sql/env.py

bench: ## run every benchmark and print results (see bench/RESULTS.md)
	@scripts/setup.sh --bench
	$(PY) -m bench $(BENCH_ARGS)

db-upgrade: setup ## apply the migrations to DATABASE_URL or the embedded cluster
	quvvat db upgrade

import: setup ## load the Uzbekistan sample data
	quvvat import sample

clean: ## stop the embedded cluster and remove .data
	-quvvat db stop
	rm -rf .data
