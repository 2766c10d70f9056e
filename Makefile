# hub-versioning: one target per artefact.
#   make          set up, build build/hub.db and serve it on http://127.0.0.1:8001
#   make test     set up (including Chromium for the browser tests) and run the tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DATASETTE := $(VENV)/bin/datasette
PORT ?= 8001
DB := build/hub.db

.PHONY: all setup build serve test fetch fetch-refs fakehub bench publish publish-dry-run ingest-mlflow clean

all: serve

# The virtual environment, rebuilt whenever a pinned requirements file changes.
$(VENV)/.installed: requirements.txt requirements-test.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-test.txt
	touch $@

setup: $(VENV)/.installed

# MLflow is optional for users (make ingest-mlflow); the tests need it.
$(VENV)/.installed-mlflow: $(VENV)/.installed requirements-mlflow.txt
	$(PY) -m pip install --quiet -r requirements-mlflow.txt
	touch $@

# The database, its inspect file and the site's metadata, built atomically by scripts/build.py.
$(DB): $(VENV)/.installed $(wildcard scripts/*.py) $(wildcard data/snapshots/*/*) \
       $(wildcard canned_queries/*) metadata.yml data/organizations.csv
	$(PY) -m scripts.build --out $(DB)

build: $(VENV)/.installed
	$(PY) -m scripts.build --out $(DB)

# The same flags `make publish` ships; see scripts/serve_options.py.
serve: $(DB)
	$(DATASETTE) serve $$($(PY) -m scripts.serve_options) --host 127.0.0.1 --port $(PORT)

# Browser tests need Debian's Chromium; installed once, as root (CI) or with sudo.
/usr/bin/chromium:
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi

# A snapshot of your own MLflow Model Registry: make ingest-mlflow TRACKING_URI=... NAME=...
ingest-mlflow: $(VENV)/.installed-mlflow
	@test -n "$(TRACKING_URI)" -a -n "$(NAME)" || { echo "usage: make ingest-mlflow TRACKING_URI=... NAME=..."; exit 2; }
	$(PY) -m scripts.ingest_mlflow --tracking-uri "$(TRACKING_URI)" --name "$(NAME)"

test: $(VENV)/.installed $(VENV)/.installed-mlflow /usr/bin/chromium
	$(PY) -m pytest

# Google Cloud Run, with the same database, metadata, plugins, templates and settings (needs gcloud).
publish: $(DB)
	$(PY) -m scripts.deploy

# The exact command, and the Docker context it would upload, in build/publish/.
publish-dry-run: $(DB)
	$(PY) -m scripts.deploy --dry-run

clean:
	rm -rf build
