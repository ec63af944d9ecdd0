"""examples/django_project runs with its one command (``manage.py demo``) and serves the site
with ``--serve``; its settings pass ``manage.py check``."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent / "examples" / "django_project"


def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "SHOP_DB": str(tmp_path / "shop.sqlite3")}


def test_the_settings_pass_the_system_checks(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-W", "error", "manage.py", "check"],
        cwd=PROJECT,
        env=env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


def test_the_demo_runs_from_start_to_end(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-W", "error", "manage.py", "demo"],
        cwd=PROJECT,
        env=env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # Quiet under -W error: a warning in a finalizer (an unclosed socket) is only reported.
    assert "Exception ignored" not in done.stderr, done.stderr
    assert "Warning" not in done.stderr, done.stderr
    out = done.stdout.splitlines()
    assert "synced 3 prices" in out
    assert '200 {"sku": "A-1", "cents": 1999}' in out
    [gave_up] = [line for line in out if line.startswith("503")]
    assert gave_up.startswith("503 Retry-After: 10 ")
    assert json.loads(gave_up.split(" ", 3)[3]) == {
        "error": "service unavailable",
        "detail": "gave up after 4 attempts",
        "exception": "SupplierDown",
        "retry_after": 10,
    }
    rows = {line.split()[0]: line.split() for line in out if re.match(r"^(api|database) ", line)}
    # sync_prices' fetch (recovered), the view while flaky (recovered), then down (gave up).
    assert rows["api"][1:5] == ["3", "66.7%", "100.0%", "33.3%"]
    assert rows["database"][1:5] == ["1", "100.0%", "0.0%", "0.0%"]
    # The retry step reports through the command's stderr; the fourth request succeeds.
    err = done.stderr.splitlines()
    assert (
        "fetch: attempt 1 raised SupplierDown: supplier answered 503 (busy); "
        "retrying in 0.05 seconds"
    ) in err
    assert any(line.startswith("ERROR pertinax.alert: api: retry rate 1.000") for line in err)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: t.Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_the_demo_serves_the_site(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "demo", "--serve", "--port", str(port)],
            cwd=PROJECT,
            env=env(tmp_path),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while "Quit the server" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        status, _, body = get(f"{base}/api/prices/B-2/")
        assert status == 200 and json.loads(body) == {"sku": "B-2", "cents": 4550}
        status, headers, _ = get(f"{base}/pertinax/")
        assert status == 302 and headers["Location"] == "/admin/login/?next=/pertinax/"
        assert re.search(r"user staff, password \S+", log.read_text())
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
