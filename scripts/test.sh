#!/usr/bin/env bash
# Every check, in the order CI runs them. `make test` and .ci/run both call this.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"

step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }

step "setup"
bash scripts/setup.sh

step "format"
cargo fmt --all --check

step "layers (imports run down, no circles; console effects and component sizes)"
python3 scripts/check-layers.py

step "clippy (native)"
cargo clippy -p crypter-api -p crypter -p crypter-client --all-targets -- -D warnings

step "clippy (console, wasm32)"
cargo clippy -p crypter-frontend --target wasm32-unknown-unknown --all-targets -- -D warnings

step "unit and integration tests (real bao)"
cargo test -p crypter-api -p crypter -p crypter-client -- --skip datacenters::

step "across data centers (crypter dev --wan 80ms: partitions, and 100 s of the history checker)"
# On their own: each runs three OpenBao nodes, three instances and the relay, and their
# deadlines (a refusal within 1 s) are the behaviour under test, not a machine under load.
cargo test -p crypter --test api datacenters:: -- --test-threads=1

step "console unit tests (pure logic, native)"
cargo test -p crypter-frontend --lib

step "console release build (the login page's bundle and the console's)"
bash scripts/build-console.sh

step "console size budget (the login page and the whole console, gzip, beside OpenBao's own UI)"
python3 scripts/bench_bundle_size.py dist

step "e2e (Playwright, Debian chromium, crypter dev)"
# target/debug/crypter as the API tests built and ran it. `cargo build -p crypter` would
# build it again (about a minute): without the tests' dev-dependencies, features resolve
# differently. `--no-run` only builds what is missing, so the suites also run on their own.
cargo test -p crypter --test api --no-run
(cd e2e && npx playwright test)

step "e2e, cluster mode (Playwright, crypter dev --nodes 3: a real 3-node Raft OpenBao)"
(cd e2e && npx playwright test -c playwright.cluster.config.ts)
