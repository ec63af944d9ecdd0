"""One process of a fleet sharing a budget and a breaker through Redis (run by
test_redis_store.py). Waits for the go file, then prints what it saw as JSON."""

from __future__ import annotations

import json
import os
import sys
import time

from pertinax import (
    CircuitBreaker,
    CircuitOpenError,
    RetryBudget,
    RetryError,
    retry,
    stop_after_attempt,
)
from pertinax.integrations.redis import RedisStore


def main() -> None:
    url, prefix, ca, mode, go = sys.argv[1:6]
    store = RedisStore(url, prefix=prefix, ssl_ca_certs=ca or None, timeout=2.0)
    while not os.path.exists(go):
        time.sleep(0.005)
    out: dict[str, object] = {"pid": os.getpid()}
    if mode == "limits":
        budget = RetryBudget("shared", ratio=0, capacity=25, store=store)
        out["paid"] = sum(budget.withdraw() for _ in range(40))
        breaker = CircuitBreaker("shared", window=20, minimum_calls=20, open_for=60, store=store)
        refused = 0
        for _ in range(30):
            try:
                ticket = breaker.acquire()
            except CircuitOpenError:
                refused += 1
                continue
            breaker.record(ticket, "failure")
        out["refused"] = refused
        out["opened"] = breaker.stats()["opened"]
    elif mode == "engine":
        # The same limits through the engine: decorated functions that always fail.
        budget = RetryBudget("engine", ratio=0, capacity=25, store=store)
        breaker = CircuitBreaker("engine", window=20, minimum_calls=20, open_for=60, store=store)
        attempts = {"budget": 0, "breaker": 0}

        @retry(stop=stop_after_attempt(10), budget=budget)
        def spend() -> None:
            attempts["budget"] += 1
            raise OSError("down")

        @retry(stop=stop_after_attempt(3), breaker=breaker)
        def trip() -> None:
            attempts["breaker"] += 1
            raise OSError("down")

        refused = 0
        for _ in range(5):
            try:
                spend()
            except RetryError:
                pass
            try:
                trip()
            except RetryError:
                pass
            except CircuitOpenError:
                refused += 1
        out.update(attempts, refused=refused, opened=breaker.stats()["opened"])
    else:  # trials: the breaker is open and its wait is over
        breaker = CircuitBreaker("trials", open_for=0.2, half_open_calls=3, store=store)
        out["admitted"] = 0
        for _ in range(50):
            try:
                breaker.acquire()  # held: a trial in flight
                out["admitted"] += 1
            except CircuitOpenError:
                pass
            time.sleep(0.002)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
