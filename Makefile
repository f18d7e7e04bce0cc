# accessreview — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.embedded: pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet -e ".[embedded,pdf]"
	@touch $@

$(VENV)/.test: pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet -e ".[test]"
	@touch $@ $(VENV)/.embedded

$(VENV)/.dev: pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet -e ".[dev]"
	@touch $@ $(VENV)/.test $(VENV)/.embedded

.PHONY: install
install: $(VENV)/.embedded ## create .venv and install the product with the embedded broker

.PHONY: demo
demo: $(VENV)/.embedded ## run the main job locally on embedded defaults
	$(PY) -m services.cli.main demo

.PHONY: up
up: $(VENV)/.embedded ## start the local stack (embedded broker + every service) until Ctrl-C
	$(PY) -m services.cli.main up

.PHONY: browser
browser: ## make sure a Chromium for the browser tests is installed (Debian's package)
	@if [ -x /usr/bin/chromium ]; then echo "chromium: /usr/bin/chromium"; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  && echo "chromium installed" || echo "warning: could not install chromium; browser tests will be skipped"; \
	else echo "warning: no /usr/bin/chromium; browser tests will be skipped"; fi

.PHONY: test
test: $(VENV)/.test browser ## install the test extras and run the whole test suite
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests for: $(PYTEST_ARGS)"; exit 0; fi; exit $$rc

.PHONY: test-unit
test-unit: $(VENV)/.test ## only the fast unit tests
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

.PHONY: soak
soak: $(VENV)/.test ## long crash/soak trials
	$(PY) -m pytest -m soak $(PYTEST_ARGS)

.PHONY: lint
lint: $(VENV)/.dev ## ruff, mypy and the import-linter layer contracts
	$(VENV)/bin/ruff check services tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

.PHONY: bench
bench: $(VENV)/.test ## run the benchmarks and print their figures
	$(PY) -m bench

.PHONY: clean
clean: ## remove local state (var/) and caches
	rm -rf var .pytest_cache .mypy_cache .ruff_cache .hypothesis
