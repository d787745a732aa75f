# critmin — the two set-up commands are `make run` and `make test`; each runs `setup` when needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHARED := ../shared/data
export CRITMIN_DATA ?= $(CURDIR)/.critmin/data
export CRITMIN_DB   ?= $(CURDIR)/.critmin/critmin.duckdb
export CRITMIN_REGISTRY ?= $(CURDIR)/.critmin/agreements.duckdb
CORPUS := ../shared/corpus
MIRROR := $(if $(wildcard $(SHARED)),--mirror $(SHARED),)

.PHONY: setup run fetch build test peer lint typecheck bench clean

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

run: build
	$(BIN)/critmin summary
	@if [ -d $(CORPUS) ]; then $(BIN)/critmin ingest $(CORPUS) && $(BIN)/critmin agreements; \
	else echo "no $(CORPUS): skipping agreement ingestion"; fi


lint: setup
	$(BIN)/ruff check src tests benchmarks eval
	$(BIN)/ruff format --check src tests benchmarks eval

typecheck: setup
	$(BIN)/mypy

test: lint typecheck fetch
	$(BIN)/python -m pytest

peer: fetch
	$(BIN)/python -m pytest -m peer

bench: build

	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .venv-peer .critmin .pytest_cache .mypy_cache .ruff_cache
