"""What the differential test files share: the two libraries, hypothesis settings, the
direct evaluation of strategies, and the hand-written cases' helpers.

A case is a function (lib, rec) -> data. It runs under both libraries; its return value (or
the exception escaping it) and rec.events must be identical.
"""

from __future__ import annotations

import random
import warnings
from typing import Any

import pytest
import tenacity
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st

from .differential import (
    Recorder,
    compare,
    namespace,
    observe,
    perform,
)
from .differential import (
    load_candidate as _load_candidate,
)

REFERENCE = tenacity
CANDIDATE, CANDIDATE_ERROR = _load_candidate()
needs_candidate = pytest.mark.skipif(CANDIDATE is None, reason=str(CANDIDATE_ERROR))

HEALTH_CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def settings_for(n: int) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=HEALTH_CHECKS,
        print_blob=False,
    )


def coverage_event(recordings: list[Any]) -> None:
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


# --- strategies evaluated directly ----------------------------------------------------------


def prepared_state(lib: Any, rec: Recorder, n: int, step: tuple[Any, ...] | None) -> Any:
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


def direct(lib: Any, rec: Recorder, expr: str, calls: list[Any], seed: int) -> list[Any]:
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


def direct_compare(expr: str, calls: list[Any], seed: int, cand: Any) -> None:
    ra, rb = Recorder(REFERENCE), Recorder(cand)
    a = direct(REFERENCE, ra, expr, calls, seed)
    b = direct(cand, rb, expr, calls, seed)
    compare(a + ra.events, b + rb.events, f"direct evaluation of {expr}")


ATTEMPTS = st.lists(
    st.one_of(st.integers(0, 12), st.sampled_from([30, 64, 65, 100, 1025, 1100])),
    min_size=1,
    max_size=6,
)


# --- hand-written cases ---------------------------------------------------------------------


class Cases(list[Any]):
    """One test file's cases, in order; ``@CASES.register`` adds one."""

    def register(self, fn: Any) -> Any:
        self.append(fn)
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


def compare_case(case_fn: Any, cand: Any) -> None:
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
