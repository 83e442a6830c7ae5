#!/usr/bin/env python3
"""Fails when files of a crate import each other in a circle.

A file is a module (`foo.rs`, `foo/mod.rs`); it imports another when it names
it through `crate::…` or `super::…`. A module and its own submodules may refer
to each other (that is one folder), and the crate root (`lib.rs`, the
registration point) may refer to anything. Usage: import-cycles.py CRATE_SRC…
"""
import glob
import os
import re
import sys


def modname(root, path):
    parts = os.path.relpath(path, root)[:-3].split("/")
    if parts[-1] == "mod":
        parts = parts[:-1]
    return "crate" if parts in (["lib"], ["main"]) else "::".join(parts)


def graph(root):
    mods = {modname(root, f): f for f in glob.glob(root + "/**/*.rs", recursive=True)}
    edges = {}
    for m, f in mods.items():
        src = re.split(r"#\[cfg\(test\)\]\s*mod tests", open(f, encoding="utf-8").read())[0]
        src = re.sub(r"//.*", "", src)
        refs = set()
        for hit in re.finditer(r"crate::((?:\w+::)*\w+)", src):
            path = hit.group(1).split("::")
            for k in range(len(path), 0, -1):
                if "::".join(path[:k]) in mods:
                    refs.add("::".join(path[:k]))
                    break
        parent = m.rsplit("::", 1)[0] if "::" in m else "crate"
        for hit in re.finditer(r"\bsuper::(\w+)", src):
            cand = hit.group(1) if parent == "crate" else f"{parent}::{hit.group(1)}"
            refs.add(cand if cand in mods else parent)
        related = lambda a, b: a == "crate" or b == "crate" or a.startswith(b + "::") or b.startswith(a + "::")
        edges[m] = {r for r in refs if r != m and not related(m, r)}
    return edges


def cycles(edges):
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
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

    sys.setrecursionlimit(10_000)
    for v in list(edges):
        if v not in index:
            visit(v)
    return out


failed = False
for root in sys.argv[1:]:
    edges = graph(root)
    for comp in cycles(edges):
        failed = True
        print(f"{root}: files import each other in a circle: {', '.join(comp)}")
        for m in comp:
            print(f"    {m} -> {', '.join(sorted(x for x in edges[m] if x in comp))}")
if failed:
    sys.exit(1)
print(f"no import circles in {len(sys.argv) - 1} crates")
