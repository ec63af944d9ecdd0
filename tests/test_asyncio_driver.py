"""The async driver: ``AsyncRetrying``'s surface against tenacity's, ``@retry`` on coroutine
functions, and the call form.

Event-for-event equality with tenacity is in ``test_async_differential.py``; coroutine
callbacks and the async predicates in ``test_asyncio_callbacks.py``; ``async for`` and
concurrent calls in ``test_asyncio_concurrency.py``; reference cycles in
``test_asyncio_garbage.py``; ``TornadoRetrying`` in ``test_tornado.py``; cancellation in
``test_cancellation.py`` and trio in ``test_trio.py``.
"""

from __future__ import annotations

import functools
import inspect
import pickle
import subprocess
import sys
from typing import Any
from unittest import mock

import pertinax
import pertinax.asyncio as pasyncio
import pertinax.asyncio.retry as pretry
import pytest
import tenacity
import tenacity.asyncio
import tenacity.asyncio.retry
import tenacity.tornadoweb
from pertinax import (
    AsyncRetrying,
    RetryError,
    retry,
    retry_if_result,
    stop_after_attempt,
    wait_fixed,
)

from tests.support.async_calls import Flaky, Sleeps, run

# --- module surface -------------------------------------------------------------------------


def _public(module: Any) -> set[str]:
    return {n for n, v in vars(module).items() if not n.startswith("_") and not inspect.ismodule(v)}


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (pasyncio, tenacity.asyncio),
        (pretry, tenacity.asyncio.retry),
        (pertinax.tornadoweb, tenacity.tornadoweb),
    ],
    ids=["asyncio", "asyncio.retry", "tornadoweb"],
)
def test_module_public_names_match_tenacity(ours: Any, theirs: Any) -> None:
    assert _public(ours) == _public(theirs)
    assert getattr(ours, "__all__", None) == getattr(theirs, "__all__", None)


def test_package_names() -> None:
    assert pertinax.AsyncRetrying is pasyncio.AsyncRetrying
    assert pertinax.TornadoRetrying is pertinax.tornadoweb.TornadoRetrying
    assert pertinax.tornado is sys.modules["tornado"]
    for name in ("retry_if_result", "retry_if_exception", "retry_any", "retry_all"):
        assert getattr(pasyncio, name) is getattr(pretry, name)
        assert getattr(pasyncio, name) is not getattr(pertinax, name)
    assert repr(pretry.RetryBaseT) == repr(tenacity.asyncio.retry.RetryBaseT).replace(
        "tenacity.", "pertinax."
    )


def test_import_pertinax_imports_neither_asyncio_nor_tornado_gen() -> None:
    code = (
        "import sys, pertinax; "
        "print(sorted(m for m in ('asyncio', 'tornado.gen', 'trio') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_constructor_signature_matches_tenacity() -> None:
    def positional(cls: Any) -> list[str]:
        params = inspect.signature(cls.__init__).parameters.values()
        return [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]

    assert positional(AsyncRetrying) == positional(tenacity.AsyncRetrying)
    # pertinax's own options are keyword-only, as on every controller.
    assert positional(AsyncRetrying) == positional(pertinax.Retrying)
    r = AsyncRetrying(metrics=False, on_recovered=print, log_levels=None)
    assert r.copy().metrics is False and r.copy().on_recovered is print
    assert AsyncRetrying().sleep is pasyncio._portable_async_sleep
    assert inspect.iscoroutinefunction(AsyncRetrying.__call__)
    assert "AsyncRetrying object at 0x" in repr(AsyncRetrying())


def test_controllers_pickle_before_and_after_use() -> None:
    r = AsyncRetrying(stop=stop_after_attempt(3), wait=wait_fixed(0))
    fresh = pickle.loads(pickle.dumps(r))
    assert fresh.sleep is pasyncio._portable_async_sleep
    run(r(Flaky(1)))

    async def loop() -> None:
        async for attempt in r:
            with attempt:
                pass

    run(loop())
    restored = pickle.loads(pickle.dumps(r))
    assert restored.statistics == {}
    assert run(restored(Flaky(2))) == "ok"
    assert restored.statistics["attempt_number"] == 3


def test_iterating_synchronously_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="AsyncRetrying object is not iterable"):
        for _ in AsyncRetrying():
            pass


# --- the decorator --------------------------------------------------------------------------


def test_decorated_coroutine_function_is_an_async_def_with_wrapper_attributes() -> None:
    async def fetch(a: int, b: int = 2, *, c: int = 3) -> int:
        """Doc."""
        return a + b + c

    fetch.marker = "kept"  # type: ignore[attr-defined]
    wrapped = retry(stop=stop_after_attempt(2))(fetch)
    assert inspect.iscoroutinefunction(wrapped)
    assert inspect.isfunction(wrapped)
    assert wrapped.__wrapped__ is fetch
    for attr in ("__name__", "__qualname__", "__doc__", "__module__", "__annotations__"):
        assert getattr(wrapped, attr) == getattr(fetch, attr)
    assert wrapped.__defaults__ == (2,)
    assert wrapped.__kwdefaults__ == {"c": 3}
    assert wrapped.marker == "kept"
    assert type(wrapped.retry) is AsyncRetrying
    assert wrapped.statistics == {}
    assert run(wrapped(1)) == 6


def test_statistics_are_one_stable_dict_shared_with_the_controller() -> None:
    seen: list[int] = []
    flaky = Flaky(2)

    @retry(sleep=Sleeps())
    async def call() -> Any:
        seen.append(call.retry.statistics["attempt_number"])
        return await flaky()

    stats = call.statistics
    assert run(call()) == "ok"
    assert seen == [1, 2, 3]
    assert call.statistics is stats
    assert call.retry.statistics is stats
    assert set(stats) == {"start_time", "attempt_number", "idle_for", "delay_since_first_attempt"}
    assert stats["attempt_number"] == 3
    flaky.calls, flaky.failures = 0, 0
    run(call())
    assert call.statistics is stats and stats["attempt_number"] == 1


def test_patching_the_controller_takes_effect_on_the_next_call() -> None:
    flaky = Flaky(100)
    wrapped = retry(sleep=Sleeps(), stop=stop_after_attempt(3))(flaky)
    with pytest.raises(RetryError) as info:
        run(wrapped())
    assert info.value.last_attempt.attempt_number == 3
    wrapped.retry.stop = stop_after_attempt(1)
    with pytest.raises(RetryError) as info:
        run(wrapped())
    assert info.value.last_attempt.attempt_number == 1
    with mock.patch.object(wrapped.retry, "stop", stop_after_attempt(2)):
        with pytest.raises(RetryError) as info:
            run(wrapped())
    assert info.value.last_attempt.attempt_number == 2


def test_retry_with_gives_a_new_async_wrapper() -> None:
    flaky = Flaky(1)
    sleeps = Sleeps()
    wrapped = retry(sleep=sleeps)(flaky)
    other = wrapped.retry_with(wait=wait_fixed(7))
    assert inspect.iscoroutinefunction(other)
    assert type(other.retry) is AsyncRetrying and other.retry is not wrapped.retry
    assert other.statistics is not wrapped.statistics
    assert run(other()) == "ok"
    assert sleeps.seconds == [7.0]
    assert type(sleeps.seconds[0]) is pertinax.DoSleep


def test_decorated_methods_bind() -> None:
    class Client:
        def __init__(self) -> None:
            self.flaky = Flaky(2, "answer")

        @retry(sleep=Sleeps())
        async def get(self, suffix: str) -> str:
            return await self.flaky() + suffix

    client = Client()
    assert run(client.get("!")) == "answer!"
    assert client.flaky.calls == 3
    assert client.get.statistics["attempt_number"] == 3


def test_enabled_false_calls_the_function_once() -> None:
    flaky = Flaky(1)
    wrapped = retry(enabled=False)(flaky)
    with pytest.raises(ValueError, match="failure 1"):
        run(wrapped())
    assert flaky.calls == 1 and wrapped.statistics == {}
    enabled = wrapped.retry_with(enabled=True)
    assert run(enabled()) == "ok"


def test_sync_function_with_an_async_sleep_becomes_a_coroutine_function() -> None:
    sleeps = Sleeps()
    calls: list[int] = []

    @retry(sleep=sleeps, retry=retry_if_result(lambda v: v is None), wait=wait_fixed(1))
    def compute() -> Any:
        calls.append(1)
        return None if len(calls) < 3 else "done"

    assert inspect.iscoroutinefunction(compute)
    assert run(compute()) == "done"
    assert sleeps.seconds == [1.0, 1.0]
    # Disabled, the wrapper awaits the function itself: a sync one cannot be awaited.
    with pytest.raises(TypeError):
        run(compute.retry_with(enabled=False)())


class _CountingController(AsyncRetrying):
    """A subclass that overrides tenacity's methods: driven the way tenacity drives them."""

    copies = 0
    decisions = 0

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        type(self).copies += 1
        return super().copy(*args, **kwargs)

    async def iter(self, retry_state: Any) -> Any:
        type(self).decisions += 1
        return await super().iter(retry_state)


def test_subclasses_overriding_tenacity_methods_still_work() -> None:
    flaky = Flaky(2)
    wrapped = _CountingController(sleep=Sleeps()).wraps(flaky)
    assert run(wrapped()) == "ok"
    assert _CountingController.copies == 1
    # before each attempt, then one decision per outcome: 3 attempts.
    assert _CountingController.decisions == 6
    assert wrapped.statistics["attempt_number"] == 3
    assert wrapped.retry.statistics is wrapped.statistics


def test_iter_awaits_coroutine_strategies() -> None:
    seen: list[tuple[str, int]] = []

    async def predicate(rs: Any) -> bool:
        seen.append(("retry", rs.attempt_number))
        return rs.outcome.failed

    async def stop(rs: Any) -> bool:
        seen.append(("stop", rs.attempt_number))
        return rs.attempt_number >= 2

    async def wait(rs: Any) -> float:
        return 0.25

    r = AsyncRetrying(retry=predicate, stop=stop, wait=wait)
    r.begin()
    state = pertinax.RetryCallState(r, None, (), {})
    assert isinstance(run(r.iter(state)), pertinax.DoAttempt)
    state.set_exception((ValueError, ValueError("a"), None))
    do = run(r.iter(state))
    assert isinstance(do, pertinax.DoSleep) and do == 0.25
    state.prepare_for_next_attempt()
    assert isinstance(run(r.iter(state)), pertinax.DoAttempt)
    state.set_exception((ValueError, ValueError("b"), None))
    with pytest.raises(pertinax.RetryError) as info:
        run(r.iter(state))
    assert str(info.value.__cause__) == "b"
    assert seen == [("retry", 1), ("stop", 1), ("retry", 2), ("stop", 2)]
    assert r.statistics["attempt_number"] == 2
    assert r.statistics["idle_for"] == 0.25
    plain = AsyncRetrying()
    assert isinstance(
        run(plain.iter(pertinax.RetryCallState(plain, None, (), {}))), pertinax.DoAttempt
    )


# --- the call form --------------------------------------------------------------------------


def test_call_form_gives_up_with_a_chained_retry_error() -> None:
    r = AsyncRetrying(sleep=Sleeps(), stop=stop_after_attempt(3))
    flaky = Flaky(10)
    with pytest.raises(RetryError) as info:
        run(r(flaky, 1, key="v"))
    assert flaky.calls == 3
    assert isinstance(info.value.__cause__, ValueError)
    assert str(info.value.__cause__) == "failure 3"
    assert r.statistics["attempt_number"] == 3
    assert (
        run(AsyncRetrying(reraise=True, stop=stop_after_attempt(2), sleep=Sleeps())(Flaky(1)))
        == "ok"
    )
    with pytest.raises(ValueError, match="failure 2"):
        run(AsyncRetrying(reraise=True, stop=stop_after_attempt(2), sleep=Sleeps())(Flaky(5)))


def test_call_form_runs_sync_functions_without_awaiting_their_result() -> None:
    async def never_awaited() -> None:
        pass

    def returns_a_coroutine() -> Any:
        return coro

    coro = never_awaited()
    try:
        assert run(AsyncRetrying()(returns_a_coroutine)) is coro
        assert run(AsyncRetrying()(lambda a, b: a + b, 1, b=2)) == 3
    finally:
        coro.close()


def test_default_sleep_is_looked_up_at_call_time() -> None:
    fake = mock.AsyncMock()
    with mock.patch("asyncio.sleep", fake):
        result = run(AsyncRetrying(wait=wait_fixed(0.5))(Flaky(2, exc=KeyError)))
    assert result == "ok"
    # Flaky's own asyncio.sleep(0) calls are in there too; the retry sleeps are DoSleeps.
    retry_sleeps = [c.args[0] for c in fake.await_args_list if type(c.args[0]) is pertinax.DoSleep]
    assert retry_sleeps == [0.5, 0.5]


def test_a_zero_wait_still_awaits_the_sleep() -> None:
    sleeps = Sleeps()
    run(AsyncRetrying(sleep=sleeps)(Flaky(2)))
    assert sleeps.seconds == [0.0, 0.0]


def test_a_sleep_that_returns_nothing_awaitable_fails_as_in_tenacity() -> None:
    for lib in (pertinax, tenacity):
        with pytest.raises(TypeError):
            run(lib.AsyncRetrying(sleep=lambda s: None)(Flaky(1)))


def test_wrapper_helper_is_functools_compatible() -> None:
    # An outer functools.wraps decorator sees the same statistics dict.
    @retry(stop=stop_after_attempt(2), sleep=Sleeps())
    async def inner() -> str:
        return "ok"

    @functools.wraps(inner)
    async def outer() -> str:
        return await inner()

    assert run(outer()) == "ok"
    assert outer.statistics is inner.statistics  # type: ignore[attr-defined]
    assert outer.statistics["attempt_number"] == 1  # type: ignore[attr-defined]
