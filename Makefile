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

.PHONY: all demo test lint check-deps rust-test build interop fuzz-build fuzz bench bench-watch clean

all: test

demo:
	$(CARGO) run -q -p agora-rtm-rest-cli -- demo

build:
	$(CARGO) build --workspace --all-targets

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

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

test: lint check-deps rust-test interop fuzz-build
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
