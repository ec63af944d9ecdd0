"""One process of a fleet holding circuit breakers and retry budgets, publishing its metrics
through Redis (run by the Django dashboard's fleet tests).

Arguments: the store's URL and prefix. Reads commands on stdin, one per line, and answers each
with one JSON line:

- ``breaker NAME OUTCOMES``: one call through the breaker per letter, ``s`` a success and ``f``
  a failure (a call the open breaker refuses is counted by the breaker, and answered);
- ``budget NAME N``: N retries asked of the budget;
- ``publish``: publishes this process's snapshot now.

Names starting with ``shared.`` keep their state in the store; the others in this process.
Breakers open at half failures over a window of 4 (4 calls at least) and stay open a minute;
budgets hold 5 retries and earn none back.
"""

from __future__ import annotations

import json
import os
import sys

from pertinax import CircuitBreaker, CircuitOpenError, RetryBudget
from pertinax.integrations.redis import MetricsPublisher, RedisStore


def main() -> None:
    url, prefix = sys.argv[1:3]
    store = RedisStore(url, prefix=prefix, timeout=2.0)
    publisher = MetricsPublisher(store, every=10.0, expire_after=60.0)
    breakers: dict[str, CircuitBreaker] = {}
    budgets: dict[str, RetryBudget] = {}

    def kept(name: str) -> RedisStore | None:
        return store if name.startswith("shared.") else None

    for line in sys.stdin:
        command, *args = line.split()
        answer: dict[str, object] = {"pid": os.getpid()}
        if command == "breaker":
            name, outcomes = args
            if name not in breakers:
                breakers[name] = CircuitBreaker(
                    name, window=4, minimum_calls=4, open_for=60, store=kept(name)
                )
            breaker, refused = breakers[name], 0
            for outcome in outcomes:
                try:
                    permit = breaker.acquire()
                except CircuitOpenError:
                    refused += 1
                    continue
                breaker.record(permit, "success" if outcome == "s" else "failure")
            answer.update(refused=refused, state=breaker.state)
        elif command == "budget":
            name, n = args[0], int(args[1])
            if name not in budgets:
                budgets[name] = RetryBudget(name, ratio=0, capacity=5, store=kept(name))
            answer["paid"] = sum(bool(budgets[name].withdraw()) for _ in range(n))
        elif command == "publish":
            answer["published"] = publisher.publish()
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
