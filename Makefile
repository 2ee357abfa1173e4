# The two commands of the README: `make run` (demo) and `make test` (whole suite).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000



# The first interpreter found that is Python 3.12 or newer.
FIND_PYTHON = for candidate in python3.13 python3.12 python3.14 python3 python; do \
	if command -v $$candidate >/dev/null 2>&1 && \
	   $$candidate -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
		echo $$candidate; break; fi; done

.PHONY: help install run demo-data test lint format bench

help:
	@echo "make run    install into .venv, migrate, load the demo data, serve on http://$(HOST):$(PORT)/"
	@echo "make test   lint and run the whole test suite (SQLite, local-memory cache)"
	@echo "make test-e2e   the browser tests (Debian's chromium), rewriting docs/screenshots/"
	@echo "make bench  the benchmark suite (PostgreSQL); make load  the load test"

$(VENV)/.installed: requirements.txt
	@python=$$($(FIND_PYTHON)); \
	if [ -z "$$python" ]; then echo "Python 3.12 or newer is needed (none found on PATH)." >&2; exit 1; fi; \
	echo "Creating $(VENV) with $$python"; \
	$$python -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

install: $(VENV)/.installed

demo-data: install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_demo_data

run: demo-data
	@echo
	@echo "  Moderation desk: http://$(HOST):$(PORT)/admin/"
	@echo "    moderator login: moderator / moderate-2026   (superuser: admin / moderate-2026)"
	@echo "  Review queue:     http://$(HOST):$(PORT)/admin/moderation/case/   (demo reports about zeno and priya)"
	@echo "  Appeals:          http://$(HOST):$(PORT)/admin/moderation/appeal/   (priya appeals a warning)"
	@echo "  User pages:       http://$(HOST):$(PORT)/"
	@echo "    any demo user (for example amara) / demo-password-2026"
	@echo "  Background jobs:  a worker runs beside the server (log: var/worker.log)"
	@echo
	@mkdir -p var
	@DEBUG=1 $(PY) manage.py db_worker --no-reload > var/worker.log 2>&1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT; \
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint
	DEBUG=1 $(VENV)/bin/pytest $(PYTEST_ARGS)

# Benchmarks (not part of the tests): PostgreSQL by default, as in production.
# SCALES=1m,10m measures both sizes side by side (databases moderation_bench and
# moderation_bench_10m on BENCH_DATABASE_URL's server, each built once).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/moderation_bench
SCALES ?= 1m
bench: install
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/run.py --scales $(SCALES) $(BENCH_ARGS)

# Browser end-to-end tests (Playwright on the system's Chromium: apt-get install
# chromium); `make test` leaves them out. The run also rewrites docs/screenshots/.
.PHONY: test-e2e screenshots
test-e2e: install
	DEBUG=1 $(VENV)/bin/pytest -m e2e $(PYTEST_ARGS)

screenshots: test-e2e

# Load test (not part of the tests): two app servers (gunicorn, 2 workers each)
# on 127.0.0.1 with PostgreSQL (database moderation_load, built once) and Redis
# (db 3, flushed); 32 clients for 60 s by default:
# make load LOAD_ARGS="--seconds 10 --clients 4 --servers 1". At 10M, see README.
.PHONY: load
load: install
	$(PY) -m bench.load $(LOAD_ARGS)
