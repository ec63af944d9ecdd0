"""The supplier's API as the shop sees it, and a flaky stand-in for it on loopback."""

import http.server
import json
import threading
import urllib.error
import urllib.request

from django.conf import settings


class SupplierDown(ConnectionError):
    """The supplier answered 503 (a ConnectionError: transient for the "api" policy)."""


def fetch_prices() -> dict[str, int]:
    """The supplier's whole price list: ``{sku: cents}``."""
    try:
        with urllib.request.urlopen(f"{settings.SUPPLIER_URL}/prices", timeout=5) as response:
            return dict(json.load(response))
    except urllib.error.HTTPError as e:
        if e.code == 503:
            raise SupplierDown(f"supplier answered 503 ({e.reason})") from e
        raise


class _Flaky(http.server.BaseHTTPRequestHandler):
    """Answers 503 to the first ``failures`` requests of every three, then the price list."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's spelling
        server = self.server
        with server.lock:  # type: ignore[attr-defined]
            server.count += 1  # type: ignore[attr-defined]
            n = server.count  # type: ignore[attr-defined]
        if (n - 1) % 3 < server.failures:  # type: ignore[attr-defined]
            self.send_response(503, "busy")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"A-1": 1999, "B-2": 4550, "C-3": 120}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def start_flaky_supplier(failures: int = 2) -> http.server.ThreadingHTTPServer:
    """A supplier on a free loopback port that fails ``failures`` times in every three
    requests; ``shutdown()`` and ``server_close()`` it when done."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    server.lock = threading.Lock()  # type: ignore[attr-defined]
    server.count = 0  # type: ignore[attr-defined]
    server.failures = failures  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
