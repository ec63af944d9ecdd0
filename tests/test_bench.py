"""The benchmark's guards: every contestant passes them, and a broken one cannot.

The benchmark itself is not a timed test; CI runs ``benchmarks/bench.py --quick`` to prove it
still runs. These tests only pin the guards that keep a broken library from looking fast.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterator
from typing import Any

# The benchmark's modules are scripts beside each other, not a package: pyproject's pytest
# `pythonpath` puts benchmarks/ on the path.
import harness
import pytest
import scenarios
from harness import GuardError
from scenarios import Contestant, Scenario


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def _cases() -> list[tuple[Scenario, Contestant]]:
    return [(s, c) for s in scenarios.all_scenarios() for c in s.contestants]


@pytest.mark.parametrize(
    ("scenario", "contestant"), _cases(), ids=[f"{s.key}-{c.name}" for s, c in _cases()]
)
def test_every_contestant_passes_its_guard(
    scenario: Scenario, contestant: Contestant, loop: asyncio.AbstractEventLoop
) -> None:
    harness.guard(scenario, contestant, loop)


def _once(fn: Callable[..., Any], _counter: object) -> dict[str, Any]:
    # Gives up after the first failure: the attempt count of scenario b gives it away.
    @functools.wraps(fn)
    def f(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValueError as e:
            return e.args[0]

    return {"f": f}


def _sleepless(fn: Callable[..., Any], _counter: object) -> dict[str, Any]:
    # Retries, but never calls the (patched) time.sleep.
    @functools.wraps(fn)
    def f(*args: Any, **kwargs: Any) -> Any:
        while True:
            try:
                return fn(*args, **kwargs)
            except ValueError:
                pass

    return {"f": f}


def _cached(fn: Callable[..., Any], _counter: object) -> dict[str, Any]:
    # Calls the function once and replays its result.
    cache: dict[Any, Any] = {}

    def f(x: Any) -> Any:
        if x not in cache:
            cache[x] = fn(x)
        return cache[x]

    return {"f": f}


@pytest.mark.parametrize(
    ("make", "build"),
    [
        (scenarios.scenario_b, _once),
        (scenarios.scenario_b, _sleepless),
        (scenarios.scenario_a, _cached),
    ],
    ids=["no-retry", "no-sleep", "cached"],
)
def test_a_broken_contestant_fails_its_guard(
    make: Callable[[], Scenario], build: scenarios.Build, loop: asyncio.AbstractEventLoop
) -> None:
    scenario = make()
    broken = Contestant("broken", "f(1)", build, sleeps=scenario.contestants[-1].sleeps)
    with pytest.raises(GuardError):
        harness.guard(scenario, broken, loop)


def test_the_timed_flaky_target_is_checked_after_the_rounds(
    loop: asyncio.AbstractEventLoop,
) -> None:
    scenario = scenarios.scenario_b()
    with scenarios.patched_sleep(scenarios.no_sleep):
        t = harness.timed(scenario, scenario.contestants[-1], loop)
        t.measure(3)
        t.check()
        t.calls += 1  # a call whose attempts never happened
        with pytest.raises(GuardError):
            t.check()


def test_runner_runs_the_statement_unrolled(loop: asyncio.AbstractEventLoop) -> None:
    seen: list[int] = []
    run = harness.compile_runner("f(1)", {"f": seen.append}, False, None)
    assert run(3) >= 0
    assert len(seen) == 3 * harness.UNROLL


def test_the_instruction_counter_says_so_and_succeeds_without_valgrind(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import instructions

    monkeypatch.setenv("PATH", str(tmp_path))
    assert instructions.main(["--only", "a"]) == 0
    assert "valgrind is not installed" in capsys.readouterr().out


def test_the_instruction_counters_child_runs_the_timed_statement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import instructions

    ran: list[int] = []
    real = harness.timed

    def counting(*args: Any) -> harness.Timed:
        t = real(*args)
        run = t.run
        t.run = lambda loops: ran.append(loops) or run(loops)  # type: ignore[method-assign]
        return t

    monkeypatch.setattr(harness, "timed", counting)
    instructions.child("e (reused)", "pertinax", 5)
    # The warm-up, then the counted passes.
    assert ran == [3, 5]


def test_the_instruction_counter_refuses_a_loop_count_below_one() -> None:
    import instructions

    with pytest.raises(SystemExit):
        instructions.main(["--loops", "0"])


def test_the_instruction_counter_reads_callgrinds_total(tmp_path: Any) -> None:
    import instructions

    out = tmp_path / "callgrind.out"
    out.write_text("events: Ir\nfl=(1) x.c\nfn=(1) f\n3 10\nsummary: 1234\ntotals: 1234\n")
    assert instructions._TOTALS.findall(out.read_text())[-1] == "1234"
