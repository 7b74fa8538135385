#!/usr/bin/env python3
"""The console's bundles, read from their one list: `BUNDLES` in api/src/console.rs.

    python3 scripts/console_bundles.py    # the bundles' names, one a line, core first

`core` is the login page; `console` every page after login. Each is the binary
`crypter-<bundle>` (frontend/Cargo.toml lists them: crypter-api's tests hold the two lists
equal). scripts/build_console.py and scripts/bench_bundle_size.py read them here.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "api", "src", "console.rs")


def bundles():
    text = open(SOURCE, encoding="utf-8").read()
    block = re.search(r"pub const BUNDLES: &\[&str\] = &\[(.*?)\];", text, re.S)
    if not block:
        sys.exit(f"console_bundles.py: no `pub const BUNDLES` list in {SOURCE}")
    # Names are string literals or the file's own `pub const NAME: &str = "…"`.
    consts = dict(re.findall(r'pub const ([A-Z_]+): &str = "([a-z0-9_-]+)";', text))
    order = re.findall(r'"[a-z0-9_-]+"|\b[A-Z][A-Z_]+\b', block.group(1))
    names = [o.strip('"') if o.startswith('"') else consts.get(o, o) for o in order]
    if not names or names[0] != "core":
        sys.exit(f"console_bundles.py: BUNDLES in {SOURCE} must start with core: {names}")
    return names


if __name__ == "__main__":
    if sys.argv[1:]:
        sys.exit(__doc__)
    print("\n".join(bundles()))
