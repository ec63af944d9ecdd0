"""RetryBudget and CircuitBreaker as Python objects: arguments, reprs, state changes, logs,
metrics and the Prometheus gauge, from one thread, many threads and asyncio tasks."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest
from pertinax import CircuitBreaker, CircuitOpenError, RetryBudget, metrics


def fail(breaker: CircuitBreaker, n: int = 1) -> None:
    for _ in range(n):
        breaker.record(breaker.acquire(), "failure")


def succeed(breaker: CircuitBreaker, n: int = 1) -> None:
    for _ in range(n):
        breaker.record(breaker.acquire(), "success")


# --- arguments and reprs ------------------------------------------------------------------


def test_budget_defaults_and_repr() -> None:
    b = RetryBudget("payments")
    assert (b.name, b.ratio, b.capacity, b.min_per_second, b.log_every) == (
        "payments",
        0.2,
        10.0,
        0.0,
        60.0,
    )
    assert repr(b) == "RetryBudget('payments', ratio=0.2, capacity=10.0, min_per_second=0.0)"
    custom = RetryBudget("it's", ratio=1, capacity=3, min_per_second=0.5, log_every=5)
    assert repr(custom) == (
        'RetryBudget("it\'s", ratio=1.0, capacity=3.0, min_per_second=0.5, log_every=5.0)'
    )
    assert type(b).__module__ == "pertinax"


def test_breaker_defaults_and_repr() -> None:
    c = CircuitBreaker("db")
    assert repr(c) == (
        "CircuitBreaker('db', failure_rate=0.5, window=100, minimum_calls=10, "
        "open_for=30.0, half_open_calls=3)"
    )
    assert c.state == "closed"
    assert type(c).__module__ == "pertinax"
    assert CircuitOpenError.__module__ == "pertinax"
    assert issubclass(CircuitOpenError, Exception)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"ratio": -0.5},
            ValueError,
            "RetryBudget: ratio must be a number from 0 to 1000, got -0.5",
        ),
        ({"ratio": "x"}, TypeError, "RetryBudget: ratio must be a number, got 'x'"),
        ({"capacity": True}, TypeError, "RetryBudget: capacity must be a number, got True"),
        (
            {"capacity": float("inf")},
            ValueError,
            "capacity must be a number from 0 to 1e9, got inf",
        ),
        ({"min_per_second": -1}, ValueError, "min_per_second must be a number from 0 to 1e6"),
        ({"log_every": -1}, ValueError, "log_every must be a number of seconds >= 0, got -1.0"),
    ],
)
def test_budget_rejects_bad_arguments(kwargs, error, message) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        RetryBudget("b", **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"failure_rate": 0},
            ValueError,
            "failure_rate must be a number above 0 and at most 1, got 0.0",
        ),
        ({"failure_rate": 1.5}, ValueError, "failure_rate must be .* got 1.5"),
        ({"window": 0}, ValueError, "window must be an integer from 1 to 1000000, got 0"),
        ({"window": 2.5}, TypeError, "window must be an integer, got 2.5"),
        ({"minimum_calls": -3}, ValueError, "minimum_calls must be an integer .* got -3"),
        ({"half_open_calls": 0}, ValueError, "half_open_calls must be .* got 0"),
        ({"open_for": -1}, ValueError, "open_for must be a number of seconds >= 0, got -1.0"),
        ({"open_for": "soon"}, TypeError, "open_for must be a number, got 'soon'"),
    ],
)
def test_breaker_rejects_bad_arguments(kwargs, error, message) -> None:
    with pytest.raises(error, match=f"CircuitBreaker: {message}"):
        CircuitBreaker("c", **kwargs)


@pytest.mark.parametrize("cls", [RetryBudget, CircuitBreaker])
def test_name_is_required_and_options_are_keyword_only(cls) -> None:
    with pytest.raises(TypeError, match="name must be a non-empty string, got ''"):
        cls("")
    with pytest.raises(TypeError, match="name must be a non-empty string, got 3"):
        cls(3)
    with pytest.raises(TypeError):
        cls("x", 0.5)


@pytest.mark.parametrize("cls", [RetryBudget, CircuitBreaker])
def test_objects_are_frozen(cls) -> None:
    obj = cls("f")
    with pytest.raises(AttributeError):
        obj.name = "other"
    with pytest.raises((AttributeError, TypeError)):
        obj.anything = 1


# --- the budget -----------------------------------------------------------------------------


def test_budget_pays_capacity_then_refuses_until_successes_refill_it() -> None:
    b = RetryBudget("refill", ratio=0.5, capacity=2)
    assert [b.withdraw() for _ in range(3)] == [True, True, False]
    b.deposit()
    assert not b.withdraw()
    b.deposit()
    assert b.withdraw()
    assert b.stats() == {"retries": 3, "exhausted": 2, "successes": 2, "available": 0.0}
    b.reset()
    assert b.stats() == {"retries": 0, "exhausted": 0, "successes": 0, "available": 2.0}


def test_empty_budget_logs_once_per_window(caplog) -> None:
    b = RetryBudget("quiet", capacity=0, log_every=3600)
    with caplog.at_level(logging.DEBUG, logger="pertinax.budget"):
        for _ in range(50):
            assert not b.withdraw()
    lines = [r for r in caplog.records if r.name == "pertinax.budget"]
    assert len(lines) == 1
    assert lines[0].levelno == logging.WARNING
    assert "retry budget quiet is empty" in lines[0].getMessage()


def test_threads_never_overdraw_a_budget() -> None:
    b = RetryBudget("threads", ratio=0, capacity=500)
    got = []

    def worker() -> None:
        got.append(sum(b.withdraw() for _ in range(200)))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(got) == 500
    assert b.stats()["exhausted"] == 8 * 200 - 500


# --- the breaker ----------------------------------------------------------------------------


def test_breaker_opens_fails_fast_and_closes_after_good_trials(caplog) -> None:
    c = CircuitBreaker("svc", window=4, minimum_calls=4, open_for=0.05, half_open_calls=2)
    with caplog.at_level(logging.INFO, logger="pertinax.breaker"):
        fail(c, 3)
        assert c.state == "closed"
        succeed(c)  # 3 of 4: opens
        assert c.state == "open"
        with pytest.raises(CircuitOpenError) as info:
            c.acquire()
        assert info.value.name == "svc"
        assert 0 < info.value.remaining <= 0.05
        assert "circuit breaker svc is open" in str(info.value)
        time.sleep(0.06)
        first, second = c.acquire(), c.acquire()
        assert c.state == "half_open"
        with pytest.raises(CircuitOpenError, match="half-open"):
            c.acquire()
        c.record(first, "success")
        c.record(second, "success")
    assert c.state == "closed"
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "pertinax.breaker"]
    assert lines == [
        ("WARNING", "circuit breaker svc: closed -> open"),
        ("INFO", "circuit breaker svc: open -> half_open"),
        ("INFO", "circuit breaker svc: half_open -> closed"),
    ]
    stats = c.stats()
    assert (stats["opened"], stats["half_opened"], stats["closed"], stats["rejected"]) == (
        1,
        1,
        1,
        2,
    )


def test_a_failed_trial_reopens() -> None:
    c = CircuitBreaker("reopen", window=2, minimum_calls=2, open_for=0.02, half_open_calls=1)
    fail(c, 2)
    time.sleep(0.03)
    fail(c)
    assert c.state == "open"
    assert c.stats()["opened"] == 2


def test_ignored_outcomes_neither_open_nor_close() -> None:
    c = CircuitBreaker("ignored", window=2, minimum_calls=2, open_for=0.02, half_open_calls=1)
    for _ in range(20):
        c.record(c.acquire(), "ignored")
    assert c.state == "closed"
    fail(c, 2)
    time.sleep(0.03)
    c.record(c.acquire(), "ignored")  # gives the single trial slot back
    assert c.state == "half_open"
    succeed(c)
    assert c.state == "closed"
    with pytest.raises(
        ValueError, match="outcome must be 'success', 'failure' or 'ignored', got 'meh'"
    ):
        c.record(c.acquire(), "meh")


def test_trip_and_reset() -> None:
    c = CircuitBreaker("manual", open_for=60)
    c.trip()
    assert c.state == "open"
    with pytest.raises(CircuitOpenError):
        c.acquire()
    c.reset()
    assert c.state == "closed"
    succeed(c)


def test_threads_open_it_exactly_once_and_share_few_trials() -> None:
    c = CircuitBreaker("threads", window=20, minimum_calls=20, open_for=0.05, half_open_calls=3)
    opened_errors = []

    def hammer() -> None:
        for _ in range(200):
            try:
                ticket = c.acquire()
            except CircuitOpenError:
                opened_errors.append(1)
                continue
            c.record(ticket, "failure")

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.stats()["opened"] == 1
    assert len(opened_errors) == 8 * 200 - 20
    time.sleep(0.06)
    admitted = []

    def trial() -> None:
        try:
            admitted.append(c.acquire())
        except CircuitOpenError:
            pass

    threads = [threading.Thread(target=trial) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(admitted) == 3


def test_asyncio_tasks_share_one_breaker() -> None:
    c = CircuitBreaker("tasks", window=10, minimum_calls=10, open_for=60)
    refused = 0

    async def client() -> None:
        nonlocal refused
        for _ in range(10):
            try:
                ticket = c.acquire()
            except CircuitOpenError:
                refused += 1
                continue
            await asyncio.sleep(0)
            c.record(ticket, "failure")

    async def main() -> None:
        await asyncio.gather(*(client() for _ in range(5)))

    asyncio.run(main())
    # Every task holds its ticket across an await: 5 in flight when the tenth failure
    # lands, so the outcomes of calls admitted while closed still count until it opens.
    assert c.state == "open"
    assert c.stats()["opened"] == 1
    assert refused >= 50 - 14


# --- metrics and Prometheus ---------------------------------------------------------------


def test_metrics_list_live_breakers_and_budgets() -> None:
    c = CircuitBreaker("listed", window=1, minimum_calls=1, open_for=60)
    b = RetryBudget("listed-budget", capacity=1)
    fail(c)
    b.withdraw()
    b.withdraw()
    assert metrics.breakers()["listed"]["state"] == "open"
    assert metrics.breakers()["listed"]["opened"] == 1
    assert metrics.budgets()["listed-budget"] == {
        "retries": 1,
        "exhausted": 1,
        "successes": 0,
        "available": 0.0,
    }
    del c, b
    import gc

    gc.collect()
    assert "listed" not in metrics.breakers()
    assert "listed-budget" not in metrics.budgets()


def test_prometheus_exports_the_state_as_a_gauge() -> None:
    prometheus_client = pytest.importorskip("prometheus_client")
    from pertinax.integrations.prometheus import register
    from prometheus_client.parser import text_string_to_metric_families

    registry = prometheus_client.CollectorRegistry()
    register(registry)
    c = CircuitBreaker("gauge", window=1, minimum_calls=1, open_for=60)
    b = RetryBudget("gauge-budget", capacity=1)
    b.withdraw()

    def read() -> dict:
        text = prometheus_client.generate_latest(registry).decode()
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text)
            for s in f.samples
        }

    def state(s: dict, name: str) -> float:
        return s[("pertinax_circuit_breaker_state", (("breaker", "gauge"), ("state", name)))]

    s = read()
    assert (state(s, "closed"), state(s, "open"), state(s, "half_open")) == (1.0, 0.0, 0.0)
    fail(c)
    with pytest.raises(CircuitOpenError):
        c.acquire()
    s = read()
    assert (state(s, "closed"), state(s, "open")) == (0.0, 1.0)
    key = (("breaker", "gauge"), ("to", "open"))
    assert s[("pertinax_circuit_breaker_transitions_total", key)] == 1.0
    assert s[("pertinax_circuit_breaker_rejected_total", (("breaker", "gauge"),))] == 1.0
    assert s[("pertinax_retry_budget_available", (("budget", "gauge-budget"),))] == 0.0
    assert s[("pertinax_retry_budget_retries_total", (("budget", "gauge-budget"),))] == 1.0


@pytest.mark.parametrize("cls", [RetryBudget, CircuitBreaker])
def test_a_store_that_refers_back_is_collected(cls) -> None:
    import gc
    import weakref

    class Store:
        def budget_withdraw(self, budget: object) -> None:
            return None

        budget_deposit = breaker_acquire = breaker_record = budget_withdraw

    store = Store()
    obj = cls("gc", store=store)
    store.owner = obj
    assert obj.store is store
    ref = weakref.ref(store)
    del store, obj
    gc.collect()
    assert ref() is None


def test_a_broken_store_never_loses_the_call(monkeypatch) -> None:
    import sys

    from pertinax import retry, stop_after_attempt

    reported = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: reported.append(type(u.exc_value)))

    class Broken:
        def budget_withdraw(self, budget):
            raise RuntimeError("store bug")

        def budget_deposit(self, budget, successes):
            raise RuntimeError("store bug")

        def breaker_acquire(self, breaker):
            return "not a tuple"

        def breaker_record(self, breaker, trial, outcome):
            raise RuntimeError("store bug")

    store = Broken()
    budget = RetryBudget("broken", ratio=1, capacity=1, store=store)
    breaker = CircuitBreaker("broken", store=store)
    calls = []

    @retry(stop=stop_after_attempt(3), budget=budget, breaker=breaker)
    def flaky() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("once")
        return "ok"

    assert flaky() == "ok"  # the local budget and breaker decided
    assert budget.stats()["retries"] == 1
    # Each store failure was reported, none raised into the call.
    assert TypeError in reported and RuntimeError in reported
    assert breaker.state == "closed"
