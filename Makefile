# Two-command quick start: `make synth`, then `make test`. Every target sets up what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
UV := $(BIN)/uv
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
# uv reads no pip.conf: it trusts the system certificate store (where a TLS-inspecting proxy's CA lives; or set
# SSL_CERT_FILE), resolves from PyPI (or UV_DEFAULT_INDEX) and never downloads a Python (docs/toolchain.md).
export UV_SYSTEM_CERTS ?= true
export UV_PYTHON_DOWNLOADS ?= never
# uv installs without compiling bytecode: compiling all of .venv costs more than a first synth (docs/toolchain.md).
# Python caches it on first import instead, so the commands make runs do not inherit PYTHONDONTWRITEBYTECODE.
unexport PYTHONDONTWRITEBYTECODE
STAGE ?= dev
CDK := cdk --app "$(BIN)/python app.py" -c stage=$(STAGE)
OUTPUTS_FILE ?= cdk-outputs-$(STAGE).json
PYTEST_ARGS ?=
# pytest-xdist workers for `make test` and `make test-fast` (auto: one per CPU; 0: no workers, one process).
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup
PORT ?= 8080
AUTHORIZER ?= jwt
# `make local LONG_TERM_MEMORY=1`: the Memory store with long-term strategies (the stage setting long_term_memory).
LONG_TERM_MEMORY ?=
HOST ?= 127.0.0.1
# Requirement files (hand-edited top-level pins) and the hash-pinned locks `make lock` compiles from them.
REQUIREMENTS := requirements.txt requirements-dev.txt agent/requirements.txt client/requirements.txt \
	local/requirements.txt bench/requirements.txt
LOCKS := requirements-dev.lock agent/requirements.lock client/requirements.lock

.PHONY: help setup lock synth test test-fast lint cfn-lint deploy diff destroy dev local web bench bump-base-image clean

# A help text may name a variable, e.g. $(OUTPUTS_FILE): it is shown with the value this run of make gives it.
help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
		awk -F':.*## ' -v outputs_file='$(OUTPUTS_FILE)' \
		'{gsub(/\$$\(OUTPUTS_FILE\)/, outputs_file, $$2); printf "  %-16s %s\n", $$1, $$2}'

# Bootstrap: a plain venv's pip installs the uv pinned (with its hashes) in requirements-dev.lock.
$(UV):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PYTHON) scripts/locks.py pin uv > $(VENV)/uv-bootstrap.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(VENV)/uv-bootstrap.lock

# The venv becomes exactly requirements-dev.lock, every file hash-checked; a stale lock stops here.
$(VENV)/.installed: $(REQUIREMENTS) $(LOCKS) pyproject.toml | $(UV)
	@$(PYTHON) scripts/locks.py check
	$(UV) pip sync --quiet --require-hashes --python $(BIN)/python requirements-dev.lock
	$(UV) pip install --quiet --no-deps --no-build-isolation --python $(BIN)/python --editable .
	$(BIN)/python scripts/link_node.py $(BIN)
	touch $@

node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The browser chat (web/): its own package-lock, built by Vite with the venv's Node.js into web/dist, which the web
# content stack deploys and `make local` serves.
WEB_SOURCES := web/index.html web/vite.config.js $(wildcard web/src/*)
web/node_modules/.installed: web/package.json web/package-lock.json $(VENV)/.installed
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run --silent build -- --logLevel warn

setup: $(VENV)/.installed node_modules/.installed web/dist/index.html ## Create .venv from the hash-checked lock, with Node.js 24, the pinned CDK CLI and the built web app.

web: web/dist/index.html ## Build the browser chat into web/dist (setup does it too).

lock: $(UV) ## Compile every requirement file into its hash-pinned lock (UPGRADE=1: newest versions of everything).
	$(BIN)/python scripts/locks.py compile --uv $(UV) $(if $(UPGRADE),--upgrade)

# The stages' stacks are not top-level, so the CLI ends every synth with "Supply a stack id () to display its
# template.": it prints that at info level whenever a synth selects other than one stack, and no option lowers the
# level below info (aws-cdk 2.1148 lib/cli/cdk-toolkit.js synth(), lib/cli/cli.js determineIoMessageLevel). That
# one line is dropped; every other line, warnings included, is shown (on stdout), and cdk's exit code is kept.
synth: setup ## Synthesize the app for STAGE (default dev) and print a summary. No AWS account needed.
	set -o pipefail; $(CDK) synth --quiet 2>&1 | sed '/^Supply a stack id (.*) to display its template\.$$/d'
	$(BIN)/python scripts/synth_summary.py cdk.out

test: lint ## Run the linters, then the whole test suite in parallel (no AWS; the container test's image build needs PyPI).
	$(PYTEST) $(PYTEST_ARGS)

test-fast: lint ## Run the linters, then the fast tier: no container, restore, browser or slow test (docs/testing.md).
	$(PYTEST) -m "not (slow or container or restore or browser)" $(PYTEST_ARGS)

deploy: setup ## Deploy STAGE (needs AWS credentials); writes $(OUTPUTS_FILE) for the client. First deploy: prints the once-per-account steps.
	$(BIN)/python -m scripts.deploy_notice --stage $(STAGE)
	$(CDK) deploy --all --require-approval never --outputs-file $(OUTPUTS_FILE)
	$(BIN)/python -m scripts.log_retention --stage $(STAGE)

diff: setup ## Show what a deploy of STAGE would change.
	$(CDK) diff --all

destroy: setup ## Empty STAGE's session bucket unless retained, then delete its stacks (prod keeps its retained resources).
	$(BIN)/python -m scripts.empty_session_store --stage $(STAGE)
	$(CDK) destroy --all --force

lint: setup ## ruff check, ruff format --check, the import contracts and mypy (strict), each announced and timed; `make test` runs it first.
	$(BIN)/python scripts/lint.py

cfn-lint: synth ## cfn-lint every synthesized template (cdk-nag runs inside synth).
	cfn-lint $$(find cdk.out -name '*.template.json')

local: setup ## Run the whole flow offline: moto, the front door (AUTHORIZER=jwt|iam, on HOST, default 127.0.0.1) and the agent (LONG_TERM_MEMORY=1: long-term memory).
	HOST=$(HOST) $(BIN)/python -m local --authorizer $(AUTHORIZER) $(if $(LONG_TERM_MEMORY),--long-term-memory)

bench: setup ## Benchmark the agent against the reference design, no AWS (~8-15 min; BENCH_QUICK=1 for ~3 min).
	$(BIN)/python -m bench $(BENCH_ARGS)

dev: setup ## Run the agent on HOST:PORT (default 127.0.0.1:8080) with the file session store; no model or AWS credentials: the Bedrock stand-in answers.
	SESSION_STORE=$${SESSION_STORE:-file} HOST=$(HOST) PORT=$(PORT) $(BIN)/python -m local.dev_agent

bump-base-image: setup ## Pin agent/Dockerfile's base image to its tag's current digest (needs a registry), then re-lock.
	$(BIN)/python scripts/bump_base_image.py
	$(MAKE) lock

clean: ## Remove build output (keeps .venv and node_modules).
	rm -rf cdk.out .pytest_cache
