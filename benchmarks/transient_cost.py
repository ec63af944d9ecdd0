"""What ``retry_if_transient()`` costs a first-try success, against
``retry_if_exception_type``: the same decorated function, timed in interleaved rounds in one
process. A predicate written as a ``retry_base`` subclass (evaluated in Python on every
attempt) and the api preset's ``wait_retry_after`` are shown beside them.

    python benchmarks/transient_cost.py            # about 30 s
    python benchmarks/transient_cost.py --quick    # a few seconds, to prove it runs
"""

from __future__ import annotations

import argparse
import statistics
import timeit
import typing

import pertinax
from pertinax import (
    retry,
    retry_base,
    retry_if_exception_type,
    retry_if_transient,
    stop_after_attempt,
    wait_exponential,
    wait_retry_after,
)
from pertinax.transient import is_transient


def identity(x: int) -> int:
    return x


class python_predicate(retry_base):
    """What a hand-written transient predicate costs: Python on every attempt."""

    def __call__(self, retry_state: pertinax.RetryCallState) -> bool:
        outcome = retry_state.outcome
        return bool(outcome and outcome.failed and is_transient(outcome.exception()))


WAIT = wait_exponential(multiplier=2, min=1, max=30)
CONTESTANTS: dict[str, dict[str, typing.Any]] = {
    "retry_if_exception_type": {"retry": retry_if_exception_type((ConnectionError, TimeoutError))},
    "retry_if_transient": {"retry": retry_if_transient()},
    "retry_base subclass": {"retry": python_predicate()},
    "retry_if_transient + wait_retry_after": {
        "retry": retry_if_transient(),
        "wait": wait_retry_after(fallback=WAIT),
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds, only to prove it runs")
    args = parser.parse_args()
    rounds, number = (5, 20_000) if args.quick else (31, 100_000)

    timers = {}
    for name, kwargs in CONTESTANTS.items():
        fn = retry(stop=stop_after_attempt(3), **{"wait": WAIT, **kwargs})(identity)
        assert fn(3) == 3  # guard: it returns the value
        timers[name] = timeit.Timer("f(1)", globals={"f": fn})
    samples: dict[str, list[float]] = {name: [] for name in timers}
    names = list(timers)
    for i in range(rounds):
        shift = i % len(names)  # rotate which goes first
        for name in names[shift:] + names[:shift]:
            samples[name].append(timers[name].timeit(number) / number * 1e9)
    median = {name: statistics.median(v) for name, v in samples.items()}
    base = median["retry_if_exception_type"]
    print(
        f"pertinax build: {pertinax._pertinax.build_profile}; {rounds} rounds of {number:,} calls"
    )
    print("| retry strategy (first-try success) | ns per call | ratio |")
    print("|---|---|---|")
    for name, value in median.items():
        print(f"| {name} | {value:.0f} | {value / base:.2f} |")

    # What a failed attempt pays to be classified: every built-in rule of the libraries
    # this process has loaded is asked until one has an opinion.
    samples_exc = {
        "ConnectionResetError": ConnectionResetError(),
        "FileNotFoundError": FileNotFoundError(2, "missing"),
        "ValueError (no opinion)": ValueError("bad"),
    }
    print()
    print("| is_transient(exc) | ns per call |")
    print("|---|---|")
    for label, exc in samples_exc.items():
        timer = timeit.Timer("f(e)", globals={"f": is_transient, "e": exc})
        best = min(timer.repeat(repeat=max(3, rounds // 5), number=number // 10))
        print(f"| {label} | {best / (number // 10) * 1e9:.0f} |")


if __name__ == "__main__":
    main()
