"""A throwaway PostgreSQL cluster from Debian's binaries, driven with ``pg_ctl`` so that tests
can restart it: ``initdb`` in a temporary directory, a free port on 127.0.0.1, trust
authentication, and ``pg_ctl stop`` plus removal of the directory on the way out.

``initdb`` refuses to run as root, so as root every command runs as the ``postgres`` system
user (made by Debian's package), which owns the directory.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import typing as t


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return found[0] if found else shutil.which(name)


class Cluster:
    """A running cluster: ``port``, ``restart()``, ``query(sql)``."""

    def __init__(self, root: str, port: int, as_user: list[str]) -> None:
        self.root = root
        self.data = os.path.join(root, "data")
        self.log = os.path.join(root, "server.log")
        self.port = port
        self.as_user = as_user
        self.restarts = 0

    def pg_ctl(self, *args: str, timeout: float = 60) -> None:
        # The server pg_ctl starts inherits its stdout and stderr: a pipe would stay open for
        # the server's whole life, so they go to a file.
        command = [*self.as_user, t.cast(str, pg_bin("pg_ctl")), "-D", self.data, *args]
        with tempfile.TemporaryFile() as out:
            done = subprocess.run(command, stdout=out, stderr=out, timeout=timeout)
            out.seek(0)
            said = out.read().decode(errors="replace")
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl {' '.join(args)} failed: {said}\n{self.server_log()}")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        self.pg_ctl("-l", self.log, "-o", options, "-w", "-t", "60", "start")

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every session is cut, then the server comes back."""
        self.pg_ctl("-l", self.log, "-m", "fast", "-w", "-t", "60", "restart")
        self.restarts += 1

    def stop(self) -> None:
        try:
            self.pg_ctl("-m", "immediate", "-w", "stop", timeout=30)
        except (RuntimeError, subprocess.TimeoutExpired):
            self._kill_postmaster()

    def _kill_postmaster(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                os.kill(int(f.readline()), signal.SIGKILL)

    def server_log(self) -> str:
        with contextlib.suppress(OSError):
            with open(self.log) as f:
                return f.read()[-4000:]
        return ""

    def query(self, sql: str) -> list[tuple[t.Any, ...]]:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", connect_timeout=5
        ) as conn:
            cursor = conn.execute(sql)  # type: ignore[arg-type]
            return list(cursor.fetchall()) if cursor.description else []


@contextlib.contextmanager
def cluster() -> t.Iterator[Cluster]:
    """Starts a cluster, yields it, then stops it and removes its directory."""
    if pg_bin("initdb") is None:
        raise RuntimeError("initdb is not installed (Debian package postgresql)")
    root = tempfile.mkdtemp(prefix="pertinax-pg-")
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        as_user = [shutil.which("runuser") or "runuser", "-u", "postgres", "--"]
    try:
        subprocess.run(
            [
                *as_user,
                t.cast(str, pg_bin("initdb")),
                "-D",
                os.path.join(root, "data"),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        db = Cluster(root, free_port(), as_user)
        db.start()
        try:
            yield db
        finally:
            db.stop()
    finally:
        deadline = time.monotonic() + 10
        while True:
            try:
                shutil.rmtree(root)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
