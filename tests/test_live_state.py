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

LIBS = (tenacity, pertinax)
KINDS = (
    "retry_if_result",
    "retry_if_exception",
    "stop",
    "wait",
    "before",
    "after",
    "before_sleep",
    "retry_error_callback",
)
SYNC_FORMS = ("decorator", "call", "iterator")
ASYNC_FORMS = ("async_decorator", "async_call", "async_iterator")


class Flaky(Exception):
    """What the retried function raises."""


def _outcome(fut: Any) -> Any:
    if fut is None:
        return None
    if fut.failed:
        exc = fut.exception()
        return ("raised", type(exc).__name__, str(exc))
    return ("returned", repr(fut.result()))


def _state(rs: Any) -> Any:
    """Everything a callback can read of a RetryCallState, as comparable data."""
    action = rs.next_action
    since = rs.seconds_since_start
    return (
        repr(rs.attempt_number),
        _outcome(rs.outcome),
        repr(rs.idle_for),
        repr(rs.upcoming_sleep),
        None if action is None else repr(action.sleep),
        None if since is None else type(since).__name__,
        None if rs.outcome_timestamp is None else type(rs.outcome_timestamp).__name__,
        type(rs.start_time).__name__,
        rs.fn is None,
        rs.args,
        sorted(rs.kwargs.items()),
    )


def _stats(d: dict[str, Any]) -> Any:
    """A statistics dict, with the clock readings reduced to their types."""
    out = []
    for key in sorted(d):
        value = d[key]
        if key in ("start_time", "delay_since_first_attempt"):
            out.append((key, type(value).__name__))
        else:
            out.append((key, repr(value)))
    return out


class Probe:
    """Snapshots the live state of one loop; every callback kind records through it."""

    def __init__(self, lib: Any, form: str) -> None:
        self.lib = lib
        self.form = form
        self.events: list[Any] = []
        self.sink = self.events  # where events go: the inner loop's own list while it runs
        self.attempt: Any = None  # the iterator's current AttemptManager
        self.controller: Any = None
        self.wrapped: Any = None  # the decorated function
        self.reenter = False

    def record(self, event: Any) -> None:
        self.sink.append(event)

    def snapshot(self, where: str, retry_state: Any = None) -> None:
        seen: list[Any] = [where]
        if retry_state is not None:
            seen.append(("argument", _state(retry_state)))
        if self.attempt is not None:
            live = self.attempt.retry_state
            seen.append(("attempt.retry_state", _state(live)))
            if retry_state is not None:
                seen.append(("same object", live is retry_state))
        if self.wrapped is not None:
            seen.append(("fn.statistics", _stats(self.wrapped.statistics)))
            seen.append(("fn.retry.statistics", _stats(self.wrapped.retry.statistics)))
        if self.controller is not None:
            seen.append(("controller.statistics", _stats(self.controller.statistics)))
        self.record(seen)
        if self.reenter and where != "attempt":
            self.reenter = False
            self.inner_loop()

    def inner_loop(self) -> None:
        """Another loop on the same controller, started from inside a decision. What runs
        during it is recorded apart, in the ("inner loop", events) event."""
        owner = self.controller if self.controller is not None else self.wrapped.retry
        inner: list[Any] = []
        self.sink = inner
        try:
            for attempt in owner:
                with attempt:
                    inner.append(("inner attempt", _state(attempt.retry_state)))
        except Exception as e:  # noqa: BLE001 - recorded and compared
            inner.append(("raised", type(e).__name__))
        finally:
            self.sink = self.events
        self.record(("inner loop", inner))


def _controller_kwargs(lib: Any, kind: str, probe: Probe, is_async: bool) -> dict[str, Any]:
    def hook(name: str) -> Any:
        def callback(retry_state: Any) -> Any:
            probe.snapshot(name, retry_state)
            if name == "stop":
                return retry_state.attempt_number >= 4
            if name == "wait":
                return 1
            if name == "retry_error_callback":
                return "fallback"
            return None

        return callback

    def on_result(value: Any) -> bool:
        probe.snapshot("retry_if_result")
        return value is None

    def on_exception(exc: BaseException) -> bool:
        probe.snapshot("retry_if_exception")
        return isinstance(exc, Flaky)

    async def async_sleep(seconds: float) -> None:
        probe.record(("slept", seconds))

    def sleep(seconds: float) -> None:
        probe.record(("slept", seconds))

    kw: dict[str, Any] = {
        "stop": lib.stop_after_attempt(4),
        "wait": lib.wait_fixed(1),
        "sleep": async_sleep if is_async else sleep,
    }
    if kind == "retry_if_result":
        kw["retry"] = lib.retry_if_result(on_result)
    elif kind == "retry_if_exception":
        kw["retry"] = lib.retry_if_exception(on_exception)
    elif kind in ("stop", "wait"):
        kw[kind] = hook(kind)
    elif kind == "retry_error_callback":
        kw["stop"] = lib.stop_after_attempt(2)
        kw[kind] = hook(kind)
    else:
        kw[kind] = hook(kind)
    return kw


def _script(kind: str) -> list[Any]:
    """What the retried function does on each attempt: a value, or an exception to raise."""
    if kind == "retry_if_result":
        return [None, None, "done"]
    if kind == "retry_error_callback":
        return [Flaky("always")] * 4
    return [Flaky("first"), Flaky("second"), "done"]


def _attempt_body(script: list[Any], calls: list[int]) -> Any:
    calls[0] += 1
    step = script[min(calls[0], len(script)) - 1]
    if isinstance(step, BaseException):
        raise type(step)(str(step))
    return step


def run_sync(lib: Any, kind: str, form: str, reenter: bool = False) -> list[Any]:
    probe = Probe(lib, form)
    probe.reenter = reenter
    kw = _controller_kwargs(lib, kind, probe, is_async=False)
    script = _script(kind)
    calls = [0]

    def fn(*args: Any, **kwargs: Any) -> Any:
        probe.snapshot("attempt")
        return _attempt_body(script, calls)

    try:
        if form == "decorator":
            probe.wrapped = lib.retry(**kw)(fn)
            final: Any = ("returned", repr(probe.wrapped(1, key="v")))
        elif form == "call":
            probe.controller = lib.Retrying(**kw)
            final = ("returned", repr(probe.controller(fn, 1, key="v")))
        else:
            probe.controller = lib.Retrying(**kw)
            for attempt in probe.controller:
                probe.attempt = attempt
                with attempt:
                    value = fn()
                if not attempt.retry_state.outcome.failed:
                    attempt.retry_state.set_result(value)
            final = ("loop ended",)
    except BaseException as e:  # noqa: BLE001 - recorded and compared
        final = ("raised", type(e).__name__, str(e))
    probe.events.append(("final", final))
    return probe.events


async def _run_async(lib: Any, kind: str, form: str) -> list[Any]:
    probe = Probe(lib, form)
    kw = _controller_kwargs(lib, kind, probe, is_async=True)
    script = _script(kind)
    calls = [0]

    async def fn(*args: Any, **kwargs: Any) -> Any:
        probe.snapshot("attempt")
        return _attempt_body(script, calls)

    try:
        if form == "async_decorator":
            probe.wrapped = lib.retry(**kw)(fn)
            final: Any = ("returned", repr(await probe.wrapped(1, key="v")))
        elif form == "async_call":
            probe.controller = lib.AsyncRetrying(**kw)
            final = ("returned", repr(await probe.controller(fn, 1, key="v")))
        else:
            probe.controller = lib.AsyncRetrying(**kw)
            async for attempt in probe.controller:
                probe.attempt = attempt
                with attempt:
                    value = await fn()
                if not attempt.retry_state.outcome.failed:
                    attempt.retry_state.set_result(value)
            final = ("loop ended",)
    except BaseException as e:  # noqa: BLE001 - recorded and compared
        final = ("raised", type(e).__name__, str(e))
    probe.events.append(("final", final))
    return probe.events


def run_async(lib: Any, kind: str, form: str) -> list[Any]:
    return asyncio.run(_run_async(lib, kind, form))


def _compare(ref: list[Any], cand: list[Any]) -> None:
    for i, (r, c) in enumerate(zip(ref, cand, strict=False)):
        assert c == r, f"event {i} differs:\n  tenacity: {r!r}\n  pertinax: {c!r}"
    assert len(cand) == len(ref), f"{len(ref)} events under tenacity, {len(cand)} under pertinax"


def _failed_lines(events: list[Any]) -> list[Any]:
    return [e for e in events if e[0] == "final" and e[1][0] == "raised"]


@pytest.mark.parametrize("form", SYNC_FORMS)
@pytest.mark.parametrize("kind", KINDS)
def test_sync_callbacks_read_the_live_state(kind: str, form: str) -> None:
    ref = run_sync(tenacity, kind, form)
    cand = run_sync(pertinax, kind, form)
    # The scenario really ran callbacks that saw the state (not an early error).
    assert any(e[0] == kind for e in ref if isinstance(e, list))
    _compare(ref, cand)


@pytest.mark.parametrize("form", ASYNC_FORMS)
@pytest.mark.parametrize("kind", KINDS)
def test_async_callbacks_read_the_live_state(kind: str, form: str) -> None:
    ref = run_async(tenacity, kind, form)
    cand = run_async(pertinax, kind, form)
    assert any(e[0] == kind for e in ref if isinstance(e, list))
    _compare(ref, cand)


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
    _compare(_without_statistics_after_reentry(ref), _without_statistics_after_reentry(cand))


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
    _compare(
        _without_statistics_after_reentry(_inner(ref)),
        _without_statistics_after_reentry(_inner(cand)),
    )
    at = next(i for i, e in enumerate(cand) if isinstance(e, tuple) and e[0] == "inner loop")
    outer = cand[:at] + cand[at + 1 :]
    _compare(_without_statistics_from(plain, at), _without_statistics_from(outer, at))


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
            events.append((_state(live), live is retry_state, _stats(controller.statistics)))

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
    _compare(ref, cand)


def test_no_scenario_here_is_vacuous() -> None:
    """Each scenario shape ends the way it was written to, under tenacity."""
    assert run_sync(tenacity, "retry_if_result", "call")[-1] == ("final", ("returned", "'done'"))
    assert run_sync(tenacity, "retry_error_callback", "call")[-1] == (
        "final",
        ("returned", "'fallback'"),
    )
    assert not _failed_lines(run_sync(tenacity, "stop", "iterator"))


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
