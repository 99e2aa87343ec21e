# DualCarbon — `make demo` and `make test` work on a fresh machine: they install what they need.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY := .venv/bin/python
export UV_LINK_MODE := copy

# pytest-xdist: one worker per core (2 on CI); Spark and the browser tests each stay on one worker (tests/conftest.py)
XDIST ?= -n auto --dist loadgroup
# the slowest tests of each run are printed, so the suite's time can be kept in view (docs/testing.md § Timings)
DURATIONS ?= --durations=25 --durations-min=5

.PHONY: setup system-deps demo test lint typecheck pytest pytest-pg e2e bench clean

# Debian packages the suite needs, installed only when missing: Java (Spark local mode), Chromium
# (browser tests through Playwright), Noto CJK fonts and pango (Chinese PDF reports), poppler-utils
# (PDF checks), PostgreSQL 15 server (the suite runs on PostgreSQL too).
DEB_NEEDS := java:openjdk-17-jre-headless chromium:chromium pdftoppm:poppler-utils
system-deps:
	@missing=""; \
	for pair in $(DEB_NEEDS); do cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	ldconfig -p 2>/dev/null | grep -q libpangoft2 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

$(UV):
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

setup: system-deps | $(UV)
	@$$(command -v uv || echo $(UV)) sync --frozen --extra spark --quiet
	@$(PY) scripts/compile_messages.py >/dev/null

# builds the fictional region 示范市 in var/ (320 enterprises, 2023–2025 monthly) and starts the server
demo: setup
	$(PY) -m dualcarbon demo --reset

# ruff, and the import contracts of docs/architecture.md (engine pure; layers point one way; own scoping only)
lint: setup
	.venv/bin/ruff check src tests bench scripts
	.venv/bin/lint-imports

typecheck: setup
	.venv/bin/mypy

# The whole suite on SQLite: engine, Spark, Django apps, the scoping matrix, browser tests (docs/testing.md);
# Spark is required here: without PySpark its tests fail instead of skipping (DUALCARBON_REQUIRE_SPARK)
pytest: setup
	DUALCARBON_REQUIRE_SPARK=1 .venv/bin/pytest -q $(XDIST) $(DURATIONS)

# The database-backed tests again on a throwaway PostgreSQL 15 cluster (tests/run_pg.py, tests/pg.py)
pytest-pg: setup
	$(PY) tests/run_pg.py -q $(XDIST) $(DURATIONS)

# Only the browser tests (Playwright driving Debian's /usr/bin/chromium); screenshots in test-artifacts/
e2e: setup
	.venv/bin/pytest -q -m e2e tests/e2e

test: lint typecheck pytest pytest-pg

bench: setup
	$(PY) bench/engine.py

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache var
