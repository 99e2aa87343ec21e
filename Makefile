# DualCarbon — `make demo` and `make test` work on a fresh machine: they install what they need.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY := .venv/bin/python
export UV_LINK_MODE := copy

.PHONY: setup system-deps demo test lint typecheck pytest bench clean

# Debian packages the suite needs (Java for Spark local mode). Installed only when missing.
system-deps:
	@command -v java >/dev/null 2>&1 || { \
	  echo "installing Java (Spark local mode needs a JVM)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

$(UV):
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

setup: system-deps | $(UV)
	@$$(command -v uv || echo $(UV)) sync --frozen --extra spark --quiet

demo: setup
	$(PY) -m dualcarbon account src/dualcarbon/demo/sample_enterprise.csv --format table
	@echo
	@echo "Lines with lineage: .venv/bin/dualcarbon account src/dualcarbon/demo/sample_enterprise.csv --format json"

lint: setup
	.venv/bin/ruff check src tests bench

typecheck: setup
	.venv/bin/mypy

pytest: setup
	.venv/bin/pytest -q

test: lint typecheck pytest

bench: setup
	$(PY) bench/engine.py

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache var
