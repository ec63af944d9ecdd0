"""One process of a fleet publishing its metrics through Redis (run by test_fleet_metrics.py).

Reads commands on stdin, one per line, and answers each with one JSON line:
``calls OK RETRIED GAVE_UP`` makes that many calls of the operation ``fleet.orders`` (a first
try, one retry then a result, three failed attempts); ``publish`` publishes now; ``start``
starts the periodic publisher; ``fork`` forks a child that makes two more calls and idles."""

from __future__ import annotations

import json
import os
import sys
import time

from pertinax import (
    CircuitBreaker,
    CircuitOpenError,
    RetryBudget,
    retry,
    stop_after_attempt,
    wait_fixed,
)
from pertinax.integrations.redis import MetricsPublisher, RedisStore


def main() -> None:
    url, prefix, every, expire_after = sys.argv[1:5]
    store = RedisStore(url, prefix=prefix, timeout=2.0)
    publisher = MetricsPublisher(store, every=float(every), expire_after=float(expire_after))
    left = {"failures": 0}
    budgets = [
        RetryBudget("fleet.local", ratio=0, capacity=5),
        RetryBudget("fleet.shared", ratio=0, capacity=4, store=store),
    ]
    breakers = [
        CircuitBreaker("fleet.local", window=2, minimum_calls=2, open_for=60),
        CircuitBreaker("fleet.shared", window=4, minimum_calls=4, open_for=60, store=store),
    ]

    @retry(name="fleet.orders", stop=stop_after_attempt(3), wait=wait_fixed(0), reraise=True)
    def order() -> str:
        if left["failures"]:
            left["failures"] -= 1
            raise ConnectionError("orders refused")
        return "ok"

    for line in sys.stdin:
        command, *args = line.split()
        answer: dict[str, object] = {"pid": os.getpid()}
        if command == "calls":
            for failures, n in zip((0, 1, 3), map(int, args), strict=True):
                for _ in range(n):
                    left["failures"] = failures
                    try:
                        order()
                    except ConnectionError:
                        pass
        elif command == "guard":
            for _ in range(int(args[0])):
                for budget in budgets:
                    budget.withdraw()
                for breaker in breakers:
                    try:
                        breaker.record(breaker.acquire(), "failure")
                    except CircuitOpenError:
                        pass
        elif command == "publish":
            answer["published"] = publisher.publish()
        elif command == "start":
            publisher.start()
        elif command == "fork":
            # The child keeps publishing as itself, with the counts it inherited plus its own.
            child = os.fork()
            if child == 0:
                left["failures"] = 0
                order()
                order()
                while True:
                    time.sleep(1)
            answer["child"] = child
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
