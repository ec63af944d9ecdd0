"""Async calls leave no reference cycle behind: a give-up, ``async for``, ``reraise``, and
the attempt's exception dying with the ``RetryError``."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pertinax
import pytest
import tenacity
from pertinax import (
    AsyncRetrying,
    RetryError,
    retry,
    stop_after_attempt,
)

from tests.support.async_calls import Flaky, Sleeps, run


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
