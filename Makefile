# One command to run the service, one to test it; both set themselves up on a bare machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-fast lint typecheck bench browser-deps clean

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

bench: install
	$(BIN)/python bench/bench_classifier.py
	$(BIN)/python bench/bench_intake.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
