"""The decorated function looks and behaves like the one tenacity returns."""

from __future__ import annotations

import functools
import inspect
import types

import pertinax
import pytest
import tenacity
from pertinax import RetryError, retry, stop_after_attempt

from tests.support.scripted import no_sleep


def _sample(a: int, b: str = "x", *, c: float = 1.0) -> str:
    """Docstring of the sample."""
    return f"{a}{b}{c}"


@pytest.mark.parametrize("lib", [tenacity, pertinax], ids=["tenacity", "pertinax"])
def test_metadata_and_introspection_match_tenacity(lib: types.ModuleType) -> None:
    theirs = tenacity.retry(_sample)
    ours = lib.retry(_sample)
    assert inspect.isfunction(ours)
    for attr in ("__name__", "__qualname__", "__module__", "__doc__", "__wrapped__"):
        assert getattr(ours, attr) == getattr(theirs, attr)
    assert ours.__defaults__ == _sample.__defaults__
    assert ours.__kwdefaults__ == _sample.__kwdefaults__
    assert inspect.signature(ours) == inspect.signature(_sample)
    # What Celery's task signature check reads: the wrapper itself, not __wrapped__.
    assert inspect.getfullargspec(ours) == inspect.getfullargspec(theirs)
    assert ours(1, c=2.0) == "1x2.0"


def test_methods_bind_and_keep_their_attributes() -> None:
    class Client:
        def __init__(self) -> None:
            self.calls = 0

        @retry(stop=stop_after_attempt(3), sleep=no_sleep)
        def fetch(self, key: str) -> str:
            self.calls += 1
            if self.calls < 2:
                raise ConnectionError
            return key.upper()

    client = Client()
    assert client.fetch("k") == "K"
    assert client.calls == 2
    assert client.fetch.statistics["attempt_number"] == 2
    assert client.fetch.retry is Client.fetch.retry
    # as in tenacity (#453), retry_with gives the unbound function: pass self explicitly
    once = client.fetch.retry_with(stop=stop_after_attempt(1))
    assert once(client, "x") == "X"


def test_statistics_are_visible_through_an_outer_functools_wraps_decorator() -> None:
    def outer(fn):  # type: ignore[no-untyped-def]
        @functools.wraps(fn)
        def inner(*a, **kw):  # type: ignore[no-untyped-def]
            return fn(*a, **kw)

        return inner

    attempts = []

    @outer
    @retry(stop=stop_after_attempt(5), sleep=no_sleep)
    def f() -> int:
        attempts.append(f.statistics["attempt_number"])
        if len(attempts) < 3:
            raise ValueError
        return 1

    assert f() == 1
    assert attempts == [1, 2, 3]
    assert f.statistics is f.__wrapped__.statistics
    assert f.statistics["attempt_number"] == 3


def test_retry_with_makes_an_independent_wrapper() -> None:
    calls = []

    @retry(stop=stop_after_attempt(5), sleep=no_sleep)
    def f() -> None:
        calls.append(1)
        raise ValueError

    g = f.retry_with(stop=stop_after_attempt(2))
    with pytest.raises(RetryError):
        g()
    assert len(calls) == 2
    assert g.statistics is not f.statistics
    assert g.retry is not f.retry
    assert f.statistics == {}


def test_enabled_false_calls_once_and_raises_the_original_error() -> None:
    calls = []

    @retry(stop=stop_after_attempt(5), enabled=False)
    def f() -> None:
        calls.append(1)
        raise KeyError("k")

    with pytest.raises(KeyError):
        f()
    assert calls == [1]
    assert f.statistics == {}
    assert f.retry.statistics == {}


def test_the_misuse_warning_matches_tenacity() -> None:
    with pytest.warns(UserWarning) as ours:
        retry(pertinax.retry_if_exception_type(ValueError))
    with pytest.warns(UserWarning) as theirs:
        tenacity.retry(tenacity.retry_if_exception_type(ValueError))
    assert str(ours[0].message) == str(theirs[0].message)


def test_a_controller_subclass_that_overrides_call_is_honoured() -> None:
    seen = []

    class Traced(pertinax.Retrying):
        def __call__(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(fn.__name__)
            return super().__call__(fn, *args, **kwargs)

    def work() -> int:
        return 3

    wrapped = Traced(stop=stop_after_attempt(2)).wraps(work)
    assert wrapped() == 3
    assert seen == ["work"]
    assert wrapped.statistics["attempt_number"] == 1


def test_a_controller_subclass_that_overrides_iter_is_driven_through_it() -> None:
    decisions = []

    class Audited(pertinax.Retrying):
        def iter(self, retry_state):  # type: ignore[no-untyped-def]
            do = super().iter(retry_state)
            decisions.append(type(do).__name__)
            return do

    attempts = []

    def work() -> int:
        attempts.append(1)
        if len(attempts) < 2:
            raise ValueError
        return 5

    r = Audited(stop=stop_after_attempt(3), sleep=no_sleep)
    assert r(work) == 5
    assert decisions == ["DoAttempt", "DoSleep", "DoAttempt", "int"]
    assert r.statistics["attempt_number"] == 2


def test_subclassing_retry_if_exception_with_a_custom_check() -> None:
    class retry_if_transient(pertinax.retry_if_exception_type):
        def _check(self, e: BaseException) -> bool:
            return "transient" in str(e)

    calls = []

    @retry(retry=retry_if_transient(), stop=stop_after_attempt(4), sleep=no_sleep)
    def f() -> None:
        calls.append(1)
        raise ValueError("transient" if len(calls) < 2 else "fatal")

    with pytest.raises(ValueError, match="fatal"):
        f()
    assert len(calls) == 2
