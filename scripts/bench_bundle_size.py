#!/usr/bin/env python3
"""Benchmark: the console's first load (HTML, JS, wasm, CSS; gzip) against OpenBao's own UI.

Both are measured in the same run the same way: the HTML page plus every stylesheet,
script, module preload and wasm it references, each gzip -9 compressed. Crypter's console
is read from dist/: one bundle per section (dist/<bundle>/index.html), and the first load
of any page is its own bundle's, so each is measured and each must be within budget;
`core` (login and overview) is what a visitor loads first. OpenBao's UI is fetched from
/ui/ of a `bao server -dev` started here on a free loopback port. Exits 1 when any bundle
is over its budget.
"""
import gzip
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from console_bundles import bundles as console_bundles

# 360 KiB since the data-center banner joined every page's shell (+6 to +10 KiB gzip per
# bundle: the health poll and its consistency types); issue 24 is to bring this down.
BUDGET = 360 * 1024
ASSET_RE = re.compile(r'<(?:link|script)\b[^>]*?\b(?:href|src)="([^"]+)"[^>]*>', re.I)
WANTED = re.compile(r'\.(js|css|wasm)(\?.*)?$')


def assets(html):
    return [u for u in ASSET_RE.findall(html) if WANTED.search(u)]


def gz(data):
    return len(gzip.compress(data, 9))


def measure(name, html, fetch):
    rows = [("(html)", len(html), gz(html))]
    for url in assets(html.decode()):
        data = fetch(url)
        rows.append((url, len(data), gz(data)))
    raw = sum(r[1] for r in rows)
    packed = sum(r[2] for r in rows)
    print(f"\n{name}")
    for url, r, g in rows:
        print(f"  {url[:70]:70} {r:>10,} B  {g:>9,} B gz")
    print(f"  {'total':70} {raw:>10,} B  {packed:>9,} B gz")
    return raw, packed


def crypter(dist):
    """(bundle, gzip total) for every bundle of the console (scripts/console_bundles.py)."""
    bundles = console_bundles()
    missing = [b for b in bundles if not os.path.isfile(os.path.join(dist, b, "index.html"))]
    if missing:
        sys.exit(f"no console build of {', '.join(missing)} in {dist}; run scripts/build-console.sh")

    def fetch(url):
        with open(os.path.join(dist, url.lstrip("/")), "rb") as f:
            return f.read()

    results = []
    for b in bundles:
        with open(os.path.join(dist, b, "index.html"), "rb") as f:
            html = f.read()
        results.append((b, measure(f"Crypter console, bundle {b} (dist/{b}/)", html, fetch)[1]))
    return results


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_bao():
    found = shutil.which("bao")
    if found:
        return found
    candidate = os.path.join(os.path.dirname(sys.executable), "bao")
    if os.path.exists(candidate):
        return candidate
    sys.exit("bao not found; run scripts/setup.sh")


def openbao_ui():
    port = free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [find_bao(), "server", "-dev", f"-dev-listen-address=127.0.0.1:{port}",
         "-dev-root-token-id=bench", "-dev-no-store-token"],
        stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/v1/sys/health", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        fetch = lambda url: urllib.request.urlopen(base + url, timeout=30).read()
        version = urllib.request.urlopen(base + "/v1/sys/health").read().decode()
        version = re.search(r'"version":"([^"]+)"', version).group(1)
        return measure(f"OpenBao {version} UI (/ui/)", fetch("/ui/"), fetch)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main():
    dist = sys.argv[1] if len(sys.argv) > 1 else "dist"
    bundles = crypter(dist)
    o_raw, o_gz = openbao_ui()
    print()
    worst = 0
    for name, c_gz in bundles:
        verdict = "within" if c_gz <= BUDGET else "OVER"
        print(f"first load, gzip, bundle {name}: {c_gz / 1024:.1f} KiB of {BUDGET // 1024} KiB "
              f"({verdict} budget); OpenBao UI {o_gz / 1024:.1f} KiB ({o_gz / c_gz:.1f}x larger)")
        worst = max(worst, c_gz)
    print(f"largest first load: {worst / 1024:.1f} KiB gzip against OpenBao's {o_gz / 1024:.1f} KiB "
          f"(ratio {worst / o_gz:.3f})")
    return 0 if worst <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
