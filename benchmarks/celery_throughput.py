"""Healthy tasks' throughput on a Celery worker while other tasks' dependency is down.

A real Redis (Debian's redis-server, on a free loopback port) and a real worker process
(prefork, concurrency 2). Each round submits HEALTHY tasks (10 ms of I/O each) with OUTAGE
tasks mixed in (one in every eleven), whose dependency always fails; every outage task tries
3 times, 0.5 s apart, then gives up. A healthy task's I/O takes 50 ms (``--work-ms``):

* ``baseline``: no outage tasks;
* ``tenacity``: the outage tasks sleep between attempts inside the worker (``@retry``);
* ``pertinax``: the outage tasks are PolicyTasks with the same policy: the waits are spent in
  the broker.

Throughput is healthy tasks over the time from the first submit until the last healthy task
finished (the tasks report their own end times). Modes run in interleaved rounds; the table
shows medians.

    python benchmarks/celery_throughput.py            # about a minute and a half
    python benchmarks/celery_throughput.py --quick    # a few rounds, to prove it runs
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import pertinax
import tenacity
from celery import Celery
from pertinax.integrations.celery import policy_task

HERE = Path(__file__).resolve().parent

app = Celery("celery_throughput", set_as_current=False)
app.conf.update(
    broker_url=os.environ.get("PERTINAX_CELERY_BROKER", "redis://127.0.0.1:6379/0"),
    result_backend=os.environ.get("PERTINAX_CELERY_BROKER", "redis://127.0.0.1:6379/0"),
    worker_prefetch_multiplier=1,
    worker_hijack_root_logger=False,
)

ATTEMPTS, WAIT = 3, 0.5


@app.task(name="bench.healthy")
def healthy(work: float) -> float:
    time.sleep(work)  # a call to a dependency that is up
    return time.time()


@app.task(name="bench.tenacity_outage")
@tenacity.retry(
    stop=tenacity.stop_after_attempt(ATTEMPTS), wait=tenacity.wait_fixed(WAIT), reraise=True
)
def tenacity_outage() -> None:
    raise ConnectionError("dependency down")


@policy_task(
    app,
    policy=pertinax.Retrying(
        stop=pertinax.stop_after_attempt(ATTEMPTS), wait=pertinax.wait_fixed(WAIT), reraise=True
    ),
    name="bench.pertinax_outage",
)
def pertinax_outage() -> None:
    raise ConnectionError("dependency down")


OUTAGE = {"baseline": None, "tenacity": tenacity_outage, "pertinax": pertinax_outage}


def one_round(mode: str, healthy_count: int, work: float) -> float:
    outage = OUTAGE[mode]
    results, failing = [], []
    start = time.time()
    for i in range(healthy_count):
        if outage is not None and i % 10 == 0:
            failing.append(outage.delay())
        results.append(healthy.delay(work))
    ends = [r.get(timeout=300) for r in results]
    for r in failing:  # the next round starts with a quiet worker
        r.get(timeout=300, propagate=False)
    return healthy_count / (max(ends) - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds, only to prove it runs")
    parser.add_argument(
        "--work-ms", type=float, default=50.0, help="each healthy task's I/O (default 50)"
    )
    args = parser.parse_args()
    rounds, count = (1, 40) if args.quick else (3, 220)
    work = args.work_ms / 1000

    sys.path.insert(0, str(HERE.parent / "tests" / "support"))
    from celery_services import RedisServer, Worker

    redis = RedisServer()
    redis.start()
    worker = None
    try:
        app.conf.broker_url = app.conf.result_backend = redis.url
        worker = Worker(
            "celery_throughput",
            redis.url,
            pool="prefork",
            concurrency=2,
            loglevel="INFO",
            path=HERE,
        )
        for mode in OUTAGE:  # warm-up: worker processes, connections, first retries
            one_round(mode, 20, work)
        samples: dict[str, list[float]] = {mode: [] for mode in OUTAGE}
        modes = list(OUTAGE)
        for i in range(rounds):
            for mode in modes[i % 3 :] + modes[: i % 3]:
                samples[mode].append(one_round(mode, count, work))
    finally:
        if worker is not None:
            worker.close()
        redis.close()
    median = {mode: statistics.median(v) for mode, v in samples.items()}
    print(
        f"{rounds} rounds of {count} healthy tasks ({args.work_ms:g} ms each) on a prefork "
        f"worker, concurrency 2; outage tasks: 1 in 11, {ATTEMPTS} attempts {WAIT} s apart"
    )
    print("| mode | healthy tasks/s | of baseline |")
    print("|---|---|---|")
    for mode, value in median.items():
        print(f"| {mode} | {value:.1f} | {value / median['baseline']:.0%} |")


if __name__ == "__main__":
    main()
