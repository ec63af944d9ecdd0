"""Pickling: decorated functions by reference, controllers, RetryError (for Celery), and
RetryCallState (which copies and pickles like tenacity's plain object)."""

from __future__ import annotations

import pickle
import time

import pertinax
import pytest
from pertinax import (
    RetryError,
    Retrying,
    retry,
    stop_after_attempt,
    wait_fixed,
)

from tests.support.scripted import no_sleep


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
