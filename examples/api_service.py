"""A service class for an HTTP API, retried under the "api" policy, against a local server.

The server fails and then recovers: a 503 is retried until the answer comes, a 404 and a
401 are not retried at all, and a 429 that carries ``Retry-After: 1`` is retried after
exactly that second. The same service is then run on httpx's async client.

    pip install 'pertinax[examples]'   # the clients it uses
    python examples/api_service.py [--report FILE]

The policy's waits (1 to 30 s) are scaled down here so the example runs in seconds; the
server's Retry-After is honoured as sent.
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import json
import logging
import sys
import threading
import time
import typing

import httpx
import requests
from pertinax import retry, wait_exponential, wait_retry_after

# The "api" policy retries only transient failures and honours Retry-After; only its
# fallback waits are shortened for the demo.
QUICK = wait_retry_after(fallback=wait_exponential(multiplier=0.05, max=0.2), max=5)


class ApiService:
    """GET and POST JSON to one API; transient failures are retried, client errors are not."""

    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    @retry(policy="api", wait=QUICK)
    def get(self, path: str, params: dict[str, str] | None = None) -> typing.Any:
        response = self.session.get(self.base_url + path, params=params, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    @retry(policy="api", wait=QUICK)
    def post(self, path: str, data: dict[str, typing.Any]) -> typing.Any:
        response = self.session.post(self.base_url + path, json=data, timeout=self.timeout)
        response.raise_for_status()
        return response.json()


class AsyncApiService:
    """The same service on httpx.AsyncClient: the policy decorates coroutines as well."""

    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    @retry(policy="api", wait=QUICK)
    async def get(self, path: str) -> typing.Any:
        response = await self.client.get(path)
        response.raise_for_status()
        return response.json()

    @retry(policy="api", wait=QUICK)
    async def post(self, path: str, data: dict[str, typing.Any]) -> typing.Any:
        response = await self.client.post(path, json=data)
        response.raise_for_status()
        return response.json()


# --- the local API: answers follow a script per route, the last answer repeats ----------------

Answer = tuple[int, dict[str, str]]
SCRIPT: dict[str, list[Answer]] = {
    "GET /orders/42": [(503, {}), (503, {}), (200, {})],  # down, then recovered
    "GET /orders/404": [(404, {})],
    "GET /account": [(401, {})],
    "POST /orders": [(429, {"Retry-After": "1"}), (201, {})],
}


class Api(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.script = {route: list(answers) for route, answers in SCRIPT.items()}
        self.seen: list[tuple[str, int, float]] = []  # (route, status, time.monotonic())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self, route: str) -> Answer:
        with self.lock:
            answers = self.script.get(route) or [(404, {})]
            status, headers = answers.pop(0) if len(answers) > 1 else answers[0]
            self.seen.append((route, status, time.monotonic()))
            return status, headers

    def rewind(self) -> None:
        with self.lock:
            self.script = {route: list(answers) for route, answers in SCRIPT.items()}
            self.seen = []


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Api
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body would otherwise wait for an ACK

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        sent = json.loads(self.rfile.read(length)) if length else None
        status, headers = self.server.answer(f"{self.command} {self.path}")
        body = json.dumps({"status": status, "path": self.path, "received": sent}).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _reply


CALLS: list[tuple[str, str, str]] = [
    ("GET /orders/42 (503, 503)", "get", "/orders/42"),
    ("GET /orders/404", "get", "/orders/404"),
    ("GET /account (401)", "get", "/account"),
    ("POST /orders (429)", "post", "/orders"),
]


def show(label: str, started: float, result: typing.Any) -> None:
    if isinstance(result, (requests.HTTPError, httpx.HTTPStatusError)):
        outcome = f"raised {result.response.status_code}"
    else:
        outcome = f"ok: {result['status']}"
    print(f"  {label:<26} {outcome:<12} after {time.monotonic() - started:.2f}s")


def run_sync(url: str) -> None:
    api = ApiService(url)
    for label, method, path in CALLS:
        started = time.monotonic()
        try:
            result = api.get(path) if method == "get" else api.post(path, {"sku": "A-1"})
        except requests.HTTPError as exc:
            result = exc
        show(label, started, result)


async def run_async(url: str) -> None:
    api = AsyncApiService(url)
    for label, method, path in CALLS:
        started = time.monotonic()
        try:
            if method == "get":
                result = await api.get(path)
            else:
                result = await api.post(path, {"sku": "A-1"})
        except httpx.HTTPStatusError as exc:
            result = exc
        show(label, started, result)
    await api.client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", help="write what the server saw to this JSON file")
    args = parser.parse_args()
    # pertinax logs each retry at WARNING under "pertinax.retrying": show them inline.
    logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="    log: %(message)s")

    server = Api()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    report: dict[str, list[tuple[str, int, float]]] = {}
    try:
        for mode in ("sync", "async"):
            server.rewind()
            client = "requests.Session" if mode == "sync" else "httpx.AsyncClient"
            print(f"{client} against {server.url}")
            if mode == "sync":
                run_sync(server.url)
            else:
                asyncio.run(run_async(server.url))
            t0 = server.seen[0][2]  # times from the first request
            report[mode] = [(route, status, at - t0) for route, status, at in server.seen]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

    for mode, seen in report.items():
        print(f"the server saw ({mode}):")
        for route, status, at in seen:
            print(f"  {at:6.2f}s  {route:<16} -> {status}")
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report, f)


if __name__ == "__main__":
    main()
