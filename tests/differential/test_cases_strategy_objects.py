"""Differential hand-written cases. Strategies as objects: plain callables, subclasses,
attributes changed after construction, and a private attribute stamina stores on the state.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

import pytest

from tests.support.differential import (
    ErrA,
    ErrB,
    ErrC,
    Recorder,
    num,
)
from tests.support.differential_cases import (
    CANDIDATE,
    E1,
    E2,
    OK,
    REFERENCE,
    Cases,
    compare_case,
    iterate,
    needs_candidate,
    outcome,
    scripted,
    stats,
)

CASES = Cases()
case = CASES.register


@case
def plain_callable_strategies(lib: Any, rec: Recorder) -> Any:
    out = []
    r = lib.Retrying(
        stop=lambda rs: rs.attempt_number >= 3,
        wait=lambda rs: rs.attempt_number * 0.5,
        retry=lambda rs: rs.outcome.failed,
        before=lambda rs: rec.note("before", rs),
        after=lambda rs: rec.note("after", rs),
        before_sleep=lambda rs: rec.note("before_sleep", rs),
        sleep=rec.sleep,
    )
    out.append(outcome(rec, lambda: r(scripted(lib, rec, E1))))
    out.append(stats(rec, r.statistics))
    # truthiness, not bool-ness, decides
    for stop_v, retry_v, wait_v in ((1, "yes", 2), (0, [], 0), (None, [0], 1.5), ("", 1, True)):
        r = lib.Retrying(
            stop=lambda rs, v=stop_v: v if rs.attempt_number < 3 else True,
            retry=lambda rs, v=retry_v: v,
            wait=lambda rs, v=wait_v: v,
            sleep=rec.sleep,
        )
        out.append(outcome(rec, lambda r=r: r(scripted(lib, rec, E1, E1, OK))))
        out.append(stats(rec, r.statistics))

    # a bound method as wait (stamina passes one)
    class Waiter:
        def wait(self, rs: Any) -> float:
            return 0.25 * rs.attempt_number

    r = lib.Retrying(wait=Waiter().wait, stop=lib.stop_after_attempt(3), sleep=rec.sleep)
    out.append(outcome(rec, lambda: r(scripted(lib, rec, E1))))
    # functools.partial sleep and a callable object sleep
    r = lib.Retrying(stop=lib.stop_after_attempt(3), sleep=functools.partial(rec.sleep))
    out.append(outcome(rec, lambda: r(scripted(lib, rec, E1))))
    return out


@case
def strategy_subclasses(lib: Any, rec: Recorder) -> Any:
    wait_base = sys.modules[lib.wait_fixed.__module__].wait_base
    stop_base = sys.modules[lib.stop_after_attempt.__module__].stop_base
    retry_base = lib.retry_base

    class MyWait(wait_base):
        def __call__(self, rs: Any) -> float:
            rec.note("MyWait", rs)
            return rs.attempt_number * 2

    class MyStop(stop_base):
        def __call__(self, rs: Any) -> bool:
            rec.note("MyStop", rs)
            return rs.attempt_number >= 4

    class MyRetry(retry_base):
        def __call__(self, rs: Any) -> bool:
            rec.note("MyRetry", rs)
            return rs.outcome.failed and isinstance(rs.outcome.exception(), ErrA)

    class Fixed3(lib.wait_fixed):  # a built-in subclass that does not override __call__
        def __init__(self) -> None:
            super().__init__(3)

    class Doubled(lib.wait_fixed):  # ... and one that does
        def __call__(self, rs: Any) -> float:
            return 2 * super().__call__(rs)

    class AtMost(lib.stop_after_attempt):
        pass

    class OnlyB(lib.retry_if_exception_type):
        def __init__(self) -> None:
            super().__init__(ErrB)

    out = []
    for kw in (
        dict(wait=MyWait(), stop=MyStop(), retry=MyRetry()),
        dict(wait=MyWait() + lib.wait_fixed(1), stop=MyStop() | lib.stop_after_attempt(2)),
        dict(wait=lib.wait_chain(Fixed3(), Doubled(1.5)), stop=AtMost(4), retry=OnlyB()),
        dict(wait=Fixed3() + Doubled(0.25), stop=AtMost(3) & MyStop(), retry=MyRetry() | OnlyB()),
        dict(stop=AtMost(3), retry=lib.retry_if_exception_type(ErrA) & MyRetry()),
    ):
        r = lib.Retrying(sleep=rec.sleep, **kw)
        out.append(outcome(rec, lambda r=r: r(scripted(lib, rec, E1, E2, E1, E1, OK))))
        out.append(stats(rec, r.statistics))
    return out


@case
def strategy_attributes_changed_after_construction(lib: Any, rec: Recorder) -> Any:
    out = []
    w = lib.wait_fixed(1)
    s = lib.stop_after_attempt(5)
    t = lib.retry_if_exception_type(ErrC)
    r = lib.Retrying(wait=w, stop=s, retry=t, sleep=rec.sleep)
    out.append(outcome(rec, lambda: r(scripted(lib, rec, E1))))  # ErrA not retried
    # strategies are read at each call: a change after a first call takes effect
    w.wait_fixed = 2.0
    s.max_attempt_number = 3
    t.exception_types = (ErrA,)
    out.append(outcome(rec, lambda: r(scripted(lib, rec, E1))))
    out.append(stats(rec, r.statistics))
    # attributes of the controller itself, between calls
    r.stop = lib.stop_after_attempt(2)
    r.wait = lib.wait_incrementing(1, 1)
    r.before_sleep = lambda rs: rec.note("before_sleep", rs)
    out.append(outcome(rec, lambda: r(scripted(lib, rec, E1))))
    r.reraise = True
    out.append(outcome(rec, lambda: r(scripted(lib, rec, E1))))
    r.retry = lib.retry_never
    out.append(outcome(rec, lambda: r(scripted(lib, rec, E1))))
    r.retry_error_callback = lambda rs: "cb"
    r.retry = lib.retry_always
    out.append(outcome(rec, lambda: r(scripted(lib, rec, OK))))
    # patching fn.retry takes effect at the next call; introspection of the template
    f = lib.retry(stop=lib.stop_after_attempt(4), sleep=rec.sleep)(scripted(lib, rec, E1))
    out.append(f.retry.stop.max_attempt_number)
    f.retry.stop.max_attempt_number = 2
    out.append(outcome(rec, f))
    f.retry.stop = lib.stop_after_attempt(1)
    out.append(outcome(rec, f))
    # ... and so does a change to an attribute of fn.retry's strategies after a first call
    f.retry.stop = lib.stop_after_attempt(2)
    f.retry.wait = lib.wait_fixed(1)
    out.append(outcome(rec, f))
    f.retry.wait.wait_fixed = 4.0
    f.retry.stop.max_attempt_number = 3
    out.append(outcome(rec, f))
    f.retry.wait = lib.wait_fixed(3)
    f.retry.stop = lib.stop_after_attempt(3)
    f.retry.sleep = lambda s: rec.events.append(("patched sleep", num(s)))
    out.append(outcome(rec, f))
    out.append(stats(rec, f.statistics))
    return out


@case
def stamina_private_attribute(lib: Any, rec: Recorder) -> Any:
    """stamina sets an attribute on the state in `retry` and reads it in `wait`."""

    def retry(rs: Any) -> bool:
        exc = rs.outcome.exception()
        if exc is None:
            return False
        rs._stamina_custom_backoff = len(str(exc)) / 4
        return isinstance(exc, ErrA)

    def wait(rs: Any) -> float:
        return getattr(rs, "_stamina_custom_backoff", 99.0) + rs.attempt_number

    def before_sleep(rs: Any) -> None:
        rec.events.append(
            ("bs", rs.idle_for, rs.attempt_number, type(rs.outcome.exception()).__name__)
        )

    r = lib.Retrying(
        retry=retry,
        stop=lib.stop_any(lib.stop_after_attempt(4), lib.stop_after_delay(1e9)),
        wait=wait,
        before_sleep=before_sleep,
        reraise=True,
        sleep=rec.sleep,
    )
    out = [
        iterate(lib, rec, r, scripted(lib, rec, E1, E2, ("raise", "ErrB", "abcdefgh", None), OK))
    ]
    out.append(stats(rec, r.statistics))
    out.append(iterate(lib, rec, r, scripted(lib, rec, E1)))
    # stamina drives the context manager by hand
    for attempt in lib.Retrying(stop=lib.stop_after_attempt(2), sleep=rec.sleep, reraise=True):
        attempt.__enter__()
        rec.events.append(("manual", attempt.retry_state.attempt_number))
        try:
            raise ErrA("manual")
        except ErrA:
            swallowed = attempt.__exit__(*sys.exc_info())
        rec.events.append(("swallowed", swallowed))
    return out


@needs_candidate
@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_case(case_fn: Any) -> None:
    compare_case(case_fn, CANDIDATE)


# The harness's own check: each case gives tenacity the same events twice.
@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_harness_cases_are_deterministic(case_fn: Any) -> None:
    compare_case(case_fn, REFERENCE)
