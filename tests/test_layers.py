"""Layers point one way: no import cycle between files, in Python or in Rust, and no lower
layer names a higher one.

Python: every import statement in python/pertinax counts, including those under
``TYPE_CHECKING`` and inside functions; ``import pertinax`` loads no integration and no
framework. Rust: every ``crate::``/``super::``/``self::`` path in src/ counts, in ``use``
declarations and inline, and every path through a child module the file declares; the
strategies, the engine, the per-call state, the statistics, the clock and the numbers never
name ``crate::py``. The graphs are read by ``tests/support/layers.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.layers import (
    find_cycles,
    python_import_graph,
    rust_module_graph,
    without_uses_of_ancestors,
)

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "python" / "pertinax"
SRC = ROOT / "src"


# --- Python ---------------------------------------------------------------------------------


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


def test_rust_modules_use_one_way() -> None:
    graph = rust_module_graph(SRC)
    assert len(graph) > 10, sorted(graph)
    assert find_cycles(without_uses_of_ancestors(graph)) == []


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
    # A planted cycle: engine -> strategy::wait -> engine. A child's use of its own parent
    # is no cycle; the parent's use of a child still counts towards one.
    assert find_cycles(without_uses_of_ancestors(graph)) == [["engine", "strategy::wait"]]
    parts = {"engine": {"engine::guards"}, "engine::guards": {"engine"}}
    assert find_cycles(without_uses_of_ancestors(parts)) == []
    parts["engine::guards"] |= {"strategy"}
    parts["strategy"] = {"engine"}
    assert find_cycles(without_uses_of_ancestors(parts)) == [
        ["engine", "engine::guards", "strategy"]
    ]
