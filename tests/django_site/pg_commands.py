"""The test site's management commands against a :mod:`pg_cluster` PostgreSQL, each in a
child process (Django's settings are per process): the environment that points the site at
the cluster, a plain run, and a run that restarts PostgreSQL once a given row is written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import typing as t
from pathlib import Path

import pg_cluster

SITE = Path(__file__).parent


def env(db: pg_cluster.Cluster) -> dict[str, str]:
    return {
        **os.environ,
        "PERTINAX_TEST_PG": str(db.port),
        "DJANGO_SETTINGS_MODULE": "djapp.settings",
        "PYTHONPATH": os.pathsep.join([str(SITE), os.environ.get("PYTHONPATH", "")]),
    }


def manage(db: pg_cluster.Cluster, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env(db),
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_rows(
    db: pg_cluster.Cluster, *args: str, restart_after: int | None = None
) -> tuple[int, dict[str, t.Any], list[str]]:
    """Runs a row-writing command (``args``: its name and options) after emptying the table;
    with ``restart_after``, restarts PostgreSQL once the command reports that row. Returns
    the exit code, the JSON summary it prints last, and its progress lines (stderr)."""
    db.query("TRUNCATE djapp_row")
    proc = subprocess.Popen(
        [sys.executable, "-m", "django", *args],
        env=env(db),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reached = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line.rstrip("\n"))
            if restart_after is not None and line.startswith(f"row {restart_after}\n"):
                reached.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if restart_after is not None:
            assert reached.wait(60), "\n".join(lines[-20:])
            restarts = db.restarts
            db.restart()
            assert db.restarts == restarts + 1
        stdout, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    reader.join(10)
    assert stdout.strip(), "\n".join(lines[-30:])
    return proc.returncode, json.loads(stdout.strip().splitlines()[-1]), lines


def stored(db: pg_cluster.Cluster) -> list[int]:
    return [n for (n,) in db.query("SELECT n FROM djapp_row ORDER BY n")]
