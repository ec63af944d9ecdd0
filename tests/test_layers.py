"""Layers point one way: no import cycle between files, in Python or in Rust, and no lower
layer names a higher one.

Python: every import statement in python/pertinax counts, including those under
``TYPE_CHECKING`` and inside functions; ``import pertinax`` loads no integration and no
framework. Rust: every ``crate::``/``super::``/``self::`` path in src/ counts, in ``use``
declarations and inline; the strategies, the engine, the per-call state, the statistics, the
clock and the numbers never name ``crate::py``.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "python" / "pertinax"
SRC = ROOT / "src"

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


# --- Python ---------------------------------------------------------------------------------


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


def test_python_modules_import_one_way() -> None:
    graph = python_import_graph(PACKAGE)
    assert len(graph) > 20, sorted(graph)  # the walk saw the whole package
    assert find_cycles(graph) == []


def test_python_graph_sees_every_kind_of_import() -> None:
    graph = python_import_graph(PACKAGE)
    # Under TYPE_CHECKING only:
    assert "pertinax.stop" in graph["pertinax._retrying"]
    # Inside a function only:
    assert "pertinax.asyncio" in graph["pertinax._wrapping"]
    assert "pertinax.tornadoweb" in graph["pertinax._wrapping"]
    # `from .. import name` of a module, from a subpackage, and of the native module:
    assert "pertinax._utils" in graph["pertinax.asyncio"]
    assert "pertinax._pertinax" in graph["pertinax.asyncio._driver"]
    assert "pertinax" not in graph["pertinax.asyncio._driver"]


def test_python_cycle_detector_finds_a_planted_cycle(tmp_path: Path) -> None:
    package = tmp_path / "planted"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from . import a\n")
    (package / "a.py").write_text("import typing\nfrom .sub import b\n")
    (package / "sub" / "__init__.py").write_text("")
    # The way back is hidden the two ways the package hides its own: a TYPE_CHECKING
    # import and a function-level one.
    (package / "sub" / "b.py").write_text(
        textwrap.dedent(
            """\
            import typing
            if typing.TYPE_CHECKING:
                from .. import c
            def later():
                from planted.sub import d
            """
        )
    )
    (package / "c.py").write_text("from .a import something\n")
    (package / "sub" / "d.py").write_text("from ..sub.b import later\n")
    graph = python_import_graph(package)
    # b sits on both loops (a -> b -> c -> a and b -> d -> b): one component.
    assert find_cycles(graph) == [["planted.a", "planted.c", "planted.sub.b", "planted.sub.d"]]
    assert find_cycles({"x": {"x"}}) == [["x"]]
    assert find_cycles({"x": {"y"}, "y": set()}) == []


# What `import pertinax` may load besides the standard library and pertinax itself. tenacity
# binds the module global `tornado` when tornado is installed, so pertinax does too; only the
# top-level package (tornado.gen pulls in asyncio, and is loaded on first use).
ALLOWED_THIRD_PARTY = {"tornado"}
FRAMEWORKS = {
    "aiohttp",
    "boto3",
    "botocore",
    "celery",
    "django",
    "httpx",
    "opentelemetry",
    "prometheus_client",
    "psycopg",
    "redis",
    "requests",
    "trio",
    "urllib3",
}


def test_import_pertinax_loads_no_integration_and_no_framework() -> None:
    script = textwrap.dedent(
        """\
        import json, sys
        before = set(sys.modules)
        import pertinax
        print(json.dumps(sorted(set(sys.modules) - before)))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded = set(json.loads(done.stdout))
    ours = {m for m in loaded if m == "pertinax" or m.startswith("pertinax.")}
    assert not {m for m in ours if m.startswith("pertinax.integrations")}
    assert "pertinax.tornadoweb" not in ours
    third_party = {
        m.partition(".")[0]
        for m in loaded - ours
        if m.partition(".")[0] not in sys.stdlib_module_names
    }
    assert not third_party & FRAMEWORKS
    tornado_installed = subprocess.run(
        [sys.executable, "-c", "import tornado"], capture_output=True, check=False
    )
    expected = ALLOWED_THIRD_PARTY if tornado_installed.returncode == 0 else set()
    assert third_party == expected
    assert {m for m in loaded if m.startswith("tornado.")} == set()


# --- Rust -----------------------------------------------------------------------------------

# Modules below the bindings: none of them may name `crate::py`.
LOWER_LAYERS = ("strategy", "engine", "state", "stats", "clock", "num")

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


def test_rust_modules_use_one_way() -> None:
    graph = rust_module_graph(SRC)
    assert len(graph) > 10, sorted(graph)
    assert find_cycles(graph) == []


@pytest.mark.parametrize("layer", LOWER_LAYERS)
def test_lower_rust_layers_never_name_the_bindings(layer: str) -> None:
    graph = rust_module_graph(SRC)
    files = {m: t for m, t in graph.items() if m == layer or m.startswith(f"{layer}::")}
    assert files, f"no module {layer} under src/"
    offenders = {
        module: sorted(t for t in targets if t == "py" or t.startswith("py::"))
        for module, targets in files.items()
    }
    assert {m: t for m, t in offenders.items() if t} == {}


def test_rust_graph_reads_every_form_of_path(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "py").mkdir(parents=True)
    (src / "strategy").mkdir()
    (src / "lib.rs").write_text("mod engine;\nmod py;\nmod strategy;\n")
    # A child declared with `mod name;` is named by bare paths, in `use` and inline.
    (src / "py" / "mod.rs").write_text(
        "pub mod driver;\npub mod names;\nuse names::name;\nfn g() { driver::h(); }\n"
    )
    (src / "py" / "names.rs").write_text("pub fn name() {}\n")
    # `use` with nested groups and renames, an inline path, and an inline test module whose
    # `super` is the file's own module; comments and strings name nothing.
    (src / "engine.rs").write_text(
        textwrap.dedent(
            """\
            use crate::{strategy::{self as s, wait::Wait}, num::Num as N};
            // crate::py::names::name() in a comment
            const DOC: &str = "crate::py::names";
            fn f() { let c = '{'; crate::py::names::name(); }
            #[cfg(test)]
            mod tests { use super::*; }
            """
        )
    )
    (src / "py" / "driver.rs").write_text("use super::names;\nuse crate::engine::f;\n")
    (src / "strategy" / "mod.rs").write_text("pub mod wait;\n")
    (src / "strategy" / "wait.rs").write_text("use super::super::engine::f;\n")
    (src / "num.rs").write_text("")
    graph = rust_module_graph(src)
    assert graph == {
        "crate": set(),
        "engine": {"strategy", "strategy::wait", "num", "py::names"},
        "num": set(),
        "py": {"py::names", "py::driver"},
        "py::driver": {"py::names", "engine"},
        "py::names": set(),
        "strategy": set(),
        "strategy::wait": {"engine"},
    }
    # A planted cycle: engine -> strategy::wait -> engine.
    assert find_cycles(graph) == [["engine", "strategy::wait"]]
