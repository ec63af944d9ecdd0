"""conftest.py for tenacity's upstream suite (copied into place by tests/downstream/run_upstream.py).

pytest imports this file before it collects the test modules, so ``install_as_tenacity()``
runs before any ``import tenacity`` in the suite. After collection, every test module's
``tenacity`` is checked to be the implementation asked for, so a run can never silently
test the real tenacity when pertinax was meant (or the other way round).
"""

from __future__ import annotations

import os
import sys

import pytest

TARGET = os.environ.get("PERTINAX_UPSTREAM_TARGET", "pertinax")

if TARGET == "pertinax":
    import pertinax

    pertinax.install_as_tenacity()

import tenacity  # noqa: E402  (must come after the shim is installed)


def _implementation() -> str:
    if "pertinax" in sys.modules and tenacity.Retrying is sys.modules["pertinax"].Retrying:
        return "pertinax"
    return "tenacity"


def pytest_report_header(config: pytest.Config) -> str:
    origin = getattr(sys.modules["tenacity"], "__file__", None)
    return f"upstream tenacity suite; `tenacity` is {_implementation()} ({origin})"


def pytest_collection_finish(session: pytest.Session) -> None:
    if _implementation() != TARGET:
        raise pytest.UsageError(f"`tenacity` resolves to {_implementation()}, not {TARGET}")
    for item in session.items:
        module = getattr(item, "module", None)
        imported = getattr(module, "tenacity", None)
        if imported is not None and imported is not sys.modules["tenacity"]:
            raise pytest.UsageError(
                f"{module.__name__} imported a different `tenacity` ({imported!r})"
            )
