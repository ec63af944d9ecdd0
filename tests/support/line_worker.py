"""A child Python process driven one line at a time: each command written to its stdin is
answered by one JSON line on its stdout; its stderr goes to a log file, shown when it stops
answering. It runs in a session of its own, killed (with its children) by ``stop``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import typing as t
from pathlib import Path


class LineWorker:
    def __init__(self, argv: list[str], log: Path) -> None:
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            start_new_session=True,
        )

    def send(self, line: str) -> dict[str, t.Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{line}\n".encode())
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, Path(self.log.name).read_text()
        return dict(json.loads(answer))

    def stop(self) -> None:
        """Kills the process group at once (no goodbye) and closes the pipes."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        for pipe in (self.process.stdin, self.process.stdout, self.log):
            if pipe is not None:
                pipe.close()
