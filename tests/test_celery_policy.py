"""PolicyTask against the real thing: Debian's redis-server as broker and result backend, and
a `celery worker` process (solo pool, concurrency 1) running tests/support/celery_tasks.py.

The tasks write what they saw to a Redis list; the countdowns come from Celery's task_retry
signal in the worker, the metrics from the worker's own registry.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import typing as t
import uuid
from pathlib import Path

import pertinax
import pytest
from pertinax import RetryCallState
from pertinax.integrations.celery import countdown_cap

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


@pytest.fixture(autouse=True)
def clean_events(worker: Worker) -> None:
    tasks.client().delete(tasks.EVENTS)


def wait_for_events(kind: str, name: str, count: int) -> list[dict[str, t.Any]]:
    # Hooks that run after the result is stored (on_success, the signal handlers) may lag
    # the caller's get() by a moment.
    deadline = time.monotonic() + TIMEOUT
    while True:
        found = tasks.events(kind, name)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def policy_waits(controller: t.Any, failures: int) -> list[float]:
    # What the policy's own wait says after attempts 1..failures.
    state = RetryCallState(controller, None, (), {})
    out = []
    for n in range(1, failures + 1):
        state.attempt_number = n
        out.append(float(controller.wait(state)))
    return out


def test_transient_twice_then_success(worker: Worker) -> None:
    tasks.set_alert.delay("policy.flaky").get(timeout=TIMEOUT)
    key = f"flaky:{uuid.uuid4()}"
    assert tasks.flaky.delay(key, 2, 21).get(timeout=TIMEOUT) == 42

    bodies = tasks.events("body", "policy.flaky")
    assert [b["retries"] for b in bodies] == [0, 1, 2]
    waits = policy_waits(tasks.TRANSIENT.retrying(), 2)
    countdowns = [e["when"] for e in tasks.events("countdown", "policy.flaky")]
    assert countdowns == waits
    # The first attempt's start and the countdowns so far travel in the headers.
    assert bodies[0]["started"] is None and bodies[0]["idle_for"] is None
    assert bodies[1]["started"] == bodies[2]["started"] == pytest.approx(bodies[0]["t"], abs=2)
    assert [b["idle_for"] for b in bodies[1:]] == [waits[0], waits[0] + waits[1]]
    # Each delivery waited at least its countdown.
    for before, after, wait in zip(bodies[:-1], bodies[1:], waits, strict=True):
        assert after["t"] - before["t"] >= wait - 0.05

    # The app's own task class still runs: its __call__ once per attempt, on_success once.
    assert len(tasks.events("app_call", "policy.flaky")) == 3
    assert len(wait_for_events("app_on_success", "policy.flaky", 1)) == 1

    # One call, named after the task, however many deliveries it took.
    m = tasks.worker_metrics.delay("policy.flaky").get(timeout=TIMEOUT)
    assert (m["calls"], m["attempts"], m["retries"], m["recovered"]) == (1, 3, 2, 1)
    assert m["retry_sleep_seconds"] == pytest.approx(sum(waits))
    assert m["duration"]["count"] == 1
    assert m["duration"]["sum"] >= sum(waits)
    logs = [e["message"] for e in tasks.events("log") if "policy.flaky" in e["message"]]
    assert f"policy.flaky: retrying in {waits[0]} seconds" in " ".join(logs)
    assert any("policy.flaky: recovered after 3 attempts" in m for m in logs)
    assert [a["rate"] for a in wait_for_events("alert", "policy.flaky", 1)] == ["retry_rate"]


def test_an_error_the_policy_does_not_retry_fails_at_once(worker: Worker) -> None:
    with pytest.raises(ValueError, match="not worth retrying"):
        tasks.not_transient.delay().get(timeout=TIMEOUT)
    assert len(tasks.events("body", "policy.not_transient")) == 1
    assert tasks.events("countdown", "policy.not_transient") == []


def test_give_up_raises_a_retry_error_with_the_last_attempt(worker: Worker) -> None:
    with pytest.raises(pertinax.RetryError) as raised:
        tasks.gives_up.delay().get(timeout=TIMEOUT)
    last = raised.value.last_attempt
    assert last.attempt_number == 3
    assert isinstance(last.exception(), ConnectionError)
    assert str(last.exception()) == "still down"
    assert [b["retries"] for b in tasks.events("body", "policy.gives_up")] == [0, 1, 2]
    m = tasks.worker_metrics.delay("policy.gives_up").get(timeout=TIMEOUT)
    assert (m["calls"], m["gave_up"], m["attempts"]) == (1, 1, 3)


def test_give_up_with_reraise_raises_the_tasks_own_error(worker: Worker) -> None:
    with pytest.raises(ConnectionError, match="still down"):
        tasks.gives_up_reraise.delay().get(timeout=TIMEOUT)
    assert len(tasks.events("body", "policy.gives_up_reraise")) == 3


def test_stop_after_delay_counts_the_time_since_the_first_delivery(worker: Worker) -> None:
    with pytest.raises(pertinax.RetryError) as raised:
        tasks.deadline.delay().get(timeout=TIMEOUT)
    bodies = tasks.events("body", "policy.deadline")
    elapsed = [b["elapsed"] for b in bodies]
    # Without the start header each delivery would see ~0 seconds and retry forever.
    assert len(bodies) >= 2
    assert raised.value.last_attempt.attempt_number == len(bodies)
    assert elapsed[-1] >= tasks.DEADLINE
    assert all(e < tasks.DEADLINE for e in elapsed[1:-1])


def test_wait_retry_after_sets_the_countdown(worker: Worker) -> None:
    # The server's Retry-After, read from the exception, becomes the countdown.
    assert tasks.throttled.delay(1.5).get(timeout=TIMEOUT) == "served"
    assert [e["when"] for e in tasks.events("countdown", "policy.throttled")] == [1.5]
    first, second = tasks.events("body", "policy.throttled")
    assert second["t"] - first["t"] >= 1.5 - 0.05


def test_countdowns_are_capped_below_the_visibility_timeout(worker: Worker) -> None:
    # The worker's app says visibility_timeout=600: a longer countdown would have Redis
    # deliver the task twice. The policy asks for 7200 s, twice; the worker warns once.
    cap = countdown_cap(tasks.app)
    assert cap is not None and cap < 600
    results = [tasks.long_wait.delay() for _ in range(2)]
    countdowns = wait_for_events("countdown", "policy.long_wait", 2)
    assert [e["when"] for e in countdowns] == [cap, cap]
    warnings = [
        e["message"]
        for e in tasks.events("log", "pertinax.celery")
        if "policy.long_wait" in e["message"]
    ]
    assert len(warnings) == 1 and "7200" in warnings[0]
    for r in results:
        r.revoke()


def test_the_worker_stays_free_while_a_task_waits_in_the_broker(worker: Worker) -> None:
    a = tasks.slow_retry.delay()
    # Task A has failed once and its 3-second countdown is running.
    [countdown] = wait_for_events("countdown", "policy.slow_retry", 1)
    assert countdown["when"] == 3.0
    assert tasks.quick.delay().get(timeout=TIMEOUT) == "b done"
    assert a.get(timeout=TIMEOUT) == "a done"
    first_a, second_a = tasks.events("body", "policy.slow_retry")
    [b] = tasks.events("body", "plain.quick")
    assert second_a["t"] - first_a["t"] >= 3.0 - 0.05
    # B ran in the one slot while A waited: well before A's retry.
    assert b["t"] < second_a["t"] - 1.5


@pytest.mark.parametrize("scenario", ["recovers", "gives_up"])
def test_the_guides_inner_retry_plus_self_retry_works_as_with_tenacity(
    worker: Worker, scenario: str
) -> None:
    seen = {}
    for lib in ("tenacity", "pertinax"):
        tasks.client().delete(tasks.EVENTS)
        recovers, gives_up = tasks.GUIDE[lib]
        task = recovers if scenario == "recovers" else gives_up
        failures = 3 if scenario == "recovers" else 100
        result = task.delay(f"guide:{uuid.uuid4()}", failures)
        try:
            outcome: t.Any = ("ok", result.get(timeout=TIMEOUT))
        except Exception as exc:  # the caller's view, compared below
            outcome = ("raised", type(exc).__name__, str(exc))
        events = [
            {k: v for k, v in e.items() if k not in ("t", "name")}
            for e in tasks.events()
            if e["kind"] in ("guide", "guide_outer", "countdown")
        ]
        seen[lib] = (outcome, events)
    assert seen["pertinax"] == seen["tenacity"]
    outcome, events = seen["pertinax"]
    if scenario == "recovers":
        assert outcome == ("ok", "ok after 4")
        assert [e["retries"] for e in events if e["kind"] == "guide"] == [0, 0, 1, 1]
    else:
        assert outcome[:2] == ("raised", "ConnectionError")
        assert [e["retries"] for e in events if e["kind"] == "guide"] == [0, 0, 1, 1, 2, 2]


def test_the_example_app_runs_on_a_real_worker(redis_server: t.Any) -> None:
    # README's Celery section: a worker in examples/, then `python celery_app.py send`. A
    # database of its own keeps it apart from the tests' worker and queue.
    examples = Path(__file__).resolve().parent.parent / "examples"
    url = redis_server.url.rsplit("/", 1)[0] + "/1"
    env = {"CELERY_BROKER_URL": url}
    example_worker = Worker("celery_app", url, path=examples, env=env)
    try:
        sent = subprocess.run(
            [sys.executable, "celery_app.py", "send"],
            cwd=examples,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=TIMEOUT * 2,
            check=False,
        )
        assert sent.returncode == 0, sent.stderr
        assert sent.stdout.splitlines() == ["1 EUR = 1.08 USD"]
        log = example_worker.log()
        assert [f"attempt {n} for USD" in log for n in (1, 2, 3)] == [True] * 3
        assert "example.fetch_rate" in log and "retry: Retry in 0.5s" in log
    finally:
        example_worker.close()
