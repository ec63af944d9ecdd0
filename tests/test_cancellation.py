"""Cancellation and interrupts are never retried (beyond tenacity, see its issue #529).

``asyncio.CancelledError``, ``KeyboardInterrupt``, ``SystemExit`` and ``GeneratorExit``
propagate at once, as the same object, whatever the retry predicate says, even
``retry_always`` or ``retry_if_not_exception_type()`` (which, in tenacity, retries exactly
these). Cancelling a retry loop while it sleeps ends it at once.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pertinax
import pytest
from pertinax import (
    AsyncRetrying,
    retry,
    retry_always,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_fixed,
)


class Halt(BaseException):
    """Not an interrupt: retried by every predicate below."""


GREEDY = {
    "retry_always": retry_always,
    "not_exception_type": retry_if_not_exception_type(),
    "base_exception_type": retry_if_exception_type(BaseException),
}
FORMS = ("decorator", "call", "iterator")
LONG = 3600.0  # a wait no test may sit through


class Probe:
    """Counts attempts and records every callback the engine runs."""

    def __init__(self) -> None:
        self.attempts = 0
        self.events: list[str] = []
        self.started = asyncio.Event()

    def hooks(self) -> dict[str, Any]:
        def note(name: str) -> Any:
            def hook(rs: Any) -> None:
                self.events.append(name)

            return hook

        return {"after": note("after"), "before_sleep": note("before_sleep")}


async def _drive(form: str, greedy: Any, body: Any, probe: Probe, **kw: Any) -> Any:
    """Run ``body`` (an async function) under ``greedy`` in one of the three forms."""
    kw = {"retry": greedy, **probe.hooks(), **kw}
    if form == "decorator":
        return await retry(**kw)(body)()
    if form == "call":
        return await AsyncRetrying(**kw)(body)
    async for attempt in AsyncRetrying(**kw):
        with attempt:
            await body()
    return None


async def _cancel_when_started(task: asyncio.Task[Any], probe: Probe, delay: float = 0) -> None:
    await probe.started.wait()
    await asyncio.sleep(delay)
    task.cancel()


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("greedy", list(GREEDY.values()), ids=list(GREEDY))
def test_cancelled_during_an_attempt_propagates_and_is_not_retried(form: str, greedy: Any) -> None:
    probe = Probe()

    async def body() -> None:
        probe.attempts += 1
        probe.started.set()
        if probe.attempts == 1:  # a retry would return at once, and the test would fail
            await asyncio.sleep(LONG)

    async def main() -> None:
        task = asyncio.ensure_future(
            _drive(form, greedy, body, probe, wait=wait_fixed(0), stop=stop_after_attempt(3))
        )
        asyncio.ensure_future(_cancel_when_started(task, probe))
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled()

    started = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - started < 5
    assert probe.attempts == 1
    # The engine did not even ask the predicate: no after, no before_sleep.
    assert probe.events == []


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("greedy", list(GREEDY.values()), ids=list(GREEDY))
def test_cancelled_during_the_sleep_ends_the_loop_at_once(form: str, greedy: Any) -> None:
    probe = Probe()

    async def body() -> None:
        probe.attempts += 1
        probe.started.set()
        raise Halt("retry me")  # what every greedy predicate retries

    async def main() -> None:
        # The default sleep (asyncio.sleep, looked up at call time) for an hour.
        task = asyncio.ensure_future(_drive(form, greedy, body, probe, wait=wait_fixed(LONG)))
        asyncio.ensure_future(_cancel_when_started(task, probe, 0.01))
        with pytest.raises(asyncio.CancelledError):
            await task

    started = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - started < 5
    assert probe.attempts == 1
    assert probe.events == ["after", "before_sleep"]


@pytest.mark.parametrize("form", FORMS)
def test_cancelled_in_a_coroutine_callback_propagates(form: str) -> None:
    probe = Probe()

    async def before_sleep(rs: Any) -> None:
        probe.started.set()
        await asyncio.sleep(LONG)

    async def body() -> None:
        probe.attempts += 1
        raise ValueError

    async def main() -> None:
        kw = {"retry": retry_always, "before_sleep": before_sleep}
        task = asyncio.ensure_future(
            retry(**kw)(body)()
            if form == "decorator"
            else AsyncRetrying(**kw)(body)
            if form == "call"
            else _iterate(AsyncRetrying(**kw), body)
        )
        asyncio.ensure_future(_cancel_when_started(task, probe))
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert probe.attempts == 1


async def _iterate(r: AsyncRetrying, body: Any) -> None:
    async for attempt in r:
        with attempt:
            await body()


INTERRUPTS = [
    asyncio.CancelledError,
    KeyboardInterrupt,
    SystemExit,
    GeneratorExit,
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("exc_type", INTERRUPTS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("greedy", list(GREEDY.values()), ids=list(GREEDY))
def test_interrupts_raised_by_the_attempt_propagate_as_themselves(
    form: str, exc_type: type[BaseException], greedy: Any
) -> None:
    probe = Probe()
    raised: list[BaseException] = []

    async def body() -> None:
        probe.attempts += 1
        exc = exc_type("stop")
        raised.append(exc)
        raise exc

    async def main() -> None:
        with pytest.raises(exc_type) as info:
            await _drive(form, greedy, body, probe, stop=stop_after_attempt(5))
        assert info.value is raised[0]

    asyncio.run(main())
    assert probe.attempts == 1
    assert probe.events == []


def test_a_timeout_around_a_retrying_call_ends_it_promptly() -> None:
    calls: list[int] = []

    @retry(retry=retry_always, wait=wait_fixed(LONG))
    async def always_failing() -> None:
        calls.append(1)
        raise ValueError

    async def main() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(always_failing(), 0.05)

    started = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - started < 5
    assert calls == [1]


def test_other_base_exceptions_still_follow_the_predicate() -> None:
    # Only the four interrupts are special: any other BaseException behaves as in tenacity.
    attempts: list[int] = []

    async def body() -> None:
        attempts.append(1)
        raise Halt

    async def main() -> None:
        r = AsyncRetrying(retry=retry_always, stop=stop_after_attempt(3), sleep=_no_sleep)
        with pytest.raises(pertinax.RetryError) as info:
            await r(body)
        assert isinstance(info.value.__cause__, Halt)
        with pytest.raises(Halt):
            await AsyncRetrying(sleep=_no_sleep)(body)

    asyncio.run(main())
    assert len(attempts) == 4


async def _no_sleep(seconds: Any) -> None:
    pass
