"""The markdown report: one table row per target, with the medians, the ratio the target is
stated in, and PASS or MISS; then the spread of the samples."""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass
from typing import Any

from scenarios import FAILURES, Scenario

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
