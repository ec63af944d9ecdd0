"""What a retry budget and a circuit breaker cost a call: the same decorated function with
neither, with a budget, with a breaker and with both, timed in interleaved rounds in one
process, reported as ratios against the plain policy.

Two paths: a first-try success (the budget credits a success, the breaker admits the
attempt and records its outcome), and a call that fails once and then succeeds (the budget
also pays for the retry).

    python benchmarks/resilience_cost.py            # about 30 s
    python benchmarks/resilience_cost.py --quick    # a few seconds, to prove it runs
"""

from __future__ import annotations

import argparse
import statistics
import timeit

import pertinax
from pertinax import CircuitBreaker, RetryBudget, retry, stop_after_attempt


def identity(x: int) -> int:
    return x


class FailsEveryOther:
    """Raises on every odd call: each retried call fails once, then succeeds."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, x: int) -> int:
        self.n += 1
        if self.n % 2:
            raise OSError("once")
        return x


def build(fn: object, **guards: object) -> object:
    return retry(stop=stop_after_attempt(3), **guards)(fn)  # type: ignore[call-overload]


def contestants(fn_factory: object) -> dict[str, object]:
    # A budget large enough, and a breaker lenient enough, that neither ever refuses here:
    # what is timed is their bookkeeping, not their decisions.
    def budget() -> RetryBudget:
        return RetryBudget("bench", ratio=1.0, capacity=1e6)

    def breaker() -> CircuitBreaker:
        return CircuitBreaker("bench", failure_rate=1.0, window=1000, minimum_calls=1000)

    make = fn_factory  # type: ignore[assignment]
    return {
        "no budget, no breaker": build(make()),  # type: ignore[operator]
        "budget": build(make(), budget=budget()),  # type: ignore[operator]
        "breaker": build(make(), breaker=breaker()),  # type: ignore[operator]
        "budget + breaker": build(make(), budget=budget(), breaker=breaker()),  # type: ignore[operator]
    }


def measure(functions: dict[str, object], rounds: int, number: int) -> dict[str, float]:
    for f in functions.values():
        assert f(7) == 7  # type: ignore[operator]  # guard: each returns the value
    timers = {name: timeit.Timer("f(1)", globals={"f": f}) for name, f in functions.items()}
    samples: dict[str, list[float]] = {name: [] for name in timers}
    names = list(timers)
    for i in range(rounds):
        order = names[i % len(names) :] + names[: i % len(names)]  # rotate who goes first
        for name in order:
            samples[name].append(timers[name].timeit(number) / number * 1e9)
    return {name: statistics.median(v) for name, v in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds, only to prove it runs")
    args = parser.parse_args()
    rounds, number = (3, 5_000) if args.quick else (21, 50_000)
    profile = pertinax._pertinax.build_profile
    print(f"pertinax build: {profile}; {rounds} rounds of {number:,} calls each")
    for title, factory in (
        ("first-try success", lambda: identity),
        ("one failure, then success", FailsEveryOther),
    ):
        median = measure(contestants(factory), rounds, number)
        base = median["no budget, no breaker"]
        print(f"\n{title}")
        print("| policy | ns per call | ratio |")
        print("|---|---|---|")
        for name, value in median.items():
            print(f"| {name} | {value:.0f} | {value / base:.2f} |")


if __name__ == "__main__":
    main()
