"""install_as_tenacity(): code that imports tenacity gets pertinax's modules."""

import importlib
import importlib.metadata
import sys
import types

import pertinax
import pytest

REQUIRED = ("_utils", "after", "before", "before_sleep", "nap", "retry", "stop", "wait")


@pytest.fixture
def isolated_modules():
    """Restore every ``tenacity*`` entry of ``sys.modules`` after the test."""
    saved = {n: m for n, m in sys.modules.items() if n == "tenacity" or n.startswith("tenacity.")}
    yield
    for name in [n for n in sys.modules if n == "tenacity" or n.startswith("tenacity.")]:
        del sys.modules[name]
    sys.modules.update(saved)


def _forget_tenacity() -> None:
    for name in [n for n in sys.modules if n == "tenacity" or n.startswith("tenacity.")]:
        del sys.modules[name]


def _check_installed() -> None:
    import tenacity

    assert tenacity is pertinax
    for name in REQUIRED:
        assert sys.modules[f"tenacity.{name}"] is sys.modules[f"pertinax.{name}"]
    # The attribute `retry` is the decorator; the module is only in sys.modules.
    assert tenacity.retry is pertinax.retry
    assert isinstance(sys.modules["tenacity.retry"], types.ModuleType)

    import tenacity.stop
    import tenacity.wait

    assert tenacity.stop is sys.modules["pertinax.stop"]
    assert tenacity.wait is sys.modules["pertinax.wait"]
    from tenacity import RetryError, Retrying, stop_after_attempt, wait_full_jitter
    from tenacity.before_sleep import before_sleep_log
    from tenacity.nap import time
    from tenacity.retry import retry_base

    assert Retrying is pertinax.Retrying and RetryError is pertinax.RetryError
    assert stop_after_attempt is pertinax.stop_after_attempt
    assert wait_full_jitter is pertinax.wait_random_exponential
    assert retry_base is sys.modules["pertinax.retry"].retry_base
    assert before_sleep_log is pertinax.before_sleep_log
    assert time.sleep is sys.modules["time"].sleep
    assert importlib.import_module("tenacity._utils") is sys.modules["pertinax._utils"]


def test_install_over_an_imported_tenacity(isolated_modules) -> None:
    import tenacity
    import tenacity.retry  # noqa: F401  (registers the real submodule)

    real_retry_module = sys.modules["tenacity.retry"]
    assert tenacity is not pertinax
    pertinax.install_as_tenacity()
    _check_installed()
    assert sys.modules["tenacity.retry"] is not real_retry_module
    # Nothing of the real package is left to hand out its own classes.
    leftovers = [
        name
        for name, module in sys.modules.items()
        if name.startswith("tenacity")
        and module is not None
        and not getattr(module, "__name__", "").startswith("pertinax")
    ]
    assert leftovers == []


def test_install_before_tenacity_is_imported(isolated_modules) -> None:
    _forget_tenacity()
    pertinax.install_as_tenacity()
    _check_installed()


def test_install_is_idempotent(isolated_modules) -> None:
    _forget_tenacity()
    pertinax.install_as_tenacity()
    first = {n: m for n, m in sys.modules.items() if n.startswith("tenacity")}
    pertinax.install_as_tenacity()
    second = {n: m for n, m in sys.modules.items() if n.startswith("tenacity")}
    assert first == second
    _check_installed()


def test_install_aliases_the_other_loaded_pertinax_modules(isolated_modules) -> None:
    pertinax.install_as_tenacity()
    # Importing one of them under its tenacity name must not load a second copy.
    outcome = importlib.import_module("tenacity._outcome")
    assert outcome is sys.modules["pertinax._outcome"]
    assert outcome.RetryError is pertinax.RetryError


def test_optional_modules_follow_pertinax(isolated_modules) -> None:
    pertinax.install_as_tenacity()
    for name in ("asyncio", "asyncio.retry", "tornadoweb"):
        try:
            ours = importlib.import_module(f"pertinax.{name}")
        except ImportError:
            # Not available in pertinax (or its dependency is missing): no real
            # tenacity module may stand in for it.
            real = sys.modules.get(f"tenacity.{name}")
            assert real is None or real.__name__.startswith("pertinax")
        else:
            assert sys.modules[f"tenacity.{name}"] is ours


def test_asyncio_names_when_available(isolated_modules) -> None:
    try:
        ours = importlib.import_module("pertinax.asyncio")
    except ImportError:
        pytest.skip("pertinax.asyncio is not available")
    pertinax.install_as_tenacity()
    import tenacity.asyncio

    assert tenacity.asyncio is ours
    from tenacity.asyncio import AsyncRetrying

    assert AsyncRetrying is ours.AsyncRetrying


def test_decorated_code_runs_on_pertinax(isolated_modules) -> None:
    pertinax.install_as_tenacity()
    from tenacity import retry, stop_after_attempt, wait_none

    calls = []

    @retry(stop=stop_after_attempt(3), wait=wait_none(), reraise=True)
    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OSError("again")
        return "done"

    assert flaky() == "done"
    assert len(calls) == 3
    assert isinstance(flaky.retry, pertinax.Retrying)


def test_metadata_reports_tenacity_when_only_pertinax_is_installed(tmp_path) -> None:
    # A child interpreter that sees pertinax but no installed distributions at all (-S):
    # after install_as_tenacity(), importlib.metadata finds "tenacity" at the release whose
    # behaviour pertinax follows, once however often it is installed.
    import subprocess
    from pathlib import Path

    (tmp_path / "pertinax").symlink_to(Path(pertinax.__file__).parent)
    script = """
import importlib.metadata as md, sys
import pertinax
try:
    md.version("tenacity")
    print("present")
except md.PackageNotFoundError:
    print("absent")
pertinax.install_as_tenacity()
pertinax.install_as_tenacity()
print(md.version("tenacity"), md.distribution("tenacity").metadata["Name"])
print(md.version("Tenacity"), sum(type(f).__name__ == "_TenacityFinder" for f in sys.meta_path))
import tenacity
print(tenacity is pertinax)
"""
    out = subprocess.run(
        [sys.executable, "-S", "-c", script],
        env={"PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    assert out[:4] == ["absent", "9.2.1 tenacity", "9.2.1 1", "True"]


def test_an_installed_tenacity_keeps_its_own_metadata(isolated_modules) -> None:
    from pertinax import _compat

    before = list(sys.meta_path)
    try:
        pertinax.install_as_tenacity()
        assert not any(isinstance(f, _compat._TenacityFinder) for f in sys.meta_path)
        assert importlib.metadata.distribution("tenacity").read_text("RECORD") is not None
    finally:
        sys.meta_path[:] = before
