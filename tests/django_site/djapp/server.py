"""``manage.py runserver`` for djapp in a child process on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import typing as t
import urllib.request
from pathlib import Path

TESTS = Path(__file__).parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env(directory: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        **extra,
        "DJANGO_SETTINGS_MODULE": "djapp.settings",
        "PERTINAX_TEST_DIR": str(directory),
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }


def manage(directory: Path, *args: str, **extra_env: str) -> str:
    """Runs a management command against the project's databases in ``directory``."""
    done = subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env(directory, **extra_env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@contextlib.contextmanager
def runserver(directory: Path, **extra_env: str) -> t.Iterator[str]:
    """Serves djapp until the block ends; yields its base URL. The server's process group is
    stopped on the way out."""
    port = free_port()
    log = directory / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env(directory, **extra_env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2).close()
                break
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
