# The single entry point: `make book` builds the book, `make test` proves it.
# Every target sets up what it needs; `make help` lists them.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3.11
PIP_VERSION := 26.3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
BUILD := _build
BOOK_DIR ?= .
BOOK_FLAGS := --warningiserror --nitpick --keep-going
CHAPTERS := $(wildcard chapters/*.md)
LIBRARY := $(wildcard omnivault/*.py)
LIBRARY_STAMP := $(BUILD)/.library-stamp
LINT_DIR := $(BUILD)/lint
CHAPTER_LINE_LENGTH := 79
NOTEBOOKS := $(BUILD)/notebooks
BINDER_VENV := $(BUILD)/binder-venv
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help install book book-strict test lint lint-chapters typecheck workflows pytest \
	book-fresh nbval offline-check lab bench lock clean python-check chromium browser-check \
	notebooks launch-check binder-check pdf

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  \033[1m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

python-check:
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
		echo "error: '$(PYTHON)' was not found. Install Python 3.11 (with its venv module)" \
		     "or point PYTHON at it: make PYTHON=/path/to/python3.11 ..." >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { \
		echo "error: '$(PYTHON)' is Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'), the book needs 3.11." >&2; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
		echo "error: '$(PYTHON)' has no usable venv/ensurepip module (on Debian: apt-get install python3.11-venv)." >&2; exit 1; }

$(INSTALLED): requirements/lock.txt pyproject.toml
	@$(MAKE) python-check
	@test -x $(BIN)/python || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "Installing the locked environment into $(VENV) (about a minute the first time)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "pip==$(PIP_VERSION)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		--constraint requirements/lock.txt --editable '.[book,dev]'
	@touch $@

install: $(INSTALLED) ## Create .venv (if missing) and install the locked environment and omnivault

# jupyter-book's execution cache is keyed on code cells only: when omnivault changes,
# forget the executed notebooks so that every chapter runs against the new library.
$(LIBRARY_STAMP): $(LIBRARY)
	@rm -rf $(BUILD)/.jupyter_cache $(BUILD)/jupyter_execute
	@mkdir -p $(BUILD) && touch $@

book: $(INSTALLED) $(LIBRARY_STAMP) ## Build the book into _build/html (executes changed chapters only)
	@$(MAKE) book-strict
	@echo "Open $(BUILD)/html/index.html"

book-strict: $(INSTALLED)
	$(BIN)/jupyter-book build $(BOOK_DIR) $(BOOK_FLAGS)

test: $(INSTALLED) ## Lint, unit tests, a fresh strict build, browser and launch checks, nbval
	@$(MAKE) lint
	@$(MAKE) pytest
	@$(MAKE) book-fresh
	@$(MAKE) offline-check
	@$(MAKE) browser-check
	@$(MAKE) launch-check
	@$(MAKE) nbval
	@$(MAKE) binder-check

lint: lint-chapters workflows typecheck ## ruff on code and chapter cells, mypy, actionlint
	$(BIN)/ruff check omnivault tests benchmarks tools _ext

lint-chapters: $(INSTALLED)
	@rm -rf $(LINT_DIR) && mkdir -p $(LINT_DIR)
	@for chapter in $(CHAPTERS); do \
		$(BIN)/jupytext --quiet --to ipynb --output $(LINT_DIR)/$$(basename $${chapter%.md}).ipynb $$chapter; \
	done
	$(BIN)/ruff check --ignore D --line-length $(CHAPTER_LINE_LENGTH) $(LINT_DIR)

typecheck: $(INSTALLED)
	$(BIN)/mypy

workflows: $(INSTALLED)
	$(BIN)/actionlint .github/workflows/*.yml

pytest: $(INSTALLED) ## Unit, property and doctests of omnivault, and the build's own tests
	$(BIN)/python -m pytest

book-fresh: $(INSTALLED) ## Build the book from scratch: every cell executes, any warning fails
	rm -rf $(BUILD)
	$(MAKE) book-strict
	@mkdir -p $(BUILD) && touch $(LIBRARY_STAMP)

offline-check: $(INSTALLED)
	$(BIN)/python tests/html_is_offline.py $(BUILD)/html
	$(BIN)/python tools/check_output_width.py $(BUILD)/jupyter_execute

chromium: ## Install Debian's Chromium for the browser test and the PDF, if it is missing
	@test -x $(CHROMIUM) || { echo "Installing Debian's chromium (apt-get)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-dejavu-core \
		>/dev/null; }

# Every page at desktop, tablet and phone widths; screenshots in _build/screenshots.
browser-check: $(INSTALLED) chromium ## Open every built page in headless Chromium and check it
	CHROMIUM=$(CHROMIUM) $(BIN)/python tools/check_in_browser.py $(BUILD)/html \
		--screenshots $(BUILD)/screenshots

notebooks: $(INSTALLED) ## Write each chapter as .ipynb for Colab and Binder (_build/notebooks)
	$(BIN)/python tools/export_notebooks.py --output $(NOTEBOOKS) $(if $(REVISION),--revision $(REVISION))

launch-check: notebooks ## Check that every Colab/Binder link opens an exported notebook
	$(BIN)/python tools/check_launch_links.py $(BUILD)/html $(NOTEBOOKS)

# What Binder does, offline: a fresh venv from binder/requirements.txt, then postBuild,
# then one exported notebook run top to bottom (its install cell finds omnivault).
binder-check: notebooks ## Build the Binder environment in a fresh venv and run a notebook in it
	rm -rf $(BINDER_VENV) $(BUILD)/binder-run
	$(PYTHON) -m venv $(BINDER_VENV)
	$(BINDER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "pip==$(PIP_VERSION)"
	PIP_RETRIES=0 PIP_TIMEOUT=10 $(BINDER_VENV)/bin/python -m pip install --quiet \
		--disable-pip-version-check -r binder/requirements.txt
	PATH=$(abspath $(BINDER_VENV))/bin:$$PATH bash binder/postBuild
	$(BINDER_VENV)/bin/python -c 'import omnivault; print("omnivault", omnivault.__version__)'
	$(BINDER_VENV)/bin/jupyter nbconvert --to notebook --execute --log-level WARN \
		--output-dir $(BUILD)/binder-run $(NOTEBOOKS)/chapters/softmax_distribution.ipynb

pdf: $(INSTALLED) $(LIBRARY_STAMP) chromium ## Print the whole book to _build/pdf/book.pdf
	$(BIN)/jupyter-book build $(BOOK_DIR) --builder singlehtml
	CHROMIUM=$(CHROMIUM) $(BIN)/python tools/print_pdf.py $(BUILD)/singlehtml $(BUILD)/pdf/book.pdf
	@test ! -d $(BUILD)/html || cp $(BUILD)/pdf/book.pdf $(BUILD)/html/book.pdf

# Two workers, each notebook whole on one of them (--dist loadfile): cells share a kernel.
nbval: $(INSTALLED) ## Re-run the executed notebooks and compare every output (strict nbval)
	$(BIN)/python -m pytest --nbval --nbval-current-env -p no:cacheprovider -p tools.nbval_glue \
		-n 2 --dist loadfile -o addopts="" $(BUILD)/jupyter_execute

lab: $(INSTALLED) ## Open the chapters as notebooks in JupyterLab (jupytext)
	$(BIN)/jupyter lab chapters

# Each benchmark prints its table and exits non-zero if it misses a target; all of them run.
BENCHMARKS := softmax_speed attention_memory_speed cross_entropy_memory_speed
bench: $(INSTALLED) ## Time and measure omnivault against torch (not part of make test)
	@status=0; for name in $(BENCHMARKS); do \
		echo "== benchmarks/$$name.py"; $(BIN)/python benchmarks/$$name.py || status=1; \
	done; exit $$status

lock: python-check ## Re-resolve pyproject.toml's ranges and rewrite requirements/lock.txt
	rm -rf $(BUILD)/lock-venv
	$(PYTHON) -m venv $(BUILD)/lock-venv
	$(BUILD)/lock-venv/bin/python -m pip install --quiet "pip==$(PIP_VERSION)"
	$(BUILD)/lock-venv/bin/python -m pip install --quiet "torch==2.13.0" '.[book,dev]'
	{ echo "# Exact versions of every package in the book's environment (constraints for pip)."; \
	  echo "# Regenerate with 'make lock' after changing the ranges in pyproject.toml."; \
	  $(BUILD)/lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^omnivault' \
	  | sed -E 's/^(torch==[0-9.]+)\+cpu$$/\1/'; } > requirements/lock.txt
	rm -rf $(BUILD)/lock-venv

clean: ## Remove build outputs and caches (keeps .venv)
	rm -rf $(BUILD) .pytest_cache .hypothesis .mypy_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
