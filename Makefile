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

.PHONY: all setup build release serve screenshots test lint validate architecture fetch fetch-refs fakehub bench bench-crawl publish publish-dry-run ingest-mlflow clean

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

# The database, its inspect file, the site's metadata, findings, figures, downloads and
# croissant.json, built and published as one unit by scripts/build.py.
$(DB): $(VENV)/.installed $(wildcard scripts/*.py scripts/*/*.py) $(wildcard data/snapshots/*/*) \
       $(wildcard canned_queries/*) metadata.yml data/organizations.csv
	$(PY) -m scripts.build --out $(DB)

build: $(VENV)/.installed
	$(PY) -m scripts.build --out $(DB)

# A release ready to deposit, build/release/hub-versioning-<version>/ (the version of CITATION.cff):
# database, downloads, croissant.json, CITATION.cff and .zenodo.json, datasheet, data dictionary, SHA256SUMS.
release: $(DB)
	$(PY) -m scripts.publish.release --build $(dir $(DB)) --out $(dir $(DB))release

# The site's one configuration (scripts/publish/site.py), the one `make publish` ships and the tests use.
serve: $(DB)
	$(PY) -m scripts.publish.site --port $(PORT)

# The home page, each finding's page and About at 1366x768 in headless Chromium, into build/screenshots/.
SCREENSHOTS_PORT ?= 18601
screenshots: $(DB) /usr/bin/chromium
	$(PY) -m scripts.dev.screenshots --build build --out build/screenshots --port $(SCREENSHOTS_PORT)

# Browser tests need Debian's Chromium; installed once, as root (CI) or with sudo.
/usr/bin/chromium:
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi

# A snapshot of your own MLflow Model Registry: make ingest-mlflow TRACKING_URI=... NAME=...
ingest-mlflow: $(VENV)/.installed-mlflow
	@test -n "$(TRACKING_URI)" -a -n "$(NAME)" || { echo "usage: make ingest-mlflow TRACKING_URI=... NAME=..."; exit 2; }
	$(PY) -m scripts.acquire.mlflow --tracking-uri "$(TRACKING_URI)" --name "$(NAME)"

# The classifier against the hand labels, and the per-group estimates of the built database each
# checked without its own labels: build/validation.json and benchmarks/validation.md.
validate: $(DB)
	$(PY) -m scripts.validate --db $(DB) --markdown benchmarks/validation.md

# docs/architecture.md's module map, from each module's docstring.
architecture: $(VENV)/.installed
	$(PY) -m scripts.dev.architecture

# ruff, configured in pyproject.toml: lint and format check.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(VENV)/.installed $(VENV)/.installed-mlflow /usr/bin/chromium /usr/bin/wrk lint
	$(PY) -m scripts.validate --check
	$(PY) -m pytest

# A fresh census of the Hub (needs network; about an hour). Resumes an interrupted crawl (a
# data/snapshots/*.partial folder) if there is one, else starts today's; SNAPSHOT=YYYY-MM-DD to choose.
SNAPSHOT ?= $(or $(patsubst data/snapshots/%.partial,%,$(firstword $(wildcard data/snapshots/*.partial))),$(shell date -u +%Y-%m-%d))
fetch: $(VENV)/.installed
	$(PY) -m scripts.acquire.census --out data/snapshots/$(SNAPSHOT) $(FETCH_ARGS)

# Git branches, tags and commit counts of the TOP most-downloaded models of the newest census.
TOP ?= 1000
REFS_SNAPSHOT ?= $(lastword $(sort $(filter-out %.partial,$(wildcard data/snapshots/[0-9]*))))
fetch-refs: $(VENV)/.installed
	$(PY) -m scripts.acquire.refs --snapshot $(REFS_SNAPSHOT) --top $(TOP) $(FETCH_ARGS)

# The fake Hub on 127.0.0.1:$(FAKEHUB_PORT), serving the vendored 2024-07-11 census; FAKEHUB_ARGS
# adds faults, e.g. FAKEHUB_ARGS="--rate-429 0.02 --rate-500 0.02 --rate-drop 0.02 --rate-truncate 0.02".
FAKEHUB_PORT ?= 8765
fakehub: $(VENV)/.installed
	$(PY) -m scripts.dev.fakehub --snapshot data/snapshots/2024-07-11 --port $(FAKEHUB_PORT) $(FAKEHUB_ARGS)

# Crawl throughput against the fake Hub (760,000 records), without and with 2% of each fault.
bench-crawl: $(VENV)/.installed
	$(PY) -m scripts.dev.bench_crawl

# wrk, the HTTP load generator of `make bench` (and of its test): installed once, as root or with sudo.
/usr/bin/wrk:
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; \
	else sudo apt-get update -qq && sudo apt-get install -y -qq wrk; fi

# Build against the floor, memory, a 3M-record census, page latencies, load, the mixed load test with
# abusive queries (docs/benchmarks.md). The served site's part alone, on build/:
#   .venv/bin/python -m scripts.dev.bench --site build
bench: $(VENV)/.installed /usr/bin/wrk
	$(PY) -m scripts.dev.bench --out build/bench.json --results benchmarks/results.md

# Google Cloud Run, with the same database, metadata, plugins, templates and settings (needs gcloud).
publish: $(DB)
	$(PY) -m scripts.publish.deploy

# The exact command, and the Docker context it would upload, in build/publish/.
publish-dry-run: $(DB)
	$(PY) -m scripts.publish.deploy --dry-run

clean:
	rm -rf build
