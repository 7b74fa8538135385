#!/usr/bin/env bash
# Build the console into dist/: dist/login/ (the login page) and dist/console/ (every page
# after login), from their one list, crypter_api::console::BUNDLES. See
# scripts/build_console.py; nothing is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
exec python3 scripts/build_console.py
