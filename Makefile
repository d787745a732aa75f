# critmin — the two set-up commands are `make run` and `make test`; each runs `setup` when needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHARED := ../shared/data
export CRITMIN_DATA ?= $(CURDIR)/.critmin/data
export CRITMIN_DB   ?= $(CURDIR)/.critmin/critmin.duckdb
export CRITMIN_REGISTRY ?= $(CURDIR)/.critmin/agreements.duckdb
CORPUS := $(if $(wildcard ../shared/corpus),../shared/corpus,eval/agreements)
HOST   ?= 127.0.0.1
PORT   ?= 8000
BRIEF  := .critmin/brief-KOR-KAZ
MIRROR := $(if $(wildcard $(SHARED)),--mirror $(SHARED),)

.PHONY: setup run fetch build ingest brief serve browser spark test peer lint typecheck bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

fetch: setup
	$(BIN)/critmin fetch $(MIRROR)

build: fetch
	$(BIN)/critmin build

# The main job: build the warehouse, ingest the news corpus (../shared/corpus, else the
# project's own example articles), write the Korea-Kazakhstan brief, serve the dashboard.
run: brief serve

ingest: build
	$(BIN)/critmin summary
	$(BIN)/critmin ingest $(CORPUS)
	$(BIN)/critmin agreements

brief: ingest
	$(BIN)/critmin report --importer KOR --partner KAZ --out $(BRIEF).en.html --lang en \
	  $(if $(shell command -v chromium),--pdf $(BRIEF).en.pdf,)
	$(BIN)/critmin report --importer KOR --partner KAZ --out $(BRIEF).ko.html --lang ko \
	  $(if $(shell command -v chromium),--pdf $(BRIEF).ko.pdf,)

serve: setup
	$(BIN)/critmin serve --host $(HOST) --port $(PORT)

browser:
	bash scripts/install_browser.sh

# Java 17 and critmin[spark] (pyspark, sqlglot) for --engine spark and the spark-marked tests
spark: setup
	bash scripts/install_spark.sh


lint: setup
	$(BIN)/ruff check src tests benchmarks eval scripts
	$(BIN)/ruff format --check src tests benchmarks eval scripts

typecheck: setup
	$(BIN)/mypy

test: lint typecheck fetch browser spark
	$(BIN)/python scripts/vendor_assets.py --check
	$(BIN)/python -m pytest

peer: fetch
	$(BIN)/python -m pytest -m peer

bench: build spark

	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .venv-peer .critmin .pytest_cache .mypy_cache .ruff_cache
