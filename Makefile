# kartlegg: two commands for a fresh machine are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SEED ?= 42
PYTEST_ARGS ?=

.PHONY: install demo serve test test-fast bench lint format clean

$(VENV)/.installed: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(VENV)/bin/uv pip sync --quiet --python $(PY) requirements.lock
	touch $@

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

kartlegg/static/vendor/.built: frontend/node_modules/.installed frontend/build.mjs
	cd frontend && npm run --silent build
	touch $@

install: $(VENV)/.installed kartlegg/static/vendor/.built
	$(PY) manage.py collectstatic --no-input -v0

demo: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_reference
	SITE_URL=http://$(HOST):$(PORT) $(PY) manage.py setup_demo --seed $(SEED)
	$(PY) manage.py compilemessages --ignore=.venv --ignore=frontend >/dev/null 2>&1 || true
	@# One worker runs the background jobs beside the web server; the trap stops it when the server stops.
	$(PY) manage.py db_worker --no-reload --queue-name '*' & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

bench: install
	@status=0; for script in benchmarks/[!_]*.py; do echo "== $$script"; $(PY) $$script || status=1; done; exit $$status

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy kartlegg
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) frontend/node_modules kartlegg/static/vendor staticfiles
