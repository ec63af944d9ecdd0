"""Differential hand-written cases. Waits: falsy values, wait arithmetic and wait_exponential's
numbers.
"""

from __future__ import annotations

import random
import warnings
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
    needs_candidate,
    outcome,
    scripted,
)

CASES = Cases()
case = CASES.register


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


@needs_candidate
@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_case(case_fn: Any) -> None:
    compare_case(case_fn, CANDIDATE)


# The harness's own check: each case gives tenacity the same events twice.
@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_harness_cases_are_deterministic(case_fn: Any) -> None:
    compare_case(case_fn, REFERENCE)
