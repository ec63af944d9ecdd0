"""The broker goes away while a task publishes its retry, then comes back.

A real `celery worker` process runs tests/support/celery_tasks.py over Debian's redis-server
(broker and result backend). The task's first attempt tells the test it is running and waits;
the test stops Redis; the attempt fails and the task publishes its retry to a broker that is
not there; the test starts Redis again (empty: it keeps no data).

With Celery's own ``self.retry`` the task is lost: ``retry()`` raises ``Reject(requeue=False)``
and the message, acknowledged when the task started, is gone. A PolicyTask waits out the
policy's wait in the worker and finishes, exactly once.
"""

from __future__ import annotations

import time
import typing as t
from pathlib import Path

import pytest

from tests.support import celery_tasks as tasks
from tests.support.celery_services import Worker

TIMEOUT = 30


@pytest.fixture(scope="module")
def worker(redis_server: t.Any) -> t.Iterator[Worker]:
    tasks.configure(redis_server.url)
    w = Worker("celery_tasks", redis_server.url)
    try:
        yield w
    finally:
        w.close()
        if redis_server.proc is None:
            redis_server.start()


def wait_for(path: Path, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.02)


def attempts(directory: Path) -> list[str]:
    path = directory / "attempts"
    return path.read_text().split() if path.exists() else []


def outage_during_retry(
    task: t.Any, directory: Path, worker: Worker, redis_server: t.Any, refused_log: str
) -> t.Any:
    """Runs ``task``; stops Redis while its first attempt runs; starts it again once the
    worker has tried to publish the retry (``refused_log`` appears in its log)."""
    mark = len(worker.log())
    result = task.delay(str(directory))
    wait_for(directory / "running")
    redis_server.stop()
    try:
        (directory / "go").touch()
        worker.wait_for_log(refused_log, timeout=TIMEOUT, after=mark)
    finally:
        redis_server.start()
    return result


def test_celerys_own_retry_loses_the_task_when_the_broker_is_down(
    worker: Worker, redis_server: t.Any, tmp_path: Path
) -> None:
    # The control: what the issue describes, shown on the real thing.
    refused = "plain.outage[{}] reject requeue=False"
    mark = len(worker.log())
    result = outage_during_retry(tasks.plain_outage, tmp_path, worker, redis_server, "reject")
    assert refused.format(result.id) in worker.log()[mark:]
    # Long past the 1-second countdown, with the broker back, nothing ran again and the
    # caller has nothing to wait for.
    time.sleep(4)
    assert attempts(tmp_path) == ["plain"]
    assert result.state == "PENDING"
    assert not result.ready()


def test_a_policy_task_survives_the_broker_going_down_during_its_retry(
    worker: Worker, redis_server: t.Any, tmp_path: Path
) -> None:
    result = outage_during_retry(
        tasks.outage, tmp_path, worker, redis_server, "the broker refused the retry message"
    )
    assert result.get(timeout=TIMEOUT) == "finished"
    assert attempts(tmp_path) == ["policy", "policy"]
    # Exactly once: nothing runs it again later (the policy's wait is 3 seconds).
    time.sleep(4)
    assert attempts(tmp_path) == ["policy", "policy"]
    assert f"policy.outage[{result.id}] reject" not in worker.log()
    # The worker is still serving the broker that came back, and counted one call.
    assert tasks.quick.delay().get(timeout=TIMEOUT) == "b done"
    m = tasks.worker_metrics.delay("policy.outage").get(timeout=TIMEOUT)
    assert (m["calls"], m["attempts"], m["retries"], m["recovered"]) == (1, 2, 1, 1)
