"""What built-in metrics cost a first-try success: the same decorated function with
metrics on (the default) and off (``metrics=False``), timed in interleaved rounds in one
process.

    python benchmarks/metrics_cost.py            # about 20 s
    python benchmarks/metrics_cost.py --quick    # a few seconds, to prove it runs
"""

from __future__ import annotations

import argparse
import statistics
import timeit

import pertinax
from pertinax import retry, stop_after_attempt, wait_exponential


def identity(x: int) -> int:
    return x


def build(metrics: bool) -> object:
    return retry(
        stop=stop_after_attempt(3),
        wait=wait_exponential(multiplier=1, min=1, max=10),
        metrics=metrics,
    )(identity)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds, only to prove it runs")
    args = parser.parse_args()
    rounds, number = (5, 20_000) if args.quick else (41, 100_000)

    on, off = build(True), build(False)
    assert on(3) == 3 and off(3) == 3  # guards: both return the value
    timers = {
        "metrics on": timeit.Timer("f(1)", globals={"f": on}),
        "metrics off": timeit.Timer("f(1)", globals={"f": off}),
    }
    samples: dict[str, list[float]] = {name: [] for name in timers}
    names = list(timers)
    for i in range(rounds):
        for name in names[i % 2 :] + names[: i % 2]:  # alternate which goes first
            samples[name].append(timers[name].timeit(number) / number * 1e9)
    median = {name: statistics.median(v) for name, v in samples.items()}
    profile = pertinax._pertinax.build_profile
    print(f"pertinax build: {profile}; {rounds} rounds of {number:,} calls each")
    print("| metrics | ns per first-try call |")
    print("|---|---|")
    for name, value in median.items():
        print(f"| {name} | {value:.0f} |")
    print(f"| cost of metrics | {median['metrics on'] - median['metrics off']:+.0f} |")


if __name__ == "__main__":
    main()
