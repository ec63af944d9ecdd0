"""Success and retry rates per operation after a mixed workload, with an alert that fires.

Four operations call one local server under the "api" policy, each with its own name in
the metrics:

* ``payments.charge`` always answers at once;
* ``inventory.fetch`` gets a 503 on every third request, so some calls recover on retry;
* ``shipping.quote`` is down for the whole run (503): every call gives up after 3 attempts;
* ``catalog.item`` asks for items that do not exist (404): errors, never retried.

An alert watches ``inventory.fetch``'s retry rate and fires during the run. The report is
``pertinax.metrics.snapshot()``: counts kept by the Rust core, nothing to wire up.

    pip install 'pertinax[examples]'   # the clients it uses
    python examples/retry_report.py [--report FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import http.server
import itertools
import json
import logging
import sys
import threading
import typing

import requests
from pertinax import metrics, retry, wait_fixed

QUICK = wait_fixed(0.01)  # the policy's waits (1 to 30 s), scaled down for the demo
session = requests.Session()
base_url = ""


def call(path: str) -> typing.Any:
    response = session.get(base_url + path, timeout=5)
    response.raise_for_status()
    return response.json()


@retry(policy="api", wait=QUICK, name="payments.charge")
def charge(order: int) -> typing.Any:
    return call(f"/payments/{order}")


@retry(policy="api", wait=QUICK, name="inventory.fetch")
def inventory(sku: int) -> typing.Any:
    return call(f"/inventory/{sku}")


@retry(policy="api", wait=QUICK, name="shipping.quote")
def quote(order: int) -> typing.Any:
    return call(f"/shipping/{order}")


@retry(policy="api", wait=QUICK, name="catalog.item")
def item(sku: int) -> typing.Any:
    return call(f"/catalog/{sku}")


class Shop(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: dict[str, int] = {}
        self.inventory_requests = itertools.count(1)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Shop
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body would otherwise wait for an ACK

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        area = self.path.split("/")[1]
        self.server.seen[area] = self.server.seen.get(area, 0) + 1
        status = {"payments": 200, "shipping": 503, "catalog": 404}.get(area, 200)
        if area == "inventory" and next(self.server.inventory_requests) % 3 == 0:
            status = 503
        body = json.dumps({"path": self.path}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    global base_url
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", help="write the snapshot, alerts and requests to this file")
    args = parser.parse_args()
    # Retries log at WARNING under pertinax.retrying: too chatty for a report, so only the
    # alert's ERROR line is shown.
    logging.basicConfig(
        level=logging.ERROR, stream=sys.stdout, format="    log: %(name)s: %(message)s"
    )

    fired: list[metrics.Alert] = []
    metrics.set_alert(
        "inventory.fetch", retry_rate=0.25, window=60, min_calls=10, callback=fired.append
    )

    server = Shop()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for n in range(20):
            for operation in (charge, inventory, quote, item):
                try:
                    operation(n)
                except requests.HTTPError:
                    pass  # counted by the metrics; the report below tells the story
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

    snapshot = metrics.snapshot()
    print("| operation | calls | first try | recovered | gave up | errors | success | retry rate |")
    print("|---|---|---|---|---|---|---|---|")
    for name in ("payments.charge", "inventory.fetch", "shipping.quote", "catalog.item"):
        m = snapshot[name]
        print(
            f"| {name} | {m['calls']} | {m['first_try']} | {m['recovered']} | {m['gave_up']} "
            f"| {m['errors']} | {m['success_rate']:.0%} | {m['retry_rate']:.0%} |"
        )
    for alert in fired:
        print(
            f"alert: {alert.operation} {alert.rate} reached {alert.value:.0%} "
            f"(threshold {alert.threshold:.0%}, {alert.matching} of {alert.calls} calls)"
        )
    print(f"the server saw: {json.dumps(server.seen, sort_keys=True)}")
    if args.report:
        with open(args.report, "w") as f:
            alerts = [dataclasses.asdict(alert) for alert in fired]
            json.dump({"snapshot": snapshot, "alerts": alerts, "seen": server.seen}, f)


if __name__ == "__main__":
    main()
