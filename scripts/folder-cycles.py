#!/usr/bin/env python3
"""Lists dependency cycles between capability folders (namespaces) of src/, and file counts per folder.

A folder depends on another when one of its files names the other's namespace: a `using` directive or a qualified
name (`Storage.PseudoLabels.X`). Prints the strongly connected groups of folders (each one holds at least one cycle)
and, for each group, its shortest cycles. Exit code 1 when there is a cycle, so CI can hold the line.

usage: scripts/folder-cycles.py [src-dir]   (--counts also prints the files per folder)
"""
import os
import re
import sys
from collections import defaultdict, deque

ROOT = "EfficientNet.Batch."


def namespaces(src):
    files = defaultdict(list)
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if d not in ("bin", "obj", "node_modules", "Migrations")]
        for name in filenames:
            if not name.endswith(".cs"):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            match = re.search(r"^namespace\s+([\w.]+)\s*[;{]", text, re.M)
            if match:
                files[match.group(1)].append((path, text))
    return files


def short(ns):
    return ns[len(ROOT):] if ns.startswith(ROOT) else ns


def edges(files):
    known = sorted(files, key=len, reverse=True)
    graph = defaultdict(set)
    for ns, items in files.items():
        for _, text in items:
            code = re.sub(r"//.*", "", text)
            for used in re.findall(r"^using\s+(?:static\s+)?([\w.]+)\s*;", code, re.M):
                for target in known:
                    if used == target or used.startswith(target + "."):
                        graph[ns].add(target)
                        break
            for target in known:
                tail = short(target)
                # A qualified name such as Storage.PseudoLabels.PseudoLabelSetSource (not a using).
                if "." in tail and re.search(r"(?<![\w.])" + re.escape(tail) + r"\.[A-Z]\w*", code):
                    if not re.search(r"^using\s+[\w.]*" + re.escape(tail) + r"\s*;", code, re.M):
                        graph[ns].add(target)
        graph[ns].discard(ns)
    return graph


def strongly_connected(nodes, graph):
    index, low, stack, on_stack, groups, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return groups


def shortest_cycle(start, group, graph):
    members = set(group)
    parents = {start: None}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(graph.get(v, ())):
            if w not in members:
                continue
            if w == start:
                path = [v]
                while parents[path[-1]] is not None:
                    path.append(parents[path[-1]])
                return list(reversed(path)) + [start]
            if w not in parents:
                parents[w] = v
                queue.append(w)
    return None


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    src = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    files = namespaces(src)
    graph = edges(files)
    if "--counts" in sys.argv:
        for ns in sorted(files):
            print(f"{len(files[ns]):4d}  {short(ns)}")
        print()
    groups = strongly_connected(files.keys(), graph)
    if not groups:
        print("no folder cycles")
        return 0
    for group in groups:
        print("cycle group: " + ", ".join(short(n) for n in group))
        seen = set()
        for start in group:
            cycle = shortest_cycle(start, group, graph)
            key = frozenset(cycle) if cycle else None
            if cycle and key not in seen:
                seen.add(key)
                print("  " + " -> ".join(short(n) for n in cycle))
    return 1


if __name__ == "__main__":
    sys.exit(main())
