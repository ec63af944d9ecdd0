"""The async driver under both event loops, through anyio's pytest plugin: asyncio and trio.

The default sleep is the running library's own (``trio.sleep`` under trio, found through
sniffio; ``asyncio.sleep`` otherwise), so nothing here passes ``sleep=``.
"""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest
from pertinax import AsyncRetrying, RetryError, retry, retry_always, stop_after_attempt, wait_fixed
from pertinax.asyncio import _portable_async_sleep

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


async def test_the_default_sleep_is_the_running_librarys(anyio_backend: str) -> None:
    import asyncio

    import trio

    sleep = _portable_async_sleep(0)
    expected = trio.sleep if anyio_backend == "trio" else asyncio.sleep
    assert sleep.cr_code is expected.__code__  # type: ignore[attr-defined]
    await sleep


async def test_a_decorated_coroutine_retries_with_the_default_sleep(anyio_backend: str) -> None:
    calls: list[int] = []

    @retry(stop=stop_after_attempt(5), wait=wait_fixed(0.01))
    async def work(x: int) -> int:
        calls.append(x)
        await anyio.sleep(0)
        if len(calls) < 3:
            raise ValueError
        return x * 2

    started = time.monotonic()
    assert await work(21) == 42
    assert time.monotonic() - started >= 0.02
    assert calls == [21, 21, 21]
    assert work.statistics["attempt_number"] == 3
    assert work.statistics["idle_for"] == 0.02


async def test_async_for_and_coroutine_callbacks(anyio_backend: str) -> None:
    events: list[Any] = []

    async def before_sleep(rs: Any) -> None:
        await anyio.sleep(0)
        events.append(("before_sleep", rs.attempt_number, rs.next_action.sleep))

    async def wait(rs: Any) -> float:
        await anyio.sleep(0)
        return 0.001 * rs.attempt_number

    with pytest.raises(RetryError) as info:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(3), wait=wait, before_sleep=before_sleep
        ):
            with attempt:
                events.append(("attempt", attempt.retry_state.attempt_number))
                raise KeyError("k")
    assert isinstance(info.value.__cause__, KeyError)
    assert events == [
        ("attempt", 1),
        ("before_sleep", 1, 0.001),
        ("attempt", 2),
        ("before_sleep", 2, 0.002),
        ("attempt", 3),
    ]


async def test_concurrent_calls_through_one_controller(anyio_backend: str) -> None:
    n = 200
    shared = AsyncRetrying(stop=stop_after_attempt(4), wait=wait_fixed(0))
    counts = [0] * n
    results: dict[int, Any] = {}

    async def work(i: int) -> int:
        counts[i] += 1
        await anyio.sleep(0)
        if counts[i] <= i % 5:
            raise ValueError(i)
        return i

    async def one(i: int) -> None:
        try:
            results[i] = await shared(work, i)
        except RetryError as e:
            results[i] = ("gave up", e.last_attempt.attempt_number)

    async with anyio.create_task_group() as tg:
        for i in range(n):
            tg.start_soon(one, i)

    for i in range(n):
        assert counts[i] == min(i % 5 + 1, 4)
        assert results[i] == (i if i % 5 < 4 else ("gave up", 4))


async def test_cancelling_during_the_sleep_ends_the_loop(anyio_backend: str) -> None:
    attempts: list[int] = []

    @retry(retry=retry_always, wait=wait_fixed(3600))
    async def failing() -> None:
        attempts.append(1)
        raise ValueError

    started = time.monotonic()
    with anyio.move_on_after(0.05) as scope:
        await failing()
    assert scope.cancelled_caught
    assert time.monotonic() - started < 5
    assert attempts == [1]


async def test_cancelling_during_an_attempt_is_not_retried(
    anyio_backend: str, request: pytest.FixtureRequest
) -> None:
    attempts: list[int] = []
    hooks: list[str] = []

    async def slow() -> None:
        attempts.append(1)
        await anyio.sleep(3600)

    r = AsyncRetrying(
        retry=retry_always,
        stop=stop_after_attempt(3),
        after=lambda rs: hooks.append("after"),
        before_sleep=lambda rs: hooks.append("before_sleep"),
    )
    with anyio.move_on_after(0.05) as scope:
        await r(slow)
    assert scope.cancelled_caught
    assert attempts == [1]
    assert hooks == []


async def test_interrupts_are_not_retried(anyio_backend: str) -> None:
    attempts: list[int] = []

    async def interrupted() -> None:
        attempts.append(1)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await AsyncRetrying(retry=retry_always, stop=stop_after_attempt(3))(interrupted)
    assert attempts == [1]
