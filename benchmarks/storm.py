"""The retry storm: clients against a local HTTP server that is healthy, then fully down,
then back, with a capacity it cannot exceed. Retries that pile up while it is down keep it
overloaded once it is back; budgets and breakers are meant to prevent that.

Calls arrive at a steady rate (open loop, as user traffic does) and are run by a pool of
client threads. For each contestant (no retries; tenacity with stop_after_attempt(4); pertinax with the same
policy plus a budget, a breaker, or both) it reports the server's load as attempts per call
(overall and during the outage), the clients' success rate, and the time from the end of
the outage until every 100 ms of traffic succeeds again (at least 95% of calls). It then
sweeps independent failure rates 0-100% through pertinax with the default budget and checks
its two targets: at most 1.1 attempts per call at 100% failure, at least 99.9% of calls
succeeding at 10% with 4 attempts.

    python benchmarks/storm.py                     # about a minute
    python benchmarks/storm.py --quick             # a few seconds, to prove it runs
    python benchmarks/storm.py --png storm.png     # and draw the load (needs matplotlib)
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BIN = 0.1  # seconds per bin of the time series


# --- the server (run in its own process, so clients and server do not share a GIL) ---------


def serve(port: int, healthy: float, outage: float, capacity: int) -> None:
    """Answers 200 unless the script says it is down or this bin's requests exceed its
    capacity (then 503). GET /start starts the clock; GET /stats returns attempts per bin."""
    lock = threading.Lock()
    state: dict[str, Any] = {"t0": None, "bins": {}}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's spelling
            if self.path == "/start":
                with lock:
                    state["t0"], state["bins"] = time.monotonic(), {}
                return self.answer(200)
            if self.path == "/stats":
                with lock:
                    body = json.dumps(state["bins"]).encode()
                return self.answer(200, body)
            now = time.monotonic() - (state["t0"] or time.monotonic())
            b = int(now / BIN)
            with lock:
                seen = state["bins"].setdefault(b, [0, 0])
                seen[0] += 1
                down = healthy <= now < healthy + outage
                ok = not down and seen[0] <= capacity
                seen[1] += 0 if ok else 1
            self.answer(200 if ok else 503)

        def answer(self, status: int, body: bytes = b"") -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    ThreadingHTTPServer.daemon_threads = True
    with ThreadingHTTPServer(("127.0.0.1", port), Handler) as server:
        server.serve_forever()


# --- the clients ----------------------------------------------------------------------------


class Unavailable(Exception):
    """The server answered 503."""


@dataclass
class Run:
    name: str
    calls: dict[int, list[int]] = field(default_factory=dict)  # bin -> [calls, ok]
    attempts: dict[int, int] = field(default_factory=dict)  # bin -> server-side attempts


def worker(
    port: int,
    policy: Callable[[Callable[[], None]], Callable[[], None]],
    jobs: queue.Queue[float | None],
    t0: float,
    run: Run,
    lock: threading.Lock,
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)

    def get() -> None:
        conn.request("GET", "/")
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise Unavailable(response.status)

    call = policy(get)
    while (arrival := jobs.get()) is not None:
        try:
            call()
            ok = 1
        except Exception:  # every way a call can fail counts as a failed call
            ok = 0
        with lock:
            slot = run.calls.setdefault(int((arrival - t0) / BIN), [0, 0])
            slot[0] += 1
            slot[1] += ok
    conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_contestant(name: str, policy: Any, args: argparse.Namespace) -> Run:
    port = free_port()
    capacity = int(args.rate * BIN * args.headroom)
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            str(port),
            str(args.healthy),
            str(args.outage),
            str(capacity),
        ],
        start_new_session=True,
        # Clients closing their connections at the end make the server print resets.
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                break
            except OSError:
                time.sleep(0.02)
        control = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        control.request("GET", "/start")
        control.getresponse().read()
        t0 = time.monotonic()
        run, lock = Run(name), threading.Lock()
        jobs: queue.Queue[float | None] = queue.Queue()
        threads = [
            threading.Thread(target=worker, args=(port, policy(), jobs, t0, run, lock))
            for _ in range(args.workers)
        ]
        for th in threads:
            th.start()
        # Calls arrive at a steady rate whatever happens to earlier ones, as user traffic does.
        total = int((args.healthy + args.outage + args.recovery) * args.rate)
        for k in range(total):
            arrival = t0 + k / args.rate
            delay = arrival - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            jobs.put(arrival)
        for _ in threads:
            jobs.put(None)
        for th in threads:
            th.join()
        control.request("GET", "/stats")
        bins = json.loads(control.getresponse().read())
        run.attempts = {int(k): v[0] for k, v in bins.items()}
        control.close()
        return run
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def contestants(args: argparse.Namespace) -> dict[str, Callable[[], Any]]:
    """Each entry makes one client's policy; shared budgets and breakers are made once."""
    import pertinax
    import tenacity

    wait = {"multiplier": 0.01, "max": 0.08}

    def tenacity_policy() -> Any:
        return tenacity.retry(
            stop=tenacity.stop_after_attempt(4), wait=tenacity.wait_exponential(**wait)
        )

    def pertinax_policy(**guards: Any) -> Callable[[], Any]:
        def make() -> Any:
            return pertinax.retry(
                stop=pertinax.stop_after_attempt(4),
                wait=pertinax.wait_exponential(**wait),
                metrics=False,
                **guards,
            )

        return make

    def budget() -> pertinax.RetryBudget:
        return pertinax.RetryBudget("storm")

    def breaker() -> pertinax.CircuitBreaker:
        return pertinax.CircuitBreaker(
            "storm", window=20, minimum_calls=10, open_for=0.5, half_open_calls=3
        )

    return {
        "no retries": lambda: lambda f: f,
        "tenacity, 4 attempts": tenacity_policy,
        "pertinax + budget": pertinax_policy(budget=budget()),
        "pertinax + breaker": pertinax_policy(breaker=breaker()),
        "pertinax + both": pertinax_policy(budget=budget(), breaker=breaker()),
    }


def summarize(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    calls = sum(c for c, _ in run.calls.values())
    ok = sum(o for _, o in run.calls.values())
    attempts = sum(run.attempts.values())
    first, last = int(args.healthy / BIN), int((args.healthy + args.outage) / BIN)
    out_calls = sum(run.calls.get(b, [0, 0])[0] for b in range(first, last))
    out_attempts = sum(run.attempts.get(b, 0) for b in range(first, last))
    end = int((args.healthy + args.outage + args.recovery) / BIN)

    # Healthy from bin b: every 300 ms window from b on has >= 95% of its calls succeeding
    # (a window is judged on its calls together, so one slow bin on a busy machine does not
    # count as an outage).
    def good(x: int) -> bool:
        n = sum(run.calls.get(y, [0, 0])[0] for y in range(x, x + 3))
        k = sum(run.calls.get(y, [0, 0])[1] for y in range(x, x + 3))
        return n == 0 or k / n >= 0.95

    healthy_from = next(
        (b for b in range(last, end) if all(good(x) for x in range(b, end - 3))), None
    )
    return {
        "load": attempts / calls if calls else float("nan"),
        "outage_load": out_attempts / out_calls if out_calls else float("nan"),
        "success": ok / calls if calls else float("nan"),
        "recovery": None if healthy_from is None else (healthy_from - last) * BIN,
    }


# --- the budget sweep -----------------------------------------------------------------------


def sweep(calls: int) -> list[tuple[int, float, float]]:
    """Independent failures at each rate, 4 attempts per call, the default budget."""
    import pertinax

    rows = []
    for percent in range(0, 101, 10):
        rng = random.Random(percent)
        budget = pertinax.RetryBudget(f"sweep-{percent}")
        attempts = 0

        def flaky(rng: random.Random = rng, p: float = percent / 100) -> None:
            nonlocal attempts
            attempts += 1
            if rng.random() < p:
                raise Unavailable(503)

        call = pertinax.retry(stop=pertinax.stop_after_attempt(4), budget=budget, metrics=False)(
            flaky
        )
        ok = 0
        for _ in range(calls):
            try:
                call()
                ok += 1
            except pertinax.RetryError:
                pass
        rows.append((percent, attempts / calls, ok / calls))
    return rows


def plot(runs: list[Run], args: argparse.Namespace, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("--png needs matplotlib: pip install 'pertinax[plot]'")
    fig, ax = plt.subplots(figsize=(9, 4.5))
    last = int((args.healthy + args.outage + args.recovery) / BIN)
    for run in runs:
        # A bin without a single attempt (a breaker failing every call fast) is a zero.
        bins = range(last)
        ax.plot(
            [b * BIN for b in bins], [run.attempts.get(b, 0) / BIN for b in bins], label=run.name
        )
    capacity = int(args.rate * BIN * args.headroom) / BIN
    ax.axhline(capacity, color="grey", linestyle=":", label="server capacity")
    ax.axvspan(args.healthy, args.healthy + args.outage, color="red", alpha=0.08, label="outage")
    ax.set_xlabel("seconds")
    ax.set_ylabel("requests per second at the server")
    ax.set_title("Retry storm: server load during an outage and after it")
    ax.legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        port, healthy, outage, capacity = sys.argv[2:6]
        serve(int(port), float(healthy), float(outage), int(capacity))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short phases, to prove it runs")
    parser.add_argument("--png", help="draw the server's load over time to this file")
    parser.add_argument("--rate", type=float, default=200, help="calls per second")
    parser.add_argument("--workers", type=int, default=48, help="client threads")
    parser.add_argument("--headroom", type=float, default=1.5, help="capacity / normal load")
    args = parser.parse_args()
    # Breaker and budget log lines are the point of other tests; here they would drown the table.
    logging.getLogger("pertinax").addHandler(logging.NullHandler())
    logging.getLogger("pertinax").propagate = False
    args.healthy, args.outage, args.recovery = (0.5, 0.5, 1.0) if args.quick else (2.0, 3.0, 4.0)
    runs = []
    print("| contestant | attempts per call | during the outage | success | healthy again after |")
    print("|---|---|---|---|---|")
    for name, policy in contestants(args).items():
        run = run_contestant(name, policy, args)
        runs.append(run)
        s = summarize(run, args)
        recovery = "never" if s["recovery"] is None else f"{s['recovery']:.1f} s"
        print(
            f"| {name} | {s['load']:.2f} | {s['outage_load']:.2f} | {s['success']:.1%} "
            f"| {recovery} |"
        )
    rows = sweep(2_000 if args.quick else 100_000)
    print("\n| failure rate | attempts per call | calls that succeed |")
    print("|---|---|---|")
    for percent, load, success in rows:
        print(f"| {percent}% | {load:.3f} | {success:.3%} |")
    at = {p: (load, success) for p, load, success in rows}
    print(
        f"\nbudget targets: 100% failure -> {at[100][0]:.3f} attempts per call (<= 1.1: "
        f"{'met' if at[100][0] <= 1.1 else 'MISSED'}); 10% failure -> {at[10][1]:.3%} succeed "
        f"(>= 99.9%: {'met' if at[10][1] >= 0.999 else 'MISSED'})"
    )
    if args.png:
        plot(runs, args, args.png)
        print(f"plot: {args.png}")


if __name__ == "__main__":
    main()
