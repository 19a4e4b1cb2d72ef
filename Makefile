# The two commands of the set-up are `make book` and `make test` (see README.md).
# Both create the virtual environment .venv when it is missing and install requirements.txt.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Build and tests run without network (loopback only) once the environment is installed.
OFFLINE := scripts/offline
NOTEBOOKS := $(sort $(wildcard chapters/*.ipynb))
export PYTHONHASHSEED := 0
export SOURCE_DATE_EPOCH := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: all book test test-lib test-notebooks test-book test-site lint notebooks bench clean install

all: book

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

install: $(STAMP)

## make book: build the website into _build/html, failing on any warning.
book: $(STAMP)
	rm -rf _build/html _build/.doctrees _build/jupyter_execute
	$(OFFLINE) $(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

## make test: library tests, strict nbval on every notebook, the book build (warnings are errors),
## and the website tested in headless Chromium (tests/website).
test: $(STAMP) lint test-lib test-notebooks test-book test-site

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks chapters

test-lib: $(STAMP)
	$(OFFLINE) $(BIN)/python -m pytest tests -q --ignore=tests/website

test-notebooks: $(STAMP)
	@test -n "$(NOTEBOOKS)" || { echo "no notebooks found under chapters/"; exit 1; }
	$(OFFLINE) $(BIN)/python -m pytest -q -p no:randomly --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg \
		--nbval-current-env $(NOTEBOOKS)

test-book: book

test-site: $(STAMP)
	$(OFFLINE) $(BIN)/python -m pytest tests/website -q

## make notebooks: re-execute every notebook in place and store its outputs (run after changing code or data).
notebooks: $(STAMP)
	for nb in $(NOTEBOOKS); do \
		$(BIN)/python -m jakmeta.notebooks execute "$$nb"; \
	done

## make bench: timings (not a timed test).
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_book.py
	$(BIN)/python benchmarks/bench_pooling.py
	$(BIN)/python benchmarks/bench_site.py

clean:
	rm -rf _build .pytest_cache .ruff_cache .hypothesis
