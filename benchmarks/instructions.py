"""Instructions per call under callgrind: the benchmark scenarios as exact counts, not times.

    python benchmarks/instructions.py                  # every scenario, pertinax only
    python benchmarks/instructions.py --only e,b --loops 20000
    python benchmarks/instructions.py --with tenacity  # tenacity's counts too (slow)
    python benchmarks/instructions.py --keep DIR       # keep the callgrind.out files

Timings on a shared machine move by several per cent from run to run; an instruction count
barely moves, so it shows what a change to the engine costs or saves. Each scenario runs
twice in a child under ``valgrind --tool=callgrind``: once with ``--loops`` passes of the
timed loop, once with none, both after the same set-up and warm-up; the difference over the
calls made is the figure (instructions per statement, the statement being the one
benchmarks/bench.py times). Scenario f is ``import pertinax`` against ``pass``. Use a
release build (``cargo build --profile profiling`` keeps the symbols for
``callgrind_annotate --inclusive=yes`` on a kept file). Without valgrind it says so and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
_TOTALS = re.compile(r"^(?:summary|totals):\s+(\d+)", re.MULTILINE)


def child(key: str, contestant: str, loops: int) -> None:
    """Runs one contestant ``loops`` passes (of ``harness.UNROLL`` statements each) after a
    warm-up; its parent counts the instructions."""
    from harness import timed
    from scenarios import all_scenarios, no_sleep, patched_sleep

    scenario = next(s for s in all_scenarios() if s.key == key)
    chosen = next(c for c in scenario.contestants if c.name == contestant)
    loop = asyncio.new_event_loop()
    try:
        with patched_sleep(no_sleep):
            t = timed(scenario, chosen, loop)
            t.run(3)
            t.run(loops)
    finally:
        loop.close()


def _count(args: list[str], out: Path) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0")
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *args],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    found = _TOTALS.findall(out.read_text())
    if not found:
        raise RuntimeError(f"no instruction total in {out}")
    return int(found[-1])


def per_call(key: str, contestant: str, loops: int, where: Path) -> float:
    """Instructions per statement of one contestant of one scenario."""
    from harness import UNROLL

    stem = re.sub(r"\W+", "_", f"{key}_{contestant}").strip("_")
    me = [sys.executable, str(Path(__file__).resolve()), "--child", key, contestant]
    full = _count([*me, str(loops)], where / f"callgrind.{stem}.{loops}")
    empty = _count([*me, "0"], where / f"callgrind.{stem}.0")
    return (full - empty) / (loops * UNROLL)


def import_cost(where: Path) -> int:
    """Instructions of ``import pertinax`` in a fresh interpreter, over ``pass``."""
    imported = _count([sys.executable, "-c", "import pertinax"], where / "callgrind.f.import")
    empty = _count([sys.executable, "-c", "pass"], where / "callgrind.f.pass")
    return imported - empty


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", metavar="KEYS", help="scenarios, e.g. a,e (default: a to f)")
    parser.add_argument("--loops", type=int, default=2000, help="timed passes (default 2000)")
    parser.add_argument(
        "--with", dest="others", default="", help="other contestants too, e.g. tenacity,bare"
    )
    parser.add_argument("--keep", metavar="DIR", help="keep the callgrind.out files here")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return 0
    if args.loops < 1:
        parser.error(f"--loops must be at least 1, not {args.loops}")
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: no instruction counts (apt-get install valgrind)")
        return 0

    import pertinax._pertinax
    from scenarios import all_scenarios

    only = set(args.only.split(",")) if args.only else None
    names = ["pertinax", *filter(None, args.others.split(","))]
    if pertinax._pertinax.build_profile != "release":
        print(f"WARNING: pertinax is a {pertinax._pertinax.build_profile} build")
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(args.keep) if args.keep else Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        print(f"{'scenario':<12} {'contestant':<10} instructions per call ({args.loops} loops)")
        for s in all_scenarios():
            if only is not None and s.key.split()[0] not in only and s.key not in only:
                continue
            for c in s.contestants:
                if c.name in names:
                    n = per_call(s.key, c.name, args.loops, where)
                    print(f"{s.key:<12} {c.name:<10} {n:,.0f}", flush=True)
        if only is None or "f" in only:
            print(f"{'f':<12} {'pertinax':<10} {import_cost(where):,} per import", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
