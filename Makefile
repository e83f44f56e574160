# Care Console — `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
# The single-process demo: sandbox platforms mounted in, jobs running in the web process.
# The sandbox signs its Facebook webhooks with this demo-only secret (see README).
DEMO_ENV := CARE_SANDBOX=true CARE_SCHEDULER_IN_WEB=true CARE_FACEBOOK_APP_SECRET=sandbox-demo-secret

.PHONY: run test lint bench eval train translations extract scheduler clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

translations: $(VENV)/.runtime
	$(BIN)/pybabel compile -d app/translations

run: $(VENV)/.runtime translations
	$(DEMO_ENV) $(FLASK) db upgrade
	$(DEMO_ENV) $(FLASK) seed-demo
	$(DEMO_ENV) $(BIN)/python wsgi.py

# The jobs in their own process, as in production (run `make run` without them in-process).
scheduler: $(VENV)/.runtime
	$(FLASK) scheduler

test: $(VENV)/.dev translations
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Ruff, then mypy --strict on app/, connectors/ and tone/ (configured in pyproject.toml).
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(VENV)/.dev
	$(BIN)/python -m bench

eval: $(VENV)/.runtime
	$(BIN)/python -m tone.eval

# Rebuild tone/data/corpus.jsonl from its sources and retrain tone/data/model/ (committed).
train: $(VENV)/.runtime
	$(BIN)/python -m tone.train

# Refresh the message catalogs after changing interface strings.
extract: $(VENV)/.dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations

clean:
	rm -rf $(VENV) instance .pytest_cache
