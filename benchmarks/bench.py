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
import statistics
import sys
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import import_time
import memory
import pertinax
import pertinax._pertinax
from scenarios import (
    FAILURES,
    UNROLL,
    GuardError,
    Scenario,
    Timed,
    all_scenarios,
    guard,
    no_sleep,
    patched_sleep,
    timed,
)

COLUMNS = ("bare", "wraps", "hand loop", "tenacity", "pertinax")


@dataclass(frozen=True)
class Target:
    scenario: str
    numerator: str
    denominator: str
    op: str | None  # "<=" or ">="; None: shown for information
    bound: float = 0.0


TARGETS = [
    Target("a", "pertinax", "wraps", "<=", 1.2),
    Target("a", "tenacity", "pertinax", ">=", 100),
    Target("b", "pertinax", "hand loop", "<=", 1.5),
    Target("b", "tenacity", "pertinax", ">=", 20),
    Target("c", "tenacity", "pertinax", ">=", 10),
    Target("c", "pertinax", "hand loop", None),
    Target("d", "pertinax", "wraps", "<=", 1.5),
    Target("d", "tenacity", "pertinax", ">=", 60),
    Target("e", "tenacity", "pertinax", ">=", 20),
    Target("e (reused)", "tenacity", "pertinax", ">=", 20),
]


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


# --- the report ------------------------------------------------------------------------------
def fmt_us(ns: float) -> str:
    us = ns / 1000
    if us < 1:
        return f"{us:.3f}"
    if us < 10:
        return f"{us:.2f}"
    if us < 100:
        return f"{us:.1f}"
    return f"{us:.0f}"


def fmt_ratio(x: float) -> str:
    return f"{x:.2f}×" if x < 10 else f"{x:.0f}×"


def fmt_bytes(n: int) -> str:
    if abs(n) < 10_000:
        return f"{n} B"
    if abs(n) < 10_000_000:
        return f"{n / 1024:.0f} KiB"
    return f"{n / 1024 / 1024:.1f} MiB"


def verdict(op: str | None, value: float, bound: float) -> str:
    if op is None:
        return "info"
    ok = value <= bound if op == "<=" else value >= bound
    return "PASS" if ok else "MISS"


def timing_rows(
    scenarios: list[Scenario], medians: dict[str, dict[str, float]]
) -> tuple[list[list[str]], list[dict[str, Any]]]:
    rows, results = [], []
    for s in scenarios:
        med = medians[s.key]
        per = s.attempts
        unit = "µs per call" if per == 1 else "µs per attempt (per call)"
        cells = []
        for col in COLUMNS:
            if col not in med:
                cells.append("")
            elif per == 1:
                cells.append(fmt_us(med[col]))
            else:
                cells.append(f"{fmt_us(med[col] / per)} ({fmt_us(med[col])})")
        first = True
        for tg in (t for t in TARGETS if t.scenario == s.key):
            ratio = med[tg.numerator] / med[tg.denominator]
            target = f"{tg.op.replace('<=', '≤').replace('>=', '≥')} {tg.bound:g}×" if tg.op else ""
            result = verdict(tg.op, ratio, tg.bound)
            name = "pass-through" if s.is_async and tg.denominator == "wraps" else tg.denominator
            rows.append(
                [s.key if first else "", unit if first else "", *(cells if first else [""] * 5)]
                + [f"{tg.numerator} / {name}", fmt_ratio(ratio), target, result]
            )
            results.append(
                {
                    "scenario": s.key,
                    "ratio": f"{tg.numerator} / {tg.denominator}",
                    "value": ratio,
                    "target": target,
                    "result": result,
                }
            )
            first = False
    return rows, results


def import_rows(f: dict[str, Any]) -> tuple[list[list[str]], list[dict[str, Any]]]:
    rows, results = [], []
    for measure, label in (
        ("importtime_ms", "ms per import (`-X importtime`)"),
        ("wall_ms", "ms per import (wall − `python -c pass`)"),
    ):
        med = f[measure]
        ratio = med["pertinax"] / med["tenacity"]
        result = verdict("<=", ratio, 1.0)
        rows.append(
            ["f" if measure == "importtime_ms" else "", label, "", "", ""]
            + [f"{med['tenacity']:.2f}", f"{med['pertinax']:.2f}"]
            + ["pertinax / tenacity", fmt_ratio(ratio), "≤ 1×", result]
        )
        results.append(
            {"scenario": "f", "ratio": measure, "value": ratio, "target": "≤ 1×", "result": result}
        )
    return rows, results


def memory_rows(g: dict[str, Any]) -> tuple[list[list[str]], list[dict[str, Any]]]:
    rows, results = [], []
    growth, tol = g["growth"], g["tolerance"]
    first = True
    for kind in ("first-try", "fail-then-succeed"):
        for measure, label in (("tracemalloc", "tracemalloc"), ("rss", "RSS")):
            p, t = growth[f"pertinax {kind}"], growth[f"tenacity {kind}"]
            result = verdict("<=", p[measure], tol[measure])
            rows.append(
                ["g" if first else "", f"{label} growth, {p['calls']:,} {kind} calls", "", "", ""]
                + [f"{fmt_bytes(t[measure])} ({t['calls']:,} calls)", fmt_bytes(p[measure])]
                + ["growth", fmt_bytes(p[measure]), f"≤ {fmt_bytes(tol[measure])}", result]
            )
            results.append(
                {
                    "scenario": "g",
                    "ratio": f"{measure} growth, {kind}",
                    "value": p[measure],
                    "target": f"<= {tol[measure]}",
                    "result": result,
                }
            )
            first = False
    cycles = g["cycles"]
    for kind in ("first-try", "fail-then-succeed", "give-up"):
        hand = cycles["hand loop"].get(kind)
        found = cycles["pertinax"][kind]
        result = verdict("<=", found, 0)
        rows.append(
            ["", f"unreachable objects after {g['cycle_calls']:,} {kind} calls", "", ""]
            + ["" if hand is None else str(hand), str(cycles["tenacity"][kind]), str(found)]
            + ["`gc.collect()`", str(found), "0", result]
        )
        results.append(
            {
                "scenario": "g",
                "ratio": f"unreachable, {kind}",
                "value": found,
                "target": "0",
                "result": result,
            }
        )
    return rows, results


def table(rows: list[list[str]]) -> str:
    header = ["scenario", "measure", *COLUMNS, "ratio", "value", "target", "result"]
    header[3] = "wraps / async pass-through"
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def spread_table(scenarios: list[Scenario], samples: dict[str, dict[str, list[float]]]) -> str:
    lines = [
        "| scenario | contestant | median µs per call | p25 – p75 | samples |",
        "|---|---|---|---|---|",
    ]
    for s in scenarios:
        for name, values in samples[s.key].items():
            q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
            lines.append(
                f"| {s.key} | {name} | {fmt_us(statistics.median(values))} "
                f"| {fmt_us(q[0])} – {fmt_us(q[2])} | {len(values)} |"
            )
    return "\n".join(lines)


def ratio_spread_table(samples: dict[str, dict[str, list[float]]]) -> str:
    """Each target's ratio taken within each round: a check that the ratio of the medians is
    not an artefact of drift between rounds."""
    lines = [
        "| scenario | ratio | median of per-round ratios | p25 – p75 |",
        "|---|---|---|---|",
    ]
    for tg in TARGETS:
        if tg.scenario not in samples:
            continue
        row = samples[tg.scenario]
        pairs = zip(row[tg.numerator], row[tg.denominator], strict=True)
        ratios = [n / d for n, d in pairs]
        q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
        lines.append(
            f"| {tg.scenario} | {tg.numerator} / {tg.denominator} "
            f"| {fmt_ratio(statistics.median(ratios))} | {fmt_ratio(q[0])} – {fmt_ratio(q[2])} |"
        )
    return "\n".join(lines)


def report(
    info: dict[str, Any],
    scenarios: list[Scenario],
    samples: dict[str, dict[str, list[float]]],
    f: dict[str, Any],
    g: dict[str, Any],
) -> tuple[str, list[dict[str, Any]]]:
    medians = {k: {n: statistics.median(v) for n, v in c.items()} for k, c in samples.items()}
    rows, results = timing_rows(scenarios, medians)
    for part, make_rows in ((f, import_rows), (g, memory_rows)):
        if part:
            more, res = make_rows(part)
            rows += more
            results += res
    lines = [
        f"- python: {info['python']} on {info['platform']}",
        f"- CPU: {info['cpu']}; {info['cpu_count']} CPUs ({info['cpus_usable']} usable); "
        f"load average {', '.join(map(str, info['load_average']))} at start, "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} at end",
        f"- pertinax {info['pertinax']} (build_profile: {info['pertinax_build_profile']}); "
        f"tenacity {info['tenacity']}",
        f"- mode: {info['mode']}, {info['rounds']} rounds of about {info['sample_ms']:g} ms "
        f"per contestant; {f.get('rounds', 0)} import rounds; {info['date']}",
        "",
        table(rows),
        "",
        f"Medians over the rounds; ratios are ratios of the medians. b and c fail {FAILURES} "
        "times then succeed; their per-attempt time is the per-call time over "
        f"{FAILURES + 1}. `time.sleep` is a no-op for every contestant (the hand loop calls "
        "it too). tenacity's memory growth runs a tenth of the calls. The hand-loop column "
        "of the last rows is a control.",
        "",
        "<details><summary>spread of the timed samples and of the per-round ratios</summary>",
        "",
        spread_table(scenarios, samples),
        "",
        ratio_spread_table(samples),
        "",
        "</details>",
    ]
    tops = [f"{k}: {t}" for k, v in g.get("growth", {}).items() for t in v["tracemalloc_top"]]
    if tops:
        lines += ["", "Largest tracemalloc growth:", *(f"- {t}" for t in tops)]
    return "\n".join(lines), results


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
