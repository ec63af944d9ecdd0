"""Differential tests: every scenario runs under tenacity 9.2.1 and under the candidate
(pertinax, or what PERTINAX_DIFF_CANDIDATE names) and every observable event must match.

See tests/differential.py for what is recorded. Sections:
  1. generated scenarios through the decorator, the call form and the iterator form
  2. generated strategies evaluated directly on a RetryCallState (wait values, stop and
     retry decisions)
  3. hand-written cases for the tricky spots
  4. self-checks of the harness (tenacity against itself, and against deliberately broken
     copies of tenacity, which the harness must catch)
"""

from __future__ import annotations

import functools
import random
import subprocess
import sys
import threading
import types
import warnings
from fractions import Fraction
from typing import Any

import pytest
import tenacity
from differential import (
    ErrA,
    ErrB,
    ErrC,
    Mismatch,
    Recorder,
    Scenario,
    check,
    compare,
    namespace,
    num,
    observe,
    perform,
    retries,
    scenarios,
    steps,
    stops,
    waits,
)
from differential import (
    load_candidate as _load_candidate,
)
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

REFERENCE = tenacity
CANDIDATE, CANDIDATE_ERROR = _load_candidate()
needs_candidate = pytest.mark.skipif(CANDIDATE is None, reason=str(CANDIDATE_ERROR))

_HC = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def _settings(n: int) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=_HC,
        print_blob=False,
    )


def _coverage_event(recordings: list[Any]) -> None:
    """Label the example by how the reference run ended (see --hypothesis-show-statistics)."""
    last = recordings[0]
    for e in last:
        if e[0] == "build_error":
            event("build error")
            return
        if e[0] == "final":
            fin = e[1]
            event(f"{fin[0]}: {fin[1]['type']}" if fin[0] == "raised" else fin[0])
            return


# ============================================================================================
# 1. Generated scenarios, all three forms
# ============================================================================================


@needs_candidate
@_settings(300)
@given(sc=scenarios())
def test_generated_scenarios(sc: Scenario) -> None:
    _coverage_event(check(sc, REFERENCE, CANDIDATE))


# ============================================================================================
# 2. Strategies evaluated directly
# ============================================================================================


def _state(lib: Any, rec: Recorder, n: int, step: tuple[Any, ...] | None) -> Any:
    rs = lib.RetryCallState(None, None, (), {})
    rs.attempt_number = n
    if step is not None:
        try:
            value = perform(lib, rec, step, n)
        except BaseException as e:  # noqa: BLE001
            rs.set_exception((type(e), e, e.__traceback__))
        else:
            rs.set_result(value)
    return rs


def _direct(lib: Any, rec: Recorder, expr: str, calls: list[Any], seed: int) -> list[Any]:
    """Build `expr` under lib and call it on each prepared state; record value or error."""
    out: list[Any] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            strategy = eval(expr, namespace(lib, rec))  # noqa: S307
        except Exception as e:  # noqa: BLE001
            return [("build_error", rec.exc(e))]
    out.append([(w.category.__name__, str(w.message)) for w in caught])
    random.seed(seed)
    for prepare in calls:
        rs = prepare(lib, rec)
        try:
            out.append(("value", rec.value(strategy(rs))))
        except Exception as e:  # noqa: BLE001
            out.append(("raised", rec.exc(e)))
    out.append(("random_after", random.random()))
    return out


def _direct_compare(expr: str, calls: list[Any], seed: int, cand: Any) -> None:
    ra, rb = Recorder(REFERENCE), Recorder(cand)
    a = _direct(REFERENCE, ra, expr, calls, seed)
    b = _direct(cand, rb, expr, calls, seed)
    compare(a + ra.events, b + rb.events, f"direct evaluation of {expr}")


_ATTEMPTS = st.lists(
    st.one_of(st.integers(0, 12), st.sampled_from([30, 64, 65, 100, 1025, 1100])),
    min_size=1,
    max_size=6,
)


@needs_candidate
@_settings(300)
@given(
    expr=waits(falsy=False),
    attempts=_ATTEMPTS,
    step=st.one_of(st.none(), steps()),
    seed=st.integers(0, 1000),
)
def test_wait_values(expr: str, attempts: list[int], step: Any, seed: int) -> None:
    calls = [lambda lib, rec, n=n: _state(lib, rec, n, step) for n in attempts]
    _direct_compare(expr, calls, seed, CANDIDATE)


_ELAPSED = st.sampled_from(
    [None, 0, 0.0, 0.25, 0.5, 0.999, 1, 1.0, 1.0001, 2.5, 3, 1e9, Fraction(1, 3), Fraction(5, 2)]
)
_START = st.sampled_from([0, 0.0, 100.5, Fraction(1, 7)])
_UPCOMING = st.sampled_from([0, 0.0, 0.0001, 0.5, 1, 2.0, Fraction(1, 2)])


@needs_candidate
@_settings(300)
@given(
    expr=stops(
        delays=("0", "1", "0.5", "2.5", "timedelta(seconds=1)", "1e9"),
        before_delays=("0", "1", "2.5", "timedelta(seconds=1)", "1e9"),
    ),
    probes=st.lists(
        st.tuples(st.integers(0, 8), _START, _ELAPSED, _UPCOMING), min_size=1, max_size=5
    ),
)
def test_stop_decisions(expr: str, probes: list[Any]) -> None:
    def prep(n: int, start: Any, elapsed: Any, upcoming: Any) -> Any:
        def f(lib: Any, rec: Recorder) -> Any:
            rs = _state(lib, rec, n, ("raise", "ErrA", "x", None))
            rs.start_time = start
            rs.outcome_timestamp = None if elapsed is None else start + elapsed
            rs.upcoming_sleep = upcoming
            return rs

        return f

    _direct_compare(expr, [prep(*p) for p in probes], 0, CANDIDATE)


@needs_candidate
@_settings(300)
@given(
    expr=retries(),
    probes=st.lists(
        st.tuples(st.integers(1, 5), st.one_of(st.none(), steps())), min_size=1, max_size=4
    ),
)
def test_retry_decisions(expr: str, probes: list[Any]) -> None:
    calls = [lambda lib, rec, n=n, s=s: _state(lib, rec, n, s) for n, s in probes]
    _direct_compare(expr, calls, 0, CANDIDATE)


# ============================================================================================
# 3. Hand-written cases
# ============================================================================================
#
# A case is a function (lib, rec) -> data. It runs under both libraries; its return value
# (or the exception escaping it) and rec.events must be identical.

CASES: list[Any] = []


def case(fn: Any) -> Any:
    CASES.append(fn)
    return fn


E1 = ("raise", "ErrA", "boom", None)
E2 = ("raise", "ErrB", "again", ("ErrC", "root"))
OK = ("return", "ok")


def scripted(lib: Any, rec: Recorder, *script: tuple[Any, ...]) -> Any:
    """A function acting out `script` (its last step repeats), recording each call."""

    serial = len(rec.functions)
    rec.functions.append(script)
    calls = []

    def fn(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        k = len(calls)
        rec.events.append(("call", f"f{serial}", k, rec.value(args), sorted(kwargs)))
        return perform(lib, rec, script[min(k, len(script)) - 1], k, prefix=f"f{serial}.")

    rec.label(fn, f"f{serial}")
    return fn


def outcome(rec: Recorder, thunk: Any) -> Any:
    try:
        return ("returned", rec.value(thunk()))
    except Exception as e:  # noqa: BLE001
        return ("raised", rec.exc(e))


def iterate(lib: Any, rec: Recorder, r: Any, fn: Any) -> Any:
    """The iterator form, setting the result explicitly after the with-block."""

    def loop() -> str:
        for attempt in r:
            ok = False
            with attempt:
                value = fn()
                ok = True
            if ok:
                attempt.retry_state.set_result(value)
        return "iteration ended"

    return outcome(rec, loop)


def stats(rec: Recorder, d: dict[str, Any]) -> Any:
    return rec.stats(d)


@case
def wait_falsy_values_mean_no_wait(lib: Any, rec: Recorder) -> Any:
    class FalsyWait(list):
        def __call__(self, rs: Any) -> int:
            return 1

    out = []
    for w in (0, 0.0, False, None, sum([]), FalsyWait()):
        r = lib.Retrying(wait=w, stop=lib.stop_after_attempt(3), sleep=rec.sleep)
        out.append((type(r.wait).__name__, outcome(rec, lambda r=r: r(scripted(lib, rec, E1, OK)))))
    return out


@case
def wait_arithmetic(lib: Any, rec: Recorder) -> Any:
    rs = lib.RetryCallState(None, None, (), {})
    rs.attempt_number = 2

    def three(rs: Any) -> int:
        return 2

    out = []
    for build in (
        lambda: three + lib.wait_fixed(1),
        lambda: lib.wait_fixed(1) + three,
        lambda: 0 + lib.wait_fixed(1),
        lambda: sum([lib.wait_fixed(1), lib.wait_fixed(2)], start=lib.wait_none()),
        lambda: 5 + lib.wait_fixed(1),
        lambda: True + lib.wait_fixed(1),
        lambda: 0.0 + lib.wait_fixed(1),
        lambda: lib.wait_fixed(1) + 5,
        lambda: lib.wait_chain(),
        lambda: lib.wait_combine(),
        lambda: lib.wait_chain(lambda rs: 1),  # wait_chain calls with retry_state=
        lambda: lib.wait_combine(lambda x: 7),  # wait_combine calls positionally
    ):
        try:
            w = build()
        except Exception as e:  # noqa: BLE001
            out.append(("build", rec.exc(e)))
            continue
        out.append((type(w).__name__, outcome(rec, lambda w=w: w(rs))))
    return out


@case
def retry_error_callback_return_value(lib: Any, rec: Recorder) -> Any:
    sentinel = object()
    rec.label(sentinel, "sentinel")

    def cb(rs: Any) -> Any:
        rec.note("callback", rs)
        return sentinel

    kw = dict(stop=lib.stop_after_attempt(3), sleep=rec.sleep, retry_error_callback=cb)
    out = [
        outcome(rec, lambda: lib.retry(**kw)(scripted(lib, rec, E1))()),
        outcome(rec, lambda: lib.Retrying(**kw)(scripted(lib, rec, E1))),
        iterate(lib, rec, lib.Retrying(**kw), scripted(lib, rec, E1)),
        # reraise is ignored when a callback is set; result-driven give-ups too
        outcome(rec, lambda: lib.Retrying(reraise=True, **kw)(scripted(lib, rec, E1))),
        outcome(
            rec,
            lambda: lib.Retrying(retry=lib.retry_if_result(lambda v: v is None), **kw)(
                scripted(lib, rec, ("return", None))
            ),
        ),
    ]
    # the callback may return the outcome itself
    out.append(
        outcome(
            rec,
            lambda: lib.Retrying(
                stop=lib.stop_after_attempt(2),
                sleep=rec.sleep,
                retry_error_callback=lambda rs: rs.outcome,
            )(scripted(lib, rec, E2)),
        )
    )
    return out


@case
def try_again_and_reraise(lib: Any, rec: Recorder) -> Any:
    out = []
    for how in (None, "cause", "context"):
        for reraise in (False, True):
            step = ("tryagain", how, "ErrB", "underlying")
            r = lib.Retrying(stop=lib.stop_after_attempt(2), reraise=reraise, sleep=rec.sleep)
            out.append(outcome(rec, lambda r=r, s=step: r(scripted(lib, rec, s))))
            out.append(iterate(lib, rec, r, scripted(lib, rec, step)))
    # TryAgain forces a retry even with retry_never, and the stop still applies
    r = lib.Retrying(retry=lib.retry_never, stop=lib.stop_after_attempt(5), sleep=rec.sleep)
    out.append(outcome(rec, lambda: r(scripted(lib, rec, ("tryagain", None, "ErrA", ""), OK))))
    out.append(stats(rec, r.statistics))
    # RetryError.reraise() called by the user
    err = outcome(rec, lambda: lib.Retrying(stop=lib.stop_after_attempt(1))(scripted(lib, rec, E2)))
    out.append(err)
    try:
        lib.Retrying(stop=lib.stop_after_attempt(1))(scripted(lib, rec, ("return", None)))
    except Exception:  # noqa: BLE001
        pass
    for step in (E2, ("return", None), ("tryagain", "context", "ErrA", "ctx")):
        try:
            lib.Retrying(stop=lib.stop_after_attempt(1), retry=lib.retry_always)(
                scripted(lib, rec, step)
            )
        except lib.RetryError as e:
            out.append(outcome(rec, e.reraise))
    return out


@case
def retry_error_cls_variants(lib: Any, rec: Recorder) -> Any:
    class MyError(lib.RetryError):
        pass

    out = []
    for cls in (MyError, ValueError, lambda fut: ErrC(f"at {fut.attempt_number}")):
        for reraise in (False, True):
            for step in (E2, ("return", None)):
                r = lib.Retrying(
                    stop=lib.stop_after_attempt(2),
                    retry=lib.retry_always,
                    retry_error_cls=cls,
                    reraise=reraise,
                    sleep=rec.sleep,
                )
                out.append(outcome(rec, lambda r=r, s=step: r(scripted(lib, rec, s))))
    e = lib.RetryError(last_attempt=123)
    out.append((str(e), repr(e), e.args, e.last_attempt))
    return out


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


def _raising(rec: Recorder, where: str) -> Any:
    def cb(*args: Any, **kwargs: Any) -> Any:
        e = CallbackErrorProbe(f"from {where}")
        rec.label(e, where)
        raise e

    return cb


class CallbackErrorProbe(Exception):
    pass


@case
def exceptions_in_callbacks_propagate(lib: Any, rec: Recorder) -> Any:
    out = []
    for where in (
        "before",
        "after",
        "before_sleep",
        "retry",
        "stop",
        "wait",
        "retry_error_callback",
        "sleep",
    ):
        kw: dict[str, Any] = dict(stop=lib.stop_after_attempt(2), sleep=rec.sleep)
        kw[where] = _raising(rec, where)
        for form in ("call", "decorator", "iterator"):
            fn = scripted(lib, rec, E1)
            if form == "call":
                res = outcome(rec, lambda kw=kw, fn=fn: lib.Retrying(**kw)(fn))
            elif form == "decorator":
                res = outcome(rec, lambda kw=kw, fn=fn: lib.retry(**kw)(fn)())
            else:
                res = iterate(lib, rec, lib.Retrying(**kw), fn)
            out.append((where, form, res))
    # a raising member inside a combinator, next to built-in members
    combos = {
        "stop": lib.stop_after_attempt(5) | _raising(rec, "stop member"),
        "wait": lib.wait_fixed(1) + _raising(rec, "wait member"),
        "retry": lib.retry_if_exception_type(ErrC) | _raising(rec, "retry member"),
    }
    for k, v in combos.items():
        r = lib.Retrying(sleep=rec.sleep, **{k: v})
        out.append((k, outcome(rec, lambda r=r: r(scripted(lib, rec, E1, OK)))))
    # a callback that reads rs.outcome.result() on a failed outcome re-raises the attempt's error
    r = lib.Retrying(sleep=rec.sleep, after=lambda rs: rs.outcome.result())
    out.append(outcome(rec, lambda: r(scripted(lib, rec, E2, OK))))
    # errors the library raises itself for bad strategy values
    for kw in (
        dict(wait=lambda rs: None),
        dict(wait=lambda rs: "1"),
        dict(wait=lambda rs: Fraction(1, 3)),
        dict(stop="stop_after_attempt"),
        dict(wait="exponential"),
        dict(retry=None),
    ):
        r = lib.Retrying(sleep=rec.sleep, stop=kw.pop("stop", lib.stop_after_attempt(3)), **kw)
        out.append(outcome(rec, lambda r=r: r(scripted(lib, rec, E1, OK))))
    return out


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


@case
def non_retryable_errors_keep_identity(lib: Any, rec: Recorder) -> Any:
    out = []
    for kw, script in (
        (dict(retry=lib.retry_if_exception_type(ErrC)), (E1,)),
        (dict(), (("halt", "stop"),)),
        (dict(retry=lib.retry_if_not_exception_type()), (("halt", "again"), OK)),
        (dict(retry=lib.retry_unless_exception_type(ErrB)), (OK, OK, E2)),
        (dict(retry=lib.retry_if_exception_cause_type(ErrC)), (E2, E2, E1)),
    ):
        r = lib.Retrying(stop=lib.stop_after_attempt(5), sleep=rec.sleep, **kw)
        out.append(outcome(rec, lambda r=r, s=script: r(scripted(lib, rec, *s))))
        out.append(iterate(lib, rec, r, scripted(lib, rec, *script)))
    # a cyclic cause chain terminates
    a, b = ErrA("a"), ErrB("b")
    a.__cause__ = b
    b.__cause__ = a

    def cyclic() -> None:
        raise a

    r = lib.Retrying(retry=lib.retry_if_exception_cause_type(ErrC), sleep=rec.sleep)
    out.append(outcome(rec, lambda: r(cyclic)))
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


@case
def wait_exponential_numbers(lib: Any, rec: Recorder) -> Any:
    class NoPow(float):  # proves the early cap skips the power
        def __pow__(self, other: Any) -> Any:
            raise AssertionError("power computed")

        def __rpow__(self, other: Any) -> Any:
            raise AssertionError("power computed")

    out = []
    for make in (
        lambda: lib.wait_exponential(),
        lambda: lib.wait_exponential(max=40),
        lambda: lib.wait_exponential(min=20),
        lambda: lib.wait_exponential(min=20, multiplier=2),
        lambda: lib.wait_exponential(min=10, max=100),
        lambda: lib.wait_exponential(max=float("inf")),
        lambda: lib.wait_exponential(multiplier=0.5, max=float("inf")),
        lambda: lib.wait_exponential(multiplier=1e300, max=1e-100),
        lambda: lib.wait_exponential(min=50, max=10),
        lambda: lib.wait_random_exponential(min=5),
        lambda: lib.wait_exponential_jitter(max=60),
        lambda: lib.wait_exponential_jitter(multiplier=10, jitter=0, max=60),
        lambda: lib.wait_exponential_jitter(10, 5),
        lambda: lib.wait_exponential_jitter(initial=2, multiplier=3),
        lambda: lib.wait_incrementing(500, 100),
        lambda: lib.wait_incrementing(-500, 100),
        lambda: lib.wait_random(1, 20),
    ):
        random.seed(7)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                w = make()
            except Exception as e:  # noqa: BLE001
                out.append(rec.exc(e))
                continue
        vals = []
        for n in (0, 1, 2, 3, 5, 8, 20, 50, 60, 1030, 1100):
            rs = lib.RetryCallState(None, None, (), {})
            rs.attempt_number = n
            vals.append(outcome(rec, lambda w=w, rs=rs: w(rs)))
        out.append(([(c.category.__name__, str(c.message)) for c in caught], vals))
    w = lib.wait_exponential(max=40, exp_base=NoPow(2))
    rs = lib.RetryCallState(None, None, (), {})
    rs.attempt_number = 50
    out.append(outcome(rec, lambda: w(rs)))
    return out


@case
def retry_call_state_as_python_object(lib: Any, rec: Recorder) -> Any:
    rs = lib.RetryCallState(None, None, (), {})
    out = [
        rs.attempt_number,
        rs.outcome,
        rs.next_action,
        num(rs.idle_for),
        num(rs.upcoming_sleep),
        rs.seconds_since_start,
        rs.get_fn_name(),
    ]
    rs.start_time = Fraction(1, 3)
    rs.set_result(5)
    rs.outcome_timestamp = Fraction(5, 6)
    out.append(rs.seconds_since_start)
    rs.custom = "x"
    out.append((rs.custom, "custom" in vars(rs)))
    rs.idle_for = 1.1111111
    out.append(scrub_repr(rs))
    rs.prepare_for_next_attempt()
    out.append((rs.attempt_number, rs.outcome, rs.outcome_timestamp, rs.next_action, rs.idle_for))
    try:
        raise ErrA("aaa")
    except ErrA:
        rs.set_exception(sys.exc_info())
    out.append(scrub_repr(rs))
    return out


def scrub_repr(rs: Any) -> str:
    from differential import scrub

    return scrub(repr(rs))


@needs_candidate
@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_case(case_fn: Any) -> None:
    _compare_case(case_fn, CANDIDATE)


def _compare_case(case_fn: Any, cand: Any) -> None:
    ra = observe(_with_events(case_fn), REFERENCE)
    rb = observe(_with_events(case_fn), cand)
    compare(_flatten(ra), _flatten(rb), case_fn.__name__)


def _with_events(case_fn: Any) -> Any:
    def run(lib: Any, rec: Recorder) -> Any:
        random.seed(0)
        result = case_fn(lib, rec)
        return (result, rec.events)

    return run


def _flatten(obs: Any) -> list[Any]:
    """Turn an observation into a list of events so a mismatch names the first difference."""
    if obs[0] == "returned":
        result, events = obs[1]
        items = list(result) if isinstance(result, list) else [result]
        return [("result", i, x) for i, x in enumerate(items)] + [("events", list(events))]
    return [obs]


# Scripts that may crash the interpreter run in a child process; what it prints and its exit
# status must match.
CRASH_SCRIPTS = {
    # GC during the allocation of a RetryCallState (its __dict__ allocation triggers a
    # collection) must not traverse half-built state: 500 live states were enough to crash.
    "many_live_call_states": """
import gc
keep = [lib.RetryCallState(None, None, (), {}) for _ in range(3000)]
gc.collect()
r = lib.Retrying(stop=lib.stop_after_attempt(2), before=keep.append, sleep=lambda s: None)
for _ in range(1500):
    try:
        r(lambda: 1 / 0)
    except lib.RetryError:
        pass
gc.collect()
print(len(keep))
""",
}


@needs_candidate
@pytest.mark.parametrize("name", sorted(CRASH_SCRIPTS))
def test_in_child_process(name: str) -> None:
    def child(lib: Any) -> tuple[int, str, str]:
        code = f"import {lib.__name__} as lib\n" + CRASH_SCRIPTS[name]
        p = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
        )
        return p.returncode, p.stdout, p.stderr[-2000:]

    ref, cand = child(REFERENCE), child(CANDIDATE)
    assert ref[0] == 0, ref
    assert cand[:2] == ref[:2], f"{name}: tenacity {ref[:2]}, candidate {cand}"


# ============================================================================================
# 4. Harness self-checks (run whether or not the candidate is importable)
# ============================================================================================


@_settings(40)
@given(sc=scenarios())
def test_harness_is_deterministic(sc: Scenario) -> None:
    check(sc, REFERENCE, REFERENCE)


@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_harness_cases_are_deterministic(case_fn: Any) -> None:
    _compare_case(case_fn, REFERENCE)


def _mutant(name: str, **overrides: Any) -> types.ModuleType:
    m = types.ModuleType("tenacity")
    m.__dict__.update({k: v for k, v in vars(tenacity).items() if not k.startswith("__")})
    m.__dict__.update(overrides)
    m.mutation = name
    return m


def _mutants() -> list[types.ModuleType]:
    class wait_fixed(tenacity.wait_fixed):  # int where tenacity gives a float
        def __call__(self, rs: Any) -> Any:
            return int(self.wait_fixed)

    class stop_after_attempt(tenacity.stop_after_attempt):  # off by one
        def __call__(self, rs: Any) -> bool:
            return rs.attempt_number > self.max_attempt_number

    private = random.Random(1)

    class wait_random(tenacity.wait_random):  # jitter not drawn from `random`
        def __call__(self, rs: Any) -> float:
            return self.wait_random_min + private.random() * (
                self.wait_random_max - self.wait_random_min
            )

    class NoAfter(tenacity.Retrying):  # `after` never called
        def __init__(self, *a: Any, **k: Any) -> None:
            super().__init__(*a, **k)
            self.after = None

    def retry(*dargs: Any, **dkw: Any) -> Any:
        return lambda f: NoAfter(*dargs, **dkw).wraps(f)

    class StaleIdle(tenacity.Retrying):  # idle_for not updated on the state
        def _post_stop_check_actions(self, rs: Any) -> None:
            idle = rs.idle_for
            super()._post_stop_check_actions(rs)
            self._add_action_func(lambda rs: setattr(rs, "idle_for", idle))

    def retry2(*dargs: Any, **dkw: Any) -> Any:
        return lambda f: StaleIdle(*dargs, **dkw).wraps(f)

    return [
        _mutant("wait_fixed returns int", wait_fixed=wait_fixed),
        _mutant("stop_after_attempt off by one", stop_after_attempt=stop_after_attempt),
        _mutant("wait_random private generator", wait_random=wait_random),
        _mutant("after never called", Retrying=NoAfter, retry=retry),
        _mutant("idle_for stale", Retrying=StaleIdle, retry=retry2),
    ]


@pytest.mark.parametrize("mutant", _mutants(), ids=lambda m: m.mutation)
def test_harness_catches_mutant(mutant: types.ModuleType) -> None:
    """Each broken copy of tenacity must be caught by the generated scenarios or, for strategy
    values, by the direct evaluation of generated waits."""
    quick = settings(
        max_examples=300,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=_HC,
        print_blob=False,
    )

    @quick
    @given(sc=scenarios())
    def generated(sc: Scenario) -> None:
        check(sc, REFERENCE, mutant)

    @quick
    @given(expr=waits(falsy=False), attempts=_ATTEMPTS, seed=st.integers(0, 1000))
    def wait_values(expr: str, attempts: list[int], seed: int) -> None:
        calls = [
            lambda lib, rec, n=n: _state(lib, rec, n, ("raise", "ErrA", "x", None))
            for n in attempts
        ]
        _direct_compare(expr, calls, seed, mutant)

    caught = []
    for search in (generated, wait_values):
        try:
            search()
        except Mismatch:
            caught.append(search.__name__)
    assert caught, f"mutant {mutant.mutation!r} went unnoticed"
