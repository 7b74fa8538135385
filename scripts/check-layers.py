#!/usr/bin/env python3
"""The layers hold: backend/src's top-level modules import only modules below them (no
import runs up, so none closes a circle), and the console keeps its effects few and its
components short. Run from anywhere; `scripts/test.sh` runs it after the format step.

Each top-level module of backend/src (a file or a folder, main.rs and lib.rs aside) is one
node. An import is any `crate::<module>` in a file's text before its first `#[cfg(test)]`,
doc comments included, and every `<module>::` inside a `use crate::{...}` block.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BACKEND = os.path.join(ROOT, "backend", "src")
CONSOLE = os.path.join(ROOT, "frontend", "src")

# Bottom to top. A module may import only modules listed before it; the tiers are for the
# reader (and for the README's picture of the same order).
LAYERS = [
    ("foundation: no imports of their own", ["clock", "private_file", "request_id", "telemetry"]),
    ("the OpenBao client: knows no AppError and no product type", ["bao"]),
    ("errors: AppError, converted from the client's errors here", ["error"]),
    ("the server's settings, each module's own among them", ["config"]),
    ("Crypter's own records and jobs", ["records", "jobs"]),
    ("sessions", ["session"]),
    (
        "product modules, each above those it uses",
        [
            "freeze",
            "roles",
            "bootstrap",
            "activity",
            "embedded",
            "snapshots",
            "cluster",
            "wan",
            "sso",
            "demo",
            "environments",
            "credentials",
            "keys",
            "lint",
            "search",
            "changesets",
            "restore_points",
            "notifications",
            "approvals",
            "runbooks",
        ],
    ),
    ("the request guards' policy and limiter; the app's state", ["security", "state"]),
    ("HTTP: the route table, handlers and layers", ["routes"]),
    ("the server and the command line", ["startup", "cli"]),
]

# Stricter than the order: the OpenBao client imports nothing of the backend but the clock.
ONLY = {"bao": {"clock"}}

MAX_EFFECTS = 12
MAX_COMPONENT_LINES = 82


def rank():
    order = [m for _, mods in LAYERS for m in mods]
    dupes = sorted({m for m in order if order.count(m) > 1})
    if dupes:
        sys.exit(f"check-layers.py: {dupes} listed twice in LAYERS")
    return {m: i for i, m in enumerate(order)}


def modules():
    return sorted(
        n[:-3] if n.endswith(".rs") else n
        for n in os.listdir(BACKEND)
        if n not in ("main.rs", "lib.rs")
        and (n.endswith(".rs") or os.path.isdir(os.path.join(BACKEND, n)))
    )


def imports(mods):
    """(importer, imported, file:line, text) for every import of another top-level module."""
    found = []
    for dirpath, _, files in os.walk(BACKEND):
        for f in sorted(files):
            if not f.endswith(".rs"):
                continue
            path = os.path.join(dirpath, f)
            top = os.path.relpath(path, BACKEND).split(os.sep)[0]
            me = top[:-3] if top.endswith(".rs") else top
            if me not in mods:
                continue
            text = open(path, encoding="utf-8", errors="replace").read()
            text = re.split(r"#\[cfg\(test\)\]", text)[0]
            shown = os.path.relpath(path, ROOT)

            def hit(m, at, what):
                if m in mods and m != me:
                    line = text.count("\n", 0, at) + 1
                    found.append((me, m, f"{shown}:{line}", what))

            for mt in re.finditer(r"crate::(\w+)", text):
                hit(mt.group(1), mt.start(), mt.group(0))
            for block in re.finditer(r"use crate::\{([^;]*)\}", text, re.S):
                for mt in re.finditer(r"(?:^|[\s,{])(\w+)::", block.group(1)):
                    hit(mt.group(1), block.start(1) + mt.start(1), f"use crate::{{{mt.group(1)}::…}}")
    return found


def circles(mods, found):
    edges = {m: set() for m in mods}
    for a, b, _, _ in found:
        edges[a].add(b)
    index, low, stack, on, out = {}, {}, [], set(), []

    def strong(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in mods:
        if v not in index:
            strong(v)
    return out


def backend_problems():
    problems = []
    order = rank()
    mods = modules()
    unknown = [m for m in mods if m not in order]
    for m in unknown:
        problems.append(
            f"backend/src/{m}: a top-level module that is not in LAYERS (scripts/check-layers.py); "
            "add it at the layer above everything it imports"
        )
    found = imports(set(mods))
    for me, m, where, what in found:
        if me in order and m in order and order[m] >= order[me]:
            problems.append(
                f"{where}: `{what}` runs up: {me} may import only modules below it in LAYERS; "
                f"move the item down to the layer that owns it, or invert the call"
            )
    for me, m, where, what in found:
        if me in ONLY and m not in ONLY[me]:
            problems.append(
                f"{where}: `{what}`: {me} may import only {sorted(ONLY[me])} of backend/src"
            )
    for comp in circles(mods, found):
        problems.append(f"a circle among backend/src's modules: {', '.join(comp)}")
    gone = sorted(set(order) - set(mods))
    if gone:
        problems.append(f"LAYERS names modules that backend/src no longer has: {gone}")
    return problems, len(mods)


def component_lengths(lines):
    """(line of the fn, raw lines) of each #[component] function, fn line to closing brace."""
    for k, line in enumerate(lines):
        if not line.strip().startswith("#[component]"):
            continue
        j = k + 1
        while j < len(lines) and not re.match(r"\s*(pub(\(\w+\))?\s+)?fn ", lines[j]):
            j += 1
        depth, started, e = 0, False, j
        while e < len(lines):
            depth += lines[e].count("{") - lines[e].count("}")
            started = started or "{" in lines[e]
            if started and depth <= 0:
                break
            e += 1
        yield j + 1, e - j + 1


def console_problems():
    problems, effects = [], []
    for dirpath, _, files in os.walk(CONSOLE):
        for f in sorted(files):
            if not f.endswith(".rs"):
                continue
            path = os.path.join(dirpath, f)
            shown = os.path.relpath(path, ROOT)
            lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
            for n, line in enumerate(lines, 1):
                effects += [f"{shown}:{n}"] * line.count("Effect::new")
            for at, length in component_lengths(lines):
                if length > MAX_COMPONENT_LINES:
                    problems.append(
                        f"{shown}:{at}: a component of {length} lines (at most {MAX_COMPONENT_LINES}); "
                        "split it by what it shows"
                    )
    if len(effects) > MAX_EFFECTS:
        problems.append(
            f"{len(effects)} Effect::new in the console (at most {MAX_EFFECTS}): "
            f"{', '.join(effects)}; use a resource, an action's value or a memo instead"
        )
    return problems, len(effects)


def main():
    backend, count = backend_problems()
    console, effects = console_problems()
    for p in backend + console:
        print(f"layers: {p}", file=sys.stderr)
    if backend or console:
        sys.exit(1)
    print(
        f"layers hold: {count} backend modules import only those below them, no circles; "
        f"{effects} effects in the console, no component over {MAX_COMPONENT_LINES} lines"
    )


if __name__ == "__main__":
    main()
