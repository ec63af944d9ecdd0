"""Differential tests: user code that runs inside a decision reads the live loop.

tenacity lets any callback that runs while the loop decides (a ``retry_if_result`` or
``retry_if_exception`` predicate, a stop, a wait, the before/after/before_sleep hooks, the
``retry_error_callback``) read the loop's live state: the current ``attempt.retry_state`` of a
``for attempt in ...`` loop and its attributes, ``fn.statistics`` (and ``fn.retry.statistics``)
of a decorated function, and the controller's ``statistics``. Each case runs one scenario under
tenacity and under pertinax, with one callback kind that snapshots all of that state each time
it runs, and compares the two recordings. The engine must hold no borrow of its own objects
while such code runs (an ``Already mutably borrowed`` error otherwise).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pertinax
import pytest
import tenacity
import tenacity.asyncio

from tests.support.live_state import (
    ASYNC_FORMS,
    KINDS,
    LIBS,
    SYNC_FORMS,
    Flaky,
    compare,
    failed_lines,
    run_async,
    run_sync,
    snapshot_state,
    snapshot_stats,
)


@pytest.mark.parametrize("form", SYNC_FORMS)
@pytest.mark.parametrize("kind", KINDS)
def test_sync_callbacks_read_the_live_state(kind: str, form: str) -> None:
    ref = run_sync(tenacity, kind, form)
    cand = run_sync(pertinax, kind, form)
    # The scenario really ran callbacks that saw the state (not an early error).
    assert any(e[0] == kind for e in ref if isinstance(e, list))
    compare(ref, cand)


@pytest.mark.parametrize("form", ASYNC_FORMS)
@pytest.mark.parametrize("kind", KINDS)
def test_async_callbacks_read_the_live_state(kind: str, form: str) -> None:
    ref = run_async(tenacity, kind, form)
    cand = run_async(pertinax, kind, form)
    assert any(e[0] == kind for e in ref if isinstance(e, list))
    compare(ref, cand)


def _without_statistics_after_reentry(events: list[Any]) -> list[Any]:
    """Drops what the statistics dicts say once an inner loop ran: that loop's ``begin()``
    resets the dict the outer loop shares; tenacity then adds to whatever the dict holds,
    pertinax writes the outer loop's own counts (tenacity #701, a deliberate difference)."""
    out: list[Any] = []
    reentered = False
    for e in events:
        if isinstance(e, tuple) and e[0] == "inner loop":
            reentered = True
            e = ("inner loop", _without_statistics_after_reentry(list(e[1])))
        elif reentered and isinstance(e, list):
            e = [x for x in e if not (isinstance(x, tuple) and x[0].endswith("statistics"))]
        out.append(e)
    return out


def _inner(events: list[Any]) -> list[Any]:
    found = [e for e in events if isinstance(e, tuple) and e[0] == "inner loop"]
    assert len(found) == 1
    return list(found[0][1])


@pytest.mark.parametrize("kind", KINDS)
def test_a_callback_starts_another_loop_on_the_decorated_functions_controller(kind: str) -> None:
    """tenacity copies the controller for each call of a decorated function, so a loop on
    ``fn.retry`` started inside a decision leaves the running call alone."""
    ref = run_sync(tenacity, kind, "decorator", reenter=True)
    cand = run_sync(pertinax, kind, "decorator", reenter=True)
    assert _inner(ref), "the inner loop ran under tenacity"
    compare(_without_statistics_after_reentry(ref), _without_statistics_after_reentry(cand))


@pytest.mark.parametrize("form", ("call", "iterator"))
@pytest.mark.parametrize("kind", KINDS)
def test_a_callback_starts_another_loop_on_the_same_controller(kind: str, form: str) -> None:
    """A controller called (or iterated) directly: tenacity keeps one iteration state per
    thread, so its inner loop derails the outer one. pertinax keeps each loop's state apart:
    the outer loop goes on exactly as tenacity runs it with no inner loop, and the inner loop
    sees what tenacity's inner loop sees."""
    plain = run_sync(tenacity, kind, form)
    ref = run_sync(tenacity, kind, form, reenter=True)
    cand = run_sync(pertinax, kind, form, reenter=True)
    assert _inner(ref), "the inner loop ran under tenacity"
    compare(
        _without_statistics_after_reentry(_inner(ref)),
        _without_statistics_after_reentry(_inner(cand)),
    )
    at = next(i for i, e in enumerate(cand) if isinstance(e, tuple) and e[0] == "inner loop")
    outer = cand[:at] + cand[at + 1 :]
    compare(_without_statistics_from(plain, at), _without_statistics_from(outer, at))


def _without_statistics_from(events: list[Any], start: int) -> list[Any]:
    return [
        [x for x in e if not (isinstance(x, tuple) and x[0].endswith("statistics"))]
        if i >= start and isinstance(e, list)
        else e
        for i, e in enumerate(events)
    ]


def test_the_iterator_predicate_sees_the_attempt_it_judges() -> None:
    """The plainest form of the bug: a native predicate of a ``for attempt in`` loop reads
    ``attempt.retry_state`` while the engine decides on that attempt."""
    seen: list[Any] = []
    holder: dict[str, Any] = {}

    def predicate(value: Any) -> bool:
        rs = holder["attempt"].retry_state
        seen.append((rs.attempt_number, rs.outcome.result()))
        return value < 3

    controller = pertinax.Retrying(retry=pertinax.retry_if_result(predicate), sleep=lambda s: None)
    for attempt in controller:
        holder["attempt"] = attempt
        with attempt:
            value = attempt.retry_state.attempt_number
        attempt.retry_state.set_result(value)
    assert seen == [(1, 1), (2, 2), (3, 3)]
    assert controller.statistics["attempt_number"] == 3


def test_the_clock_may_read_the_loop() -> None:
    """A patched ``time.monotonic`` runs inside the decision too."""
    holder: dict[str, Any] = {}
    readings: list[Any] = []
    real = pertinax.nap.time.monotonic

    def clock() -> float:
        # Making the state reads the clock too: read the loop from the outer reading only.
        attempt = holder.pop("attempt", None)
        if attempt is not None:
            readings.append(attempt.retry_state.attempt_number)
            holder["attempt"] = attempt
        return real()

    controller = pertinax.Retrying(
        stop=pertinax.stop_after_delay(1e9) | pertinax.stop_after_attempt(3),
        sleep=lambda s: None,
    )
    failures = 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pertinax.nap.time, "monotonic", clock)
        try:
            for attempt in controller:
                holder["attempt"] = attempt
                with attempt:
                    failures += 1
                    raise Flaky("again")
        except pertinax.RetryError:
            pass
    assert failures == 3
    assert readings and set(readings) <= {1, 2, 3}


def test_async_awaitable_callbacks_read_the_live_state() -> None:
    """A coroutine callback of an ``async for`` loop, awaited between steps, reads the state."""

    async def scenario(lib: Any) -> list[Any]:
        events: list[Any] = []
        holder: dict[str, Any] = {}

        async def before_sleep(retry_state: Any) -> None:
            live = holder["attempt"].retry_state
            events.append(
                (snapshot_state(live), live is retry_state, snapshot_stats(controller.statistics))
            )

        async def nap(seconds: float) -> None:
            pass

        controller = lib.AsyncRetrying(
            stop=lib.stop_after_attempt(3), before_sleep=before_sleep, sleep=nap
        )
        try:
            async for attempt in controller:
                holder["attempt"] = attempt
                with attempt:
                    raise Flaky("x")
        except lib.RetryError as e:
            events.append(("gave up", e.last_attempt.attempt_number))
        return events

    ref = asyncio.run(scenario(tenacity))
    cand = asyncio.run(scenario(pertinax))
    assert len(ref) == 3
    compare(ref, cand)


def test_no_scenario_here_is_vacuous() -> None:
    """Each scenario shape ends the way it was written to, under tenacity."""
    assert run_sync(tenacity, "retry_if_result", "call")[-1] == ("final", ("returned", "'done'"))
    assert run_sync(tenacity, "retry_error_callback", "call")[-1] == (
        "final",
        ("returned", "'fallback'"),
    )
    assert not failed_lines(run_sync(tenacity, "stop", "iterator"))


def test_a_log_handler_may_read_the_loop() -> None:
    """pertinax's own log records (tenacity has none) are emitted inside the decision: a
    handler that reads the loop's state sees the attempt being judged."""
    import logging

    holder: dict[str, Any] = {}
    seen: list[Any] = []

    class Reader(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            rs = holder["attempt"].retry_state
            seen.append((record.name, rs.attempt_number, type(rs.outcome.exception()).__name__))

    logger = logging.getLogger("pertinax")
    handler = Reader(level=logging.DEBUG)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        controller = pertinax.Retrying(
            stop=pertinax.stop_after_attempt(2), sleep=lambda s: None, name="live-log"
        )
        with pytest.raises(pertinax.RetryError):
            for attempt in controller:
                holder["attempt"] = attempt
                with attempt:
                    raise Flaky("x")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert ("pertinax.retrying", 1, "Flaky") in seen
    assert ("pertinax.gave_up", 2, "Flaky") in seen


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_a_callback_that_steps_its_own_loop_is_refused_like_a_running_generator(
    lib: Any,
) -> None:
    holder: dict[str, Any] = {}
    errors: list[Any] = []

    def predicate(value: Any) -> bool:
        try:
            next(holder["loop"])
        except Exception as e:  # noqa: BLE001 - recorded and compared
            errors.append((type(e).__name__, str(e)))
        return False

    controller = lib.Retrying(retry=lib.retry_if_result(predicate))
    holder["loop"] = loop = iter(controller)
    for attempt in loop:
        with attempt:
            pass
    assert errors == [("ValueError", "generator already executing")]
    assert controller.statistics["attempt_number"] == 1


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize(
    "attribute", ["args", "kwargs", "fn", "retry_object", "outcome", "next_action", "idle_for"]
)
def test_a_released_value_may_read_the_state_that_let_it_go(lib: Any, attribute: str) -> None:
    """Assigning an attribute releases the old value; its ``__del__`` runs then, and may read
    the state it was taken from."""
    import gc
    import sys

    seen: list[Any] = []
    problems: list[Any] = []
    rs = lib.RetryCallState(None, None, (), {})

    class Reader:
        def __del__(self) -> None:
            seen.append((rs.attempt_number, type(rs.start_time).__name__))

    old_hook = sys.unraisablehook
    sys.unraisablehook = lambda u: problems.append(repr(u.exc_value))
    try:
        setattr(rs, attribute, Reader())
        setattr(rs, attribute, None if attribute != "idle_for" else 0.0)
        gc.collect()
    finally:
        sys.unraisablehook = old_hook
    assert problems == []
    assert seen == [(1, "float")]


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_a_loop_whose_predicate_raised_is_over(lib: Any) -> None:
    """An error out of a step ends the loop, as it ends a generator, even a ``ValueError``
    (the type a refused re-entrant step raises)."""

    def predicate(value: Any) -> bool:
        raise ValueError("bad predicate")

    loop = iter(lib.Retrying(retry=lib.retry_if_result(predicate)))
    with next(loop):
        pass
    with pytest.raises(ValueError, match="bad predicate"):
        next(loop)
    with pytest.raises(StopIteration):
        next(loop)
