# pertinax developer tasks. `make test` is the one test entry point: CI runs exactly it.

PYTHON ?= python3
CARGO ?= cargo

# Resolve the interpreter once, so the extension, cargo's embedded-Python tests and the
# tools all use the same one (pyenv shims and virtualenvs included).
PY_EXE := $(shell $(PYTHON) -c 'import sys; print(sys.executable)')
PY_LIBDIR := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR") or "")')
export PYO3_PYTHON := $(PY_EXE)

# The crate does not enable pyo3's extension-module feature (maturin adds it), so the
# `cargo test` binaries link libpython. Point the loader at this interpreter's copy:
# otherwise a system libpython of the same version may load, with its own sys.prefix
# and without this environment's site-packages.
CARGO_TEST_ENV := LD_LIBRARY_PATH="$(PY_LIBDIR)$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}"

# A dev-profile build: the release profile (fat LTO, one codegen unit) is for wheels.
BUILD_ARGS := --profile dev

# Directories that may not exist in a fresh clone are left out rather than failing ruff.
LINT_PATHS := $(wildcard python tests examples benchmarks)
TYPING_FILES := tests/typing/api.py
STUBTEST_ALLOWLIST := tests/typing/stubtest_allowlist.txt
BENCH := benchmarks/bench.py

# Steps run one after another, stopping at the first failure, even under `make -j`.
.NOTPARALLEL:

.PHONY: help build demo test fmt-check clippy lint typecheck cargo-test pytest upstream downstream \
	upstream-baseline bench-quick format clean

help:
	@echo "make demo               build and install pertinax, then run examples/quickstart.py"
	@echo "make test               build, then every check and test suite (what CI runs)"
	@echo "make build              build the extension (dev profile) and install it editable, with the test extra"
	@echo "make format             apply cargo fmt, ruff format and ruff's fixes"
	@echo "make upstream           tenacity 9.2.1's own test suite against pertinax"
	@echo "make upstream-baseline  the same suite against the real tenacity"
	@echo "make clean              remove build products and caches"

build:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[test]' \
		--config-settings=build-args='$(BUILD_ARGS)'

demo: build
	$(PYTHON) examples/quickstart.py

test: build fmt-check clippy lint typecheck cargo-test pytest upstream downstream bench-quick

# Both tools are required: a missing one fails the step (.ci/run installs them).
fmt-check:
	@$(CARGO) fmt --version >/dev/null 2>&1 || { \
		echo "ERROR: cargo fmt is missing (rustup component add rustfmt, or apt-get install rustfmt)"; \
		exit 1; }
	$(CARGO) fmt --check

clippy:
	@$(CARGO) clippy --version >/dev/null 2>&1 || { \
		echo "ERROR: cargo clippy is missing (rustup component add clippy, or apt-get install rust-clippy)"; \
		exit 1; }
	$(CARGO) clippy --all-targets -- -D warnings

lint:
	$(PYTHON) -m ruff check $(LINT_PATHS)
	$(PYTHON) -m ruff format --check $(LINT_PATHS)

# Type-checks the signature-preservation file against the installed pertinax. Its
# `# type: ignore[code]` comments are negative checks: with warn_unused_ignores (part of
# --strict), an ignore that no longer suppresses an error fails the run. stubtest compares
# the hand-written stubs with the built native module; each allowlisted difference says why.
typecheck:
	$(PYTHON) -m mypy --strict $(TYPING_FILES)
	$(PYTHON) -m mypy --strict python/pertinax
	$(PYTHON) -m mypy.stubtest pertinax._pertinax --allowlist $(STUBTEST_ALLOWLIST)

cargo-test:
	$(CARGO_TEST_ENV) $(CARGO) test

# pytest's exit code 5 means "no tests collected": a failure here, said out loud.
pytest:
	@echo "$(PYTHON) -m pytest tests"
	@$(PYTHON) -m pytest tests; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "ERROR: pytest collected no tests in tests/"; fi; \
	exit $$rc

upstream:
	$(PYTHON) -m tests.downstream.run_upstream

# Real projects built on tenacity, their own suites on pertinax: stamina, and
# langchain-core's runnables (with_retry drives tenacity's iterator mode). Then the Django
# app's tests once more, on Django 4.2 LTS (pytest ran them on the newest Django).
downstream:
	$(PYTHON) -m tests.downstream.run_stamina
	$(PYTHON) -m tests.downstream.run_langchain
	$(PYTHON) -m tests.downstream.run_django42

upstream-baseline:
	$(PYTHON) -m tests.downstream.run_upstream --against tenacity

bench-quick:
	$(PYTHON) $(BENCH) --quick
	$(PYTHON) benchmarks/metrics_cost.py --quick
	$(PYTHON) benchmarks/resilience_cost.py --quick
	$(PYTHON) benchmarks/storm.py --quick
	$(PYTHON) benchmarks/transient_cost.py --quick
	$(PYTHON) benchmarks/policy_cost.py --quick

format:
	$(CARGO) fmt
	$(PYTHON) -m ruff check --fix $(LINT_PATHS)
	$(PYTHON) -m ruff format $(LINT_PATHS)

clean:
	$(CARGO) clean
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find python -name '*.so' -delete
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
