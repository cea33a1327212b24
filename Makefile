# The index of commands. `make run` for a first look, `make test` before pushing.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEFAULT_REDIS_URL := redis://127.0.0.1:6379/0
CELERY_FS_DIR := $(CURDIR)/var/celery
# The demo's key, made once per checkout under the git-ignored var/: the settings default to
# production and the repository carries no key. `make run` asks for development mode itself.
SECRET_KEY_FILE := var/secret_key
DEMO_ENV = export DEBUG="$${DEBUG:-1}" SECRET_KEY="$${SECRET_KEY:-$$(cat $(SECRET_KEY_FILE))}";

.PHONY: help install run test drills lint bench ci

help:
	@echo "make install   virtualenv in .venv with requirements.txt (reinstalls only when it changes)"
	@echo "make run       migrate, seed the demo clinic, serve on http://127.0.0.1:8000 with Celery"
	@echo "make test      the whole pytest suite, services started first (.ci/services); ARGS='-k slots'"
	@echo "make drills    the fault drills (worker killed, Redis restarted, SMTP down...)"
	@echo "make lint      ruff, and the layers contract (import-linter, pyproject.toml)"
	@echo "make bench     the benchmarks in bench/ (not tests)"
	@echo "make ci        what CI runs: .ci/services --require, make lint, make test, make drills"

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The stamp is newer than requirements.txt once they are installed: a rerun does nothing.
$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt
	touch $@

# Without Redis the demo still runs: Celery falls back to kombu's filesystem transport under
# var/celery (settings.py reads CELERY_FILESYSTEM_BROKER_DIR). An explicit CELERY_BROKER_URL wins.
# Its URL names a host, which the transport ignores: without one kombu warns at every connection.
run: install $(SECRET_KEY_FILE)
	mkdir -p var $(CELERY_FS_DIR)/queue $(CELERY_FS_DIR)/control
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo
	$(DEMO_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@$(DEMO_ENV) export PATH="$(CURDIR)/$(BIN):$$PATH"; \
	redis_url="$${REDIS_URL:-$(DEFAULT_REDIS_URL)}"; \
	if [ -z "$${CELERY_BROKER_URL:-}" ] && ! python -c "import redis, sys; \
	redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1, socket_timeout=1).ping()" \
	"$$redis_url" 2>/dev/null; then \
		echo "Redis does not answer at $$redis_url: Celery uses the filesystem broker in var/celery."; \
		export CELERY_BROKER_URL=filesystem://localhost/ CELERY_FILESYSTEM_BROKER_DIR="$(CELERY_FS_DIR)"; \
	fi; \
	exec honcho start -f Procfile

# Readable by this user only; an explicit SECRET_KEY in the environment wins over it.
$(SECRET_KEY_FILE):
	mkdir -p var
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

# .ci/services starts PostgreSQL and Redis and installs Chromium when it can, and says in one
# line what is missing when it cannot (the suite then falls back or skips, and says so).
# In TEST_WORKERS processes (pytest-xdist; the machine has 2 cores), each on a test database
# of its own. --dist load, not loadgroup: the schemathesis tests (tests/drills/test_api_fuzz.py)
# share one node id per function, and loadgroup/loadscope key their work by node id, so they
# ran one case of 36. TEST_WORKERS=0 runs it in this one process, as plain `.venv/bin/pytest`.
TEST_WORKERS ?= 2
test: install
	@bash .ci/services
	$(BIN)/pytest -n $(TEST_WORKERS) --dist load $(ARGS)

# -m drill replaces the 'not drill' of pyproject's addopts: the last -m wins.
drills: install
	$(BIN)/pytest -m drill tests/drills $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# The benchmarks' servers set DEBUG=0 and a key of their own; the in-process parts use the demo's.
bench: install $(SECRET_KEY_FILE)
	@if [ -f bench/run.py ]; then \
		$(DEMO_ENV) $(BIN)/python bench/run.py $(ARGS); \
	else \
		echo "bench/run.py does not exist yet."; \
	fi

ci:
	.ci/run
