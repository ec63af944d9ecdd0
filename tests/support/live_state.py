"""The harness of the live-state differential tests: a probe that snapshots the loop's
live state from inside a callback, and the runners of one scenario in every form."""

from __future__ import annotations

import asyncio
from typing import Any

import pertinax
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


def snapshot_state(rs: Any) -> Any:
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


def snapshot_stats(d: dict[str, Any]) -> Any:
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
            seen.append(("argument", snapshot_state(retry_state)))
        if self.attempt is not None:
            live = self.attempt.retry_state
            seen.append(("attempt.retry_state", snapshot_state(live)))
            if retry_state is not None:
                seen.append(("same object", live is retry_state))
        if self.wrapped is not None:
            seen.append(("fn.statistics", snapshot_stats(self.wrapped.statistics)))
            seen.append(("fn.retry.statistics", snapshot_stats(self.wrapped.retry.statistics)))
        if self.controller is not None:
            seen.append(("controller.statistics", snapshot_stats(self.controller.statistics)))
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
                    inner.append(("inner attempt", snapshot_state(attempt.retry_state)))
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


def compare(ref: list[Any], cand: list[Any]) -> None:
    for i, (r, c) in enumerate(zip(ref, cand, strict=False)):
        assert c == r, f"event {i} differs:\n  tenacity: {r!r}\n  pertinax: {c!r}"
    assert len(cand) == len(ref), f"{len(ref)} events under tenacity, {len(cand)} under pertinax"


def failed_lines(events: list[Any]) -> list[Any]:
    return [e for e in events if e[0] == "final" and e[1][0] == "raised"]
