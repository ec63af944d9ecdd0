"""Celery tasks decorated with @retry, run by a real Celery worker.

The worker is Celery's own (`celery.contrib.testing.worker.start_worker`, a real consumer
and the solo pool in a thread of this process) over kombu's in-memory transport, with the
results in an in-memory cache backend and pickle as the serializer, so that exceptions
travel back to the caller as they would through Redis. Every check that tenacity can pass
runs against both libraries.
"""

from __future__ import annotations

import typing as t

import pertinax
import pytest
import tenacity
from celery import Celery
from celery.contrib.testing.worker import start_worker


def make_app(name: str) -> Celery:
    app = Celery(name, broker="memory://", backend="cache+memory://", set_as_current=False)
    app.conf.update(
        task_serializer="pickle",
        result_serializer="pickle",
        accept_content=["pickle", "json"],
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"polling_interval": 0.01},
    )
    return app


class Tasks:
    """The same tasks, decorated with one library's @retry, named after it."""

    def __init__(self, lib: t.Any, app: Celery) -> None:
        prefix = lib.__name__
        self.app = app
        self.calls: list[tuple[str, tuple[t.Any, ...]]] = []
        calls = self.calls

        @self.app.task(name=f"{prefix}.add_after_two_failures")
        @lib.retry(stop=lib.stop_after_attempt(5), wait=lib.wait_fixed(0), reraise=True)
        def add_after_two_failures(x: int, y: int = 0) -> int:
            calls.append(("add", (x, y)))
            if len(calls) < 3:
                raise ConnectionError("broker of the downstream service is down")
            return x + y

        @self.app.task(name=f"{prefix}.no_arguments")
        @lib.retry(stop=lib.stop_after_attempt(2))
        def no_arguments() -> str:
            calls.append(("none", ()))
            return "done"

        @self.app.task(name=f"{prefix}.always_fails")
        @lib.retry(stop=lib.stop_after_attempt(3), wait=lib.wait_fixed(0))
        def always_fails() -> None:
            calls.append(("fail", ()))
            raise TimeoutError("still down")

        @self.app.task(name=f"{prefix}.reraises", bind=True)
        @lib.retry(stop=lib.stop_after_attempt(2), wait=lib.wait_fixed(0), reraise=True)
        def reraises(task: t.Any, tag: str) -> None:
            calls.append(("reraise", (tag, task.name)))
            raise KeyError(tag)

        self.add_after_two_failures = add_after_two_failures
        self.no_arguments = no_arguments
        self.always_fails = always_fails
        self.reraises = reraises


APP = make_app("pertinax_tests")
TASKS = {lib: Tasks(lib, APP) for lib in (tenacity, pertinax)}


@pytest.fixture(scope="module")
def worker() -> t.Iterator[None]:
    """One worker for the module's tests (starting one takes seconds)."""
    with start_worker(APP, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


@pytest.fixture
def tasks(request: pytest.FixtureRequest) -> Tasks:
    chosen = TASKS[request.param]
    chosen.calls.clear()
    return chosen


LIBS = pytest.mark.parametrize(
    "tasks", [tenacity, pertinax], ids=lambda m: m.__name__, indirect=True
)


def test_celery_reads_the_same_signature_as_with_tenacity() -> None:
    # Celery checks .delay()'s arguments against a function it builds from the signature of
    # what @retry returned (without following __wrapped__). A callable object in its place
    # gave `(self, *args, **kwargs)`, so .delay() of a zero-argument task failed; the
    # function pertinax returns gives what tenacity's gives.
    from celery.utils.functional import head_from_fun

    ours, theirs = TASKS[pertinax], TASKS[tenacity]
    for name in ("add_after_two_failures", "no_arguments", "always_fails", "reraises"):
        task, control = getattr(ours, name), getattr(theirs, name)
        assert head_from_fun(task.run)._source == head_from_fun(control.run)._source, name
    ours.no_arguments.__header__()  # what .delay() checks for a call without arguments
    ours.add_after_two_failures.__header__(1, y=2)


@LIBS
def test_a_worker_runs_retried_tasks(tasks: Tasks, worker: None) -> None:
    assert tasks.add_after_two_failures.delay(2, y=3).get(timeout=10, interval=0.01) == 5
    assert tasks.no_arguments.delay().get(timeout=10, interval=0.01) == "done"
    # Bound tasks: @retry passes the task instance through, and reraise=True hands the
    # task's own exception back to the caller.
    with pytest.raises(KeyError, match="tag"):
        tasks.reraises.delay("tag").get(timeout=10, interval=0.01)
    assert tasks.calls == [
        ("add", (2, 3)),
        ("add", (2, 3)),
        ("add", (2, 3)),
        ("none", ()),
        ("reraise", ("tag", tasks.reraises.name)),
        ("reraise", ("tag", tasks.reraises.name)),
    ]
    # The statistics of the task function's last run.
    assert tasks.reraises.run.statistics["attempt_number"] == 2


def test_a_give_up_reaches_the_caller_as_a_retry_error(worker: None) -> None:
    # tenacity's RetryError cannot be pickled (its Future holds a lock), so Celery cannot send
    # it back; pertinax's can, with the last attempt's exception inside.
    tasks = TASKS[pertinax]
    tasks.calls.clear()
    result = tasks.always_fails.delay()
    with pytest.raises(pertinax.RetryError) as raised:
        result.get(timeout=10, interval=0.01)
    assert raised.value.last_attempt.attempt_number == 3
    assert isinstance(raised.value.last_attempt.exception(), TimeoutError)
    assert [c[0] for c in tasks.calls] == ["fail"] * 3


def test_tenacity_cannot_send_its_retry_error_back(worker: None) -> None:
    # The control for the test above: with tenacity the same task's failure does not reach
    # the caller as a RetryError.
    result = TASKS[tenacity].always_fails.delay()
    with pytest.raises(Exception) as raised:
        result.get(timeout=10, interval=0.01)
    assert not isinstance(raised.value, tenacity.RetryError)
