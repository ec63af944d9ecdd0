"""Per-call state under concurrency: each ``async for`` loop gets its own iterator, and many
concurrent calls through one ``AsyncRetrying`` (or one decorated function) keep their states
apart."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest
from pertinax import (
    AsyncRetrying,
    RetryError,
    retry,
    stop_after_attempt,
)

from tests.support.async_calls import Sleeps, run

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
