# The README's two quick-start commands: `make demo` and `make test`.
# Everything is installed into .venv at the repository root from pinned files.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup setup-trf demo test test-unit test-integration bench bench-factbase bench-dask pg-server clean-venv dist workflow

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH (or: make PYTHON=/path/to/python3.11)"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --ignore-requires-python -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

setup: $(STAMP)

# Main job: extract facts from a sample report with the shipped model.
demo: $(STAMP)
	$(BIN)/nkner extract samples/report-2024-returns.txt --format table

# PostgreSQL server binaries for the fact base's integration tests: Debian's postgresql package,
# installed when missing (as root, as in CI; otherwise the message says what to install).
pg-server:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql; \
	  else echo "PostgreSQL server binaries (initdb) missing: install Debian's postgresql package, or set NKNER_PG_BIN"; exit 2; fi

test: $(STAMP) pg-server
	$(BIN)/python -m pytest -q -ra

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q -m "not integration"

test-integration: $(STAMP) pg-server
	$(BIN)/python -m pytest -q -m integration

# Optional: the transformer backbone (about 1.9 GB) in its own environment.
setup-trf: requirements.lock requirements-trf.lock
	test -x .venv-trf/bin/python || $(PYTHON) -m venv .venv-trf
	.venv-trf/bin/python -m pip install -q --disable-pip-version-check --no-deps --ignore-requires-python -r requirements.lock
	.venv-trf/bin/python -m pip install -q --disable-pip-version-check --no-deps -r requirements-trf.lock
	.venv-trf/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .

bench: $(STAMP)
	$(BIN)/python bench/bench.py

# The fact base at scale (about 40 minutes on 2 cores): ingest rates and query latencies, SQLite and PostgreSQL.
bench-factbase: $(STAMP) pg-server
	$(BIN)/python bench/factbase_bench.py

# The Dask engine with 1 and 2 local workers against the single-process run (docs/scaling.md).
bench-dask: $(STAMP)
	$(BIN)/python bench/bench_dask.py

# The declared workflow (project.yml, weasel): clean -> convert -> train -> evaluate -> package; each
# step runs only when its inputs or outputs changed since its last run (checksums in project.lock).
WEASEL := PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m weasel run

workflow: $(STAMP)
	$(WEASEL) all

# The project's wheel and the default model's wheel (built with `spacy package`) into dist/.
dist: $(STAMP)
	$(WEASEL) package

clean-venv:
	rm -rf $(VENV)
