# One command to run the service, one to test it; both set themselves up on a bare machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-fast lint typecheck bench drills soak browser-deps clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: install
	$(BIN)/triage migrate
	$(BIN)/triage train --if-missing
	$(BIN)/triage seed-demo
	$(BIN)/triage serve --host $(HOST) --port $(PORT)

# Headless Chromium and CJK fonts for the browser tests (Debian packages; needs root).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium chromium-driver fonts-noto-cjk >/dev/null; \
	  else echo "install chromium and fonts-noto-cjk for the browser tests"; exit 1; fi; }

test: install browser-deps
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not browser and not slow"

lint: install
	$(BIN)/ruff check app ml tests bench migrations
	$(BIN)/ruff format --check app ml tests bench

typecheck: install
	$(BIN)/mypy app ml

# Each benchmark prints its figures as ratios against a baseline measured in the same run.
bench: install
	$(BIN)/python bench/bench_classifier.py
	$(BIN)/python bench/bench_intake.py
	$(BIN)/python bench/bench_dispatch.py
	$(BIN)/python bench/bench_desk.py
	$(BIN)/python bench/bench_dashboards.py
	$(BIN)/python bench/bench_load.py

# Fault drills on a scratch database and a Redis of their own; the PostgreSQL drill restarts
# this machine's server.
drills: install
	$(BIN)/python bench/drill_api_kill.py
	$(BIN)/python bench/drill_redis_restart.py
	$(BIN)/python bench/drill_postgres_restart.py

MINUTES ?= 10
soak: install
	$(BIN)/python bench/soak.py --minutes $(MINUTES)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
