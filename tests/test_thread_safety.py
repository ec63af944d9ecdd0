"""Threads and re-entrant calls: one controller shared by many threads keeps each call's
result, attempts and statistics apart."""

from __future__ import annotations

import threading
import time

from pertinax import (
    Retrying,
    retry,
    stop_after_attempt,
)

from tests.support.scripted import no_sleep


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
