"""Scenario f: the import time of each package, in fresh interpreters.

Two measures, each over interleaved rounds: ``python -X importtime -c "import x"`` (the
package's cumulative line, in microseconds), and the wall time of ``python -c "import x"``
minus that of ``python -c "pass"`` in the same round.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Any

PACKAGES = ("pertinax", "tenacity")


# The child that imports pertinax also reports the build it loaded: another build installed
# while the benchmark runs would otherwise go unnoticed.
_REPORT = {"pertinax": "; import sys; sys.stdout.write(pertinax._pertinax.build_profile)"}


def _code(package: str) -> str:
    return f"import {package}{_REPORT.get(package, '')}"


def _run(args: list[str], profiles: set[str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, check=True, capture_output=True, text=True)
    if proc.stdout:
        profiles.add(proc.stdout.strip())
    return proc


def _wall_ns(code: str, profiles: set[str]) -> int:
    t0 = time.perf_counter_ns()
    _run([sys.executable, "-c", code], profiles)
    return time.perf_counter_ns() - t0


def _importtime_us(package: str, profiles: set[str]) -> int:
    proc = _run([sys.executable, "-X", "importtime", "-c", _code(package)], profiles)
    # Lines read "import time:  self [us] | cumulative | name"; the package's own line is the
    # last one at its depth, after every module it pulled in.
    for line in reversed(proc.stderr.splitlines()):
        fields = line.split("|")
        if len(fields) == 3 and fields[2].strip() == package:
            return int(fields[1])
    raise RuntimeError(f"no import time line for {package}:\n{proc.stderr}")


def measure(rounds: int) -> dict[str, Any]:
    # One untimed run each writes any missing bytecode caches.
    profiles: set[str] = set()
    for package in PACKAGES:
        _wall_ns(_code(package), profiles)
    codes = {"pass": "pass", **{p: _code(p) for p in PACKAGES}}
    wall: dict[str, list[float]] = {p: [] for p in PACKAGES}
    importtime: dict[str, list[float]] = {p: [] for p in PACKAGES}
    for r in range(rounds):
        names = list(codes)
        names = names[r % len(names) :] + names[: r % len(names)]
        ns = {name: _wall_ns(codes[name], profiles) for name in names}
        for package in PACKAGES:
            wall[package].append((ns[package] - ns["pass"]) / 1e6)
        order = PACKAGES if r % 2 == 0 else PACKAGES[::-1]
        for package in order:
            importtime[package].append(_importtime_us(package, profiles) / 1e3)
    return {
        "rounds": rounds,
        "build_profiles": sorted(profiles),
        "importtime_ms": {p: statistics.median(v) for p, v in importtime.items()},
        "wall_ms": {p: statistics.median(v) for p, v in wall.items()},
        "samples": {"importtime_ms": importtime, "wall_ms": wall},
    }
