"""One process of a fleet sharing breakers and budgets through Redis, driven line by line (run
by test_redis_switches.py). Each command on stdin is answered with one JSON line:

Arguments: URL, key prefix, CA file (or ""), 1 to fail open, "cluster" for Redis Cluster.

``call NAME``      calls a function guarded by breaker NAME (it succeeds): did it run?
``acquire NAME``   breaker NAME's admission, recorded as a success when allowed
``trip NAME`` / ``reset NAME``          the operator's switches on breaker NAME
``withdraw NAME`` / ``budget-reset NAME``   the same for budget NAME
Breakers open after 4 failures in a window of 4, for 60 seconds; budgets hold 3 retries."""

from __future__ import annotations

import json
import os
import sys

from pertinax import CircuitBreaker, CircuitOpenError, RetryBudget, retry, stop_after_attempt
from pertinax.integrations.redis import RedisStore


def call(breaker: CircuitBreaker) -> dict[str, object]:
    """Calls a function guarded by ``breaker`` that succeeds: did it run?"""
    ran = []

    @retry(stop=stop_after_attempt(2), breaker=breaker)
    def guarded() -> str:
        ran.append(1)
        return "ok"

    out: dict[str, object] = {}
    try:
        guarded()
    except CircuitOpenError as e:
        out["remaining"] = e.remaining
    out["ran"] = bool(ran)
    return out


def main() -> None:
    url, prefix, ca, fail_open, cluster = sys.argv[1:6]
    store = RedisStore(
        url,
        prefix=prefix,
        ssl_ca_certs=ca or None,
        timeout=1.0,
        fail_open=fail_open == "1",
        reconnect_after=0.2,
        cluster=cluster == "cluster",
    )
    breakers: dict[str, CircuitBreaker] = {}
    budgets: dict[str, RetryBudget] = {}

    def breaker(name: str) -> CircuitBreaker:
        if name not in breakers:
            breakers[name] = CircuitBreaker(
                name, window=4, minimum_calls=4, open_for=60, store=store
            )
        return breakers[name]

    def budget(name: str) -> RetryBudget:
        if name not in budgets:
            budgets[name] = RetryBudget(name, ratio=0, capacity=3, store=store)
        return budgets[name]

    for line in sys.stdin:
        command, name = line.split()
        answer: dict[str, object] = {"pid": os.getpid()}
        if command == "call":
            answer.update(call(breaker(name)))
        elif command == "acquire":
            try:
                ticket = breaker(name).acquire()
            except CircuitOpenError as e:
                answer.update(allowed=False, remaining=e.remaining)
            else:
                breaker(name).record(ticket, "success")
                answer["allowed"] = True
        elif command == "trip":
            breaker(name).trip()
        elif command == "reset":
            breaker(name).reset()
        elif command == "withdraw":
            answer["paid"] = budget(name).withdraw()
        elif command == "budget-reset":
            budget(name).reset()
        if name in breakers:
            answer["state"] = breakers[name].state
            answer["stats"] = breakers[name].stats()
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
