# Jamscope: `make run` starts the collector with an embedded ClickHouse;
# `make test` runs the whole suite. Both install what they need, once.

SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
CARGO ?= cargo
NPM_DIRS := rum-beacon tests/clients/node tests/browser
export JAMSCOPE_CLICKHOUSE_EMBEDDED_PYTHON ?= $(abspath $(PYTHON))

.PHONY: run test lint deploy-lint bench deps venv node-deps chromium build-debug build-release clean

## Start the collector (OTLP on 4318/4317, embedded ClickHouse under ./data).
run: venv build-release
	./target/release/jamscope serve

# Which collector and Python the Rust end-to-end and the browser tests start.
TEST_ENV = JAMSCOPE_TEST_BIN=$(abspath target/debug/jamscope) JAMSCOPE_TEST_PYTHON=$(abspath $(PYTHON))

## The whole suite: unit, end-to-end (real ClickHouse, real SDK clients) and browser tests (the SDK, the web UI).
test: deps build-debug $(VENV)/.deploy-installed
	$(TEST_ENV) $(CARGO) test --workspace --locked -- --test-threads=4
	# The configs deploy/ ships are accepted by `jamscope config check`.
	$(PYTHON) deploy/check.py configs --jamscope target/debug/jamscope
	cd rum-beacon && $(TEST_ENV) node --test test/
	cd tests/browser && $(TEST_ENV) node --test

lint: deploy-lint
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --all-features --locked -- -D warnings
	# ARCHITECTURE.md's dependency table holds: no edge it does not allow, no cycle.
	$(CARGO) test -p jamscope --locked --test architecture

## deploy/: hadolint, yamllint, Kubernetes schemas (offline), systemd-analyze verify where it exists.
deploy-lint: $(VENV)/.deploy-installed
	$(PYTHON) deploy/check.py lint

# Apart from the venv's other packages, so `make lint` needs none of them.
$(VENV)/.deploy-installed: deploy/requirements.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r deploy/requirements.txt
	touch $@

## Side-by-side benchmark against Rotel (results in bench/results, summary in BENCHMARKS.md).
bench: venv $(VENV)/.bench-installed build-release
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	bash bench/run.sh

$(VENV)/.bench-installed: bench/requirements.txt $(VENV)/.installed
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	touch $@

deps: venv node-deps chromium

venv: $(VENV)/.installed
$(VENV)/.installed: requirements-dev.txt tests/clients/python/requirements.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node-deps: $(addsuffix /node_modules/.package-lock.json,$(NPM_DIRS))
%/node_modules/.package-lock.json: %/package-lock.json
	cd $* && npm ci --no-audit --no-fund --loglevel=error

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

build-debug:
	$(CARGO) build --workspace --locked

build-release:
	$(CARGO) build --release --locked -p jamscope

clean:
	rm -rf target $(VENV) $(addsuffix /node_modules,$(NPM_DIRS)) data
