# Two-command quick start: `make synth`, then `make test`. Every target sets up what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
STAGE ?= dev
CDK := cdk --app "$(BIN)/python app.py" -c stage=$(STAGE)
OUTPUTS_FILE ?= cdk-outputs-$(STAGE).json
PYTEST_ARGS ?=
PORT ?= 8080

.PHONY: help setup synth test lint deploy diff destroy dev local bench clean

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt agent/requirements.txt client/requirements.txt local/requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python scripts/link_node.py $(BIN)
	touch $@

node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.installed ## Create .venv with pinned Python deps, Node.js 24 and the pinned CDK CLI.

synth: setup ## Synthesize the app for STAGE (default dev) and print a summary. No AWS account needed.
	$(CDK) synth --quiet
	$(BIN)/python scripts/synth_summary.py cdk.out

test: setup ## Run the whole test suite (offline).
	$(BIN)/python -m pytest $(PYTEST_ARGS)

deploy: setup ## Deploy STAGE (needs AWS credentials); writes $(OUTPUTS_FILE) for the client.
	$(CDK) deploy --all --require-approval never --outputs-file $(OUTPUTS_FILE)

diff: setup ## Show what a deploy of STAGE would change.
	$(CDK) diff --all

destroy: setup ## Delete STAGE's stacks (prod keeps its retained resources).
	$(CDK) destroy --all --force

lint: synth ## cfn-lint every synthesized template (cdk-nag runs inside synth).
	cfn-lint $$(find cdk.out -name '*.template.json')

local: setup ## Run the whole flow offline: moto Cognito, the JWT front door and the agent (see docs/client.md).
	$(BIN)/python -m local

bench: setup ## Benchmark the agent against the reference design, offline (~8-15 min; BENCH_QUICK=1 for ~3 min).
	$(BIN)/python -m bench $(BENCH_ARGS)

dev: setup ## Run the agent locally on PORT (default 8080) with the file session store.
	SESSION_STORE=$${SESSION_STORE:-file} PORT=$(PORT) $(BIN)/python -m agent

clean: ## Remove build output (keeps .venv and node_modules).
	rm -rf cdk.out .pytest_cache
