"""``on_recovered=``: pertinax's hook for a call that succeeded after retries. It runs in
every driver, only after retries, and a failure inside it is reported (as unraisable) and
never replaces the call's result; an interrupt still propagates."""

from __future__ import annotations

import asyncio
import sys
import typing as t

import pytest
from pertinax import (
    AsyncRetrying,
    RetryCallState,
    RetryError,
    Retrying,
    retry,
    stop_after_attempt,
    wait_fixed,
)

from tests.support.scripted import no_sleep, script


async def no_async_sleep(seconds: float) -> None:
    pass


def recover_twice(**options: t.Any) -> object:
    fn = retry(stop=stop_after_attempt(3), wait=wait_fixed(0.5), sleep=no_sleep, **options)(
        script(ConnectionError("refused"), ConnectionError("refused"), "ok")
    )
    return fn()


@pytest.fixture
def unraisable(monkeypatch: pytest.MonkeyPatch) -> list[t.Any]:
    seen: list[t.Any] = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    return seen


def test_on_recovered_is_called_after_retries_only() -> None:
    seen = []

    def hook(retry_state: RetryCallState) -> None:
        assert retry_state.outcome is not None
        seen.append(
            (retry_state.attempt_number, retry_state.outcome.result(), retry_state.idle_for)
        )

    assert recover_twice(on_recovered=hook) == "ok"
    assert seen == [(3, "ok", 1.0)]
    retry(on_recovered=hook)(script(1))()
    gives_up = retry(stop=stop_after_attempt(2), sleep=no_sleep, on_recovered=hook)(
        script(KeyError("k"))
    )
    with pytest.raises(RetryError):
        gives_up()
    assert len(seen) == 1


def test_on_recovered_in_every_driver() -> None:
    seen: list[str] = []
    r = Retrying(sleep=no_sleep, on_recovered=lambda rs: seen.append("call"))
    r(script(OSError(), 1))
    fn = script(OSError(), 1)
    for attempt in r.copy(on_recovered=lambda rs: seen.append("loop")):
        with attempt:
            fn()

    async def async_hook(retry_state: object) -> None:
        await asyncio.sleep(0)
        seen.append("awaited")

    async def main() -> object:
        a = AsyncRetrying(sleep=no_async_sleep)
        a.on_recovered = async_hook
        return await a(script(OSError(), 2))

    assert asyncio.run(main()) == 2
    assert seen == ["call", "loop", "awaited"]


def broken_hook(retry_state: object) -> None:
    raise RuntimeError("hook bug")


async def broken_async_hook(retry_state: object) -> None:
    await asyncio.sleep(0)
    raise RuntimeError("async hook bug")


def test_a_failing_hook_is_reported_and_the_result_kept(unraisable: list[t.Any]) -> None:
    assert recover_twice(on_recovered=broken_hook) == "ok"
    r = Retrying(sleep=no_sleep, on_recovered=broken_hook)
    assert r(script(OSError(), "call")) == "call"
    fn = script(OSError(), "loop")
    for attempt in r:
        with attempt:
            value = fn()
    assert value == "loop" and r.statistics["attempt_number"] == 2
    assert [str(u.exc_value) for u in unraisable] == ["hook bug"] * 3
    assert all(u.object is broken_hook for u in unraisable)


def test_a_failing_async_hook_is_reported_and_the_result_kept(unraisable: list[t.Any]) -> None:
    async def flaky_async(fn: t.Callable[[], object]) -> object:
        await asyncio.sleep(0)
        return fn()

    async def main() -> list[object]:
        out: list[object] = []
        for hook in (broken_hook, broken_async_hook):
            a = AsyncRetrying(sleep=no_async_sleep, on_recovered=hook)
            fn = script(OSError(), "call")
            out.append(await a(flaky_async, fn))
            decorated = a.wraps(flaky_async)
            out.append(await decorated(script(OSError(), "decorated")))
            fn = script(OSError(), "loop")
            async for attempt in a:
                with attempt:
                    value = fn()
            out.append(value)
        return out

    assert asyncio.run(main()) == ["call", "decorated", "loop"] * 2
    assert [str(u.exc_value) for u in unraisable] == ["hook bug"] * 3 + ["async hook bug"] * 3


def test_an_interrupt_in_the_hook_still_propagates(unraisable: list[t.Any]) -> None:
    def interrupted(retry_state: object) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        recover_twice(on_recovered=interrupted)

    async def cancelled(retry_state: object) -> None:
        raise asyncio.CancelledError

    async def main() -> object:
        return await AsyncRetrying(sleep=no_async_sleep, on_recovered=cancelled)(
            script(OSError(), "x")
        )

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(main())
    assert unraisable == []
