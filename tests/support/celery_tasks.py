"""The Celery app that tests/test_celery_policy.py runs in a real worker process.

Redis (the URL in PERTINAX_CELERY_BROKER) is the broker and the result backend. Every task
writes what it saw (attempt, retries, headers, times) to a Redis list that the test reads;
the worker's pertinax log records, its retry countdowns (Celery's task_retry signal) and its
alerts go to the same list.
"""

from __future__ import annotations

import json
import logging
import os
import time
import typing as t
from pathlib import Path

import pertinax
import redis
import tenacity
from celery import Celery, Task, signals
from pertinax import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_fixed,
    wait_retry_after,
)
from pertinax.integrations.celery import IDLE_HEADER, START_HEADER, PolicyTask, policy_task

EVENTS = "pertinax:events"


class AppTask(Task):  # type: ignore[misc]
    """The app's own task class: its __call__ and hooks must keep running."""

    def __call__(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        record("app_call", self.name)
        return super().__call__(*args, **kwargs)

    def on_success(self, retval: t.Any, task_id: str, args: t.Any, kwargs: t.Any) -> None:
        record("app_on_success", self.name)


app = Celery("celery_tasks", task_cls=AppTask, set_as_current=False)
_client: redis.Redis | None = None


def configure(url: str) -> None:
    global _client
    _client = None
    app.conf.update(
        broker_url=url,
        result_backend=url,
        task_serializer="json",
        result_serializer="pickle",
        accept_content=["json", "pickle"],
        result_accept_content=["json", "pickle"],
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 600},
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.1},
    )


configure(os.environ.get("PERTINAX_CELERY_BROKER", "redis://127.0.0.1:6379/0"))


def client() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(app.conf.broker_url)
    return _client


def record(kind: str, name: str, **fields: t.Any) -> None:
    try:
        client().rpush(EVENTS, json.dumps({"kind": kind, "name": name, "t": time.time(), **fields}))
    except redis.RedisError:
        pass  # the broker-outage tests stop Redis on purpose


def events(kind: str | None = None, name: str | None = None) -> list[dict[str, t.Any]]:
    out = [json.loads(raw) for raw in client().lrange(EVENTS, 0, -1)]
    return [
        e
        for e in out
        if (kind is None or e["kind"] == kind) and (name is None or e["name"] == name)
    ]


class ToRedis(logging.Handler):
    def emit(self, record_: logging.LogRecord) -> None:
        record("log", record_.name, level=record_.levelname, message=record_.getMessage())


@signals.worker_init.connect
def _logs_to_redis(**_: t.Any) -> None:
    # Only in the worker: the test process's logging belongs to the other tests.
    # pertinax.celery's records reach this handler through propagation.
    logging.getLogger("pertinax").addHandler(ToRedis(level=logging.DEBUG))
    logging.getLogger("pertinax").setLevel(logging.DEBUG)
    # A policy by name (registered here: the test process's registry is the other tests').
    pertinax.policies.register(
        pertinax.Policy("give-up-fast", stop=stop_after_attempt(3), wait=wait_fixed(0.2))
    )


@signals.task_retry.connect
def _on_retry(request: t.Any, reason: t.Any, **_: t.Any) -> None:
    record("countdown", request.task, when=reason.when, retries=request.retries)


def _body_event(task: t.Any, **fields: t.Any) -> None:
    headers = task.request.headers or {}
    record(
        "body",
        task.name,
        retries=task.request.retries,
        started=headers.get(START_HEADER),
        idle_for=headers.get(IDLE_HEADER),
        **fields,
    )


# --- policies: a Policy, a registered name, and a plain Retrying all work -------------------
TRANSIENT = pertinax.Policy(
    "transient",
    stop=stop_after_attempt(5),
    wait=wait_exponential(multiplier=0.25),
    retry=retry_if_exception_type(ConnectionError),
)


@policy_task(app, policy=TRANSIENT, bind=True, name="policy.flaky")
def flaky(self: t.Any, key: str, failures: int, value: int) -> int:
    _body_event(self)
    if client().incr(key) <= failures:
        raise ConnectionError(f"dependency down ({key})")
    return value * 2


@policy_task(app, policy=TRANSIENT, bind=True, name="policy.not_transient")
def not_transient(self: t.Any) -> None:
    _body_event(self)
    raise ValueError("bad input: not worth retrying")


@policy_task(app, policy="give-up-fast", bind=True, name="policy.gives_up")
def gives_up(self: t.Any) -> None:
    _body_event(self)
    raise ConnectionError("still down")


@policy_task(
    app,
    policy=Retrying(stop=stop_after_attempt(3), wait=wait_fixed(0.2), reraise=True),
    bind=True,
    name="policy.gives_up_reraise",
)
def gives_up_reraise(self: t.Any) -> None:
    _body_event(self)
    raise ConnectionError("still down")


DEADLINE = 2.5


@policy_task(
    app,
    policy=Retrying(stop=stop_after_delay(DEADLINE), wait=wait_fixed(1)),
    bind=True,
    name="policy.deadline",
)
def deadline(self: t.Any) -> None:
    started = (self.request.headers or {}).get(START_HEADER)
    _body_event(self, elapsed=None if started is None else time.time() - started)
    raise ConnectionError("down for longer than the deadline")


@app.task(base=PolicyTask, retry_policy=Retrying(stop=stop_after_attempt(2), wait=wait_fixed(3)),
          bind=True, name="policy.slow_retry")  # fmt: skip
def slow_retry(self: t.Any) -> str:
    _body_event(self)
    if self.request.retries == 0:
        raise ConnectionError("down for a while")
    return "a done"


@app.task(bind=True, name="plain.quick")
def quick(self: t.Any) -> str:
    _body_event(self)
    return "b done"


@app.task(name="plain.metrics")
def worker_metrics(operation: str) -> dict[str, t.Any]:
    return pertinax.metrics.snapshot().get(operation, {})


@app.task(name="plain.set_alert")
def set_alert(operation: str) -> None:
    def alert(a: pertinax.metrics.Alert) -> None:
        record("alert", a.operation, rate=a.rate, value=a.value)

    pertinax.metrics.set_alert(operation, retry_rate=0.5, min_calls=1, callback=alert)


@policy_task(
    app,
    policy=Retrying(
        stop=stop_after_attempt(3),
        wait=wait_retry_after(fallback=wait_fixed(0.1)),
        retry=retry_if_exception_type(ConnectionError),
    ),
    bind=True,
    name="policy.throttled",
)
def throttled(self: t.Any, seconds: float) -> str:
    _body_event(self)
    if self.request.retries == 0:
        exc = ConnectionError("429 Too Many Requests")
        exc.retry_after = seconds  # type: ignore[attr-defined]
        raise exc
    return "served"


# --- the broker goes away while a retry is published ----------------------------------------
def _attempts(directory: str) -> list[str]:
    path = Path(directory, "attempts")
    return path.read_text().split() if path.exists() else []


def _append(directory: str, name: str) -> None:
    with Path(directory, "attempts").open("a") as f:
        f.write(f"{name}\n")


def _handshake(directory: str, name: str) -> None:
    # Attempt 1 tells the test it runs, then waits until the test has stopped Redis.
    _append(directory, name)
    Path(directory, "running").touch()
    deadline_ = time.monotonic() + 30
    while not Path(directory, "go").exists() and time.monotonic() < deadline_:
        time.sleep(0.02)


@policy_task(
    app,
    policy=Retrying(stop=stop_after_attempt(4), wait=wait_fixed(3)),
    bind=True,
    name="policy.outage",
)
def outage(self: t.Any, directory: str) -> str:
    if not _attempts(directory):
        _handshake(directory, "policy")
        raise ConnectionError("dependency down, and now the broker too")
    _append(directory, "policy")
    return "finished"


@app.task(bind=True, name="plain.outage")
def plain_outage(self: t.Any, directory: str) -> str:
    if not _attempts(directory):
        _handshake(directory, "plain")
        try:
            raise ConnectionError("dependency down, and now the broker too")
        except ConnectionError as exc:
            raise self.retry(exc=exc, countdown=1) from exc
    _append(directory, "plain")
    return "finished"


# --- the guide's pattern: an inner @retry inside a bound task, an outer self.retry ----------
def _guide_tasks(lib: t.Any) -> tuple[t.Any, t.Any]:
    prefix = lib.__name__

    def make(name: str, reraise: bool) -> t.Any:
        @app.task(bind=True, name=f"{prefix}.guide_{name}")
        def task(self: t.Any, key: str, failures: int) -> str:
            @lib.retry(
                stop=lib.stop_after_attempt(2),
                wait=lib.wait_fixed(0.05),
                retry=lib.retry_if_exception_type((ConnectionError, TimeoutError)),
                reraise=reraise,
            )
            def inner() -> str:
                n = client().incr(key)
                record("guide", prefix, retries=self.request.retries, n=n)
                if n <= failures:
                    raise ConnectionError(f"down ({n})")
                return f"ok after {n}"

            try:
                return inner()
            except Exception as exc:
                record("guide_outer", prefix, retries=self.request.retries, exc=type(exc).__name__)
                raise self.retry(exc=exc, countdown=0.2, max_retries=2) from exc

        return task

    return make("recovers", False), make("gives_up", True)


GUIDE = {lib.__name__: _guide_tasks(lib) for lib in (tenacity, pertinax)}


# --- a policy that asks for more than the visibility timeout allows -------------------------
@policy_task(
    app,
    policy=Retrying(stop=stop_after_attempt(2), wait=wait_fixed(7200)),
    bind=True,
    name="policy.long_wait",
)
def long_wait(self: t.Any) -> None:
    _body_event(self)
    raise ConnectionError("down for hours")
