"""The metrics registry under the other drivers: the call form, ``for attempt in`` (and a
call shown while it waits), a subclass driven through ``iter()``, and the async forms, each
counted exactly."""

import asyncio
import gc

import pytest
from pertinax import (
    AsyncRetrying,
    RetryError,
    Retrying,
    metrics,
    retry,
    stop_after_attempt,
    wait_fixed,
)

from tests.support.metric_counts import counts, expect
from tests.support.scripted import no_sleep, script

pytestmark = pytest.mark.usefixtures("fresh_metrics")


def test_the_call_form_counts_under_the_function_or_the_name() -> None:
    def work() -> int:
        return 5

    r = Retrying(sleep=no_sleep)
    assert r(work) == 5
    assert r(script(OSError(), 6)) == 6
    assert r(work) == 5
    named = Retrying(name="called")
    named(work)
    named(work)
    snap = metrics.snapshot()
    assert counts(
        f"{__name__}.test_the_call_form_counts_under_the_function_or_the_name.<locals>.work"
    ) == expect(calls=2, first_try=2, attempts=2)
    assert counts("called") == expect(calls=2, first_try=2, attempts=2)
    assert sum(s["calls"] for s in snap.values()) == 5


def test_the_iterator_counts_a_loop_that_ends_and_one_left_with_return() -> None:
    fails = script(OSError(), OSError(), 1)
    for attempt in Retrying(name="loop", sleep=no_sleep):
        with attempt:
            fails()

    def returns_inside() -> int:
        fn = script(OSError(), 9)
        for attempt in Retrying(name="loop", sleep=no_sleep):
            with attempt:
                return fn()  # type: ignore[no-any-return]
        raise AssertionError("unreachable")

    assert returns_inside() == 9
    gc.collect()
    assert counts("loop") == expect(calls=2, recovered=2, attempts=5, retries=3, retried_calls=2)


def test_a_call_waiting_between_attempts_shows_its_progress() -> None:
    # Zero-wait retries are added to the registry when the call ends; a retry that sleeps
    # publishes the call's attempts and retries first, so a snapshot taken while a call
    # waits shows them.
    seen: list[dict[str, object]] = []

    def sleep(seconds: float) -> None:
        seen.append(counts("waits"))

    fails = script(OSError(), OSError(), OSError(), 1)

    @retry(name="waits", wait=wait_fixed(0.25), sleep=sleep)
    def waits() -> int:
        return fails()  # type: ignore[no-any-return]

    assert waits() == 1
    assert seen == [
        expect(calls=1, attempts=n, retries=n, retry_sleep_seconds=0.25 * n) for n in (1, 2, 3)
    ]
    assert counts("waits") == expect(
        calls=1, recovered=1, attempts=4, retries=3, retried_calls=1, retry_sleep_seconds=0.75
    )

    # The same call without a wait shows only that it started while in flight, and
    # everything once it ends.
    in_flight: list[dict[str, object]] = []
    fails = script(OSError(), OSError(), 1)

    @retry(name="tight", sleep=lambda seconds: in_flight.append(counts("tight")))
    def tight() -> int:
        return fails()  # type: ignore[no-any-return]

    assert tight() == 1
    assert in_flight == [expect(calls=1)] * 2
    assert counts("tight") == expect(calls=1, recovered=1, attempts=3, retries=2, retried_calls=1)


def test_a_loop_whose_sleep_raises_counts_no_phantom_attempt() -> None:
    def interrupted_sleep(seconds: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        for attempt in Retrying(name="cut", sleep=interrupted_sleep):
            with attempt:
                raise OSError("down")
    gc.collect()
    assert counts("cut") == expect(calls=1, errors=1, attempts=1, retries=1, retried_calls=1)


def test_an_unnamed_loop_counts_under_the_function_running_it() -> None:
    def fetch() -> None:
        for attempt in Retrying(stop=stop_after_attempt(2), sleep=no_sleep):
            with attempt:
                raise OSError("down")

    with pytest.raises(RetryError):
        fetch()
    name = f"{__name__}.test_an_unnamed_loop_counts_under_the_function_running_it.<locals>.fetch"
    assert counts(name) == expect(calls=1, gave_up=1, attempts=2, retries=1, retried_calls=1)


def test_a_subclass_that_overrides_iter_is_counted_decision_by_decision() -> None:
    class Mine(Retrying):
        def iter(self, retry_state):  # type: ignore[no-untyped-def]
            return super().iter(retry_state)

    r = Mine(name="stepped", sleep=no_sleep)
    assert r(script(OSError(), OSError(), 4)) == 4
    assert r(script(5)) == 5
    assert counts("stepped") == expect(
        calls=2, first_try=1, recovered=1, attempts=4, retries=2, retried_calls=1
    )


def test_async_calls_and_loops_count() -> None:
    async def no_async_sleep(seconds: float) -> None:
        pass

    @retry(name="async", sleep=no_async_sleep, stop=stop_after_attempt(3))
    async def flaky(fn) -> object:  # type: ignore[no-untyped-def]
        return fn()

    async def main() -> None:
        assert await flaky(script(OSError(), 1)) == 1
        assert await flaky(script(2)) == 2
        with pytest.raises(RetryError):
            await flaky(script(OSError()))
        fn = script(OSError(), 3)
        async for attempt in AsyncRetrying(name="async", sleep=no_async_sleep):
            with attempt:
                fn()

    asyncio.run(main())
    assert counts("async") == expect(
        calls=4, first_try=1, recovered=2, gave_up=1, attempts=8, retries=4, retried_calls=3
    )


def test_an_unnamed_async_loop_counts_under_the_coroutine_running_it() -> None:
    async def no_async_sleep(seconds: float) -> None:
        pass

    async def refresh_cache() -> None:
        fn = script(OSError(), 1)
        async for attempt in AsyncRetrying(sleep=no_async_sleep):
            with attempt:
                fn()

    asyncio.run(refresh_cache())
    name = f"{__name__}.test_an_unnamed_async_loop_counts_under_the_coroutine_running_it.<locals>.refresh_cache"
    assert counts(name) == expect(calls=1, recovered=1, attempts=2, retries=1, retried_calls=1)
