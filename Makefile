# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DATABASE_URL_TEST ?= postgres://postgres@127.0.0.1:5432/panel
export BROKER_URL_TEST ?= redis://127.0.0.1:6379/15

.PHONY: run test quick install lock lint format bench clean

# The embedded panel: SQLite, a filesystem broker, the bundled sandbox provider.
run: install
	ALLOW_DEMO_SECRETS=$${ALLOW_DEMO_SECRETS:-1} $(BIN)/python manage.py rundemo

# The whole suite against PostgreSQL and Redis (started or installed if missing), plus lint.
test: install
	scripts/ensure-services
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(BROKER_URL_TEST)} \
	$(BIN)/pytest $(PYTEST_ARGS)

# The fast part (no slow-marked test: no processes, no HTTP servers), in under a minute.
quick: install
	DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(BROKER_URL_TEST)} \
	$(BIN)/pytest -m "not slow" -q $(PYTEST_ARGS)

install: $(STAMP)

# Every dependency at the exact version of requirements.lock, then the project itself.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# requirements.lock again from pyproject.toml's ranges, keeping the pinned versions that still
# fit; `make lock LOCK_ARGS=--upgrade` moves every pin to the newest version in range.
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --quiet --custom-compile-command "make lock" \
		$(LOCK_ARGS) -o requirements.lock

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var staticfiles
