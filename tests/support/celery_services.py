"""Real services for the tests: Debian's redis-server and a Celery worker, each a child process
in its own process group on a free loopback port, stopped (the whole group) when done."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kill_group(proc: subprocess.Popen[t.Any], timeout: float = 10.0) -> None:
    """Stops a child started with start_new_session=True, and everything it started."""
    if proc.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue


class RedisServer:
    """redis-server on 127.0.0.1:port, no persistence. stop() and start() keep the port."""

    def __init__(self) -> None:
        self.executable = shutil.which("redis-server")
        if self.executable is None:
            raise RuntimeError("redis-server is not installed (Debian package redis-server)")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="pertinax-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = open(os.path.join(self.dir, "redis.log"), "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                self.executable or "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", self.dir,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port}: {self.log()}")

    def stop(self) -> None:
        if self.proc is not None:
            kill_group(self.proc)
            self.proc = None

    def log(self) -> str:
        try:
            return Path(self.dir, "redis.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Worker:
    """``celery -A <module> worker`` as a child process, with its output in a file."""

    def __init__(
        self,
        module: str,
        broker: str,
        *,
        pool: str = "solo",
        concurrency: int = 1,
        loglevel: str = "DEBUG",
        env: dict[str, str] | None = None,
        path: Path = HERE,
    ) -> None:
        self.logfile = Path(tempfile.mkstemp(prefix="pertinax-worker-", suffix=".log")[1])
        environment = {
            **os.environ,
            "PERTINAX_CELERY_BROKER": broker,
            # CI runs as root, and the tests' results travel pickled (over a loopback-only
            # Redis that nothing else writes to): Celery refuses that without this.
            "C_FORCE_ROOT": "1",
            "PYTHONPATH": os.pathsep.join([str(path), os.environ.get("PYTHONPATH", "")]),
            **(env or {}),
        }
        with open(self.logfile, "wb") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", module, "worker",
                    f"--pool={pool}", f"--concurrency={concurrency}", f"--loglevel={loglevel}",
                    "--without-gossip", "--without-mingle", "--without-heartbeat",
                    "--prefetch-multiplier=1", "-n", f"pertinax-{os.getpid()}-%h",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=environment,
                cwd=str(path),
                start_new_session=True,
            )  # fmt: skip
        try:
            self.wait_for_log("ready.", timeout=60)
        except BaseException:
            self.close()
            raise

    def log(self) -> str:
        return self.logfile.read_text(errors="replace")

    def wait_for_log(self, text: str, *, timeout: float, after: int = 0) -> int:
        """Waits until ``text`` appears in the log past offset ``after``; returns where."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.log().find(text, after)
            if found >= 0:
                return found
            if self.proc.poll() is not None:
                raise RuntimeError(f"the worker exited:\n{self.log()[-4000:]}")
            time.sleep(0.05)
        raise TimeoutError(f"{text!r} not in the worker's log:\n{self.log()[-4000:]}")

    def close(self) -> None:
        kill_group(self.proc)
        self.logfile.unlink(missing_ok=True)
