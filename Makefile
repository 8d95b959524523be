# Samverkan: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= config.toml
HOST   ?= 127.0.0.1
PORT   ?= 5000

PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/samverkan
WORKERS ?= 2

.PHONY: install run test bench lint translations clean up-postgres

# The stamp makes `install` cheap when pyproject.toml has not changed.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

## run: set up, initialise var/samverkan.db with demo data, serve the UI with the scheduler
run: install
	$(BIN)/samverkan --config $(CONFIG) init --demo
	$(BIN)/samverkan --config $(CONFIG) serve --host $(HOST) --port $(PORT)

## test: set up and run the whole suite (PostgreSQL too when SAMVERKAN_TEST_DATABASE_URL is set)
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## bench: benchmarks under bench/, each ending with one JSON line of its figures
bench: install
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python -P $$b || exit 1; done

## up-postgres: the scaled layout on this machine (docs/deploy.md): PostgreSQL, gunicorn, 2 schedulers, deliverer
up-postgres: install
	SAMVERKAN_DATABASE_URL=$(PG_URL) $(BIN)/samverkan --config $(CONFIG) init --create-database --demo
	SAMVERKAN_DATABASE_URL=$(PG_URL) $(BIN)/samverkan --config $(CONFIG) up --workers $(WORKERS) --schedulers 2 --port 8000

## lint: ruff on everything, the layer contracts of pyproject.toml (import-linter), mypy --strict
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

## translations: add new interface texts to the Swedish catalogue (translate the empty ones), compile it
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o $(VENV)/messages.pot .
	$(BIN)/pybabel update -i $(VENV)/messages.pot -d web/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d web/translations

clean:
	rm -rf $(VENV) var/*.db var/*.db-*
