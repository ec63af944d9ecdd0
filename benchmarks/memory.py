"""Scenario g: memory. Many calls must leave no growth (tracemalloc and RSS), and a failing
attempt must leave no reference cycle for the GC to find."""

from __future__ import annotations

import gc
import os
import resource
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from scenarios import FAILURES, LIBRARIES, flaky, identity

# Below this, growth is noise (free lists, an arena page): a leak of even one small object
# per call would be at least 16 bytes times the number of calls.
TRACEMALLOC_TOLERANCE = 1024
RSS_TOLERANCE = 1024 * 1024


def first_try(lib: Any) -> Callable[[Any], Any]:
    return lib.retry(  # type: ignore[no-any-return]
        stop=lib.stop_after_attempt(3),
        wait=lib.wait_exponential(multiplier=1, min=1, max=10),
    )(identity)


def fail_then_succeed(lib: Any) -> Callable[[Any], Any]:
    return lib.retry(stop=lib.stop_after_attempt(10))(flaky()[0])  # type: ignore[no-any-return]


def give_up(lib: Any) -> Callable[[Any], Any]:
    """Three failing attempts, then ``RetryError``, caught by the caller."""
    f = lib.retry(stop=lib.stop_after_attempt(3))(flaky(failures=10**9)[0])
    retry_error = lib.RetryError

    def call(x: Any) -> Any:
        try:
            return f(x)
        except retry_error:
            return None

    return call


def hand_fail_then_succeed() -> Callable[[Any], Any]:
    f = flaky()[0]

    def call(x: Any) -> Any:
        for attempt in range(1, 11):
            try:
                return f(x)
            except Exception:
                if attempt == 10:
                    raise
            time.sleep(0)
        return None

    return call


KINDS: dict[str, Callable[[Any], Callable[[Any], Any]]] = {
    "first-try": first_try,
    "fail-then-succeed": fail_then_succeed,
    "give-up": give_up,
}


def _run(f: Callable[[Any], Any], n: int) -> None:
    for _ in range(n):
        f(1)


def rss_bytes() -> int:
    """Resident set size now; the peak where /proc is missing."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def tracemalloc_growth(f: Callable[[Any], Any], n: int) -> tuple[int, list[str]]:
    """Bytes still allocated after ``n`` calls (tracing starts after a warm-up, so caches
    filled once are not counted), and the top growing lines when there is growth."""
    _run(f, 1000)
    gc.collect()
    tracemalloc.start()
    try:
        _run(f, 100)
        gc.collect()
        before_snapshot = tracemalloc.take_snapshot()
        before = tracemalloc.get_traced_memory()[0]
        _run(f, n)
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - before
        top: list[str] = []
        if growth > TRACEMALLOC_TOLERANCE:
            stats = tracemalloc.take_snapshot().compare_to(before_snapshot, "lineno")
            top = [str(s) for s in stats[:3]]
        return growth, top
    finally:
        tracemalloc.stop()


def rss_growth(f: Callable[[Any], Any], n: int) -> int:
    _run(f, max(1000, n // 10))
    gc.collect()
    before = rss_bytes()
    _run(f, n)
    gc.collect()
    return rss_bytes() - before


def unreachable_after(f: Callable[[Any], Any], n: int) -> int:
    """What ``gc.collect()`` finds unreachable after ``n`` calls made with the GC off."""
    _run(f, 10)
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        _run(f, n)
        return gc.collect()
    finally:
        if enabled:
            gc.enable()


def measure(
    first_try_calls: int, failing_calls: int, cycle_calls: int, tenacity_share: float
) -> dict[str, Any]:
    """Every figure of scenario g. tenacity runs ``tenacity_share`` of the calls: it is there
    for reference, and at full count it would take most of the benchmark's time."""
    growth: dict[str, dict[str, Any]] = {}
    for name, lib in LIBRARIES.items():
        share = 1.0 if name == "pertinax" else tenacity_share
        for kind, calls in (("first-try", first_try_calls), ("fail-then-succeed", failing_calls)):
            n = max(1, int(calls * share))
            traced, top = tracemalloc_growth(KINDS[kind](lib), n)
            growth[f"{name} {kind}"] = {
                "library": name,
                "kind": kind,
                "calls": n,
                "tracemalloc": traced,
                "tracemalloc_top": top,
                "rss": rss_growth(KINDS[kind](lib), n),
            }
    cycles: dict[str, dict[str, int]] = {
        "hand loop": {"fail-then-succeed": unreachable_after(hand_fail_then_succeed(), cycle_calls)}
    }
    for name, lib in LIBRARIES.items():
        cycles[name] = {
            kind: unreachable_after(make(lib), cycle_calls) for kind, make in KINDS.items()
        }
    return {
        "growth": growth,
        "cycles": cycles,
        "cycle_calls": cycle_calls,
        "failures_per_call": FAILURES,
        "tolerance": {"tracemalloc": TRACEMALLOC_TOLERANCE, "rss": RSS_TOLERANCE},
    }
