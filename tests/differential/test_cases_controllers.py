"""Differential hand-written cases. Controllers: retry_with, enabled=False, statistics, the
decorator's forms, re-entrant predicates and one controller reused.
"""

from __future__ import annotations

import functools
import threading
import warnings
from typing import Any

import pytest

from tests.support.differential import (
    ErrA,
    Recorder,
)
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
def retry_with(lib: Any, rec: Recorder) -> Any:
    class MyError(lib.RetryError):
        pass

    fn = scripted(lib, rec, E1, E1, E1, OK)
    f = lib.retry(
        stop=lib.stop_after_attempt(5),
        wait=lib.wait_fixed(1),
        sleep=rec.sleep,
        retry_error_cls=MyError,
    )(fn)
    g = f.retry_with(stop=lib.stop_after_attempt(2), wait=lib.wait_fixed(0.5))
    out = [
        g is f,
        g.statistics is f.statistics,
        g.retry is f.retry,
        type(g.retry).__name__,
        outcome(rec, g),  # MyError carried over
        stats(rec, g.statistics),
        stats(rec, f.statistics),
        f.retry.stop.max_attempt_number,
        g.retry.stop.max_attempt_number,
    ]
    out.append(outcome(rec, f))
    out.append(stats(rec, f.statistics))
    h = f.retry_with(enabled=False)
    out.append(outcome(rec, h))
    out.append(stats(rec, h.statistics))
    # retry_error_callback carries over too
    k = lib.retry(
        stop=lib.stop_after_attempt(2), sleep=rec.sleep, retry_error_callback=lambda rs: "cb"
    )(scripted(lib, rec, E1))
    out.append(outcome(rec, k.retry_with(wait=lib.wait_fixed(2))))
    return out


@case
def enabled_false(lib: Any, rec: Recorder) -> Any:
    out = []
    f = lib.retry(enabled=False, stop=lib.stop_after_attempt(3), sleep=rec.sleep)(
        scripted(lib, rec, E1, OK)
    )
    out.append(outcome(rec, lambda: f(1, x=2)))
    out.append((stats(rec, f.statistics), hasattr(f, "retry"), hasattr(f, "retry_with")))
    r = lib.Retrying(enabled=False, stop=lib.stop_after_attempt(3), sleep=rec.sleep)
    out.append(outcome(rec, lambda: r(scripted(lib, rec, E1, OK), 1)))
    out.append(stats(rec, r.statistics))
    out.append(iterate(lib, rec, r, scripted(lib, rec, E1, OK)))
    out.append(iterate(lib, rec, r, scripted(lib, rec, OK)))
    out.append(stats(rec, r.statistics))
    # enabled is read at call time
    g = lib.retry(stop=lib.stop_after_attempt(3), sleep=rec.sleep)(scripted(lib, rec, E1, OK))
    g.retry.enabled = False
    out.append(outcome(rec, g))
    g.retry.enabled = True
    out.append(outcome(rec, g))
    return out


@case
def statistics_during_and_after(lib: Any, rec: Recorder) -> Any:
    seen = []

    @lib.retry(stop=lib.stop_after_attempt(4), wait=lib.wait_fixed(0.5), sleep=rec.sleep)
    def f() -> str:
        seen.append(
            (
                stats(rec, f.statistics),
                stats(rec, f.retry.statistics),
                f.retry.statistics is f.statistics,
            )
        )
        if len(seen) % 3:
            raise ErrA("x")
        return "done"

    before = (f.statistics, f.statistics == {})
    out: list[Any] = [before[1]]
    out.append(outcome(rec, f))
    out.append((f.statistics is before[0], f.retry.statistics is f.statistics))
    out.append(stats(rec, f.statistics))
    out.append(outcome(rec, f))  # the dict is cleared in place and reused
    out.append((f.statistics is before[0], stats(rec, f.statistics)))
    out.append(seen)

    # an outer functools.wraps decorator sees the same dict
    @functools.wraps(f)
    def outer(*a: Any, **k: Any) -> Any:
        return f(*a, **k)

    out.append(outer.statistics is f.statistics)
    out.append(outcome(rec, outer))
    out.append((outer.statistics is f.statistics, stats(rec, outer.statistics)))
    # Retrying used directly: statistics reset by each call
    r = lib.Retrying(stop=lib.stop_after_attempt(3), sleep=rec.sleep)
    out.append(r.statistics == {})
    out.append(outcome(rec, lambda: r(scripted(lib, rec, E1, OK))))
    out.append(stats(rec, r.statistics))
    out.append(iterate(lib, rec, r, scripted(lib, rec, E1, E1, E1)))
    out.append(stats(rec, r.statistics))
    # statistics are per thread for a controller
    box = []
    t = threading.Thread(target=lambda: box.append(dict(r.statistics)))
    t.start()
    t.join()
    out.append(box)
    # first-attempt success
    r2 = lib.Retrying()
    out.append(outcome(rec, lambda: r2(lambda: stats(rec, r2.statistics))))
    out.append(stats(rec, r2.statistics))
    return out


@case
def decorator_forms(lib: Any, rec: Recorder) -> Any:
    out = []
    # bare decorator drops keyword arguments
    fn = scripted(lib, rec, E1, E1, OK)
    f = lib.retry(fn, stop=lib.stop_after_attempt(1))
    out.append((outcome(rec, f), stats(rec, f.statistics), f.retry.stop is lib.stop_never))
    # positional arguments follow the constructor order
    g = lib.retry(rec.sleep, lib.stop_after_attempt(2), lib.wait_fixed(1.5))(scripted(lib, rec, E1))
    out.append(outcome(rec, g))
    # the classic slip @retry(retry_if_exception_type(X)) warns
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        h = lib.retry(lib.retry_if_exception_type(ValueError))
    out.append([(w.category.__name__, str(w.message)) for w in caught])
    out.append(callable(h))

    # methods, defaults and metadata
    class K:
        calls = 0

        @lib.retry(stop=lib.stop_after_attempt(3), sleep=rec.sleep)
        def meth(self, a: int, b: int = 2, *, c: int = 3) -> tuple[int, int, int]:
            """doc"""
            K.calls += 1
            if K.calls < 2:
                raise ErrA("m")
            return (a, b, c)

    k = K()
    out.append(outcome(rec, lambda: k.meth(1)))
    out.append((K.meth.__name__, K.meth.__doc__, K.meth.__defaults__, K.meth.__kwdefaults__))
    out.append((type(K.meth).__name__, stats(rec, k.meth.statistics)))
    # name= only affects iterator mode and str()
    r = lib.Retrying(
        name="named",
        stop=lib.stop_after_attempt(2),
        sleep=rec.sleep,
        before=lambda rs: rec.events.append(rs.get_fn_name()),
    )
    out.append((str(r), str(lib.Retrying()), str(r.copy()), str(r.copy(name="other"))))
    out.append(iterate(lib, rec, r, scripted(lib, rec, E1)))
    out.append(outcome(rec, lambda: r(scripted(lib, rec, E1))))
    return out


@case
def reentrant_retry_predicate(lib: Any, rec: Recorder) -> Any:
    """The retry predicate calls the same decorated function (upstream #478)."""
    depth = []

    def pred(rs: Any) -> bool:
        if len(depth) < 2:
            depth.append(1)
            rec.events.append(("inner", outcome(rec, f)))
        return rs.outcome.failed

    @lib.retry(stop=lib.stop_after_attempt(3), retry=pred, sleep=rec.sleep)
    def f() -> None:
        rec.events.append(("f", len(depth)))
        raise ErrA(str(len(depth)))

    # The shared statistics dict after nested calls is a deliberate difference: tenacity's
    # outer call goes on counting from what the nested call left there (upstream #701),
    # pertinax's outer call writes its own count. Only the keys are compared.
    return [outcome(rec, f), sorted(f.statistics)]


@case
def reuse_of_a_controller(lib: Any, rec: Recorder) -> Any:
    r = lib.Retrying(stop=lib.stop_after_attempt(3), wait=lib.wait_exponential(), sleep=rec.sleep)
    out = []
    for script in ((E1, OK), (E1, E1, E1), (OK,)):
        out.append(outcome(rec, lambda s=script: r(scripted(lib, rec, *s))))
        out.append(stats(rec, r.statistics))
        out.append(iterate(lib, rec, r, scripted(lib, rec, *script)))
        out.append(stats(rec, r.statistics))
    c = r.copy(stop=lib.stop_after_attempt(2))
    out.append((type(c).__name__, c.statistics == {}, c.wait is r.wait, c.sleep == r.sleep))
    out.append(outcome(rec, lambda: c(scripted(lib, rec, E1))))

    class MyRetrying(lib.Retrying):
        def __call__(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
            rec.events.append(("MyRetrying.__call__", len(args)))
            return super().__call__(fn, *args, **kwargs)

    m = MyRetrying(stop=lib.stop_after_attempt(2), sleep=rec.sleep)
    out.append(outcome(rec, lambda: m(scripted(lib, rec, E1), 1, 2)))
    out.append(outcome(rec, lambda: m.wraps(scripted(lib, rec, E1, OK))()))
    return out


@needs_candidate
@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_case(case_fn: Any) -> None:
    compare_case(case_fn, CANDIDATE)


# The harness's own check: each case gives tenacity the same events twice.
@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_harness_cases_are_deterministic(case_fn: Any) -> None:
    compare_case(case_fn, REFERENCE)
