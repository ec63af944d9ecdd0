"""The dependency graphs tests/test_layers.py checks: the Python package's imports, the Rust
crate's module paths, and a cycle finder over either."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

Graph = Mapping[str, Iterable[str]]


def find_cycles(graph: Graph) -> list[list[str]]:
    """Every strongly connected component with more than one node (or a self-loop), each as a
    sorted list: a cycle runs through each of them."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    nodes = set(graph) | {m for targets in graph.values() for m in targets}

    def connect(node: str) -> None:
        # Tarjan's algorithm; the graphs are a few dozen nodes, so recursion is fine.
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(nodes):
        if node not in index:
            connect(node)
    return sorted(found)


def python_modules(package_dir: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the package, and every .pyi stub
    of a native module (``_pertinax``: a leaf, but `from . import _pertinax` names it)."""
    modules = {}
    for path in sorted([*package_dir.rglob("*.py"), *package_dir.rglob("*.pyi")]):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules.setdefault(".".join(parts), path)
    return modules


def python_import_graph(package_dir: Path) -> dict[str, set[str]]:
    """module -> the package's modules it imports, from every import statement in the file."""
    modules = python_modules(package_dir)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        if path.suffix == ".pyi":
            # A native module's stub: its imports only name the Python types its functions
            # take and return (Future, BaseRetrying, ...). The module itself imports no
            # Python file; it is a leaf that the Python files stand on.
            graph[name] = set()
            continue
        is_package = path.stem == "__init__"
        here = name if is_package else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base_parts = here.split(".")
                    base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                    base = ".".join(base_parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                # `from pkg import name` loads pkg.name when that is a module, else pkg.
                candidates = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            else:
                continue
            targets.update(c for c in candidates if c in modules and c != name)
        graph[name] = targets
    return graph


_COMMENT_OR_TEXT = re.compile(
    r"""//[^\n]*|/\*.*?\*/|b?r(\#*)".*?"\1|b?"(?:\\.|[^"\\])*"|b?'(?:\\.|[^'\\])'""",
    re.DOTALL,
)
_TOKEN = re.compile(r"::|[A-Za-z_][A-Za-z0-9_]*|[{}();,*]|\S")


def rust_modules(src_dir: Path) -> dict[tuple[str, ...], Path]:
    """Module path (without the leading `crate`) -> file, for every .rs file of the crate."""
    modules = {}
    for path in sorted(src_dir.rglob("*.rs")):
        parts = list(path.relative_to(src_dir).with_suffix("").parts)
        if parts[-1] in ("mod", "lib", "main") and (parts[-1] != "lib" or len(parts) == 1):
            parts.pop()
        modules[tuple(parts)] = path
    return modules


def _strip(source: str) -> str:
    # Comments and literals go (a doc comment may say `crate::py`); char literals like '{'
    # would unbalance the braces. Lifetimes ('a) are not literals and stay.
    return _COMMENT_OR_TEXT.sub(lambda m: " " if m.group(0).startswith("/") else '""', source)


def rust_paths(source: str, module: tuple[str, ...]) -> set[tuple[str, ...]]:
    """Every absolute path the file names, `use` trees expanded, `super`/`self` resolved
    against the (inline) module each appears in, and a path that starts with a child module
    the file declares (`mod args;` then `args::reduce`) resolved against the file's module."""
    tokens = _TOKEN.findall(_strip(source))
    paths: set[tuple[str, ...]] = set()
    # `mod name;` (not `mod name {`): a child module in its own file, named by bare paths.
    children = {
        tokens[i + 1]
        for i in range(len(tokens) - 2)
        if tokens[i] == "mod" and tokens[i + 2] == ";" and (i == 0 or tokens[i - 1] != "::")
    }
    scopes: list[tuple[tuple[str, ...], int]] = [(module, 0)]  # (module, brace depth)
    depth = 0

    def resolve(prefix: tuple[str, ...], segments: list[str]) -> tuple[str, ...] | None:
        current = list(prefix)
        first = True
        for i, seg in enumerate(segments):
            if seg == "crate" and first:
                current = []
            elif seg == "super" and (first or segments[i - 1] == "super"):
                if not current:
                    return None
                current.pop()
            elif seg == "self" and first:
                pass
            else:
                return (*current, *segments[i:])
            first = False
        return tuple(current)

    def read_path(i: int) -> tuple[list[str], int]:
        segments = [tokens[i]]
        i += 1
        while i + 1 < len(tokens) and tokens[i] == "::" and re.match(r"\w", tokens[i + 1]):
            segments.append(tokens[i + 1])
            i += 2
        return segments, i

    def read_use_tree(i: int, base: list[str]) -> int:
        # tokens[i] starts a tree: `a::b`, `a::{b, c::d}`, `a::*`, `{...}`, `a as b`.
        segments: list[str] = []
        while i < len(tokens):
            tok = tokens[i]
            if tok == "{":
                i += 1
                while i < len(tokens) and tokens[i] != "}":
                    if tokens[i] == ",":
                        i += 1
                        continue
                    i = read_use_tree(i, base + segments)
                return i + 1
            if tok == "*":
                i += 1
                break
            if tok == "::":
                i += 1
                continue
            if re.match(r"\w", tok) and tok != "as":
                segments.append(tok)
                i += 1
                continue
            if tok == "as":
                i += 2
            break
        full = base + segments
        if full and full[0] in ("crate", "super", "self"):
            resolved = resolve(scopes[-1][0], full)
            if resolved is not None:
                paths.add(resolved)
        elif full and full[0] in children and len(scopes) == 1:
            paths.add((*module, *full))
        return i

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
            if len(scopes) > 1 and depth < scopes[-1][1]:
                scopes.pop()
        elif tok == "mod" and i + 2 < len(tokens) and tokens[i + 2] == "{":
            scopes.append(((*scopes[-1][0], tokens[i + 1]), depth + 1))
            depth += 1
            i += 3
            continue
        elif tok == "use":
            i = read_use_tree(i + 1, [])
            continue
        elif tok in ("crate", "super", "self") and i + 1 < len(tokens) and tokens[i + 1] == "::":
            if i > 0 and tokens[i - 1] == "::":
                i += 1
                continue
            segments, i = read_path(i)
            resolved = resolve(scopes[-1][0], segments)
            if resolved is not None:
                paths.add(resolved)
            continue
        elif (
            tok in children
            and len(scopes) == 1
            and i + 1 < len(tokens)
            and tokens[i + 1] == "::"
            and (i == 0 or tokens[i - 1] != "::")
        ):
            segments, i = read_path(i)
            paths.add((*module, *segments))
            continue
        i += 1
    return paths


def rust_module_graph(src_dir: Path) -> dict[str, set[str]]:
    """file's module -> the crate's module files it names (`py/driver.rs` is `py::driver`)."""
    modules = rust_modules(src_dir)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for named in rust_paths(path.read_text(), module):
            # The longest module file the path goes through: `engine::Plan` is `engine`.
            owner = max((m for m in modules if named[: len(m)] == m and m), key=len, default=None)
            if owner is not None and owner != module:
                targets.add("::".join(owner))
        graph["::".join(module) or "crate"] = targets
    return graph


def without_uses_of_ancestors(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The Rust graph without a module's uses of its ancestors (`super::`): a child module
    is a part of its parent (it holds more of the parent's `impl` blocks, or helpers the
    parent calls), not a separate layer. Every other use still counts."""
    return {
        module: {t for t in targets if not module.startswith(f"{t}::")}
        for module, targets in graph.items()
    }
