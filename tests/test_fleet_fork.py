"""A fork while the metrics publisher's thread is publishing: the fork waits for the
publication to end, so the child never inherits locks held by a thread it does not have (a
module half imported, a connection in use), and the child's own publisher publishes.

The scenario runs in a child interpreter of its own (forking the test process, which has
threads, would be unsafe): a store whose first publication imports a slow module, and a fork
while that import runs. Without the fork lock the fork happens mid-import, and the child gets
a copy of a half-initialised module whose importing thread it does not have."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCENARIO = textwrap.dedent(
    """
    import os, sys, threading, time
    from pertinax.integrations.redis import MetricsPublisher

    sys.path.insert(0, sys.argv[1])
    parent = os.getpid()
    entered = threading.Event()
    published_in_child = os.path.join(sys.argv[1], "child-published")
    ended = []

    class Store:
        def publish_metrics(self, snapshot=None, *, expire_after=30.0):
            entered.set()
            import slow_module  # the first publication imports it, slowly
            if os.getpid() != parent:
                open(published_in_child, "w").close()
            ended.append(time.monotonic())
            return True

    publisher = MetricsPublisher(Store(), every=0.05)
    publisher.start()
    assert entered.wait(10)
    child = os.fork()
    if child == 0:
        deadline = time.monotonic() + 10
        while not os.path.exists(published_in_child) and time.monotonic() < deadline:
            time.sleep(0.01)
        os._exit(0 if os.path.exists(published_in_child) else 3)
    forked_at = time.monotonic()
    _, status = os.waitpid(child, 0)
    print(os.waitstatus_to_exitcode(status), bool(ended) and ended[0] <= forked_at)
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_fork_waits_for_the_publication_in_progress(tmp_path: Path) -> None:
    (tmp_path / "slow_module.py").write_text("import time\ntime.sleep(0.5)\n")
    done = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", SCENARIO, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    # The child published (exit code 0), and the fork came after the first publication ended.
    assert done.stdout.split() == ["0", "True"]
