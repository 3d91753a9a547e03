# Two commands do everything: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Parallel pytest workers of `make test` (2 cores here; 1 runs the suite serially).
TEST_WORKERS ?= 2

export DBT_PROFILES_DIR := $(CURDIR)
export CSKPI_PROJECT_DIR := $(CURDIR)
export CSKPI_RAW_DIR ?= $(CURDIR)/data/raw
export CSKPI_DUCKDB_PATH ?= $(CURDIR)/data/warehouse/cskpi.duckdb
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export CSKPI_SERVING_DIR ?= $(CURDIR)/data/serving
# PostgreSQL session time zone of dbt's connections (libpq): timestamps are UTC.
export PGTZ := UTC
DASHBOARD_PORT ?= 8501

# The demo data set: five markets from Jan 2024 to Mar 2025, covering both case studies and their fixes.
DEMO_ARGS ?= --start 2024-01-01 --days 456 --markets RO,PL,HU,CZ,DE --scale 1.0 --seed 42

.PHONY: setup data run build test lint ui dashboard docs clean

# The demo targets build the generated demo data: the shipped demo salt is allowed there (a set
# CSKPI_PII_SALT still wins). Anywhere else cskpi build / run refuse it (README, PII).
run build test ui: export CSKPI_DEMO ?= 1

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# The Spark target's packages (pyspark is large): only the test suite and Spark users need them.
$(VENV)/.installed-spark: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev,spark]'
	touch $@

# Generated once; delete data/raw (or run `make clean`) to regenerate.
$(CSKPI_RAW_DIR)/_manifest.json: | setup
	$(BIN)/cskpi generate --out $(CSKPI_RAW_DIR) $(DEMO_ARGS)

data: $(CSKPI_RAW_DIR)/_manifest.json

# Instance settings (run queue limit, retries, telemetry off) for runs recorded in DAGSTER_HOME.
$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME) && cp dagster.yaml $@

run: setup data $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/cskpi run
	$(BIN)/cskpi report

build: setup data
	$(BIN)/cskpi build

lint: setup
	mkdir -p $(dir $(CSKPI_DUCKDB_PATH))
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/sqlfluff lint models macros tests/dbt
	$(BIN)/python scripts/semantic_layer.py --check
	$(BIN)/dbt parse --quiet
	# the semantic definitions against the dbt manifest; tests/test_semantic.py queries a built warehouse
	$(BIN)/mf validate-configs --skip-dw

test: $(VENV)/.installed-spark lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

ui: setup $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -m orchestration.definitions

dashboard: setup
	$(BIN)/streamlit run dashboard/app.py --server.headless true --server.address 127.0.0.1 \
		--server.port $(DASHBOARD_PORT) --browser.gatherUsageStats false

docs: setup
	$(BIN)/dbt docs generate

clean:
	rm -rf data target logs .dagster_home
