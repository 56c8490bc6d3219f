# Pitchey Serverless: every entry point a developer or CI needs.
#   make dev    set up .venv if needed, then start the whole application locally (no Docker, no AWS)
#   make test   set up .venv if needed, then lint, validate + build the template, run every test
#   make iac    cfn-lint (serverless rules) and checkov on the template, against tools/iac-baseline.yaml
#   make openapi  regenerate docs/openapi.json from the code (a unit test fails when it is stale)
#   make bench  every benchmark (docs/performance.md); ARGS=load only the locust scenario (BENCH_LOAD_USERS=N)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# checkov has its own venv: its pinned dependencies (boto3 among them) conflict with ours.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
ARGS ?=
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: install dev test lint format validate iac build unit integration bench clean openapi

$(STAMP): requirements-dev.txt layers/pitchey/requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install -q -r requirements-checkov.txt
	touch $(CHECKOV_STAMP)

install: $(STAMP)

dev: install
	$(BIN)/pitchey-local start --seed $(ARGS)

# sam build (mostly file copies and wheel downloads) runs beside the unit tests to keep CI short.
test: install lint validate
	$(MAKE) --no-print-directory -j2 build unit
	$(MAKE) --no-print-directory integration

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

validate: install
	$(BIN)/sam validate --lint
	$(MAKE) --no-print-directory iac

# cfn-lint with the serverless rules and checkov on the template; tools/iac-baseline.yaml: accepted findings.
iac: install $(CHECKOV_STAMP)
	$(BIN)/python tools/iac.py

build: install
	$(BIN)/sam build --parallel

unit: install
	$(BIN)/python -m pytest -q -n 2 tests/unit

integration: install
	$(BIN)/python -m pytest -q -n 2 --dist loadfile tests/local tests/integration

openapi: install
	$(BIN)/python -m local.openapi

bench: install
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache .hypothesis $(CHECKOV_VENV)
