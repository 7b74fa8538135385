#!/usr/bin/env bash
# See scripts/bench_bundle_size.py. Run after scripts/build-console.sh (make bench-size does both).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 scripts/bench_bundle_size.py dist
