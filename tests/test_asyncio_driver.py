"""The async driver: ``AsyncRetrying``, ``@retry`` on coroutine functions, the async
predicates, ``TornadoRetrying``, per-call state under concurrency, and garbage.

Event-for-event equality with tenacity is in ``test_async_differential.py``; cancellation is
in ``test_cancellation.py`` and trio in ``test_trio.py``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import gc
import inspect
import pickle
import subprocess
import sys
import weakref
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


def run(coro: Any) -> Any:
    return asyncio.run(coro)


class Flaky:
    """An async callable that fails ``failures`` times, then returns ``value``."""

    def __init__(self, failures: int, value: Any = "ok", exc: type[BaseException] = ValueError):
        self.failures, self.value, self.exc = failures, value, exc
        self.calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        await asyncio.sleep(0)
        if self.calls <= self.failures:
            raise self.exc(f"failure {self.calls}")
        return self.value


class Sleeps:
    """A recording async sleep."""

    def __init__(self) -> None:
        self.seconds: list[Any] = []

    async def __call__(self, seconds: Any) -> None:
        self.seconds.append(seconds)


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


# --- every slot may be a coroutine function -------------------------------------------------


def test_coroutine_callbacks_run_in_tenacitys_order() -> None:
    events: list[Any] = []

    def recorder(name: str, value: Any = None) -> Any:
        async def cb(rs: Any) -> Any:
            await asyncio.sleep(0)
            events.append((name, rs.attempt_number))
            return value

        return cb

    async def sleep(seconds: Any) -> None:
        events.append(("sleep", seconds))

    async def attempt() -> None:
        events.append(("attempt",))
        raise ValueError

    r = AsyncRetrying(
        sleep=sleep,
        before=recorder("before"),
        after=recorder("after"),
        before_sleep=recorder("before_sleep"),
        retry=recorder("retry", True),
        wait=recorder("wait", 1.5),
        stop=pertinax.stop_after_attempt(2),
        retry_error_callback=recorder("callback", "fallback"),
    )
    assert run(r(attempt)) == "fallback"
    assert events == [
        ("before", 1),
        ("attempt",),
        ("retry", 1),
        ("after", 1),
        ("wait", 1),
        ("before_sleep", 1),
        ("sleep", 1.5),
        ("before", 2),
        ("attempt",),
        ("retry", 2),
        ("after", 2),
        ("wait", 2),
        ("callback", 2),
    ]
    assert r.statistics["idle_for"] == 1.5


def test_an_error_in_a_coroutine_callback_propagates_with_the_attempts_error_as_context() -> None:
    class CallbackFailed(Exception):
        pass

    async def before_sleep(rs: Any) -> None:
        raise CallbackFailed

    with pytest.raises(CallbackFailed) as info:
        run(AsyncRetrying(before_sleep=before_sleep, sleep=Sleeps())(Flaky(3)))
    assert isinstance(info.value.__context__, ValueError)


# --- async predicates -----------------------------------------------------------------------


def _shape(strategy: Any) -> Any:
    members = getattr(strategy, "retries", None)
    if members is None:
        return type(strategy).__module__.split(".", 1)[-1] + "." + type(strategy).__qualname__
    return (
        type(strategy).__module__.split(".", 1)[-1] + "." + type(strategy).__qualname__,
        [_shape(m) for m in members],
    )


async def _true(x: Any) -> bool:
    return True


def _combinations(lib: Any) -> dict[str, Any]:
    a = lib.asyncio.retry_if_result(_true)
    b = lib.asyncio.retry_if_exception(_true)
    s = lib.retry_if_result(bool)
    any_ab = lib.asyncio.retry_any(a, b)
    all_ab = lib.asyncio.retry_all(a, b)
    return {
        "a|b": a | b,
        "a&b": a & b,
        "s|a": s | a,
        "a|s": a | s,
        "s&a": s & a,
        "a&s": a & s,
        "any|a": any_ab | a,
        "a|any": a | any_ab,
        "any|any": any_ab | lib.asyncio.retry_any(b),
        "all&all": all_ab & lib.asyncio.retry_all(b),
        "a&all": a & all_ab,
        "sync_any|a": lib.retry_any(s) | a,
        "fn|a": bool | a,
        "a&fn": a & bool,
    }


def test_async_predicate_operators_build_what_tenacity_builds() -> None:
    ours = {k: _shape(v) for k, v in _combinations(pertinax).items()}
    theirs = {k: _shape(v) for k, v in _combinations(tenacity).items()}
    assert ours == theirs


@pytest.mark.parametrize("cls", ["retry_if_result", "retry_if_exception"])
def test_async_predicates_need_an_outcome(cls: str) -> None:
    state = pertinax.RetryCallState(None, None, (), {})
    with pytest.raises(RuntimeError, match="before outcome was set"):
        run(getattr(pasyncio, cls)(_true)(state))


def test_async_retry_base_is_abstract() -> None:
    with pytest.raises(TypeError):
        pretry.async_retry_base()  # type: ignore[abstract]


def test_async_combinators_return_the_deciding_members_value() -> None:
    state = pertinax.RetryCallState(None, None, (), {})
    state.set_result(5)

    async def say(value: Any) -> Any:
        return value

    def async_member(value: Any) -> Any:
        async def member(rs: Any) -> Any:
            return await say(value)

        return member

    assert (
        run(pasyncio.retry_any(async_member(0), lambda rs: "", async_member("yes"))(state)) == "yes"
    )
    assert run(pasyncio.retry_all(async_member(1), lambda rs: [], async_member(2))(state)) == []
    assert run(pasyncio.retry_any()(state)) is False
    assert run(pasyncio.retry_all()(state)) is True


# --- async for ------------------------------------------------------------------------------


def test_each_async_for_loop_gets_its_own_iterator() -> None:
    r = AsyncRetrying(stop=stop_after_attempt(3), sleep=Sleeps())
    first, second = r.__aiter__(), r.__aiter__()
    assert first is not second
    assert first.__aiter__() is first


def test_concurrent_async_for_loops_over_one_controller() -> None:
    r = AsyncRetrying(stop=stop_after_attempt(4), sleep=Sleeps())
    seen: dict[int, list[int]] = {0: [], 1: [], 2: []}

    async def loop(i: int) -> int:
        async for attempt in r:
            with attempt:
                seen[i].append(attempt.retry_state.attempt_number)
                await asyncio.sleep(0)
                if len(seen[i]) <= i:
                    raise ValueError
        return len(seen[i])

    async def main() -> list[int]:
        return list(await asyncio.gather(loop(0), loop(1), loop(2)))

    assert run(main()) == [1, 2, 3]
    assert seen == {0: [1], 1: [1, 2], 2: [1, 2, 3]}


def test_aiter_then_anext_on_the_controller_as_tenacity_allows() -> None:
    r = AsyncRetrying(stop=stop_after_attempt(2), sleep=Sleeps())

    async def main() -> list[int]:
        r.__aiter__()
        numbers = []
        with pytest.raises(RetryError):
            while True:
                attempt = await r.__anext__()
                numbers.append(attempt.retry_state.attempt_number)
                with attempt:
                    raise ValueError
        return numbers

    assert run(main()) == [1, 2]


def test_async_for_with_a_callback_ends_quietly_and_the_loop_stays_done() -> None:
    r = AsyncRetrying(
        stop=stop_after_attempt(2), sleep=Sleeps(), retry_error_callback=lambda rs: "fallback"
    )

    async def main() -> int:
        bodies = 0
        it = r.__aiter__()
        async for attempt in it:
            with attempt:
                bodies += 1
                raise ValueError
        with pytest.raises(StopAsyncIteration):
            await it.__anext__()
        return bodies

    assert run(main()) == 2


# --- many concurrent calls through one controller -------------------------------------------

_CALL_ID: contextvars.ContextVar[int] = contextvars.ContextVar("call_id")


def test_a_thousand_concurrent_calls_through_one_async_retrying() -> None:
    n = 1000
    max_attempts = 6
    attempts: dict[int, list[int]] = {i: [] for i in range(n)}
    sleeps: dict[int, list[Any]] = {i: [] for i in range(n)}

    def failures(i: int) -> int:
        return (i * 7) % 9  # 0..8: some succeed at once, some give up

    async def work(i: int) -> int:
        attempts[i].append(len(attempts[i]) + 1)
        await asyncio.sleep(0)
        if len(attempts[i]) <= failures(i):
            raise ValueError(i)
        return i * 10

    async def should_retry(rs: Any) -> bool:
        await asyncio.sleep(0)  # the engine hands this back to be awaited: interleave here
        return rs.outcome.failed and rs.args[0] == _CALL_ID.get()

    async def sleep(seconds: Any) -> None:
        sleeps[_CALL_ID.get()].append(seconds)
        await asyncio.sleep(0)

    shared = AsyncRetrying(
        sleep=sleep,
        retry=should_retry,
        wait=lambda rs: rs.args[0] * 1000 + rs.attempt_number,
        stop=stop_after_attempt(max_attempts),
    )

    async def one(i: int) -> Any:
        _CALL_ID.set(i)
        try:
            return await shared(work, i)
        except RetryError as e:
            return ("gave up", e.last_attempt.attempt_number, str(e.last_attempt.exception()))

    async def main() -> list[Any]:
        return list(await asyncio.gather(*(one(i) for i in range(n))))

    results = run(main())
    for i, result in enumerate(results):
        made = min(failures(i) + 1, max_attempts)
        assert attempts[i] == list(range(1, made + 1)), i
        assert sleeps[i] == [i * 1000 + k for k in range(1, made)], i
        if failures(i) < max_attempts:
            assert result == i * 10
        else:
            assert result == ("gave up", max_attempts, str(i))


def test_concurrent_calls_of_one_decorated_function() -> None:
    n = 200
    counts = [0] * n

    @retry(stop=stop_after_attempt(5), sleep=Sleeps())
    async def work(i: int) -> int:
        counts[i] += 1
        await asyncio.sleep(0)
        if counts[i] <= i % 4:
            raise ValueError
        return i

    async def main() -> list[int]:
        return list(await asyncio.gather(*(work(i) for i in range(n))))

    assert run(main()) == list(range(n))
    assert counts == [i % 4 + 1 for i in range(n)]


# --- garbage --------------------------------------------------------------------------------


@pytest.fixture
def no_gc() -> Any:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _garbage_after(coro_factory: Any, times: int = 20) -> int:
    async def main() -> None:
        for _ in range(times):
            try:
                await coro_factory()
            except Exception:  # noqa: BLE001 - only the garbage left behind matters
                pass

    run(main())
    return gc.collect()


def test_a_call_that_gives_up_leaves_no_reference_cycle(no_gc: Any) -> None:
    r = AsyncRetrying(stop=stop_after_attempt(3), sleep=Sleeps())
    wrapped = retry(stop=stop_after_attempt(3), sleep=Sleeps())(Flaky(10))
    _garbage_after(lambda: r(Flaky(10)), 1)  # warm-up: the event loop's own first objects
    assert _garbage_after(lambda: r(Flaky(10))) == 0
    assert _garbage_after(lambda: wrapped()) == 0
    assert _garbage_after(lambda: r(Flaky(2))) == 0


def _loop_garbage(lib: Any, failures: int) -> int:
    async def loop() -> None:
        made = 0
        async for attempt in lib.AsyncRetrying(stop=lib.stop_after_attempt(3), sleep=Sleeps()):
            with attempt:
                made += 1
                if made <= failures:
                    raise ValueError

    _garbage_after(loop, 1)
    return _garbage_after(loop)


def test_async_for_leaves_no_reference_cycle(no_gc: Any) -> None:
    assert _loop_garbage(pertinax, 0) == 0
    assert _loop_garbage(pertinax, 2) == 0
    # Giving up, the loop's own frame holds `attempt`, whose state holds the last exception,
    # whose traceback holds that frame: a cycle of the caller's making, as with tenacity.
    assert _loop_garbage(pertinax, 5) <= _loop_garbage(tenacity, 5)


def test_reraise_leaves_no_reference_cycle(no_gc: Any) -> None:
    r = AsyncRetrying(stop=stop_after_attempt(2), sleep=Sleeps(), reraise=True)
    _garbage_after(lambda: r(Flaky(10)), 1)
    assert _garbage_after(lambda: r(Flaky(10))) == 0


def test_the_attempts_exception_dies_with_the_retry_error() -> None:
    refs: list[Any] = []

    class Tracked(Exception):
        def __init__(self) -> None:
            super().__init__()
            refs.append(weakref.ref(self))

    async def fail() -> None:
        raise Tracked

    async def main() -> None:
        try:
            await AsyncRetrying(stop=stop_after_attempt(3), sleep=Sleeps())(fail)
        except RetryError:
            pass

    gc.disable()
    try:
        run(main())
        assert len(refs) == 3
        assert [r() for r in refs] == [None, None, None]
    finally:
        gc.enable()


# --- tornado --------------------------------------------------------------------------------


def test_tornado_coroutines_are_retried_by_the_engine() -> None:
    from tornado import gen, ioloop

    calls: list[int] = []

    @retry(stop=stop_after_attempt(4), wait=wait_fixed(0))
    @gen.coroutine
    def work(x: int) -> Any:
        calls.append(x)
        yield gen.sleep(0)
        if len(calls) < 3:
            raise ValueError
        return x * 2

    assert gen.is_coroutine_function(work)
    assert type(work.retry) is pertinax.TornadoRetrying
    assert ioloop.IOLoop.current().run_sync(lambda: work(21)) == 42
    assert calls == [21, 21, 21]
    assert work.statistics["attempt_number"] == 3


def test_tornado_give_up_and_call_form() -> None:
    from tornado import gen, ioloop

    @gen.coroutine
    def fail() -> Any:
        yield gen.sleep(0)
        raise KeyError("k")

    sleeps: list[Any] = []

    @gen.coroutine
    def sleep(seconds: Any) -> Any:
        sleeps.append(seconds)
        yield gen.sleep(0)

    r = pertinax.TornadoRetrying(sleep=sleep, stop=stop_after_attempt(3), wait=wait_fixed(0.25))
    with pytest.raises(RetryError) as info:
        ioloop.IOLoop.current().run_sync(lambda: r(fail))
    assert isinstance(info.value.__cause__, KeyError)
    assert sleeps == [0.25, 0.25]
    assert r.statistics["attempt_number"] == 3
    assert "TornadoRetrying object at 0x" in repr(r)


def test_without_tornado_retry_takes_the_plain_path() -> None:
    from tornado import gen

    @gen.coroutine
    def coroutine() -> Any:
        yield gen.sleep(0)

    with mock.patch.object(pertinax, "tornado", None):
        wrapped = retry(stop=stop_after_attempt(1))(coroutine)
    assert type(wrapped.retry) is pertinax.Retrying


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
