#!/usr/bin/env python3
"""Build the console into dist/: one wasm per bundle (`BUNDLES` in api/src/console.rs,
read through scripts/console_bundles.py), each in dist/<bundle>/ and served under /<bundle>/.

    login    what a person downloads before the login form works (dist/login/index.html)
    console  every page after login, under one Leptos runtime (dist/console/index.html)

The steps are cargo (one build per binary, profile `console`: opt-level z, LTO),
wasm-bindgen (the pinned CLI matching `wasm-bindgen = "=0.2.130"`), wasm-opt -Oz (npm
binaryen 132), then the page itself from index.html. Every file's name carries a hash of
its content, so the backend can let browsers keep them; each also gets a .gz beside it,
which the backend serves to browsers that accept gzip. Nothing is downloaded.
"""
import base64
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys

from console_bundles import bundles

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = "wasm32-unknown-unknown"
PROFILE = "console"


def run(*cmd):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def target_dir():
    out = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"],
                         check=True, cwd=ROOT, capture_output=True, text=True).stdout
    return json.loads(out)["target_directory"]


def features(bundle):
    """The login page (`core`) is built without the frontend's `console` feature: no Leptos,
    no gloo-net, so their code (kept alive by the wasm exports some of it carries) stays out
    of what a person downloads before the login form works."""
    return ["--no-default-features"] if bundle == "core" else []


def hashed(path, data):
    """Write data to path with a content hash before its extension; return the file name."""
    stem, ext = os.path.splitext(path)
    if path.endswith("_bg.wasm"):
        stem, ext = path[: -len("_bg.wasm")], "_bg.wasm"
    name = f"{stem}-{hashlib.sha256(data).hexdigest()[:16]}{ext}"
    with open(name, "wb") as f:
        f.write(data)
    return os.path.basename(name)


def integrity(data):
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def page(template, css, js, wasm):
    """index.html with the bundle's stylesheet, script and wasm named in place of its
    placeholders; the one inline script starts the wasm (the backend's CSP allows it by hash)."""
    css_url, css_data = css
    js_url, js_data = js
    tags = (
        f'<link rel="stylesheet" href="{css_url}" integrity="{integrity(css_data)}" />\n'
        f'    <link rel="modulepreload" href="{js_url}" integrity="{integrity(js_data)}" crossorigin="anonymous" />\n'
        f'    <link rel="preload" href="{wasm}" as="fetch" type="application/wasm" crossorigin="anonymous" />\n'
        f'    <script type="module">import init from "{js_url}"; init({{ module_or_path: "{wasm}" }});</script>'
    )
    if "<!-- console -->" not in template:
        sys.exit("build_console.py: index.html has no <!-- console --> placeholder")
    return template.replace("<!-- console -->", tags)


def gzip_all(folder):
    for base, _, files in os.walk(folder):
        for name in files:
            if name.endswith((".wasm", ".js", ".css", ".html")):
                path = os.path.join(base, name)
                with open(path, "rb") as f:
                    data = f.read()
                with open(path + ".gz", "wb") as f:
                    f.write(gzip.compress(data, 9, mtime=0))


def main():
    names = bundles()
    for b in names:
        run("cargo", "build", "-p", "crypter-frontend", "--target", TARGET, "--profile", PROFILE,
            "--bin", f"crypter-{b}", *features(b))
    built = os.path.join(target_dir(), TARGET, PROFILE)
    dist = os.path.join(ROOT, "dist")
    stage = os.path.join(ROOT, "dist.new")
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(stage)

    with open(os.path.join(ROOT, "style", "main.css"), "rb") as f:
        css_data = f.read()
    css = ("/" + hashed(os.path.join(stage, "style.css"), css_data), css_data)
    with open(os.path.join(ROOT, "index.html"), encoding="utf-8") as f:
        template = f.read()

    for b in names:
        out = os.path.join(stage, b)
        run("wasm-bindgen", "--target", "web", "--no-typescript", "--out-dir", out,
            "--out-name", f"crypter-{b}", os.path.join(built, f"crypter-{b}.wasm"))
        raw_wasm = os.path.join(out, f"crypter-{b}_bg.wasm")
        run("wasm-opt", "-Oz", "--enable-bulk-memory", "--enable-nontrapping-float-to-int",
            "--enable-sign-ext", "--enable-reference-types", "--enable-multivalue",
            "--enable-mutable-globals", raw_wasm, "-o", raw_wasm)
        files = {}
        for kind, name in (("js", f"crypter-{b}.js"), ("wasm", f"crypter-{b}_bg.wasm")):
            path = os.path.join(out, name)
            with open(path, "rb") as f:
                data = f.read()
            os.remove(path)
            files[kind] = (f"/{b}/" + hashed(path, data), data)
        with open(os.path.join(out, "index.html"), "w", encoding="utf-8") as f:
            f.write(page(template, css, files["js"], files["wasm"][0]))

    gzip_all(stage)
    shutil.rmtree(dist, ignore_errors=True)
    os.rename(stage, dist)
    print(f"console built into {os.path.relpath(dist, ROOT)}/: {', '.join(names)}")


if __name__ == "__main__":
    main()
