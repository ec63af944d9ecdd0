"""Differential hand-written cases. RetryCallState as a Python object, and many live states in
a child process (a crash there must not happen).
"""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from typing import Any

import pytest

from tests.support.differential import (
    ErrA,
    Recorder,
    num,
)
from tests.support.differential_cases import (
    CANDIDATE,
    REFERENCE,
    Cases,
    compare_case,
    needs_candidate,
)

CASES = Cases()
case = CASES.register


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
    from tests.support.differential import scrub

    return scrub(repr(rs))


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


@needs_candidate
@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_case(case_fn: Any) -> None:
    compare_case(case_fn, CANDIDATE)


# The harness's own check: each case gives tenacity the same events twice.
@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_harness_cases_are_deterministic(case_fn: Any) -> None:
    compare_case(case_fn, REFERENCE)
