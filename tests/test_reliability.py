"""Where tenacity is wrong, pertinax is right: threads, interrupts, failing callbacks, garbage,
fork, bad input."""

from __future__ import annotations

import gc
import os
import pickle
import threading
import time
import tracemalloc
import weakref
from unittest import mock

import pertinax
import pytest
from pertinax import (
    RetryError,
    Retrying,
    retry,
    retry_always,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_fixed,
    wait_random,
)

from tests.support.scripted import no_sleep

# -- threads -------------------------------------------------------------------------------


def test_64_threads_each_get_their_own_result_and_attempt_count() -> None:
    local = threading.local()
    seen_stats: list[dict[str, object]] = []

    @retry(stop=stop_after_attempt(20), sleep=no_sleep)
    def work(n: int) -> tuple[int, int]:
        local.attempts = getattr(local, "attempts", 0) + 1
        # reading the shared dict while others write it never raises
        seen_stats.append(dict(work.statistics))
        if local.attempts <= n % 5:
            raise ValueError(n)
        return n, local.attempts

    results: dict[int, tuple[int, int]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(64)

    def run(n: int) -> None:
        barrier.wait()
        try:
            local.attempts = 0
            results[n] = work(n)
        except BaseException as e:  # noqa: BLE001 - the test reports any failure
            errors.append(e)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert results == {n: (n, n % 5 + 1) for n in range(64)}
    # fn.statistics shows the figures of a recent call
    assert set(work.statistics) == {
        "start_time",
        "attempt_number",
        "idle_for",
        "delay_since_first_attempt",
    }
    assert work.statistics["attempt_number"] in {1, 2, 3, 4, 5}


def test_one_retrying_object_shared_by_threads_keeps_calls_apart() -> None:
    r = Retrying(stop=stop_after_attempt(10), sleep=no_sleep)
    out: dict[int, int] = {}

    def run(n: int) -> None:
        attempts = {"n": 0}

        def f() -> int:
            attempts["n"] += 1
            if attempts["n"] < 3:
                raise OSError
            return attempts["n"]

        out[n] = r(f)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == {n: 3 for n in range(16)}


def test_one_controller_iterated_by_many_threads_keeps_loops_and_statistics_apart() -> None:
    # Iterator mode on a shared controller: each thread's loops have their own state, the
    # sleeps (which let other threads in) never mix them up, and `r.statistics` is each
    # thread's own latest loop, as with tenacity's thread-local statistics.
    r = Retrying(stop=stop_after_attempt(10), sleep=lambda seconds: time.sleep(0))
    problems: list[str] = []
    barrier = threading.Barrier(16)

    def run(n: int) -> None:
        barrier.wait()
        for loop in range(50):
            failures = (n + loop) % 4
            seen = []
            for attempt in r:
                with attempt:
                    seen.append(attempt.retry_state.attempt_number if loop % 2 else None)
                    if len(seen) <= failures:
                        raise OSError(n)
            if len(seen) != failures + 1:
                problems.append(f"thread {n} loop {loop}: {len(seen)} attempts")
            if loop % 2 and seen != list(range(1, failures + 2)):
                problems.append(f"thread {n} loop {loop}: numbers {seen}")
            if r.statistics["attempt_number"] != failures + 1:
                problems.append(f"thread {n} loop {loop}: statistics {r.statistics}")

    threads = [threading.Thread(target=run, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == []


def test_reentrant_calls_keep_separate_attempt_counts() -> None:
    depth_attempts: dict[int, int] = {}

    @retry(stop=stop_after_attempt(5), sleep=no_sleep)
    def recurse(depth: int) -> int:
        depth_attempts[depth] = depth_attempts.get(depth, 0) + 1
        if depth_attempts[depth] < 2:
            raise ValueError(depth)
        return depth if depth == 0 else recurse(depth - 1) + depth

    assert recurse(4) == 10
    assert depth_attempts == {4: 2, 3: 2, 2: 2, 1: 2, 0: 2}


# -- interrupts ----------------------------------------------------------------------------


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit, GeneratorExit])
@pytest.mark.parametrize(
    "predicate",
    [retry_always, retry_if_not_exception_type(), retry_if_exception_type(BaseException)],
)
def test_interrupts_are_never_retried(exc_type: type[BaseException], predicate: object) -> None:
    calls = []

    @retry(retry=predicate, stop=stop_after_attempt(5), sleep=no_sleep)  # type: ignore[call-overload]
    def f() -> None:
        calls.append(1)
        raise exc_type()

    with pytest.raises(exc_type):
        f()
    assert calls == [1]


def test_interrupts_are_never_retried_in_the_iterator_form() -> None:
    bodies = []
    with pytest.raises(KeyboardInterrupt):
        for attempt in Retrying(retry=retry_always, stop=stop_after_attempt(5), sleep=no_sleep):
            with attempt:
                bodies.append(1)
                raise KeyboardInterrupt
    assert bodies == [1]


def test_an_interrupt_during_the_sleep_ends_the_loop() -> None:
    calls = []

    def interrupted_sleep(_seconds: float) -> None:
        raise KeyboardInterrupt

    @retry(stop=stop_after_attempt(5), sleep=interrupted_sleep)
    def f() -> None:
        calls.append(1)
        raise ValueError

    with pytest.raises(KeyboardInterrupt):
        f()
    assert calls == [1]


# -- failing callbacks ---------------------------------------------------------------------


class CallbackBroke(Exception):
    pass


def _broken(_rs: object) -> None:
    raise CallbackBroke("broken")


@pytest.mark.parametrize("where", ["after", "before_sleep", "stop", "wait", "retry"])
def test_a_failing_callback_propagates_and_keeps_the_user_exception(where: str) -> None:
    user_error = ValueError("the user's own error")

    @retry(sleep=no_sleep, **{where: _broken})  # type: ignore[call-overload]
    def f() -> None:
        raise user_error

    with pytest.raises(CallbackBroke) as info:
        f()
    assert info.value.__context__ is user_error


def test_a_failing_before_hook_propagates() -> None:
    @retry(before=_broken, sleep=no_sleep)
    def f() -> None:
        raise AssertionError("never called")

    with pytest.raises(CallbackBroke):
        f()


def test_a_failing_logger_propagates_and_keeps_the_user_exception() -> None:
    class BadLogger:
        def log(self, level: int, msg: str, *args: object) -> None:
            raise CallbackBroke(msg)

    user_error = OSError("disk")

    @retry(
        before_sleep=pertinax.before_sleep_log(BadLogger(), 20),  # type: ignore[arg-type]
        sleep=no_sleep,
    )
    def f() -> None:
        raise user_error

    with pytest.raises(CallbackBroke) as info:
        f()
    assert info.value.__context__ is user_error


# -- garbage -------------------------------------------------------------------------------


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


# -- fork ----------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_draws_different_jitter() -> None:
    def draws() -> list[float]:
        sleeps: list[float] = []

        @retry(stop=stop_after_attempt(6), wait=wait_random(0, 1), sleep=sleeps.append)
        def f() -> None:
            raise ValueError

        with pytest.raises(RetryError):
            f()
        return sleeps

    draws()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its draws and leave without running pytest's teardown
        try:
            os.write(write_end, pickle.dumps(draws()))
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        child = pickle.loads(pipe.read())
    os.waitpid(pid, 0)
    parent = draws()
    assert len(child) == len(parent) == 5
    assert child != parent


# -- sleeping ------------------------------------------------------------------------------


def test_time_sleep_is_looked_up_at_call_time() -> None:
    @retry(stop=stop_after_attempt(4), wait=wait_fixed(0.5))
    def f() -> None:
        raise ValueError

    with mock.patch("time.sleep") as fake_sleep, pytest.raises(RetryError):
        f()
    assert [c.args[0] for c in fake_sleep.call_args_list] == [0.5, 0.5, 0.5]


def test_a_custom_sleep_is_called_even_for_zero_waits() -> None:
    sleeps: list[float] = []

    @retry(stop=stop_after_attempt(3), sleep=sleeps.append)
    def f() -> None:
        raise ValueError

    with pytest.raises(RetryError):
        f()
    assert sleeps == [0.0, 0.0]
    assert all(type(s).__name__ == "DoSleep" for s in sleeps)


def test_a_patched_time_sleep_still_sees_zero_waits() -> None:
    @retry(stop=stop_after_attempt(3))
    def f() -> None:
        raise ValueError

    with mock.patch("time.sleep") as fake_sleep, pytest.raises(RetryError):
        f()
    assert fake_sleep.call_count == 2


def test_there_is_no_per_call_copy_of_the_controller() -> None:
    @retry(stop=stop_after_attempt(3), sleep=no_sleep)
    def f() -> int:
        return 7

    with mock.patch.object(Retrying, "copy", side_effect=AssertionError("copied")):
        assert f() == 7


def test_patching_the_controller_takes_effect_on_the_next_call() -> None:
    calls = []

    @retry(stop=stop_after_attempt(5), sleep=no_sleep)
    def f() -> None:
        calls.append(1)
        raise ValueError

    f.retry.stop = stop_after_attempt(2)  # type: ignore[attr-defined]
    with pytest.raises(RetryError):
        f()
    assert len(calls) == 2
    with mock.patch.object(f.retry, "stop", stop_after_attempt(1)), pytest.raises(RetryError):
        f()
    assert len(calls) == 3


# -- bad input -----------------------------------------------------------------------------


def test_a_string_strategy_is_accepted_and_fails_clearly_at_first_use() -> None:
    r = Retrying(stop="stop_after_attempt")  # type: ignore[arg-type]
    assert r(lambda: 5) == 5  # never needed: no error, as with tenacity

    def fails() -> None:
        raise ValueError

    with pytest.raises(TypeError, match=r"stop: .*'stop_after_attempt'.*str"):
        r(fails)


def test_a_non_number_argument_names_the_strategy_the_argument_and_the_value() -> None:
    stop = stop_after_attempt("three")  # type: ignore[arg-type]

    @retry(stop=stop, sleep=no_sleep)
    def f() -> None:
        raise ValueError

    with pytest.raises(
        TypeError, match=r"stop_after_attempt: argument 'max_attempt_number' .*'three'"
    ):
        f()


def test_fractional_attempts_and_timedeltas_work() -> None:
    import datetime

    calls = []

    @retry(
        stop=stop_after_attempt(2.5),  # type: ignore[arg-type]
        wait=wait_fixed(datetime.timedelta(milliseconds=1)),
        sleep=no_sleep,
    )
    def f() -> None:
        calls.append(1)
        raise ValueError

    with pytest.raises(RetryError):
        f()
    assert len(calls) == 3


# -- pickling ------------------------------------------------------------------------------


def module_level_retried(x: int) -> int:
    return x + 1


module_level_retried = retry(stop=stop_after_attempt(2))(module_level_retried)


def test_a_decorated_module_level_function_pickles_by_reference() -> None:
    again = pickle.loads(pickle.dumps(module_level_retried))
    assert again is module_level_retried
    assert again(1) == 2


def test_a_retrying_object_round_trips_and_still_retries() -> None:
    r = Retrying(stop=stop_after_attempt(3), wait=wait_fixed(0), reraise=True, sleep=time.sleep)
    copy = pickle.loads(pickle.dumps(r))
    attempts = []

    def f() -> int:
        attempts.append(1)
        if len(attempts) < 3:
            raise OSError
        return len(attempts)

    assert copy(f) == 3
    assert copy.statistics["attempt_number"] == 3


def test_a_real_retry_error_pickles_for_celery() -> None:
    @retry(stop=stop_after_attempt(2), sleep=no_sleep)
    def f() -> None:
        raise KeyError("missing")

    with pytest.raises(RetryError) as info:
        f()
    again = pickle.loads(pickle.dumps(info.value))
    assert isinstance(again, RetryError)
    assert again.last_attempt.attempt_number == 2
    assert isinstance(again.last_attempt.exception(), KeyError)


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


def test_a_retry_call_state_copies_and_pickles_like_a_plain_object() -> None:
    import copy

    snapshots: list[pertinax.RetryCallState] = []

    @retry(
        stop=stop_after_attempt(3), after=lambda rs: snapshots.append(copy.copy(rs)), sleep=no_sleep
    )
    def f() -> None:
        raise ValueError("x")

    with pytest.raises(RetryError):
        f()
    # `after` runs for every retryable outcome, the last one too (before the stop check)
    assert [s.attempt_number for s in snapshots] == [1, 2, 3]
    assert all(s.outcome.failed for s in snapshots)

    state = pertinax.RetryCallState(None, None, (), {})
    state.custom = "kept"  # type: ignore[attr-defined]
    state.set_result(5)
    again = pickle.loads(pickle.dumps(state))
    assert again.custom == "kept"
    assert again.outcome.result() == 5
    assert again.start_time == state.start_time
    assert again.seconds_since_start == state.seconds_since_start
