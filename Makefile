# Gatehouse: `make run` serves the app locally; `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PYTHON_VERSION := $(shell cat .python-version 2>/dev/null || echo 3.12)
# Find an interpreter: the one .python-version names (pyenv or PATH), else any python3 >= 3.12.
PYTHON ?= $(shell for c in "$$(pyenv root 2>/dev/null)/versions/$(PYTHON_VERSION)"*/bin/python3 \
	python$(PYTHON_VERSION) python3.13 python3.12 python3; do \
	  p=$$(command -v $$c 2>/dev/null) || continue; \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; \
	done)
HOST ?= 127.0.0.1
PORT ?= 8000
# The nightly tier runs against this PostgreSQL server (pytest makes test_<name> on it).
CHAOS_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/gatehouse_chaos)

.PHONY: help install run test chaos lint format check demo migrate worker clean

help:
	@echo "make run     create .venv, install, migrate, load demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test    run the whole test suite (DATABASE_URL picks the database)"
	@echo "make chaos   the nightly tier: kill workers, restart services, big property runs (<= 1 h)"
	@echo "make lint    ruff check and format check"
	@echo "make worker  run a Celery worker (needs CELERY_BROKER_URL)"

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Gatehouse needs Python $(PYTHON_VERSION) or newer (3.12+), and none was found."; \
	  echo "Install it (e.g. 'pyenv install $(PYTHON_VERSION)', or your OS package python3.12-venv)"; \
	  echo "or point to one: make run PYTHON=/path/to/python3.12"; exit 1; fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

run: demo
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# Drills start their own Redis servers and PostgreSQL cluster on free loopback ports and
# never stop or restart the shared services; they need redis-server and PostgreSQL's server
# binaries (initdb, pg_ctl) installed. REQUIRE_SERVICES=1: a missing service fails the run.
# The drills run first; then the big property runs, sized to end within the hour on 2 cores
# (raise LIFECYCLE_EXAMPLES, FUZZ_SCALE and FUZZ_SECONDS, and CHAOS_TIMEOUT, on a bigger box).
CHAOS_TIMEOUT ?= 60m
chaos: install
	DATABASE_URL=$(CHAOS_DATABASE_URL) NIGHTLY=1 REQUIRE_SERVICES=$${REQUIRE_SERVICES:-1} \
	  LIFECYCLE_EXAMPLES=$${LIFECYCLE_EXAMPLES:-2000} FUZZ_SCALE=$${FUZZ_SCALE:-5} \
	  FUZZ_SECONDS=$${FUZZ_SECONDS:-240} \
	  timeout $(CHAOS_TIMEOUT) $(PY) -m pytest -m nightly --durations=20 $(PYTEST_ARGS) \
	  tests/chaos tests/audit tests/reviews tests/test_fuzz.py tests/fuzz_atheris

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: install
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

worker: install
	$(VENV)/bin/celery -A config worker --loglevel=INFO

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
