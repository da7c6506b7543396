# Pulseboard — the commands the README promises. Everything is installed from nothing:
# a virtualenv with pinned Python packages, and (for tests) Debian's chromium + chromium-driver.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8050
DEMO_OWNER := demo@pulseboard.local
export PULSEBOARD_DATA_DIR ?= ./var

.PHONY: install install-dev system-deps run serve test test-fast bench bench-peer lint format clean postgres-check plotly-bundle

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

install-dev: $(VENV)/.installed-dev

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	@touch $@

# Browser tests drive Debian's Chromium. Installed when missing and we are root; otherwise
# the test run says what to install.
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing chromium and chromium-driver (Debian packages)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver poppler-utils >/dev/null; \
	  else \
	    echo "browser tests need: sudo apt-get install chromium chromium-driver"; \
	  fi; \
	fi
	@# jemalloc: `pulseboard serve` and `worker` run under it when installed (PULSEBOARD_ALLOCATOR; docs/deploy.md)
	@if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libjemalloc\.so\.2'; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing libjemalloc2 (Debian package)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjemalloc2 >/dev/null; \
	  else \
	    echo "for a flat server memory: sudo apt-get install libjemalloc2"; \
	  fi; \
	fi

run: install
	$(BIN)/pulseboard db upgrade
	$(BIN)/pulseboard demo --workspace demo --if-empty --owner $(DEMO_OWNER)
	@echo ""
	@echo "  Pulseboard: http://$(HOST):$(PORT)   log in as $(DEMO_OWNER) / pulseboard-demo"
	@echo ""
	$(BIN)/pulseboard serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/pulseboard serve --host $(HOST) --port $(PORT)

# The PostgreSQL server the warehouse-on-PostgreSQL tests use (tests/integration/
# test_warehouse_postgres.py and test_two_process.py; each run creates and drops databases of its
# own). Default: the local server when it answers; otherwise those tests skip, and the test
# targets say so first.
LOCAL_POSTGRES_URL = postgresql://postgres@127.0.0.1:5432/test
PULSEBOARD_TEST_POSTGRES_URL ?= $(shell pg_isready -q -h 127.0.0.1 -p 5432 -t 2 2>/dev/null && echo $(LOCAL_POSTGRES_URL))
export PULSEBOARD_TEST_POSTGRES_URL

postgres-check:
	@if [ -n "$(PULSEBOARD_TEST_POSTGRES_URL)" ]; then \
	    echo "PostgreSQL tests: using $(PULSEBOARD_TEST_POSTGRES_URL)"; \
	else \
	    echo "PostgreSQL tests: SKIPPED (no server answers on 127.0.0.1:5432; set PULSEBOARD_TEST_POSTGRES_URL)"; \
	fi

test: install-dev system-deps postgres-check
	DASH_TEST_CHROMEPATH=$$(command -v chromium || true) $(BIN)/pytest --headless -p no:cacheprovider -q $(PYTEST_ARGS)

test-fast: install-dev postgres-check
	$(BIN)/pytest -q -m "not browser" $(PYTEST_ARGS)

# Every benchmark at 10M payments, then every target with its measured value (bench/run.py;
# `make bench BENCH_ARGS="--rows 1000000 --json"`). Superset's venv is made first when it can be
# (a large install, once); without it the Superset line says "not run".
# The recipe is quiet and its notes go to stderr: with --json, stdout is the JSON summary alone.
bench: install-dev system-deps
	-@$(MAKE) --no-print-directory -s $(SUPERSET_VENV)/.installed >&2 || echo "Superset's venv could not be made: the Superset comparison will not run" >&2
	@$(BIN)/python -m bench.run $(BENCH_ARGS)

# Apache Superset side by side with Pulseboard (bench/peer.py): optional, never part of `make test`.
# Superset gets its own virtualenv, made from nothing (a large install: minutes, once).
SUPERSET_VENV := bench/out/superset-venv

bench-peer: install-dev $(SUPERSET_VENV)/.installed
	$(BIN)/python -m bench.peer $(PEER_ARGS)

$(SUPERSET_VENV)/.installed: bench/superset-requirements.txt
	@test -x $(SUPERSET_VENV)/bin/python || $(PYTHON) -m venv $(SUPERSET_VENV)
	$(SUPERSET_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SUPERSET_VENV)/bin/pip install --quiet -r bench/superset-requirements.txt
	@touch $@

# The slim plotly.js the app serves (vendor/plotly/README.md). Needs node and npm; the result
# is committed, so only a change of plotly.js version or trace types needs this.
plotly-bundle:
	vendor/plotly/build.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
