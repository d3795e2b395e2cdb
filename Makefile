# kartlegg: two commands for a fresh machine are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SEED ?= 42
PYTEST_ARGS ?=

CHROMIUM ?= /usr/bin/chromium

.PHONY: install demo serve test test-fast bench lint format clean browser

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

# The demo marks every page as synthetic and shows unpublished years to everyone; production has both off.
demo: export KARTLEGG_DEMO_MODE = 1
demo: export KARTLEGG_STATISTICS_PREVIEW = 1
demo: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_reference
	$(PY) manage.py compilemessages --ignore=.venv --ignore=frontend -v0
	SITE_URL=http://$(HOST):$(PORT) $(PY) manage.py setup_demo --seed $(SEED)
	@# One worker runs the background jobs beside the web server; the trap stops it when the server stops.
	@# Not DEBUG: unknown addresses get the site's own 404 page; WhiteNoise serves the collected static files.
	@# Without DEBUG the web process needs a SECRET_KEY: the demo makes one once and keeps it in var/ (not in git).
	@mkdir -p var; test -s var/demo-secret-key || $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > var/demo-secret-key
	export SECRET_KEY=$${SECRET_KEY:-$$(cat var/demo-secret-key)}; \
	$(PY) manage.py run_worker --queue-name '*' & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=0 SECURE_COOKIES=0 $(PY) manage.py runserver $(HOST):$(PORT)

# The browser tests need Chromium; without it `make test` stops and names the command that installs it.
browser:
	@test -x $(CHROMIUM) || { echo "Chromium is missing at $(CHROMIUM): install it with" \
	  "'sudo apt-get install -y chromium' (Debian; .ci/run does this), or run 'make test-fast' without browser tests." >&2; exit 1; }

test: install browser
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
