#!/usr/bin/env python3
"""The include rules of the tree, checked from the sources (no build needed).

1. No include cycle among the units of runtime/, transports/ or launch/.
   A unit is a .hpp/.cpp pair named by its path without extension; unit u
   depends on unit v when any file of u includes v's header. A cycle is
   reported as a chain, each link with the line that makes it.
2. No layer includes a layer above it. Low to high: schemas, launch (the
   process launcher; it may include schemas only), transports, runtime,
   actors, apps; python/, benchmarks/ and examples/ sit on top. Tests count:
   tests/<layer>/ may include its own layer and lower ones, and tests/support;
   code outside tests/ includes nothing of tests/.
3. No installed header includes a detail/ header. The headers of schemas/,
   launch/, transports/, runtime/, actors/ and apps/ are installed except
   those in a detail/ folder (the code behind a layer, not installed) and
   apps/cli/ (cmake/dxhub_install.cmake); an installed header that included
   one would not compile in a user's project.

Usage: include_rules.py ROOT   (exit 0: clean, 1: problems, listed on stdout)
"""
import collections
import pathlib
import re
import sys

# Layers from low to high, and what each may include besides itself.
LOWER = {
    "schemas": set(),
    "launch": {"schemas"},
    "transports": {"schemas", "launch"},
    "runtime": {"schemas", "transports", "launch"},
    "actors": {"schemas", "transports", "launch", "runtime"},
    "apps": {"schemas", "transports", "launch", "runtime", "actors"},
    "top": {"schemas", "transports", "launch", "runtime", "actors", "apps"},
}

# Folder prefix -> layer; the longest prefix wins.
FOLDERS = {
    "schemas": "schemas",
    "transports": "transports",
    "launch": "launch",
    "runtime": "runtime",
    "actors": "actors",
    "apps": "apps",
    "python": "top",
    "benchmarks": "top",
    "examples": "top",
}

# Test folders that are not named after a layer: the layer whose code they test.
TEST_FOLDERS = {
    "dashboard": "actors",  # the dashboard actor (actors/dashboard)
    "hdf5": "actors",  # the recorder's files
    "python": "top",
    "benchmarks": "top",
    "package": "top",  # a consumer of the installed package
    "style": "top",
}

# Folders whose headers are installed (cmake/dxhub_install.cmake), and the
# folders inside them that are not.
INSTALLED = ("schemas", "launch", "transports", "runtime", "actors", "apps")
NOT_INSTALLED = ("detail", "cli")

# Folders whose units must not include each other in a cycle.
CYCLE_ROOTS = ("runtime", "transports", "launch")

SOURCE_SUFFIXES = {".hpp", ".cpp", ".h", ".cc"}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')


def layer_of(root, rel):
    """(layer, is_test) of a path relative to the root; layer None: unknown."""
    parts = rel.parts
    if parts[0] == "tests":
        if len(parts) < 3:
            return None, True
        if parts[1] == "support":
            return "support", True
        if parts[1] in TEST_FOLDERS:
            return TEST_FOLDERS[parts[1]], True
        # Tests mirror the tree: tests/<layer>/ holds the tests of <layer>/.
        return folder_layer(pathlib.PurePosixPath(*parts[1:])), True
    return folder_layer(rel), False


def folder_layer(rel):
    best = None
    for prefix, layer in FOLDERS.items():
        p = pathlib.PurePosixPath(prefix)
        n = len(p.parts)
        if rel.parts[:n] == p.parts and (best is None or n > best[0]):
            best = (n, layer)
    return best[1] if best else None


def is_build_dir(path):
    return path.name.startswith((".", "build")) or (path / "CMakeCache.txt").exists()


def sources(root):
    for top in sorted(root.iterdir()):
        if not top.is_dir() or is_build_dir(top):
            continue
        for f in sorted(top.rglob("*")):
            if f.suffix in SOURCE_SUFFIXES and f.is_file():
                yield pathlib.PurePosixPath(f.relative_to(root))


def includes(root, rel):
    """(line number, included path relative to root) of the tree's own includes."""
    text = (root / rel).read_text(errors="replace")
    for number, line in enumerate(text.splitlines(), 1):
        m = INCLUDE.match(line)
        if not m:
            continue
        name = m.group(2)
        if name.startswith("dxhub/"):
            target = pathlib.PurePosixPath(name[len("dxhub/"):])
        elif m.group(1) == '"' and (root / rel.parent / name).is_file():
            target = pathlib.PurePosixPath(
                (root / rel.parent / name).resolve().relative_to(root.resolve()))
        else:
            continue  # a third-party or standard header
        yield number, target


def layer_problems(root, graph):
    problems = []
    unknown = set()
    for rel, edges in graph.items():
        layer, is_test = layer_of(root, rel)
        if layer is None:
            unknown.add(rel.parts[0] if rel.parts[0] != "tests" else "/".join(rel.parts[:2]))
            continue
        allowed = LOWER[layer] | {layer} if layer != "support" else set(LOWER["launch"]) | {"launch"}
        for number, target in edges:
            to_layer, to_test = layer_of(root, target)
            where = f"{rel}:{number}: includes {target}"
            if to_test and not is_test:
                problems.append(f"{where}: code outside tests/ includes a test file")
            elif to_layer == "support" or to_layer is None:
                continue
            elif to_layer not in allowed:
                problems.append(f"{where}: layer '{layer}'{' (tests)' if is_test else ''}"
                                f" may not include layer '{to_layer}' (above it)")
    for folder in sorted(unknown):
        problems.append(f"{folder}/: C++ sources in a folder of no known layer"
                        " (add it to the tables of tests/style/include_rules.py)")
    return problems


def unit_of(rel):
    return rel.with_suffix("")


def unit_graph(graph, top):
    """Unit dependencies inside folder `top`: {unit: {unit: (file, line)}}."""
    units = collections.defaultdict(dict)
    headers = {rel for rel in graph if rel.parts[0] == top and rel.suffix in (".hpp", ".h")}
    for rel, edges in graph.items():
        if rel.parts[0] != top:
            continue
        u = unit_of(rel)
        units[u]  # a unit with no edges is still a unit
        for number, target in edges:
            v = unit_of(target)
            if target in headers and v != u and v not in units[u]:
                units[u][v] = (rel, number)
    return units


def strongly_connected(units):
    """Tarjan's components of more than one unit, each sorted."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(u):
        index[u] = low[u] = counter[0]
        counter[0] += 1
        stack.append(u)
        on_stack.add(u)
        for v in sorted(units.get(u, {})):
            if v not in index:
                visit(v)
                low[u] = min(low[u], low[v])
            elif v in on_stack:
                low[u] = min(low[u], index[v])
        if low[u] == index[u]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == u:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(max(1000, 10 * len(units)))
    for u in sorted(units):
        if u not in index:
            visit(u)
    return out


def shortest_cycle(units, component, start):
    """The shortest chain start -> ... -> start inside `component`."""
    members = set(component)
    previous = {start: None}
    queue = collections.deque([start])
    while queue:
        u = queue.popleft()
        for v in sorted(units[u]):
            if v not in members:
                continue
            if v == start:
                chain = [u]
                while previous[chain[-1]] is not None:
                    chain.append(previous[chain[-1]])
                return list(reversed(chain)) + [start]
            if v not in previous:
                previous[v] = u
                queue.append(v)
    return None


def cycle_problems(graph):
    problems = []
    for top in CYCLE_ROOTS:
        units = unit_graph(graph, top)
        for component in strongly_connected(units):
            seen = set()
            chains = []
            for start in component:
                chain = shortest_cycle(units, component, start)
                # One chain per cycle, whatever unit it starts from.
                key = frozenset(zip(chain, chain[1:]))
                if key not in seen:
                    seen.add(key)
                    chains.append(chain)
            lines = [f"include cycle among {len(component)} units of {top}/: "
                     + ", ".join(str(u) for u in component)]
            for chain in chains:
                lines.append("  " + " -> ".join(str(u) for u in chain))
                for u, v in zip(chain, chain[1:]):
                    rel, number = units[u][v]
                    lines.append(f"      {rel}:{number} includes {v}.hpp")
            problems.append("\n".join(lines))
    return problems


def installed(rel):
    """Whether a header of the tree is installed."""
    if rel.parts[0] not in INSTALLED or rel.suffix not in (".hpp", ".h"):
        return False
    if "detail" in rel.parts[1:-1]:
        return False
    return not (rel.parts[0] == "apps" and "cli" in rel.parts[1:-1])


def installed_problems(graph):
    problems = []
    for rel, edges in graph.items():
        if not installed(rel):
            continue
        for number, target in edges:
            if not installed(target):
                problems.append(f"{rel}:{number}: includes {target}: an installed header"
                                " may include only installed headers (not detail/)")
    return problems


def check(root):
    root = pathlib.Path(root)
    graph = {rel: list(includes(root, rel)) for rel in sources(root)}
    return cycle_problems(graph) + layer_problems(root, graph) + installed_problems(graph)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    problems = check(sys.argv[1])
    for p in problems:
        print(p)
    print(f"include rules: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
