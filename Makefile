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

.PHONY: install install-dev system-deps run serve test test-fast bench lint format clean

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

run: install
	$(BIN)/pulseboard db upgrade
	$(BIN)/pulseboard demo --workspace demo --if-empty --owner $(DEMO_OWNER)
	@echo ""
	@echo "  Pulseboard: http://$(HOST):$(PORT)   log in as $(DEMO_OWNER) / pulseboard-demo"
	@echo ""
	$(BIN)/pulseboard serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/pulseboard serve --host $(HOST) --port $(PORT)

test: install-dev system-deps
	DASH_TEST_CHROMEPATH=$$(command -v chromium || true) $(BIN)/pytest --headless -p no:cacheprovider -q $(PYTEST_ARGS)

test-fast: install-dev
	$(BIN)/pytest -q -m "not browser" $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python -m bench.run $(BENCH_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
