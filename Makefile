# The two commands a new user needs: `make run` and `make test`.
# Both create .venv on first use and install the project from its own files
# (pyproject.toml, pinned by requirements.lock): `make run` only what the service needs,
# `make test` the development tools too (pytest, playwright, mypy, locust, ...).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME := $(VENV)/.flok-runtime
DEV := $(VENV)/.flok-dev
PYTEST_ARGS ?=
# make run's address: PORT=8001 make run (or FLOK_PORT, which `flok serve` reads as well).
HOST ?= 127.0.0.1
PORT ?= $(or $(FLOK_PORT),8000)

.PHONY: run test browser lint typecheck pytest bench lock install install-dev clean

$(RUNTIME): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c requirements.lock -e .
	@touch $(RUNTIME)

$(DEV): $(RUNTIME)
	$(PY) -m pip install -q -c requirements.lock -e '.[dev,bench]'
	@touch $(DEV)

install: $(RUNTIME)
install-dev: $(DEV)

# The service on 127.0.0.1:$(PORT) with a SQLite file under ./var/ and a demo organization,
# whose API key is printed once, at first start (keys are stored hashed).
run: $(RUNTIME)
	@mkdir -p var
	$(VENV)/bin/flok serve --host $(HOST) --port $(PORT) --database-url sqlite:///var/flok.db --demo-org demo

test: $(DEV) browser lint typecheck pytest

# Debian's Chromium for the dashboard's browser tests; when it cannot be installed they are
# skipped with that reason. sudo only when not root.
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get install -y -q chromium || { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; } \
	  || echo "chromium could not be installed: the browser tests will be skipped"; }

lint: $(DEV)
	$(VENV)/bin/ruff check src tests examples
	$(VENV)/bin/ruff format --check src tests examples
	$(VENV)/bin/lint-imports --no-cache

typecheck: $(DEV)
	$(VENV)/bin/mypy

pytest: $(DEV)
	$(VENV)/bin/pytest -n 2 $(PYTEST_ARGS)

bench: $(DEV)
	$(VENV)/bin/flok bench allocate

# Re-pin every dependency after changing pyproject.toml.
lock: $(DEV)
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
