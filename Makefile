# busctl developer entry points. `make demo` runs the main job; `make test` runs every check.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup demo test lint-code unit clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## The main job on this repo's own bus: lint -> owner query -> CODEOWNERS check.
demo: setup
	$(BIN)/busctl lint
	$(BIN)/busctl owner acme.billing.v1.InvoiceCreated
	$(BIN)/busctl owner billing.invoice-created.v1 --format json
	$(BIN)/busctl codeowners --check

## Every check CI runs: style, types, then the whole pytest suite.
test: setup lint-code
	$(BIN)/pytest

lint-code: setup
	$(BIN)/ruff check cli tests bench
	$(BIN)/ruff format --check cli tests bench
	$(BIN)/mypy

## Fast feedback: the tests that need no external server.
unit: setup
	$(BIN)/pytest -m "not kafka"

clean:
	rm -rf $(VENV) .kafka .pytest_cache .mypy_cache .ruff_cache
