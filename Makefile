# cmokit — run `make` to list the targets.
PY        ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
UV        := $(BIN)/uv
WAREHOUSE := build/warehouse.duckdb
JOBS      ?= 2

.DEFAULT_GOAL := help
.PHONY: help env demo warehouse test lint docs lab bench bench-envs lock chromium clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

env: $(VENV)/.installed ## create .venv from the lock file (Python 3.11+)

$(VENV)/.installed: requirements.lock pyproject.toml
	@$(PY) -c 'import sys; sys.exit("cmokit needs Python 3.11+, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(UV) pip sync --quiet --python $(BIN)/python requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

warehouse: $(WAREHOUSE) ## build the sample marketing warehouse (build/warehouse.duckdb)

$(WAREHOUSE): $(VENV)/.installed $(wildcard data/sample/*.csv) $(wildcard src/cmokit/warehouse/*.py)
	$(BIN)/cmokit warehouse build data/sample --out $(WAREHOUSE) --dev-key

demo: warehouse ## environment, sample warehouse and every report; prints where the HTML index is
	$(BIN)/cmokit report run-all --manifest reports.yml --warehouse $(WAREHOUSE) --out reports --jobs $(JOBS)
	@echo "Reports index: $(abspath reports/index.html)"

test: env chromium lint docs ## environment, lint, documentation build and the whole test suite
	$(BIN)/python -m pytest -n $(JOBS) -q

lint: env ## ruff (rules in pyproject.toml): unused imports and variables, undefined names, ...
	$(BIN)/ruff check .

docs: env ## offline HTML documentation into build/docs/ (API from docstrings, design, contract, metrics)
	$(BIN)/python docs/build.py

lab: warehouse ## JupyterLab on notebooks/ with the project's kernel and the sample warehouse
	CMOKIT_WAREHOUSE=$(abspath $(WAREHOUSE)) $(BIN)/jupyter lab notebooks

bench: env warehouse bench-envs ## run the benchmark suite (hours on 2 cores); writes benchmarks/results/
	$(BIN)/python benchmarks/run.py

BENCH_ENVS := benchmarks/.envs
PIP_QUIET  := --quiet --disable-pip-version-check

bench-envs: $(BENCH_ENVS)/lifetimes/.installed $(BENCH_ENVS)/channelattribution/.installed ## baseline tools, each in its own environment

# lifetimes 0.11.3 needs the libraries of its day; it is a baseline, never a cmokit dependency.
$(BENCH_ENVS)/lifetimes/.installed:
	$(PY) -m venv $(BENCH_ENVS)/lifetimes
	$(BENCH_ENVS)/lifetimes/bin/pip install $(PIP_QUIET) numpy==1.24.4 pandas==1.5.3 scipy==1.10.1 autograd==1.9.1 lifetimes==0.11.3
	@touch $@

# ChannelAttribution builds from its source distribution (only it: --no-binary :all: compiles every build dependency).
$(BENCH_ENVS)/channelattribution/.installed:
	$(PY) -m venv $(BENCH_ENVS)/channelattribution
	$(BENCH_ENVS)/channelattribution/bin/pip install $(PIP_QUIET) --no-binary channelattribution channelattribution==2.2.5 matplotlib
	@touch $@

lock: ## re-resolve requirements.lock from pyproject.toml (then commit it)
	$(UV) pip compile pyproject.toml --extra dev --extra test --extra docs --python-version 3.11 -o requirements.lock

chromium: ## install Debian's headless Chromium for the browser tests when missing
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); \
	  else echo "chromium missing: run 'sudo apt-get install chromium' (browser tests will be skipped)"; fi; }

clean: ## remove the environment, built warehouse and reports
	rm -rf $(VENV) build reports
