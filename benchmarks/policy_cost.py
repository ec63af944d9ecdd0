"""What following a named policy costs a first-try success: a function decorated with
``@retry(policy="bench")`` against the same function under a plain ``@retry`` with the same
arguments, timed in interleaved rounds in one process. The named one is bound to the
registry (it follows later ``configure()`` calls); the registry rewrites its controller when
the policy changes, so a call should pay nothing for it.

    python benchmarks/policy_cost.py            # about 20 s
    python benchmarks/policy_cost.py --quick    # a few seconds, to prove it runs
"""

from __future__ import annotations

import argparse
import statistics
import timeit

import pertinax
from pertinax import Policy, policies, retry, stop_after_attempt, wait_exponential

TARGET = 1.10  # named / plain


def identity(x: int) -> int:
    return x


def build() -> tuple[object, object, object]:
    policy = policies.register(
        Policy(
            "bench",
            stop=stop_after_attempt(3),
            wait=wait_exponential(multiplier=1, min=1, max=10),
            reraise=True,
        )
    )
    named = retry(policy="bench")(identity)
    plain = retry(**policy.kwargs, name="bench")(identity)
    control = retry(**policy.kwargs, name="bench")(identity)
    # Guards: all return the value, and the named one really follows the registry.
    assert named(3) == 3 and plain(3) == 3 and control(3) == 3
    policies.configure({"bench": {"attempts": 4}})
    assert named.retry.stop.max_attempt_number == 4  # type: ignore[attr-defined]
    policies.register(policy)
    assert named.retry.stop.max_attempt_number == 3  # type: ignore[attr-defined]
    return named, plain, control


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds, only to prove it runs")
    args = parser.parse_args()
    rounds, number = (5, 20_000) if args.quick else (41, 100_000)

    named, plain, control = build()
    timers = {
        "@retry(policy=name)": timeit.Timer("f(1)", globals={"f": named}),
        "@retry(**same arguments)": timeit.Timer("f(1)", globals={"f": plain}),
        "@retry(**same arguments), again (control)": timeit.Timer("f(1)", globals={"f": control}),
    }
    samples: dict[str, list[float]] = {name: [] for name in timers}
    names = list(timers)
    for i in range(rounds):
        for name in names[i % 3 :] + names[: i % 3]:  # rotate which goes first
            samples[name].append(timers[name].timeit(number) / number * 1e9)
    median = {name: statistics.median(v) for name, v in samples.items()}
    ratio = median[names[0]] / median[names[1]]
    noise = median[names[2]] / median[names[1]]
    profile = pertinax._pertinax.build_profile
    print(f"pertinax build: {profile}; {rounds} rounds of {number:,} calls each")
    print("| decorated with | ns per first-try call |")
    print("|---|---|")
    for name, value in median.items():
        print(f"| {name} | {value:.0f} |")
    verdict = "PASS" if ratio <= TARGET else "MISS"
    print(f"| named / plain | {ratio:.3f}x (target <= {TARGET:.2f}x: {verdict}) |")
    print(f"| control / plain (the noise) | {noise:.3f}x |")


if __name__ == "__main__":
    main()
