"""Differential: generated strategies evaluated directly on a RetryCallState (wait values, stop
and retry decisions).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.support.differential import (
    Recorder,
    retries,
    steps,
    stops,
    waits,
)
from tests.support.differential_cases import (
    ATTEMPTS,
    CANDIDATE,
    direct_compare,
    needs_candidate,
    prepared_state,
    settings_for,
)


@needs_candidate
@settings_for(300)
@given(
    expr=waits(falsy=False),
    attempts=ATTEMPTS,
    step=st.one_of(st.none(), steps()),
    seed=st.integers(0, 1000),
)
def test_wait_values(expr: str, attempts: list[int], step: Any, seed: int) -> None:
    calls = [lambda lib, rec, n=n: prepared_state(lib, rec, n, step) for n in attempts]
    direct_compare(expr, calls, seed, CANDIDATE)


_ELAPSED = st.sampled_from(
    [None, 0, 0.0, 0.25, 0.5, 0.999, 1, 1.0, 1.0001, 2.5, 3, 1e9, Fraction(1, 3), Fraction(5, 2)]
)
_START = st.sampled_from([0, 0.0, 100.5, Fraction(1, 7)])
_UPCOMING = st.sampled_from([0, 0.0, 0.0001, 0.5, 1, 2.0, Fraction(1, 2)])


@needs_candidate
@settings_for(300)
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
            rs = prepared_state(lib, rec, n, ("raise", "ErrA", "x", None))
            rs.start_time = start
            rs.outcome_timestamp = None if elapsed is None else start + elapsed
            rs.upcoming_sleep = upcoming
            return rs

        return f

    direct_compare(expr, [prep(*p) for p in probes], 0, CANDIDATE)


@needs_candidate
@settings_for(300)
@given(
    expr=retries(),
    probes=st.lists(
        st.tuples(st.integers(1, 5), st.one_of(st.none(), steps())), min_size=1, max_size=4
    ),
)
def test_retry_decisions(expr: str, probes: list[Any]) -> None:
    calls = [lambda lib, rec, n=n, s=s: prepared_state(lib, rec, n, s) for n, s in probes]
    direct_compare(expr, calls, 0, CANDIDATE)
