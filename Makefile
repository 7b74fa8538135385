# Crypter's two commands: `make run` and `make test`. Each runs setup first (idempotent).
SHELL := /bin/bash
export PATH := $(CURDIR)/tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: setup run dev console build test soak chaos lint bench bench-size bench-credentials bench-console-list bench-search bench-changesets bench-undo bench-keys bench-load bench-wan bench-snapshot bench-notify bench-approvals clean

setup:
	@bash scripts/setup.sh

## The console: the login page (dist/core/) and the console after login (dist/console/),
## each one wasm: cargo, wasm-bindgen, wasm-opt -Oz (scripts/build_console.py).
console: setup
	bash scripts/build-console.sh

build: console
	cargo build --release -p crypter

## Start the console on http://127.0.0.1:8080 over the embedded, managed OpenBao (./data).
run: build
	./target/release/crypter serve

## Start the console over an in-memory OpenBao with demo data.
dev: build
	./target/release/crypter dev

## fmt, clippy (native and wasm32), unit and integration tests, the release console build,
## and the Playwright e2e suite.
test:
	@bash scripts/test.sh

## The changesets' property tests, long (make test runs 200 and 20 cases): 5,000 random
## changesets against a real bao, and 500 applies killed at a random write and resumed.
## Also: a 10,000-credential apply killed halfway on one instance and resumed on another.
soak:
	CRYPTER_PROPTEST_CASES=5000 cargo test -p crypter --test api changesets::props -- --nocapture
	CRYPTER_SOAK_RESUME_CREDENTIALS=10000 cargo test -p crypter --test api changesets::instances::an_apply_killed -- --nocapture

## The history checker across three data centers 80 ms apart, long: 10 minutes of
## sessions writing and reading in every data center while a data center is cut off,
## healed, or its leader SIGKILLed every 20 s (make test runs 100 s of it).
chaos: setup
	CRYPTER_CHAOS_SECS=600 cargo test -p crypter --test api datacenters::chaos -- --nocapture

lint: setup
	cargo fmt --all --check
	cargo clippy -p crypter-api -p crypter -p crypter-client --all-targets -- -D warnings
	cargo clippy -p crypter-frontend --target wasm32-unknown-unknown -- -D warnings

## Benchmarks: the console's size against OpenBao's own UI: the login page's first load and
## a whole working day (every section opened), gzip, from dist/ and then from a real Chromium
## (three rounds each, beside OpenBao's UI loaded the same way).
bench: bench-size

bench-size: build
	@bash scripts/bench-bundle-size.sh
	cd e2e && npx playwright test --config playwright.bench.config.ts console-size

## Listing 10,000 credentials and reading one, through /api/v1 against raw OpenBao; the
## first rows (quick) and the lint.
bench-credentials:
	cargo bench -p crypter --bench credentials

## Search across 5 environments holding 10,000 credentials: warm and cold p95.
bench-search:
	cargo bench -p crypter --bench search

## The console at 10,000 and 100,000 credentials: first rows, all rows listable beside a raw
## SCAN, one filter keystroke, the tab's memory.
bench-console-list: build
	cd e2e && npx playwright test --config playwright.bench.config.ts
# A verified copy_credentials of 10,000 beside raw OpenBao writes and a `bao kv put` loop; a
# 10,000-item plan beside the raw OpenBao calls it needs; the plan's pages through the API.
bench-changesets:
	cargo bench -p crypter --bench changesets

## The way back: an undo of a 10,000-item apply against the apply itself (plan time and
## rate, three rounds), then a snapshot of 10,000 credentials and its restore drill.
bench-undo: setup
	cargo bench -p crypter --bench undo
	$(MAKE) bench-snapshot

# Encrypt of 1 KiB through crypter-client beside a direct transit call (p50 ratio); a
# rewrap_credentials of 5,000 ciphertexts beside raw transit rewraps at the same parallelism.
bench-keys:
	cargo bench -p crypter --bench keys

## 200 sessions over two `crypter serve` instances for 60 s (list and read in a loop):
## requests/s, p50/p99 per endpoint, errors, each instance's peak RSS, and the same loop
## straight against OpenBao as the ratio.
bench-load:
	cargo bench -p crypter --bench load

## Across data centers at 80 ms one way: local reads beside a single-node read, saves
## beside the raw OpenBao calls, read-your-writes across instances (500 rounds each), and
## each data center cut off in turn (lost writes, unmarked stale reads, refusal time).
bench-wan: setup
	cargo bench -p crypter --bench wan

## A store snapshot and its restore drill on the embedded store holding 10,000 credentials:
## seconds for the take and for the drill (and its RTO), against 60 s for both together.
bench-snapshot: setup
	cargo bench -p crypter --bench snapshot

## Notifications: p95 from a change to its delivery (target <= 5 s), then 200 writes/s for a
## minute (NOTIFY_BENCH_SECS to change it): all delivered, in order.
bench-notify: setup
	cargo bench -p crypter --bench notify

# From the last approval of a request to its change carried out (target p95 <= 1 s).
bench-approvals: setup
	cargo bench -p crypter --bench approvals

clean:
	cargo clean
	rm -rf dist e2e/test-results
