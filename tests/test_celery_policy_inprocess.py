"""PolicyTask without a broker: eager runs and direct calls retry in-process, the countdown
cap, the app's own task class, bad input, and what the result serializers make of a give-up.
(The real worker is in test_celery_policy.py and test_celery_outage.py.)"""

from __future__ import annotations

import json
import logging
import pickle
import typing as t

import pertinax
import pytest
from celery import Celery, Task
from pertinax import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_fixed,
)
from pertinax.integrations.celery import (
    PolicyTask,
    countdown_cap,
    policy_task,
    policy_task_class,
)


class Recorder:
    """A policy's sleep that records instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class EagerApp(Celery):  # type: ignore[misc]  # Celery is untyped
    def task(self, *args: t.Any, **opts: t.Any) -> t.Any:
        # These throwaway apps' tasks must not join every app finalized later, as Celery's
        # shared tasks do: the same names, registered again there, warn as duplicates (and
        # fail, warnings being errors) when another test module's worker starts afterwards.
        opts.setdefault("shared", False)
        return super().task(*args, **opts)


def eager_app(**conf: t.Any) -> Celery:
    app = EagerApp("eager", broker="memory://", set_as_current=False, **conf)
    app.conf.task_always_eager = True
    return app


def make_policy(sleep: Recorder, **kwargs: t.Any) -> Retrying:
    kwargs.setdefault("stop", stop_after_attempt(4))
    kwargs.setdefault("wait", wait_exponential(multiplier=0.5))
    kwargs.setdefault("retry", retry_if_exception_type(ConnectionError))
    return Retrying(sleep=sleep, **kwargs)


def expected_waits(policy: Retrying, n: int) -> list[float]:
    state = RetryCallState(policy, None, (), {})
    out = []
    for attempt in range(1, n + 1):
        state.attempt_number = attempt
        out.append(float(policy.wait(state)))
    return out


@pytest.mark.parametrize("how", ["delay", "apply", "direct"])
def test_eager_and_direct_calls_retry_in_process(how: str) -> None:
    pertinax.metrics.reset()
    app = eager_app()
    sleep = Recorder()
    policy = make_policy(sleep)
    seen: list[tuple[int, bool]] = []

    @policy_task(app, policy=policy, bind=True, name="eager.flaky")
    def flaky(self: t.Any, x: int) -> int:
        seen.append((self.request.retries, bool(self.request.is_eager)))
        if len(seen) < 3:
            raise ConnectionError("down")
        return x + 1

    if how == "delay":
        assert flaky.delay(41).get() == 42
    elif how == "apply":
        assert flaky.apply((41,)).get() == 42
    else:
        assert flaky(41) == 42
    # Three attempts in one run, with the policy's waits slept by the policy's sleep; the
    # body sees request.retries + 1 == attempt number, as in a worker.
    assert [r for r, _ in seen] == [0, 1, 2]
    assert sleep.waits == expected_waits(policy, 2)
    m = pertinax.metrics.snapshot()["eager.flaky"]
    assert (m["calls"], m["recovered"], m["retries"]) == (1, 1, 2)
    pertinax.metrics.reset()


def test_eager_give_up_and_non_retried_errors() -> None:
    app = eager_app()
    sleep = Recorder()
    runs: list[str] = []

    @policy_task(app, policy=make_policy(sleep, stop=stop_after_attempt(2)), name="eager.down")
    def down(kind: str) -> None:
        runs.append(kind)
        raise (ConnectionError if kind == "transient" else KeyError)(kind)

    with pytest.raises(pertinax.RetryError) as raised:
        down.delay("transient").get()
    assert raised.value.last_attempt.attempt_number == 2
    assert isinstance(raised.value.last_attempt.exception(), ConnectionError)
    with pytest.raises(KeyError):
        down.delay("permanent").get()
    assert runs == ["transient", "transient", "permanent"]


def test_celerys_own_retry_inside_the_body_is_not_the_policys_business() -> None:
    app = eager_app()
    sleep = Recorder()
    runs: list[int] = []

    @policy_task(app, policy=make_policy(sleep, retry=retry_if_exception_type()), bind=True)
    def asks_celery(self: t.Any) -> str:
        runs.append(self.request.retries)
        if self.request.retries == 0:
            raise self.retry(countdown=0)
        return "done"

    # Celery's Retry (an Exception) went to Celery, which re-applied the task eagerly;
    # the policy, which retries every exception, did not count it as a failed attempt.
    assert asks_celery.delay().get() == "done"
    assert runs == [0, 1]
    assert sleep.waits == []


def test_the_apps_own_task_class_keeps_running() -> None:
    calls: list[str] = []

    class AppTask(Task):  # type: ignore[misc]
        def __call__(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
            calls.append("app __call__")
            return super().__call__(*args, **kwargs)

        def after_return(self, *args: t.Any, **kwargs: t.Any) -> None:
            calls.append("after_return")

    app = eager_app(task_cls=AppTask)
    sleep = Recorder()

    @policy_task(app, policy=make_policy(sleep), name="eager.app_class")
    def flaky() -> str:
        calls.append("body")
        if calls.count("body") < 2:
            raise ConnectionError("down")
        return "ok"

    assert isinstance(flaky, AppTask) and isinstance(flaky, PolicyTask)
    assert flaky.delay().get() == "ok"
    assert calls == ["app __call__", "body", "app __call__", "body", "after_return"]
    # One class per app and base, reused.
    assert policy_task_class(app) is policy_task_class(app)
    assert policy_task_class(app, PolicyTask) is PolicyTask


def test_djangos_task_class_is_kept() -> None:
    django_task = pytest.importorskip("celery.contrib.django.task").DjangoTask
    app = eager_app(task_cls=django_task)
    cls = policy_task_class(app)
    assert issubclass(cls, django_task) and issubclass(cls, PolicyTask)

    @policy_task(app, policy=make_policy(Recorder()), name="eager.django")
    def add(x: int, y: int) -> int:
        return x + y

    assert callable(add.delay_on_commit)
    assert add.delay(1, 2).get() == 3


def test_base_policy_task_with_retry_policy_option() -> None:
    app = eager_app()
    sleep = Recorder()
    runs: list[int] = []

    @app.task(base=PolicyTask, retry_policy=make_policy(sleep), name="eager.base")
    def flaky() -> int:
        runs.append(1)
        if len(runs) < 2:
            raise ConnectionError("down")
        return len(runs)

    assert flaky.delay().get() == 2
    assert len(sleep.waits) == 1


def test_countdown_cap_follows_the_brokers_visibility_timeout() -> None:
    def app_for(url: str, **options: t.Any) -> Celery:
        app = Celery("cap", broker=url, set_as_current=False)
        app.conf.broker_transport_options = options
        return app

    assert countdown_cap(app_for("redis://localhost:6379/0")) == 3600 - 360
    assert countdown_cap(app_for("sqs://")) == 3600 - 360
    assert countdown_cap(app_for("redis://h", visibility_timeout=100)) == 50
    assert countdown_cap(app_for("amqp://guest@localhost//")) is None
    # An explicit timeout counts whatever the transport.
    assert countdown_cap(app_for("amqp://", visibility_timeout=1000)) == 900


def test_a_policy_asking_for_more_is_capped_and_warned_about_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = eager_app()
    app.conf.broker_transport_options = {"visibility_timeout": 100}
    sleep = Recorder()

    @policy_task(app, policy=make_policy(sleep, wait=wait_fixed(7200)), name="eager.long")
    def long_wait() -> None:
        raise ConnectionError("down")

    with caplog.at_level(logging.WARNING, logger="pertinax.celery"):
        for _ in range(2):
            with pytest.raises(pertinax.RetryError):
                long_wait.delay().get()
    assert sleep.waits == [50.0] * 6
    warnings = [r.getMessage() for r in caplog.records if r.name == "pertinax.celery"]
    assert len(warnings) == 1
    assert "eager.long" in warnings[0] and "7200" in warnings[0] and "50" in warnings[0]


def test_bad_policies_are_named() -> None:
    app = eager_app()
    with pytest.raises(TypeError, match=r"policy=42"):
        policy_task(app, policy=42)  # type: ignore[arg-type]

    @app.task(base=PolicyTask, retry_policy=42, name="eager.bad")
    def bad() -> None:
        pass

    with pytest.raises(TypeError, match=r"retry_policy=42 of task 'eager.bad'"):
        bad.delay().get()


def test_a_wrong_app_or_base_is_named_at_once() -> None:
    app = eager_app()
    with pytest.raises(TypeError, match=r"^policy_task: app must be a Celery app, got 42$"):
        policy_task(42, policy="api")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^policy_task_class: app must be a Celery app, got 'x'$"):
        policy_task_class("x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"base must be a Celery Task class, got 42$"):
        policy_task(app, policy="api", base=42)
    with pytest.raises(TypeError, match=r"base must be a Celery Task class, got <class 'int'>$"):
        policy_task_class(app, int)


def test_a_task_without_a_policy_runs_as_celery_runs_it() -> None:
    app = eager_app()
    runs: list[int] = []

    @app.task(base=PolicyTask, name="eager.no_policy")
    def once() -> None:
        runs.append(1)
        raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        once.delay().get()
    assert runs == [1]


def _give_up_error() -> pertinax.RetryError:
    try:
        Retrying(stop=stop_after_attempt(2))(lambda: 1 / 0)
    except pertinax.RetryError as e:
        return e
    raise AssertionError("no give-up")


def test_a_give_up_survives_the_pickle_result_serializer() -> None:
    backend = Celery("ser", backend="cache+memory://", set_as_current=False).backend
    meta = backend.prepare_exception(_give_up_error(), "pickle")
    exc = backend.exception_to_python(pickle.loads(pickle.dumps(meta)))
    assert isinstance(exc, pertinax.RetryError)
    assert exc.last_attempt.attempt_number == 2
    assert isinstance(exc.last_attempt.exception(), ZeroDivisionError)


def test_with_the_json_result_serializer_only_type_and_message_survive() -> None:
    # Celery sends exceptions as (module, type, args) under json: the caller still gets a
    # pertinax.RetryError, but its last_attempt is the attempt's repr, not a Future.
    backend = Celery("ser", backend="cache+memory://", set_as_current=False).backend
    meta = backend.prepare_exception(_give_up_error(), "json")
    exc = backend.exception_to_python(json.loads(json.dumps(meta)))
    assert isinstance(exc, pertinax.RetryError)
    assert isinstance(exc.last_attempt, str)
    assert "raised ZeroDivisionError" in exc.last_attempt


def test_a_registered_policy_by_name_follows_re_registration() -> None:
    app = eager_app()
    sleep = Recorder()
    pertinax.policies.register(
        pertinax.Policy("celery-test", stop=stop_after_attempt(2), sleep=sleep, reraise=True)
    )
    runs: list[int] = []

    @policy_task(app, policy="celery-test", bind=True, name="eager.by_name")
    def down(self: t.Any) -> None:
        runs.append(self.request.retries)
        raise ConnectionError("down")

    try:
        with pytest.raises(ConnectionError):
            down.delay().get()
        assert runs == [0, 1]
        # Registered again under the same name: the task follows without being redefined.
        pertinax.policies.register(
            pertinax.Policy("celery-test", stop=stop_after_attempt(3), sleep=sleep, reraise=True)
        )
        runs.clear()
        with pytest.raises(ConnectionError):
            down.delay().get()
        assert runs == [0, 1, 2]
        # Logs and metrics name the task, not the policy.
        assert "eager.by_name" in pertinax.metrics.snapshot()
    finally:
        pertinax.policies.reset()


def test_an_unknown_policy_name_fails_the_task_clearly() -> None:
    app = eager_app()

    @policy_task(app, policy="no-such-policy", name="eager.unknown")
    def task() -> None:
        pass

    with pytest.raises(LookupError, match="no-such-policy"):
        task.delay().get()


def test_a_policy_object_and_the_testing_mode() -> None:
    app = eager_app()
    sleep = Recorder()
    policy = pertinax.Policy(
        "celery-eager", stop=stop_after_attempt(5), wait=wait_fixed(1), sleep=sleep
    )
    runs: list[int] = []

    @policy_task(app, policy=policy, bind=True, name="eager.policy_object")
    def down(self: t.Any) -> None:
        runs.append(self.request.retries)
        raise ConnectionError("down")

    # pertinax's testing mode: every retry stops after N attempts and never sleeps.
    with pertinax.testing.testing(attempts=2):
        with pytest.raises(pertinax.RetryError) as raised:
            down.delay().get()
    assert raised.value.last_attempt.attempt_number == 2
    assert runs == [0, 1]
    assert sleep.waits == []
    runs.clear()
    with pytest.raises(pertinax.RetryError):
        down.delay().get()
    assert runs == [0, 1, 2, 3, 4]
    assert sleep.waits == [1.0] * 4


def test_pertinax_never_imports_celery_and_the_integration_names_its_extra() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import pertinax; assert 'celery' not in sys.modules\n"
        "sys.modules['celery'] = None\n"
        "try:\n"
        "    import pertinax.integrations.celery\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'pertinax[celery]'" in out.stdout
