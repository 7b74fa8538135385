#!/usr/bin/env python3
"""Benchmark: what the console makes a person download, gzip, beside OpenBao's own UI.

Two figures, each against its budget (issue 24), both from dist/:
  login page     dist/core/index.html and every stylesheet, script, module preload and wasm
                 it names: what a person downloads before the login form works (<= 150 KiB);
  whole console  every distinct .js, .wasm and .css under dist/ (the same content counted
                 once): what a session that opens every section downloads (<= 700 KiB).
Each file is gzip -9 compressed, as the backend serves it. OpenBao's UI is measured the
same way in the same run: /ui/ of a `bao server -dev` started here on a free loopback port,
its HTML and everything it references. Exits 1 when the login page is over its budget, or
the whole console over its ceiling (below).

The same figures measured from a real Chromium (bytes transferred while the login form
becomes usable, and through a session opening every page) are
e2e/bench/console-size.bench.ts; `make bench-size` runs both.
"""
import gzip
import hashlib
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

LOGIN_BUDGET = 150 * 1024
WHOLE_BUDGET = 700 * 1024
# The whole console is not yet within its 700 KiB (issue 24: 960 KiB when the nine section
# bundles became one, 868 KiB once the login page dropped Leptos; the console's own wasm is
# what remains). Until it is, `make test` fails above this ceiling, so it can only shrink;
# the verdict against 700 is printed either way.
WHOLE_CEILING = 900 * 1024
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


def login_page(dist):
    """The login page's first load: dist/core/index.html and what it names."""
    bundles = console_bundles()
    missing = [b for b in bundles if not os.path.isfile(os.path.join(dist, b, "index.html"))]
    if missing:
        sys.exit(f"no console build of {', '.join(missing)} in {dist}; run scripts/build-console.sh")

    def fetch(url):
        with open(os.path.join(dist, url.lstrip("/")), "rb") as f:
            return f.read()

    with open(os.path.join(dist, "core", "index.html"), "rb") as f:
        html = f.read()
    return measure("Crypter login page (dist/core/index.html)", html, fetch)[1]


def whole_console(dist):
    """Every distinct script, wasm and stylesheet under dist/, gzip."""
    seen, total = set(), 0
    print(f"\nCrypter whole console (every distinct .js, .wasm, .css under {dist}/)")
    for base, _, files in sorted(os.walk(dist)):
        for name in sorted(files):
            if not re.search(r"\.(js|wasm|css)$", name):
                continue
            path = os.path.join(base, name)
            with open(path, "rb") as f:
                data = f.read()
            digest = hashlib.sha256(data).digest()
            if digest in seen:
                continue
            seen.add(digest)
            total += gz(data)
            print(f"  {os.path.relpath(path, dist)[:70]:70} {len(data):>10,} B  {gz(data):>9,} B gz")
    print(f"  {'total, ' + str(len(seen)) + ' files':70} {'':>12}  {total:>9,} B gz")
    return total


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


def verdict(value, budget):
    return f"{value / 1024:.1f} KiB of {budget // 1024} KiB ({value / budget:.2f} of the budget, " \
        f"{'within' if value <= budget else 'OVER'})"


def main():
    dist = sys.argv[1] if len(sys.argv) > 1 else "dist"
    login = login_page(dist)
    whole = whole_console(dist)
    _, o_gz = openbao_ui()
    print()
    print(f"login page, gzip: {verdict(login, LOGIN_BUDGET)}; "
          f"OpenBao UI's first load {o_gz / 1024:.1f} KiB (ratio {login / o_gz:.3f})")
    print(f"whole console, gzip: {verdict(whole, WHOLE_BUDGET)}; "
          f"OpenBao UI's first load {o_gz / 1024:.1f} KiB (ratio {whole / o_gz:.3f})")
    print(f"whole console against the ceiling make test holds it to: {whole / 1024:.1f} KiB of "
          f"{WHOLE_CEILING // 1024} KiB ({'within' if whole <= WHOLE_CEILING else 'OVER'})")
    return 0 if login <= LOGIN_BUDGET and whole <= WHOLE_CEILING else 1


if __name__ == "__main__":
    sys.exit(main())
