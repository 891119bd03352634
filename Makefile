# busctl developer entry points. `make demo` runs the main job; `make test` runs every check.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup tools demo test lint-code unit bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## promtool, amtool, Prometheus and Alertmanager (Debian), the klag-exporter lag exporter (cargo) and
## actionlint (go): what the alert and workflow tests run for real. Idempotent; the first build of
## klag-exporter takes minutes.
tools:
	scripts/tools/install

## The main job on this repo's own bus and a real local Kafka (scripts/demo):
## lint -> plan -> apply -> plan shows no changes -> alerts -> lag -> owner queries -> schema show ->
## CODEOWNERS check.
demo: setup
	scripts/demo

## Every check CI runs: style, types, then the whole pytest suite.
test: setup tools lint-code
	$(BIN)/pytest

lint-code: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Fast feedback: the tests that need no external server or tool.
unit: setup
	$(BIN)/pytest -m "not kafka and not prometheus"

## Benchmarks that print their figures (bench/README.md): lint on 10,000 topics; plan vs raw fetch;
## a fleet plan of 3 clusters x 5,000 topics vs one cluster; the apply lock's acquire, refuse, handover
## and crashed-holder times; plan and apply of 100 connectors on a real Connect worker.
bench: setup
	$(BIN)/python bench/lint.py
	$(BIN)/python bench/plan.py
	$(BIN)/python bench/fleet.py
	$(BIN)/python bench/lock.py
	$(BIN)/python bench/connectors.py

clean:
	rm -rf $(VENV) .tools .kafka .pytest_cache .mypy_cache .ruff_cache
