# microshop: `make run` starts everything, `make test` tests everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HAS_WEB := $(wildcard web/package.json)
WEB_SOURCES := $(shell find web/src web/index.html web/vite.config.* web/package.json -type f 2>/dev/null)

.PHONY: install run test lint format test-containers test-external test-external-broker bench web clean lock-runtime api-types

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .  # the extras (local, dev) come pinned from requirements.lock
	touch $@

web/node_modules/.installed: web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build --silent

install: $(VENV)/.installed $(if $(HAS_WEB),web/node_modules/.installed)

web: $(if $(HAS_WEB),web/dist/index.html)

## Start the broker, the database, the three services and the web app (Ctrl-C stops everything).
run: install web
	$(PY) -m microshop.cli run

## Lint, then every test: unit, integration on real PostgreSQL, real processes, browser.
test: install web lint
	$(PY) -m pytest
	$(if $(HAS_WEB),cd web && npm test --silent)

## ruff (style), mypy (types over src/, settings in pyproject.toml) and vulture (dead code in src/).
lint: install
	$(VENV)/bin/ruff check src tests bench web/scripts
	$(VENV)/bin/ruff format --check src tests bench web/scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/vulture

format:
	$(VENV)/bin/ruff check --fix src tests bench web/scripts
	$(VENV)/bin/ruff format src tests bench web/scripts

## The images and compose.yaml for real (needs a Docker engine; .ci/run starts one): builds both images,
## then runs the README's Compose commands with docker-compose 1.29 and Compose v2 (tests/containers).
test-containers: install
	MICROSHOP_CONTAINER_TEST=1 $(PY) -m pytest tests/containers -p no:cacheprovider

## The database-backed tests again, on an external server: make test-external TEST_DATABASE_URL=postgresql://...
test-external: install
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest -m "not browser and not e2e"

## The broker-backed tests again, on an external NATS with JetStream: make test-external-broker TEST_NATS_URL=nats://...
## (they create and delete only streams named with their session's prefix)
test-external-broker: install
	TEST_NATS_URL=$(TEST_NATS_URL) $(PY) -m pytest -m broker

## Benchmarks beside their floors (needs wrk: apt-get install -y wrk); BENCH_ARGS="--workers 1" etc.
bench: install
	$(PY) -m bench.run $(BENCH_ARGS)

## Regenerate the web app's API types: web/openapi/*.json from the services, then web/src/api/generated/*.ts.
api-types: install
	$(PY) web/scripts/api_types.py

## Regenerate requirements-runtime.lock (what the service image installs) from requirements.lock.
lock-runtime: install
	$(PY) deploy/runtime_lock.py

clean:
	rm -rf $(VENV) web/node_modules web/dist
