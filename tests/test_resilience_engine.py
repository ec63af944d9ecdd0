"""budget= and breaker= on retry, Retrying and AsyncRetrying: what a call does when the budget
is empty or the breaker is open, what counts as a failure, and what the metrics, the logs and
the RetryCallState say. Sync, iterator, async and threads."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest
from pertinax import (
    AsyncRetrying,
    CircuitBreaker,
    CircuitOpenError,
    RetryBudget,
    RetryError,
    Retrying,
    metrics,
    retry,
    retry_if_exception_type,
    stop_after_attempt,
)


class Flaky:
    """Fails with `error` for the first `failures` calls, then returns "ok"."""

    def __init__(self, failures: int = 10**9, error: type[Exception] = OSError) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error(f"call {self.calls}")
        return "ok"


@pytest.fixture(autouse=True)
def clean_metrics():
    metrics.reset()
    yield
    metrics.reset()


# --- budgets --------------------------------------------------------------------------------


def test_an_empty_budget_gives_up_at_once_with_retry_error() -> None:
    budget = RetryBudget("sync", ratio=0, capacity=2)
    fn = Flaky()
    wrapped = retry(stop=stop_after_attempt(4), budget=budget, name="budget-sync")(fn)
    with pytest.raises(RetryError) as first:
        wrapped()
    # Two retries paid for, the third refused: three attempts instead of four.
    assert first.value.last_attempt.attempt_number == 3
    assert fn.calls == 3
    with pytest.raises(RetryError) as second:
        wrapped()
    assert second.value.last_attempt.attempt_number == 1
    assert fn.calls == 4
    assert wrapped.statistics["stopped_by"] == "budget"
    snap = metrics.snapshot()["budget-sync"]
    assert (snap["gave_up"], snap["budget_exhausted"], snap["attempts"]) == (2, 2, 4)
    assert budget.stats() == {"retries": 2, "exhausted": 2, "successes": 0, "available": 0.0}


def test_an_empty_budget_reraises_the_users_exception_under_reraise() -> None:
    fn = Flaky()
    wrapped = retry(stop=stop_after_attempt(4), reraise=True, budget=RetryBudget("r", capacity=0))(
        fn
    )
    with pytest.raises(OSError, match="call 1"):
        wrapped()
    assert fn.calls == 1


def test_retry_state_says_the_budget_stopped_it() -> None:
    seen = []

    def callback(state):
        seen.append((state.stopped_by, state.attempt_number))
        return "fallback"

    wrapped = retry(
        stop=stop_after_attempt(4),
        budget=RetryBudget("cb", ratio=0, capacity=1),
        retry_error_callback=callback,
    )(Flaky())
    assert wrapped() == "fallback"
    assert seen == [("budget", 2)]


def test_a_stop_that_comes_first_leaves_stopped_by_empty() -> None:
    seen = []
    wrapped = retry(
        stop=stop_after_attempt(2),
        budget=RetryBudget("plenty"),
        retry_error_callback=lambda s: seen.append(s.stopped_by),
    )(Flaky())
    wrapped()
    assert seen == [None]


def test_successes_refill_the_budget_and_the_first_attempt_is_never_throttled() -> None:
    budget = RetryBudget("refill", ratio=0.5, capacity=1)
    wrapped = retry(stop=stop_after_attempt(3), budget=budget)(Flaky(failures=1))
    assert wrapped() == "ok"  # one retry paid, one success credited
    assert budget.available == 0.5
    always = Flaky()
    failing = retry(stop=stop_after_attempt(3), budget=budget)(always)
    for _ in range(5):
        with pytest.raises(RetryError):
            failing()
    assert always.calls == 5  # every first attempt ran; no retry was affordable
    assert budget.stats()["successes"] == 1


def test_the_empty_budget_log_line_comes_once_per_window(caplog) -> None:
    wrapped = retry(stop=stop_after_attempt(3), budget=RetryBudget("logged", capacity=0))(Flaky())
    with caplog.at_level(logging.WARNING, logger="pertinax.budget"):
        for _ in range(20):
            with pytest.raises(RetryError):
                wrapped()
    assert [r.getMessage() for r in caplog.records if r.name == "pertinax.budget"] == [
        "retry budget logged is empty: failures are not retried until successes refill it"
    ]


def test_iterator_and_async_loops_honour_the_budget() -> None:
    budget = RetryBudget("loops", ratio=0, capacity=1)
    attempts = []
    with pytest.raises(RetryError):
        for attempt in Retrying(stop=stop_after_attempt(5), budget=budget):
            with attempt:
                attempts.append(attempt.retry_state.attempt_number)
                raise OSError
    assert attempts == [1, 2]

    async def main() -> int:
        fn = Flaky()

        @retry(stop=stop_after_attempt(5), budget=budget)
        async def call():
            return fn()

        with pytest.raises(RetryError):
            await call()
        async for attempt in AsyncRetrying(stop=stop_after_attempt(5), budget=budget):
            with attempt:
                fn()
        return fn.calls

    with pytest.raises(RetryError):
        asyncio.run(main())
    assert budget.stats()["exhausted"] == 3


def test_threads_share_one_budget_exactly() -> None:
    budget = RetryBudget("threads", ratio=0, capacity=40)
    counters = [Flaky() for _ in range(8)]

    def worker(fn: Flaky) -> None:
        wrapped = retry(stop=stop_after_attempt(4), budget=budget)(fn)
        for _ in range(20):
            with pytest.raises(RetryError):
                wrapped()

    threads = [threading.Thread(target=worker, args=(c,)) for c in counters]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # 160 first attempts and exactly the 40 retries the budget holds.
    assert sum(c.calls for c in counters) == 160 + 40
    assert budget.stats()["retries"] == 40


# --- breakers -------------------------------------------------------------------------------


def test_an_open_breaker_fails_at_once_without_calling_the_function() -> None:
    breaker = CircuitBreaker("fast", window=2, minimum_calls=2, open_for=60)
    fn = Flaky()
    wrapped = retry(stop=stop_after_attempt(5), breaker=breaker, reraise=True, name="fast")(fn)
    with pytest.raises(OSError):
        wrapped()
    # The second failure opened it: the loop stopped retrying there.
    assert fn.calls == 2
    assert wrapped.statistics["stopped_by"] == "breaker"
    with pytest.raises(CircuitOpenError) as info:
        wrapped()
    assert fn.calls == 2
    assert info.value.name == "fast"
    snap = metrics.snapshot()["fast"]
    assert (snap["breaker_stopped"], snap["circuit_open"], snap["calls"]) == (1, 1, 1)


def test_errors_the_policy_does_not_retry_do_not_open_the_breaker() -> None:
    class NotFound(Exception):
        pass

    breaker = CircuitBreaker("404", window=4, minimum_calls=4, open_for=60)
    wrapped = retry(
        stop=stop_after_attempt(3),
        retry=retry_if_exception_type(OSError),
        breaker=breaker,
    )(Flaky(error=NotFound))
    for _ in range(20):
        with pytest.raises(NotFound):
            wrapped()
    assert breaker.state == "closed"
    assert breaker.stats()["failure_rate"] == 0.0


def test_half_open_trials_through_the_decorator_close_it() -> None:
    breaker = CircuitBreaker("heal", window=2, minimum_calls=2, open_for=0.05, half_open_calls=1)
    fn = Flaky(failures=2)
    wrapped = retry(stop=stop_after_attempt(2), breaker=breaker)(fn)
    with pytest.raises(RetryError):
        wrapped()
    assert breaker.state == "open"
    time.sleep(0.06)
    assert wrapped() == "ok"  # the trial call
    assert breaker.state == "closed"


def test_interrupts_give_the_trial_slot_back() -> None:
    breaker = CircuitBreaker("cancel", window=1, minimum_calls=1, open_for=0.02, half_open_calls=1)
    breaker.trip()
    time.sleep(0.03)

    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        retry(breaker=breaker)(interrupted)()
    assert breaker.state == "half_open"
    assert retry(breaker=breaker)(lambda: "ok")() == "ok"
    assert breaker.state == "closed"


def test_async_and_iterator_loops_use_the_breaker() -> None:
    breaker = CircuitBreaker("aio", window=2, minimum_calls=2, open_for=60)
    fn = Flaky()

    @retry(stop=stop_after_attempt(5), breaker=breaker)
    async def call():
        return fn()

    async def main() -> None:
        with pytest.raises(RetryError):
            await call()
        with pytest.raises(CircuitOpenError):
            await call()
        with pytest.raises(CircuitOpenError):
            async for attempt in AsyncRetrying(breaker=breaker):
                with attempt:
                    fn()

    asyncio.run(main())
    assert fn.calls == 2
    with pytest.raises(CircuitOpenError):
        for attempt in Retrying(breaker=breaker):
            with attempt:
                fn()
    assert fn.calls == 2


def test_threads_open_the_breaker_once() -> None:
    breaker = CircuitBreaker("threads", window=10, minimum_calls=10, open_for=60)
    refused = []

    def worker() -> None:
        wrapped = retry(stop=stop_after_attempt(2), breaker=breaker)(Flaky())
        for _ in range(20):
            try:
                wrapped()
            except CircuitOpenError:
                refused.append(1)
            except RetryError:
                pass

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert breaker.stats()["opened"] == 1
    assert len(refused) > 100


def test_budget_and_breaker_together() -> None:
    budget = RetryBudget("both", ratio=0, capacity=1)
    breaker = CircuitBreaker("both", window=3, minimum_calls=3, open_for=60)
    fn = Flaky()
    wrapped = retry(stop=stop_after_attempt(10), budget=budget, breaker=breaker)(fn)
    with pytest.raises(RetryError):
        wrapped()  # attempt 1 fails, retry paid, attempt 2 fails, budget empty
    assert fn.calls == 2
    with pytest.raises(RetryError):
        wrapped()  # the third failure opens the breaker, which ends the loop first
    assert wrapped.statistics["stopped_by"] == "breaker"
    assert budget.stats()["exhausted"] == 1


# --- configuration --------------------------------------------------------------------------


def test_wrong_types_are_named() -> None:
    with pytest.raises(TypeError, match="budget must be a pertinax.RetryBudget or None, got 5"):
        Retrying(budget=5)
    with pytest.raises(TypeError, match="breaker must be a pertinax.CircuitBreaker or None"):
        retry(breaker=RetryBudget("x"))(lambda: 1)
    with pytest.raises(TypeError, match="budget must be a pertinax.RetryBudget or None"):
        Retrying().copy(budget="b")


def test_copy_and_retry_with_keep_them() -> None:
    budget, breaker = RetryBudget("copied"), CircuitBreaker("copied")
    r = Retrying(budget=budget, breaker=breaker)
    assert r.copy().budget is budget
    assert r.copy().breaker is breaker
    assert r.copy(budget=None).budget is None
    wrapped = retry(budget=budget)(lambda: 1)
    assert wrapped.retry_with(stop=stop_after_attempt(2)).retry.budget is budget


def test_without_budget_or_breaker_nothing_changes() -> None:
    wrapped = retry(name="plain")(lambda: 1)
    assert wrapped() == 1
    assert wrapped.retry.budget is None and wrapped.retry.breaker is None
    assert "stopped_by" not in wrapped.statistics
    assert metrics.snapshot()["plain"]["first_try"] == 1


# --- Policy and pickling --------------------------------------------------------------------


def test_a_policy_carries_a_shared_budget_and_breaker() -> None:
    import pickle

    from pertinax import Policy

    budget = RetryBudget("payments", ratio=0, capacity=1)
    breaker = CircuitBreaker("payments", window=5, minimum_calls=5, open_for=60)
    policy = Policy("payments", stop=stop_after_attempt(4), budget=budget, breaker=breaker)
    assert policy.kwargs["budget"] is budget
    assert "budget=RetryBudget('payments', ratio=0.0, capacity=1.0" in repr(policy)
    one, two = Flaky(), Flaky()
    first, second = policy(one), policy(two)
    with pytest.raises(RetryError):
        first()
    with pytest.raises(RetryError):
        second()
    # One budget for both functions: one retry in all.
    assert one.calls + two.calls == 3
    assert policy.retrying().breaker is breaker
    assert policy.replace(budget=None).kwargs["budget"] is None
    with pytest.raises(TypeError, match="argument 'breaker' must be a pertinax.CircuitBreaker"):
        Policy("bad", breaker="open")
    # Pickling keeps the configuration; the copy is a fresh budget and breaker.
    copy = pickle.loads(pickle.dumps(policy))
    assert repr(copy.kwargs["budget"]) == repr(budget)
    assert copy.kwargs["budget"].available == 1.0
    assert repr(copy.kwargs["breaker"]) == repr(breaker)
    assert copy.kwargs["breaker"].state == "closed"


def test_a_return_inside_with_attempt_counts_as_a_success() -> None:
    budget = RetryBudget("early-return", ratio=0.5, capacity=1)
    breaker = CircuitBreaker("early-return", window=4, minimum_calls=4, open_for=60)
    fails = Flaky(failures=1)

    def fetch(fn) -> str:
        for attempt in Retrying(stop=stop_after_attempt(3), budget=budget, breaker=breaker):
            with attempt:
                return fn()
        raise AssertionError("unreachable")

    async def afetch() -> str:
        async for attempt in AsyncRetrying(budget=budget, breaker=breaker):
            with attempt:
                return "ok"
        raise AssertionError("unreachable")

    assert fetch(fails) == "ok"  # one failure, then a success returned from the loop
    for _ in range(6):
        assert fetch(lambda: "ok") == "ok"
        assert asyncio.run(afetch()) == "ok"
    # A left async loop is a reference cycle (the controller remembers its latest loop): the
    # budget and the breaker hear about it when the cycle is collected.
    import gc

    gc.collect()
    # 13 successes and 1 failure in the breaker's window of 4: it stays closed.
    assert breaker.state == "closed"
    assert breaker.stats()["failure_rate"] == 0.0
    assert budget.stats()["successes"] == 13
