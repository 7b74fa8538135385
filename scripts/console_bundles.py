#!/usr/bin/env python3
"""The console's bundles, read from their one list: `BUNDLES` in api/src/console.rs.

    python3 scripts/console_bundles.py           # the bundles' names, one a line, core first
    python3 scripts/console_bundles.py entries   # writes console/<bundle>.html; prints
                                                 # "<bundle> <trunk entry>", one a line

`core` is built from index.html, the console's one hand-written entry; every other bundle's
entry is index.html again, one folder down (console/), with its own binary
(`crypter-<bundle>`, which frontend/Cargo.toml lists: crypter-api's tests hold the two
lists equal). scripts/build-console.sh and scripts/bench_bundle_size.py read them here.
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
    names = re.findall(r'"([a-z0-9_-]+)"', block.group(1))
    if not names or names[0] != "core":
        sys.exit(f"console_bundles.py: BUNDLES in {SOURCE} must start with core: {names}")
    return names


def entry(bundle):
    """index.html as console/<bundle>.html: its trunk links one folder up, its own binary."""
    html = open(os.path.join(ROOT, "index.html"), encoding="utf-8").read()
    html = re.sub(r'(<link data-trunk [^>]*?href=")(?!/|\.\./|[a-z]+:)', r"\1../", html)
    own = html.replace('data-bin="crypter-core"', f'data-bin="crypter-{bundle}"')
    if own == html:
        sys.exit('console_bundles.py: index.html names no data-bin="crypter-core"')
    return own


def entries():
    os.makedirs(os.path.join(ROOT, "console"), exist_ok=True)
    out = [("core", "index.html")]
    for bundle in bundles()[1:]:
        path = os.path.join("console", f"{bundle}.html")
        with open(os.path.join(ROOT, path), "w", encoding="utf-8") as f:
            f.write(entry(bundle))
        out.append((bundle, path))
    return out


if __name__ == "__main__":
    if sys.argv[1:] == ["entries"]:
        for bundle, path in entries():
            print(bundle, path)
    elif not sys.argv[1:]:
        print("\n".join(bundles()))
    else:
        sys.exit(__doc__)
