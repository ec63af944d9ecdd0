"""Differential hand-written cases. How a call ends: give-up callbacks, TryAgain, reraise,
RetryError classes, errors that are not retried, and errors raised by callbacks.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from tests.support.differential import (
    ErrA,
    ErrB,
    ErrC,
    Recorder,
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


@needs_candidate
@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_case(case_fn: Any) -> None:
    compare_case(case_fn, CANDIDATE)


# The harness's own check: each case gives tenacity the same events twice.
@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_harness_cases_are_deterministic(case_fn: Any) -> None:
    compare_case(case_fn, REFERENCE)
