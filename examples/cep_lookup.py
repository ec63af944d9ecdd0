"""A CEP (Brazilian postal code) lookup that falls back across three providers, in order.

Three local providers: the first is down (it answers 503), the second is slow (it answers
after a second, past our 0.3 s timeout), the third answers. A lookup asks each provider
once, in order, moving on after a transient failure; when every provider failed (the third
lookup, while the good one has a hiccup), the "api" policy retries the whole round. An invalid CEP (not 8 digits) raises ValueError at once: it
is not transient, so it is never retried, and no provider is asked.

    pip install 'pertinax[examples]'   # the clients it uses
    python examples/cep_lookup.py [--report FILE]
"""

from __future__ import annotations

import argparse
import http.server
import json
import logging
import re
import sys
import threading
import time
import typing

import requests
from pertinax import retry, wait_exponential, wait_retry_after
from pertinax.transient import is_transient

QUICK = wait_retry_after(fallback=wait_exponential(multiplier=0.05, max=0.2), max=5)
ADDRESSES = {"01310100": {"street": "Avenida Paulista", "city": "São Paulo", "state": "SP"}}


class CepService:
    """Looks a CEP up, provider after provider; None when the CEP does not exist."""

    def __init__(self, providers: dict[str, str], *, timeout: float = 0.3) -> None:
        self.providers = providers
        self.timeout = timeout
        self.session = requests.Session()

    @retry(policy="api", wait=QUICK, name="cep.lookup")
    def lookup(self, cep: str) -> dict[str, str] | None:
        digits = re.sub(r"\D", "", cep)
        if len(digits) != 8:
            raise ValueError(f"a CEP has 8 digits, got {cep!r}")
        failure: Exception | None = None
        for name, url in self.providers.items():
            try:
                response = self.session.get(url.format(cep=digits), timeout=self.timeout)
                if response.status_code == 404:
                    return None  # an answer: this CEP does not exist
                response.raise_for_status()
                return typing.cast(dict[str, str], response.json())
            except Exception as exc:
                if not is_transient(exc):
                    raise
                print(f"    provider {name!r} failed ({type(exc).__name__})")
                failure = exc
        assert failure is not None
        raise failure  # every provider failed: the policy retries the round


# --- three local providers ---------------------------------------------------------------------


class Provider(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, name: str, *, status: int = 200, delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.name, self.status, self.delay = name, status, delay
        self.fail_next = 0  # answer 503 to this many requests first
        self.seen: list[tuple[str, float]] = []  # (path, time.monotonic())
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/ws/{{cep}}/json"

    def __enter__(self) -> Provider:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Provider
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body would otherwise wait for an ACK

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        self.server.seen.append((self.path, time.monotonic()))
        time.sleep(self.server.delay)
        cep = self.path.split("/")[2]
        status = self.server.status
        if self.server.fail_next > 0:
            self.server.fail_next -= 1
            status = 503
        found = ADDRESSES.get(cep)
        if status == 200 and found is None:
            status = 404
        body = json.dumps({"cep": cep, **(found or {})}).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up waiting


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", help="write what the providers saw to this JSON file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="    log: %(message)s")

    with (
        Provider("down", status=503) as down,
        Provider("slow", delay=1.0) as slow,
        Provider("good") as good,
    ):
        providers = [down, slow, good]
        service = CepService({p.name: p.url for p in providers})
        report: dict[str, typing.Any] = {}
        for cep in ["01310-100", "99999-999", "01310100", "1234"]:
            if cep == "01310100":
                good.fail_next = 1  # every provider fails once: the round is retried
            print(f"lookup({cep!r})")
            started = time.monotonic()
            try:
                result: object = service.lookup(cep)
            except ValueError as exc:
                result = f"ValueError: {exc}"
            attempts = CepService.lookup.statistics["attempt_number"]  # type: ignore[attr-defined]
            print(f"  -> {result} ({attempts} attempt(s), {time.monotonic() - started:.2f}s)")
            report[cep] = {
                "result": result,
                "attempts": attempts,
                "seen": {p.name: [(path, at - started) for path, at in p.seen] for p in providers},
            }
            for p in providers:
                p.seen.clear()
        # Let the slow provider finish its last answer before it is shut down.
        time.sleep(slow.delay)

    print("the providers saw:")
    for cep, part in report.items():
        for name, seen in part["seen"].items():
            times = ", ".join(f"{at:.2f}s" for _, at in seen) or "nothing"
            print(f"  {cep:<10} {name:<5} {times}")
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report, f)


if __name__ == "__main__":
    main()
