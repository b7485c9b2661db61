# agora-rtm-rest: one entry point for humans and CI.
#
#   make demo   the SDK against the bundled emulator, no account needed
#   make test   every check CI runs: lints, Rust tests, vectors, CLI, token interop, fuzz build
#
# Everything builds into one target/ (see .cargo/config.toml), dev profile only.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
TARGET_DIR := $(CURDIR)/target/x86_64-unknown-linux-gnu/debug
export AGORA_RTM_BIN := $(TARGET_DIR)/agora-rtm

.PHONY: all demo test lint docs check-deps rust-test build interop fuzz-build fuzz bench bench-watch clean

all: test

demo:
	$(CARGO) run -q -p agora-rtm-rest-cli -- demo

build:
	$(CARGO) build --workspace --all-targets

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Every public item is documented and every intra-doc link resolves.
docs:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps -p agora-rtm-rest-protocol -p agora-rtm-rest -p agora-rtm-rest-emulator

# The protocol crate stays sans-IO: no async runtime, HTTP stack or random source.
check-deps:
	@if $(CARGO) tree -p agora-rtm-rest-protocol -e normal --prefix none | grep -E '^(tokio|reqwest|hyper|mio|async-|futures|rand|getrandom) '; then \
		echo "agora-rtm-rest-protocol must not depend on the crates above"; exit 1; \
	else echo "check-deps: agora-rtm-rest-protocol has no I/O, runtime or RNG dependency"; fi

rust-test: build
	$(CARGO) test --workspace

interop: build
	bash tests/interop/run.sh

fuzz-build:
	$(CARGO) build -p agora-rtm-rest-fuzz --bins

test: lint docs check-deps rust-test interop fuzz-build python-test node-test kotlin-test
	@echo "make test: all suites passed"

# Not part of `make test` (they measure, they do not check):
bench:
	$(CARGO) bench -p agora-rtm-rest-bench

bench-watch:
	$(CARGO) build --release -p agora-rtm-rest-cli
	python3 bench/watch/bench.py --markdown

FUZZ_SECONDS ?= 600
fuzz:
	cd fuzz && $(CARGO) +nightly fuzz run parse_response -- -max_total_time=$(FUZZ_SECONDS)
	cd fuzz && $(CARGO) +nightly fuzz run parse_token -- -max_total_time=$(FUZZ_SECONDS)

clean:
	$(CARGO) clean

# Node package (bindings/node, node/): build the addon (debug), run the suite
# (vectors, emulator, watch, token interop), type-check, then pack and install the
# tarball into a scratch project that requires and imports it.
.PHONY: node-test
node-test:
	$(CARGO) build -p agora-rtm-rest-cli
	cd node && npm ci --no-audit --no-fund
	cd node && npx napi build --platform --manifest-path ../bindings/node/Cargo.toml --package-json-path package.json --output-dir .
	cd node && node --test test/
	cd node && npx tsc --noEmit --strict -p test/types
	bash node/test/pack-smoke.sh

# ---- Kotlin and Swift bindings (uniffi) -------------------------------------------
# Not yet part of `make test`. The uniffi-bindgen binary is built once (debug) and run
# directly; Maven generates the Kotlin sources from the built library.
UNIFFI_LIB := $(TARGET_DIR)/libagora_rtm_rest_uniffi.so
UNIFFI_BINDGEN := $(TARGET_DIR)/uniffi-bindgen
SWIFT_DIR := bindings/swift

.PHONY: uniffi-build kotlin-test test-swift swift-generate

uniffi-build:
	$(CARGO) build -p agora-rtm-rest-uniffi -p agora-rtm-rest-uniffi-bindgen -p agora-rtm-rest-cli

kotlin-test: uniffi-build
	mvn -B -f bindings/kotlin/pom.xml test
	@$(MAKE) --no-print-directory test-swift

# Regenerates the committed Swift sources (after an API change).
swift-generate: uniffi-build
	bash $(SWIFT_DIR)/scripts/generate.sh "$(UNIFFI_BINDGEN)" "$(UNIFFI_LIB)" "$(SWIFT_DIR)"

# XCTest where `swift` is on the PATH; elsewhere a partial check (tree-sitter parse of
# every Swift file + the expected API), which says so and is never reported as passed.
test-swift: uniffi-build
	bash $(SWIFT_DIR)/scripts/test.sh "$(UNIFFI_BINDGEN)" "$(UNIFFI_LIB)" "$(SWIFT_DIR)"

# Python package (python/, bindings/python): builds the CLI (the emulator), builds
# the abi3 wheel with maturin, installs it into a fresh virtualenv and runs the
# pytest suite against the installed wheel, then mypy --strict and stubtest.
PY_BUILD_VENV := $(CURDIR)/python/.venv-build
PY_TEST_VENV := $(CURDIR)/python/.venv-test
.PHONY: python-test
python-test:
	$(CARGO) build -p agora-rtm-rest-cli
	test -x $(PY_BUILD_VENV)/bin/maturin || { python3 -m venv $(PY_BUILD_VENV) && $(PY_BUILD_VENV)/bin/pip install -q maturin==1.16.0; }
	rm -rf python/dist
	cd python && CARGO_BUILD_TARGET=x86_64-unknown-linux-gnu $(PY_BUILD_VENV)/bin/maturin build --out dist
	rm -rf $(PY_TEST_VENV)
	python3 -m venv $(PY_TEST_VENV)
	$(PY_TEST_VENV)/bin/pip install -q python/dist/*.whl pytest==9.2.0 pytest-asyncio==1.5.0 mypy==2.4.1 agoraiotools==0.3.4
	cd python/tests && AGORA_RTM_EMULATOR=$(TARGET_DIR)/agora-rtm $(PY_TEST_VENV)/bin/python -m pytest -p no:cacheprovider
	cd python/typecheck && $(PY_TEST_VENV)/bin/python -m mypy --strict --no-incremental usage.py
	cd python/typecheck && $(PY_TEST_VENV)/bin/python -m mypy.stubtest agora_rtm_rest --allowlist stubtest-allowlist.txt
	@echo "make python-test: passed"
