"""Running a contestant: the timed runner, the guard that proves it did the work, and the
bookkeeping that re-checks a flaky target after the rounds."""

from __future__ import annotations

import asyncio
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scenarios import (
    Contestant,
    Counter,
    Scenario,
    async_counting,
    async_identity,
    counting,
    flaky,
    identity,
    patched_sleep,
)

# Statements per pass of the timed loop: the loop's own cost is spread over ten calls.
UNROLL = 10


class GuardError(AssertionError):
    """A contestant did not do the work its scenario asks for."""


def compile_runner(
    stmt: str,
    names: dict[str, Any],
    is_async: bool,
    loop: asyncio.AbstractEventLoop | None,
) -> Callable[[int], int]:
    """``run(loops)``: runs ``stmt`` ``loops * UNROLL`` times and returns the nanoseconds it
    took. The names are bound as default arguments, so the loop reads locals, as timeit's
    template does. An async runner awaits inside one coroutine, so the event loop's own cost
    per task is outside the timing."""
    params = "".join(f", {name}={name}" for name in names)
    body = textwrap.indent("\n".join([stmt] * UNROLL), " " * 8)
    src = (
        f"{'async ' if is_async else ''}def run(loops{params}, _now=_now):\n"
        "    t0 = _now()\n"
        "    for _ in range(loops):\n"
        f"{body}\n"
        "    return _now() - t0\n"
    )
    namespace = dict(names, _now=time.perf_counter_ns)
    exec(compile(src, f"<runner {stmt.splitlines()[0]!r}>", "exec"), namespace)
    run: Callable[[int], Any] = namespace["run"]
    if not is_async:
        return run
    if loop is None:
        raise ValueError("an async runner needs an event loop")
    return lambda loops: loop.run_until_complete(run(loops))


def _call_once(f: Callable[..., Any], x: Any, loop: asyncio.AbstractEventLoop | None) -> Any:
    result = f(x)
    if loop is not None:
        result = loop.run_until_complete(result)
    return result


def guard(
    scenario: Scenario, contestant: Contestant, loop: asyncio.AbstractEventLoop | None
) -> None:
    """Runs the contestant's statement around a counting function, under a counting
    ``time.sleep``, and checks results, attempts, sleeps, hook calls and statistics."""
    counter = Counter()
    if scenario.is_async:
        fn = async_counting(counter)
    elif scenario.flaky:
        fn = counting(counter, flaky()[0])
    else:
        fn = counting(counter, identity)
    names = contestant.build(fn, counter)
    where = f"scenario {scenario.key}, {contestant.name}"
    calls = 0
    with patched_sleep(counter.sleep):
        f = names.get("f")
        if f is not None and "controller" not in names and "Retrying" not in names:
            result = _call_once(f, 7, loop if scenario.is_async else None)
            if result != 7:
                raise GuardError(f"{where}: f(7) returned {result!r}")
            calls += 1
            stats = getattr(f, "statistics", None)
            if stats is not None and stats.get("attempt_number") != scenario.attempts:
                raise GuardError(f"{where}: statistics {stats!r}")
        run = compile_runner(contestant.stmt, names, scenario.is_async, loop)
        run(2)
        calls += 2 * UNROLL
    expected = {
        "attempts": calls * scenario.attempts,
        "sleeps": calls * contestant.sleeps,
    }
    found = {"attempts": counter.attempts, "sleeps": counter.sleeps}
    if scenario.hooks_checked:
        for hook, n in counter.hooks.items():
            expected[hook] = calls * contestant.hooks
            found[hook] = n
    if found != expected:
        raise GuardError(f"{where}: expected {expected}, found {found}")


@dataclass
class Timed:
    """A contestant ready for the rounds: its runner, and what it has run so far."""

    scenario: Scenario
    contestant: Contestant
    run: Callable[[int], int]
    attempts: Callable[[], int] | None
    calls: int = 0

    def measure(self, loops: int) -> float:
        """Nanoseconds per call over ``loops * UNROLL`` calls."""
        ns = self.run(loops)
        self.calls += loops * UNROLL
        return ns / (loops * UNROLL)

    def check(self) -> None:
        """After the rounds: every call of a flaky target made all its attempts."""
        if self.attempts is None:
            return
        expected = self.calls * self.scenario.attempts
        if self.attempts() != expected:
            raise GuardError(
                f"scenario {self.scenario.key}, {self.contestant.name}: "
                f"{self.attempts()} attempts over {self.calls} calls, expected {expected}"
            )


def timed(scenario: Scenario, contestant: Contestant, loop: asyncio.AbstractEventLoop) -> Timed:
    """The contestant around the cheapest target: ``identity`` (or a flaky function whose
    only extra work is its attempt counter), with no-op hooks."""
    attempts = None
    if scenario.is_async:
        fn: Callable[..., Any] = async_identity
    elif scenario.flaky:
        fn, attempts = flaky()
    else:
        fn = identity
    run = compile_runner(contestant.stmt, contestant.build(fn, None), scenario.is_async, loop)
    return Timed(scenario, contestant, run, attempts)
