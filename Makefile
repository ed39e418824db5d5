# The two commands a new user needs: `make run` and `make test`.
# Both create .venv on first use and install the project from its own files
# (pyproject.toml, pinned by requirements.lock).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.flok-installed
PYTEST_ARGS ?=

.PHONY: run test browser lint typecheck pytest bench lock install clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c requirements.lock -e '.[dev,bench]'
	@touch $(STAMP)

install: $(STAMP)

# The service on 127.0.0.1:8000 with a SQLite file under ./var/ and a demo organization,
# whose API key is printed once, at first start (keys are stored hashed).
run: $(STAMP)
	@mkdir -p var
	$(VENV)/bin/flok serve --host 127.0.0.1 --port 8000 --database-url sqlite:///var/flok.db --demo-org demo

test: $(STAMP) browser lint typecheck pytest

# Debian's Chromium for the dashboard's browser tests; when it cannot be installed they are
# skipped with that reason. sudo only when not root.
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get install -y -q chromium || { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; } \
	  || echo "chromium could not be installed: the browser tests will be skipped"; }

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests examples
	$(VENV)/bin/ruff format --check src tests examples
	$(VENV)/bin/lint-imports --no-cache

typecheck: $(STAMP)
	$(VENV)/bin/mypy

pytest: $(STAMP)
	$(VENV)/bin/pytest -n 2 $(PYTEST_ARGS)

bench: $(STAMP)
	$(VENV)/bin/flok bench allocate

# Re-pin every dependency after changing pyproject.toml.
lock:
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
