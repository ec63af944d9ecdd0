"""The timed scenarios (a to e): each contestant and the statement it times.

A contestant is a statement (``f(1)``, ``await f(1)`` or the iterator form) and the names it
uses, built around the user's function. The same statement runs in the guard, around a
function that counts its attempts, and in the timed runner, around the cheapest function
possible, so a library that skips work fails the guard instead of looking fast.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pertinax
import tenacity

# Scenarios b and c: four failures, then success.
FAILURES = 4
LIBRARIES = {"tenacity": tenacity, "pertinax": pertinax}


def no_sleep(_seconds: float) -> None:
    """The ``time.sleep`` every contestant sees while the benchmark runs: a no-op."""


def no_hook(_retry_state: object) -> None:
    """Scenario c's ``before_sleep`` and ``after``: a Python no-op."""


@contextlib.contextmanager
def patched_sleep(replacement: Callable[[float], None]) -> Iterator[None]:
    """Replaces ``time.sleep`` itself: both libraries look it up at call time."""
    original = time.sleep
    time.sleep = replacement
    try:
        yield
    finally:
        time.sleep = original


class Counter:
    """Counts attempts, sleeps and hook calls during a guard."""

    def __init__(self) -> None:
        self.attempts = 0
        self.sleeps = 0
        self.hooks: dict[str, int] = {"after": 0, "before_sleep": 0}

    def sleep(self, _seconds: float) -> None:
        self.sleeps += 1

    def hook(self, name: str) -> Callable[[object], None]:
        def hook(_retry_state: object) -> None:
            self.hooks[name] += 1

        return hook


def identity(x: Any) -> Any:
    return x


async def async_identity(x: Any) -> Any:
    return x


def flaky(failures: int = FAILURES) -> tuple[Callable[[Any], Any], Callable[[], int]]:
    """A function that fails ``failures`` times, then succeeds, over and over, and a getter
    for its attempt count."""
    attempts = 0

    def f(x: Any) -> Any:
        nonlocal attempts
        attempts += 1
        if attempts % (failures + 1):
            raise ValueError(x)
        return x

    return f, lambda: attempts


def counting(counter: Counter, fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def f(x: Any) -> Any:
        counter.attempts += 1
        return fn(x)

    return f


def async_counting(counter: Counter) -> Callable[[Any], Any]:
    async def f(x: Any) -> Any:
        counter.attempts += 1
        return x

    return f


# --- the floors ------------------------------------------------------------------------------
def wraps_passthrough(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The practical floor: a plain ``functools.wraps`` pass-through."""

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    return wrapped


def async_passthrough(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Scenario d's floor: ``async def w(*a, **k): return await f(*a, **k)``."""

    @functools.wraps(fn)
    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        return await fn(*args, **kwargs)

    return wrapped


def hand_retry(
    fn: Callable[..., Any],
    attempts: int,
    retry_on: type[BaseException] = Exception,
    wait: Callable[[int], float] = lambda _attempt: 0,
    after: Callable[[object], None] | None = None,
    before_sleep: Callable[[object], None] | None = None,
) -> Callable[..., Any]:
    """The floor for retrying: a try/except loop written by hand. Like both libraries, it
    sleeps between attempts through ``time.sleep``, looked up at call time."""

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        attempt = 1
        while True:
            try:
                return fn(*args, **kwargs)
            except retry_on:
                if after is not None:
                    after(None)
                if attempt >= attempts:
                    raise
            if before_sleep is not None:
                before_sleep(None)
            time.sleep(wait(attempt))
            attempt += 1

    return wrapped


def _expo(attempt: int) -> float:
    # wait_exponential(multiplier=1, min=1, max=10)
    return float(min(max(2 ** (attempt - 1), 1), 10))


# --- scenarios -------------------------------------------------------------------------------
Build = Callable[[Callable[..., Any], Counter | None], dict[str, Any]]


@dataclass
class Contestant:
    name: str
    stmt: str
    build: Build
    # Sleeps per call (b, c) and hook calls per call (c) the guard expects.
    sleeps: int = 0
    hooks: int = 0


@dataclass
class Scenario:
    key: str
    title: str
    attempts: int  # attempts per call
    is_async: bool
    contestants: list[Contestant]
    hooks_checked: bool = False
    # Timed targets whose attempts can be counted (b, c) are re-checked after the rounds.
    flaky: bool = False


def _hooks(counter: Counter | None) -> dict[str, Callable[[object], None]]:
    if counter is None:
        return {"after": no_hook, "before_sleep": no_hook}
    return {"after": counter.hook("after"), "before_sleep": counter.hook("before_sleep")}


def _fn(f: Callable[..., Any]) -> Build:
    return lambda fn, _counter: {"f": f(fn)}


def scenario_a() -> Scenario:
    def lib(m: Any) -> Build:
        deco = m.retry(
            stop=m.stop_after_attempt(3), wait=m.wait_exponential(multiplier=1, min=1, max=10)
        )
        return _fn(deco)

    return Scenario(
        "a",
        "first-try success, stop_after_attempt(3), wait_exponential(1, 1, 10)",
        attempts=1,
        is_async=False,
        contestants=[
            Contestant("bare", "f(1)", _fn(lambda fn: fn)),
            Contestant("wraps", "f(1)", _fn(wraps_passthrough)),
            Contestant("hand loop", "f(1)", _fn(lambda fn: hand_retry(fn, 3, wait=_expo))),
            *(Contestant(name, "f(1)", lib(m)) for name, m in LIBRARIES.items()),
        ],
    )


def scenario_b() -> Scenario:
    def lib(m: Any) -> Build:
        return _fn(m.retry(stop=m.stop_after_attempt(10)))

    return Scenario(
        "b",
        "4 failures then success, stop_after_attempt(10), zero wait",
        attempts=FAILURES + 1,
        is_async=False,
        flaky=True,
        contestants=[
            Contestant("hand loop", "f(1)", _fn(lambda fn: hand_retry(fn, 10)), FAILURES),
            *(Contestant(name, "f(1)", lib(m), FAILURES) for name, m in LIBRARIES.items()),
        ],
    )


def scenario_c() -> Scenario:
    def hand(fn: Callable[..., Any], counter: Counter | None) -> dict[str, Any]:
        return {"f": hand_retry(fn, 10, retry_on=ValueError, **_hooks(counter))}

    def lib(m: Any) -> Build:
        def build(fn: Callable[..., Any], counter: Counter | None) -> dict[str, Any]:
            deco = m.retry(
                stop=m.stop_after_attempt(10),
                retry=m.retry_if_exception_type(ValueError),
                **_hooks(counter),
            )
            return {"f": deco(fn)}

        return build

    return Scenario(
        "c",
        "as b, plus retry_if_exception_type(ValueError), before_sleep and after no-ops",
        attempts=FAILURES + 1,
        is_async=False,
        flaky=True,
        hooks_checked=True,
        contestants=[
            Contestant("hand loop", "f(1)", hand, FAILURES, FAILURES),
            *(
                Contestant(name, "f(1)", lib(m), FAILURES, FAILURES)
                for name, m in LIBRARIES.items()
            ),
        ],
    )


def scenario_d() -> Scenario:
    def lib(m: Any) -> Build:
        deco = m.retry(
            stop=m.stop_after_attempt(3), wait=m.wait_exponential(multiplier=1, min=1, max=10)
        )
        return _fn(deco)

    stmt = "await f(1)"
    return Scenario(
        "d",
        "async first-try success, as a, awaited inside one running event loop",
        attempts=1,
        is_async=True,
        contestants=[
            Contestant("bare", stmt, _fn(lambda fn: fn)),
            Contestant("wraps", stmt, _fn(async_passthrough)),
            *(Contestant(name, stmt, lib(m)) for name, m in LIBRARIES.items()),
        ],
    )


_ITER_INLINE = """\
for attempt in Retrying(stop=stop_after_attempt(3)):
    with attempt:
        f(1)"""

_ITER_REUSED = """\
for attempt in controller:
    with attempt:
        f(1)"""


def scenario_e(reused: bool) -> Scenario:
    def lib(m: Any) -> Build:
        def build(fn: Callable[..., Any], _counter: Counter | None) -> dict[str, Any]:
            if reused:
                return {"controller": m.Retrying(stop=m.stop_after_attempt(3)), "f": fn}
            return {"Retrying": m.Retrying, "stop_after_attempt": m.stop_after_attempt, "f": fn}

        return build

    stmt = _ITER_REUSED if reused else _ITER_INLINE
    return Scenario(
        "e (reused)" if reused else "e",
        (
            "iterator form, first-try success, one Retrying built once and reused"
            if reused
            else "iterator form `for attempt in Retrying(stop=stop_after_attempt(3))`, first-try success"
        ),
        attempts=1,
        is_async=False,
        contestants=[
            Contestant("bare", "f(1)", _fn(lambda fn: fn)),
            *(Contestant(name, stmt, lib(m)) for name, m in LIBRARIES.items()),
        ],
    )


def all_scenarios() -> list[Scenario]:
    return [
        scenario_a(),
        scenario_b(),
        scenario_c(),
        scenario_d(),
        scenario_e(reused=False),
        scenario_e(reused=True),
    ]
