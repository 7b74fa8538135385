#!/usr/bin/env bash
# Build the console: one optimised wasm bundle per section (crypter_api::console), each
# into dist/<bundle>/ and served under /<bundle>/. trunk must not download anything.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
rm -f dist/index.html dist/*.js dist/*.wasm dist/*.css dist/*.gz
build() { # bundle html
  trunk build --release --offline --dist "dist/$1" --public-url "/$1/" "$2"
}
build core index.html
for bundle in ops envs data access release migrate crypto approvals; do
  build "$bundle" "console/$bundle.html"
done
