"""Retried calls leave no reference cycle behind, allocate nothing that stays on a first-try
success, and survive garbage collection at any moment."""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import pytest
from pertinax import (
    Retrying,
    retry,
    stop_after_attempt,
    wait_exponential,
)

from tests.support.scripted import no_sleep


def _unreachable_after(run: object) -> int:
    gc.collect()
    gc.disable()
    try:
        run()  # type: ignore[operator]
        return gc.collect()
    finally:
        gc.enable()


def test_failed_attempts_leave_no_reference_cycles() -> None:
    state = {"n": 0}

    @retry(stop=stop_after_attempt(10), sleep=no_sleep)
    def flaky() -> int:
        state["n"] += 1
        if state["n"] % 4:
            raise ValueError("again")
        return state["n"]

    def run() -> None:
        for _ in range(200):
            flaky()

    flaky()  # warm up caches and lazily imported modules
    assert _unreachable_after(run) == 0


def test_iterator_loops_that_recover_leave_no_reference_cycles() -> None:
    # The native loop, its AttemptManagers and the lazily made RetryCallState: a loop that
    # fails twice and then succeeds leaves nothing for the GC (tenacity: 12 objects a loop).
    def run() -> None:
        for loop in range(100):
            failures = [0]
            for attempt in Retrying(stop=stop_after_attempt(5), sleep=no_sleep):
                with attempt:
                    failures[0] += 1
                    if failures[0] < 3:
                        raise ValueError("again")
                if loop % 2:
                    assert attempt.retry_state.attempt_number == failures[0]

    run()
    assert _unreachable_after(run) == 0


def test_failed_attempts_with_callbacks_leave_no_reference_cycles() -> None:
    state = {"n": 0}
    seen = []

    @retry(
        stop=stop_after_attempt(10),
        sleep=no_sleep,
        after=lambda rs: seen.append(rs.attempt_number),
        before_sleep=lambda rs: seen.append(rs.outcome.failed),
    )
    def flaky() -> int:
        state["n"] += 1
        if state["n"] % 4:
            raise ValueError("again")
        return state["n"]

    def run() -> None:
        for _ in range(100):
            flaky()

    flaky()
    assert _unreachable_after(run) == 0


def test_a_decorated_function_whose_callback_refers_back_to_it_is_collected() -> None:
    def make() -> weakref.ref[object]:
        holder: dict[str, object] = {}

        def before(_rs: object) -> None:
            holder["f"]  # noqa: B018 - the reference back to the function is the point

        @retry(before=before, stop=stop_after_attempt(2), sleep=no_sleep)
        def f() -> int:
            return 1

        holder["f"] = f
        assert f() == 1
        return weakref.ref(f)

    ref = make()
    gc.collect()
    assert ref() is None


def test_first_try_successes_allocate_nothing_that_stays() -> None:
    @retry(stop=stop_after_attempt(3), wait=wait_exponential(multiplier=1, min=1, max=10))
    def ok(x: int) -> int:
        return x

    for _ in range(1000):
        ok(1)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(20000):
            ok(1)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 4096


def test_many_live_call_states_survive_garbage_collection() -> None:
    # A collection that starts while a RetryCallState is being made (its __dict__ is made
    # after the object is tracked) must not visit fields that are not written yet. Run in a
    # child process: a regression would crash the interpreter.
    import subprocess
    import sys

    code = (
        "import gc, pertinax\n"
        "gc.set_threshold(1)\n"
        "keep = [pertinax.RetryCallState(None, None, (), {}) for _ in range(20000)]\n"
        "class Sub(pertinax.RetryCallState): pass\n"
        "more = [Sub(None, None, (), {}) for _ in range(2000)]\n"
        "print(len(keep) + len(more))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "22000"


def test_giving_up_with_reraise_leaves_no_reference_cycles() -> None:
    @retry(stop=stop_after_attempt(3), sleep=no_sleep, reraise=True)
    def always_fails() -> None:
        raise OSError("down")

    def run() -> None:
        for _ in range(50):
            with pytest.raises(OSError):
                always_fails()

    run()
    assert _unreachable_after(run) == 0
