#!/usr/bin/env bash
# Build the console: one optimised wasm bundle per section, each into dist/<bundle>/ and
# served under /<bundle>/. The bundles and their trunk entries come from their one list,
# crypter_api::console::BUNDLES (scripts/console_bundles.py). trunk must not download anything.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
rm -f dist/index.html dist/*.js dist/*.wasm dist/*.css dist/*.gz
entries=$(python3 scripts/console_bundles.py entries)
while read -r bundle html <&3; do
  trunk build --release --offline --dist "dist/$bundle" --public-url "/$bundle/" "$html"
done 3<<<"$entries"
