"""Differential hand-written cases. The iterator form: state read late, overridden methods, the
generator protocol, details.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.differential import Recorder
from tests.support.differential_cases import (
    CANDIDATE,
    E1,
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
def iterator_state_read_late(lib: Any, rec: Recorder) -> Any:
    """pertinax's loop keeps its state in Rust until `attempt.retry_state` is first read:
    whenever that happens (never, after the body, after the loop, or from the second attempt
    on), the state must be the one tenacity would show then, and the same object after."""
    out: list[Any] = []

    def loop(fails: int, read_at: set[int], **kw: Any) -> Any:
        fn = scripted(lib, rec, *([E1] * fails), OK)
        r = lib.Retrying(sleep=rec.sleep, **kw)
        seen: list[Any] = []
        attempts = []
        n = 0
        try:
            for attempt in r:
                n += 1
                attempts.append(attempt)
                out.append(
                    ("attempt", type(attempt).__name__, isinstance(attempt, lib.AttemptManager))
                )
                with attempt:
                    fn()
                if n in read_at:
                    rs = attempt.retry_state
                    seen.append(rs)
                    out.append(("read", n, rec.snap(rs)))
        except Exception as e:  # noqa: BLE001
            out.append(("raised", rec.exc(e)))
        # every manager of the loop shows the same state, read after the loop
        last = attempts[-1].retry_state
        out.append(("after loop", rec.snap(last), all(s is last for s in seen)))
        out.append(("managers agree", [a.retry_state is last for a in attempts]))
        out.append(("stats", stats(rec, r.statistics)))

    loop(0, set())
    loop(2, set())
    loop(2, {2})
    loop(3, {1, 3})
    loop(4, {9}, stop=lib.stop_after_attempt(3))
    loop(4, {2}, stop=lib.stop_after_attempt(3), reraise=True)
    loop(1, set(), stop=lib.stop_after_attempt(1), retry_error_callback=lambda rs: "cb")
    # read inside the body, before the attempt has an outcome
    r = lib.Retrying(stop=lib.stop_after_attempt(3), sleep=rec.sleep)
    fn = scripted(lib, rec, E1, OK)
    for attempt in r:
        with attempt:
            out.append(("inside", rec.snap(attempt.retry_state)))
            fn()
        out.append(("after body", rec.snap(attempt.retry_state)))
    # a loop left with `break` after one failure, its state read afterwards
    r = lib.Retrying(stop=lib.stop_after_attempt(3), sleep=rec.sleep)
    fn = scripted(lib, rec, E1, OK)
    for attempt in r:
        with attempt:
            fn()
        break
    out.append(("broken", rec.snap(attempt.retry_state), stats(rec, r.statistics)))
    # a body that never enters `with attempt:` repeats the attempt number
    r = lib.Retrying(stop=lib.stop_after_attempt(3), sleep=rec.sleep)
    numbers = []
    for i, attempt in enumerate(r):
        if i == 2:
            with attempt:
                pass
        numbers.append(i)
    out.append(("unentered", numbers, rec.snap(attempt.retry_state)))
    return out


@case
def iterator_with_overridden_methods(lib: Any, rec: Recorder) -> Any:
    """A subclass that overrides begin() or iter() is driven through them, in iterator mode
    and by a direct call, as tenacity does; so is one whose class is patched later."""
    out: list[Any] = []

    class Begins(lib.Retrying):  # type: ignore[misc, name-defined]
        def begin(self) -> None:
            rec.events.append("begin")
            super().begin()

    class Iters(lib.Retrying):  # type: ignore[misc, name-defined]
        def iter(self, retry_state: Any) -> Any:
            do = super().iter(retry_state)
            rec.events.append(("iter", type(do).__name__, retry_state.attempt_number))
            return do

    for cls in (Begins, Iters):
        r = cls(stop=lib.stop_after_attempt(3), sleep=rec.sleep)
        out.append(iterate(lib, rec, r, scripted(lib, rec, E1, OK)))
        out.append(stats(rec, r.statistics))
        # the call form too: r(fn) runs begin() and iter() the same way
        out.append(outcome(rec, lambda: r(scripted(lib, rec, E1, OK))))  # noqa: B023
        out.append(stats(rec, r.statistics))

    class Patched(lib.Retrying):  # type: ignore[misc, name-defined]
        pass

    r = Patched(stop=lib.stop_after_attempt(3), sleep=rec.sleep)
    out.append(iterate(lib, rec, r, scripted(lib, rec, E1, OK)))
    original = lib.Retrying.begin

    def begin(self: Any) -> None:
        rec.events.append("patched begin")
        original(self)

    Patched.begin = begin
    out.append(iterate(lib, rec, r, scripted(lib, rec, E1, OK)))
    return out


@case
def iterator_generator_protocol(lib: Any, rec: Recorder) -> Any:
    """tenacity's `iter(controller)` is a generator; pertinax's loop answers the same
    protocol: next, send, throw and close, and collections.abc.Generator."""
    import collections.abc

    out: list[Any] = []

    def fresh() -> Any:
        return iter(lib.Retrying(stop=lib.stop_after_attempt(3), sleep=rec.sleep))

    it = fresh()
    out.append(("abc", isinstance(it, collections.abc.Generator)))
    first = next(it)
    with first:
        raise OSError("down")
    second = it.send(None)
    out.append(("sent", second.retry_state.attempt_number, rec.sleeps))
    it.close()
    out.append(("after close", next(it, "stopped")))
    it.close()  # closing twice is harmless
    try:
        fresh().send(1)
    except TypeError as e:
        out.append(("send before start", str(e)))
    it = fresh()
    next(it)
    try:
        it.throw(KeyError("k"))
    except KeyError as e:
        out.append(("thrown", repr(e)))
    out.append(("after throw", next(it, "stopped")))
    it = fresh()
    try:
        it.throw(ValueError)  # a class is instantiated, as by generators
    except ValueError as e:
        out.append(("thrown class", type(e).__name__))
    return out


@case
def iterator_details(lib: Any, rec: Recorder) -> Any:
    out = []
    r = lib.Retrying(stop=lib.stop_after_attempt(3), sleep=rec.sleep)
    # a body that returns a value without set_result records None
    for attempt in r:
        with attempt as x:
            out.append(("entered", x, attempt.retry_state.attempt_number))
    out.append(stats(rec, r.statistics))
    # result predicates work through set_result after the with-block
    r = lib.Retrying(
        stop=lib.stop_after_attempt(4),
        retry=lib.retry_if_result(lambda v: v < 3),
        sleep=rec.sleep,
        retry_error_callback=lambda rs: rec.events.append("cb"),
    )
    for attempt in r:
        with attempt:
            v = attempt.retry_state.attempt_number
        attempt.retry_state.set_result(v)
        out.append(("set", v))
    out.append(stats(rec, r.statistics))
    # a BaseException swallowed by the with-block is re-raised by the next iteration
    r = lib.Retrying(stop=lib.stop_after_attempt(3), sleep=rec.sleep)
    out.append(iterate(lib, rec, r, scripted(lib, rec, ("halt", "base"))))
    # giving up with a callback ends the loop silently
    r = lib.Retrying(
        stop=lib.stop_after_attempt(2), sleep=rec.sleep, retry_error_callback=lambda rs: 1
    )
    out.append(iterate(lib, rec, r, scripted(lib, rec, E1)))
    return out


@needs_candidate
@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_case(case_fn: Any) -> None:
    compare_case(case_fn, CANDIDATE)


# The harness's own check: each case gives tenacity the same events twice.
@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_harness_cases_are_deterministic(case_fn: Any) -> None:
    compare_case(case_fn, REFERENCE)
