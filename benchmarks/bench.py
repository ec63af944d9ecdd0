"""pertinax against tenacity 9.2.1 and plain wrappers, in one process.

    python benchmarks/bench.py            # full run: stable medians, a few minutes
    python benchmarks/bench.py --quick    # proves it runs (CI); its figures mean little
    python benchmarks/bench.py --json results.json

Every timed contestant runs once per round, in an order that rotates from round to round, so
drift on a noisy machine hits all of them alike; the table shows medians over the rounds, and
ratios of those medians. Each contestant first passes a guard (results, attempts, sleeps and
hook calls counted), so a broken library cannot look fast; a failed guard exits with status 2.
Missed targets are reported, not fatal. ``time.sleep`` is a no-op for the whole run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import json
import math
import os
import platform
import sys
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import import_time
import memory
import pertinax
import pertinax._pertinax
from harness import UNROLL, GuardError, Timed, guard, timed
from report import report
from scenarios import Scenario, all_scenarios, no_sleep, patched_sleep


@dataclass(frozen=True)
class Mode:
    rounds: int
    sample_ms: float
    import_rounds: int
    first_try_calls: int
    failing_calls: int
    cycle_calls: int
    tenacity_share: float


QUICK = Mode(3, 1.0, 3, 20_000, 2_000, 100, 0.1)
FULL = Mode(101, 10.0, 41, 1_000_000, 100_000, 1_000, 0.1)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def machine_info(mode_name: str, mode: Mode) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            models = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        if models:
            cpu = models[0]
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "pertinax": metadata.version("pertinax"),
        "pertinax_build_profile": pertinax._pertinax.build_profile,
        "tenacity": metadata.version("tenacity"),
        "mode": mode_name,
        "rounds": mode.rounds,
        "sample_ms": mode.sample_ms,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def calibrate(t: Timed, sample_ns: float) -> int:
    """The loop count whose sample takes at least ``sample_ns``."""
    loops = 1
    for _ in range(30):
        total = t.measure(loops) * loops * UNROLL
        if total >= sample_ns:
            break
        loops = max(loops * 2, math.ceil(loops * sample_ns / max(total, 1.0) * 1.1))
    t.measure(loops)  # warm-up at the final count
    return loops


def run_rounds(
    scenarios: list[Scenario], mode: Mode, loop: asyncio.AbstractEventLoop
) -> dict[str, dict[str, list[float]]]:
    contestants = {s.key: [timed(s, c, loop) for c in s.contestants] for s in scenarios}
    loops = {}
    for key, ts in contestants.items():
        for t in ts:
            loops[(key, t.contestant.name)] = calibrate(t, mode.sample_ms * 1e6)
    samples: dict[str, dict[str, list[float]]] = {
        key: {t.contestant.name: [] for t in ts} for key, ts in contestants.items()
    }
    keys = list(contestants)
    for r in range(mode.rounds if keys else 0):
        if r % 10 == 0:
            log(f"  round {r + 1}/{mode.rounds}")
        for key in keys[r % len(keys) :] + keys[: r % len(keys)]:
            ts = contestants[key]
            for t in ts[r % len(ts) :] + ts[: r % len(ts)]:
                samples[key][t.contestant.name].append(t.measure(loops[(key, t.contestant.name)]))
    for ts in contestants.values():
        for t in ts:
            t.check()
    return samples


def _extension_mtime() -> float:
    return os.stat(pertinax._pertinax.__file__).st_mtime


def build_warnings(info: dict[str, Any], f: dict[str, Any], so_mtime: float) -> list[str]:
    """Others may reinstall pertinax while this runs: say so, rather than report a mix."""
    warnings = []
    profile = info["pertinax_build_profile"]
    if profile != "release":
        warnings.append(f"pertinax is a {profile} build; the targets are for a release build")
    if _extension_mtime() != so_mtime:
        warnings.append("pertinax's extension was rebuilt during the run")
    if f and f["build_profiles"] != [profile]:
        warnings.append(f"the import-time children loaded builds {f['build_profiles']}")
    return warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few iterations: proves it runs")
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    parser.add_argument("--rounds", type=int, help="override the number of rounds")
    parser.add_argument("--sample-ms", type=float, help="override the time per sample")
    parser.add_argument(
        "--only", metavar="KEYS", help="comma-separated scenarios to run, e.g. a,b,f (default: all)"
    )
    args = parser.parse_args(argv)
    mode = QUICK if args.quick else FULL
    mode = Mode(
        args.rounds or mode.rounds,
        args.sample_ms or mode.sample_ms,
        *(getattr(mode, k) for k in list(Mode.__dataclass_fields__)[2:]),
    )
    info = machine_info("quick" if args.quick else "full", mode)
    if not gc.isenabled():
        log("WARNING: the GC is off")

    so_mtime = _extension_mtime()
    only = set(args.only.split(",")) if args.only else None
    scenarios = [s for s in all_scenarios() if only is None or s.key.split()[0] in only]
    loop = asyncio.new_event_loop()
    try:
        with patched_sleep(no_sleep):
            log("guards")
            for s in scenarios:
                for c in s.contestants:
                    guard(s, c, loop)
            log("timed rounds (a to e)")
            samples = run_rounds(scenarios, mode, loop)
            log("import time (f)")
            f = import_time.measure(mode.import_rounds) if only is None or "f" in only else {}
            log("memory (g)")
            g = (
                memory.measure(
                    mode.first_try_calls, mode.failing_calls, mode.cycle_calls, mode.tenacity_share
                )
                if only is None or "g" in only
                else {}
            )
    except GuardError as e:
        log(f"GUARD FAILED: {e}")
        return 2
    finally:
        loop.close()

    text, results = report(info, scenarios, samples, f, g)
    warnings = build_warnings(info, f, so_mtime)
    for w in warnings:
        log(f"WARNING: {w}")
    print("\n".join(f"**WARNING: {w}**\n" for w in warnings) + text)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(
                {
                    "machine": info,
                    "warnings": warnings,
                    "results": results,
                    "timed_ns_per_call": samples,
                    "import_time": f,
                    "memory": g,
                },
                out,
                indent=2,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
