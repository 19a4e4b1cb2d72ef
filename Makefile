# The two commands of the set-up are `make book` and `make test` (see README.md).
# Both create the virtual environment .venv when it is missing and install requirements.txt.
# Choose the interpreter with PYTHON, e.g. `make test PYTHON=python3.13` (3.11, 3.12 or 3.13);
# a .venv built by another interpreter, or left broken by an interrupted installation, is rebuilt.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
SUPPORTED := 3.11 3.12 3.13
# The first of python3, python3.13, python3.12, python3.11 that runs and is a supported version.
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in python3 python3.13 python3.12 python3.11; do \
	$$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' 2>/dev/null \
	&& { echo $$p; break; }; done)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYVERSION = import sys; print("%d.%d" % sys.version_info[:2])
WANT_VERSION := $(shell $(PYTHON) -c '$(PYVERSION)' 2>/dev/null)
HAVE_VERSION := $(shell test -e $(VENV) && $(BIN)/python -c '$(PYVERSION)' 2>/dev/null)
# Why an existing .venv must be rebuilt (empty: it need not be).
VENV_STALE := $(strip \
	$(if $(wildcard $(VENV)),$(if $(HAVE_VERSION),,its interpreter $(BIN)/python does not run)) \
	$(if $(HAVE_VERSION),$(if $(wildcard $(STAMP)),,an earlier installation did not finish)) \
	$(if $(filter command line environment,$(origin PYTHON)),$(if $(HAVE_VERSION),\
		$(if $(filter $(WANT_VERSION),$(HAVE_VERSION)),,it was built with Python $(HAVE_VERSION) and PYTHON=$(PYTHON) is $(WANT_VERSION)))))
# Build and tests run without network (loopback only) once the environment is installed.
OFFLINE := scripts/offline
NOTEBOOKS := $(sort $(wildcard chapters/*.ipynb))
# What the book is built from: a change in any of these makes `make book` build again.
BOOK_SOURCES := $(shell find chapters data src _ext _static results -type f -not -name '*.pyc' \
	-not -path 'chapters/*.csv' -not -path '*.egg-info/*' -not -path '*/.ipynb_checkpoints/*' 2>/dev/null) _config.yml _toc.yml references.bib requirements.txt pyproject.toml CITATION.cff
BOOK_STAMP := _build/.book-ok
export PYTHONHASHSEED := 0
# Reproducible builds: dates in the build come from the last commit (not the clock, and not 0,
# which printed "© 1970"); outside a git checkout, from the newest file of the data package.
export SOURCE_DATE_EPOCH := $(or $(shell git log -1 --format=%ct 2>/dev/null),\
	$(shell find data -type f -printf '%T@\n' 2>/dev/null | sort -n | tail -1 | cut -d. -f1),\
	$(shell date +%s))
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: all book test test-lib test-notebooks test-book test-site lint notebooks snapshot bench \
	clean distclean install FORCE

all: book

ifneq ($(VENV_STALE),)
$(STAMP): FORCE
endif
$(STAMP): requirements.txt pyproject.toml
	@test -n "$(WANT_VERSION)" || { echo "error: PYTHON=$(PYTHON) does not run; install Python $(SUPPORTED) or name one, e.g. make test PYTHON=python3.12" >&2; exit 1; }
	@case " $(SUPPORTED) " in *" $(WANT_VERSION) "*) ;; *) echo "error: PYTHON=$(PYTHON) is Python $(WANT_VERSION); supported: $(SUPPORTED)" >&2; exit 1;; esac
	@if [ -n "$(VENV_STALE)" ]; then echo "$(VENV): $(VENV_STALE); rebuilding it with $(PYTHON) ($(WANT_VERSION))"; rm -rf $(VENV); fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "error: '$(PYTHON) -m venv' failed. On Debian/Ubuntu install the venv module: apt-get install python$(WANT_VERSION)-venv (or python3-venv)" >&2; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@echo "$(WANT_VERSION)" > $(STAMP)

# Silences the kernel's "[IPKernelApp] ... TCP without encryption" line (loopback only, see the file).
$(VENV)/etc/ipython/ipython_kernel_config.py: scripts/ipython_kernel_config.py $(STAMP)
	@mkdir -p $(@D) && cp $< $@

install: $(STAMP) $(VENV)/etc/ipython/ipython_kernel_config.py

## make book: build the website into _build/html, failing on any warning. Nothing to do when no
## source changed since the last successful build (so `make book && make test` builds once).
book: $(BOOK_STAMP)
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

$(BOOK_STAMP): $(BOOK_SOURCES) | install
	rm -rf _build/html _build/.doctrees _build/jupyter_execute $(BOOK_STAMP)
	$(OFFLINE) $(BIN)/jupyter-book build . -W -n --keep-going
	@touch $(BOOK_STAMP)

## make test: library tests, strict nbval on every notebook, the book build (warnings are errors),
## and the website tested in headless Chromium (tests/website). After lint, the four steps run two
## at a time (2 cores; -k: every step runs, all failures are reported); the book is built once (not again when `make book` built it from the same
## sources); at the end, files tracked by git must be as they were before (scripts/tree-state).
test: install
	@before="$$(scripts/tree-state)"; status=0; \
	{ $(MAKE) --no-print-directory lint \
	  && $(MAKE) --no-print-directory -k -j2 --output-sync=target test-book test-lib test-notebooks test-site; \
	} || status=$$?; \
	after="$$(scripts/tree-state)"; \
	if [ "$$before" != "$$after" ]; then \
	  echo "error: the tests changed files in the work tree (tests must write only to ignored or temporary places):"; \
	  diff <(echo "$$before") <(echo "$$after") || true; status=1; fi; \
	exit $$status

lint: install
	$(BIN)/ruff check src tests benchmarks chapters conftest.py scripts/ipython_kernel_config.py

test-lib: install
	$(OFFLINE) $(BIN)/python -m pytest tests -q --ignore=tests/website

# nbval runs copies of the notebooks in _build/nbval/chapters, so that the CSV files they write land
# there and not in chapters/ while the book build runs the same notebooks beside it.
NBVAL_DIR := _build/nbval/chapters
test-notebooks: install
	@test -n "$(NOTEBOOKS)" || { echo "no notebooks found under chapters/"; exit 1; }
	@rm -rf $(NBVAL_DIR) && mkdir -p $(NBVAL_DIR) && cp $(NOTEBOOKS) $(NBVAL_DIR)/
	$(OFFLINE) $(BIN)/python -m pytest -q -p no:randomly -p no:cacheprovider --nbval \
		--nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env $(NBVAL_DIR)/*.ipynb

test-book: book

test-site: test-book
	$(OFFLINE) $(BIN)/python -m pytest tests/website -q -p no:cacheprovider

## make notebooks: re-execute every notebook in place and store its outputs (run after changing code or data).
notebooks: install
	$(OFFLINE) $(BIN)/python -m jakmeta.book.notebooks execute $(NOTEBOOKS)

## make snapshot: store the pooled results of this version in results/summaries/v<version>.csv
## (the "What changed" chapter compares consecutive snapshots).
snapshot: install
	$(OFFLINE) $(BIN)/python -m jakmeta snapshot

## make bench: timings (not a timed test).
bench: install
	$(BIN)/python benchmarks/bench_book.py
	$(BIN)/python benchmarks/bench_pooling.py
	$(BIN)/python benchmarks/bench_site.py

## make clean: remove the build and the caches; make distclean: also the virtual environment .venv.
clean:
	rm -rf _build .pytest_cache .ruff_cache .hypothesis .jupyter_cache
	rm -f $(filter-out $(shell git ls-files chapters 2>/dev/null),$(wildcard chapters/*.csv))

distclean: clean
	rm -rf $(VENV) src/*.egg-info

FORCE:
