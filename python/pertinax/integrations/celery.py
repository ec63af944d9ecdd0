"""Celery tasks whose retries wait in the broker, driven by a pertinax policy (the ``celery``
extra).

A task built on :class:`PolicyTask` runs its body once per delivery. When the body fails,
pertinax's engine decides, exactly as it does for a decorated function (``retry``, ``stop``,
``wait``, ``before``, ``after``, ``before_sleep``, ``retry_error_callback``, ``reraise``), on
a state rebuilt from the message: the attempt number is ``request.retries + 1``, the time
since the first attempt and the waits so far travel in two message headers. A retry becomes
``self.retry(countdown=<the policy's wait>)``: the message goes back to the broker with an
ETA and the worker slot is free meanwhile. Logs, metrics and alerts see one call per task
run, named after the task, however many deliveries it takes. The start time is the wall
clock of the worker that ran the first attempt: workers whose clocks disagree shift
``stop_after_delay`` by the difference.

A give-up raises what the engine raises: the task's own exception with ``reraise=True``,
else a ``RetryError``. Under the pickle result serializer the caller gets it whole; under
json Celery sends exceptions as type and message, so the caller's ``RetryError`` holds the
last attempt's text instead of the attempt.

Eager runs (``task_always_eager``, ``.apply()``) and direct calls have no broker to wait in:
they retry in-process, sleeping with the policy's own ``sleep`` (so pertinax's testing mode,
which never sleeps, applies).

If the broker refuses the retry message, Celery would reject the task for good (without
requeueing it: the message is gone). A :class:`PolicyTask` waits in the worker instead and
runs the next attempt there; see :meth:`PolicyTask.__call__` for why.
"""

import logging
import math
import threading
import time
import typing as t
from urllib.parse import urlsplit

try:
    # Celery ships no type information.
    from celery import Celery, Task  # type: ignore[import-untyped]
    from celery.exceptions import Ignore, Reject, Retry  # type: ignore[import-untyped]
except ImportError as e:  # pragma: no cover - exercised by a test that hides the library
    raise ImportError(
        "pertinax.integrations.celery needs Celery: pip install 'pertinax[celery]'"
    ) from e

from .. import policies, testing
from .._outcome import DoAttempt, DoSleep
from .._pertinax import RetryCallState
from .._policy import Policy
from .._retrying import BaseRetrying
from ..wait import wait_base

__all__ = [
    "IDLE_HEADER",
    "START_HEADER",
    "PolicyTask",
    "countdown_cap",
    "policy_task",
    "policy_task_class",
]

logger = logging.getLogger("pertinax.celery")

#: Message header: when the task's first attempt started (seconds since the epoch).
START_HEADER = "pertinax_started"
#: Message header: the countdowns so far, summed (the state's ``idle_for``).
IDLE_HEADER = "pertinax_idle_for"

# Celery's own flow control: a task that raises these asked Celery for something; the policy
# never sees them.
_CONTROL = (Retry, Ignore, Reject)

# Transports that redeliver a message nobody acked within `visibility_timeout` seconds, and
# the timeout Celery uses when the transport options do not say.
_VISIBILITY_SCHEMES = frozenset({"redis", "rediss", "sentinel", "sqs", "socket"})
_DEFAULT_VISIBILITY = 3600.0


PolicyT: t.TypeAlias = "str | Policy | BaseRetrying"


def countdown_cap(app: Celery) -> float | None:
    """The longest countdown the app's broker keeps to its ETA, or None when it has no limit.

    Redis and SQS deliver a message again when it stays unacknowledged longer than the
    visibility timeout, and a worker holds an ETA message unacknowledged until it runs it
    (Celery issue #7918). The cap leaves a tenth of the timeout, and at least a minute (half
    the timeout when that is shorter), for the queueing and the run itself.
    """
    options = app.conf.broker_transport_options or {}
    timeout = options.get("visibility_timeout")
    if timeout is None:
        url = app.conf.broker_url or ""
        if isinstance(url, (list, tuple)):
            url = url[0] if url else ""
        scheme = urlsplit(str(url)).scheme.split("+")[0].lower()
        if scheme not in _VISIBILITY_SCHEMES:
            return None
        timeout = _DEFAULT_VISIBILITY
    timeout = float(timeout)
    if not math.isfinite(timeout) or timeout <= 0:
        return None
    margin = max(timeout * 0.1, min(60.0, timeout / 2))
    return timeout - margin


class _CappedWait(wait_base):
    """The policy's wait, capped below the broker's visibility timeout; warns once per task."""

    __slots__ = ("inner", "cap", "task_name", "_warned")

    def __init__(self, inner: t.Any, cap: float, task_name: str) -> None:
        self.inner = inner
        self.cap = cap
        self.task_name = task_name
        self._warned = False

    def __call__(self, retry_state: RetryCallState) -> float:
        wait = float(self.inner(retry_state))
        if wait <= self.cap:
            return wait
        if not self._warned:
            self._warned = True
            logger.warning(
                "%s: the policy asked for a %s s countdown; capped at %s s, below the broker's "
                "visibility timeout (a longer one would deliver the task twice)",
                self.task_name,
                wait,
                self.cap,
            )
        return self.cap

    def __repr__(self) -> str:
        return f"_CappedWait({self.inner!r}, cap={self.cap!r}, task_name={self.task_name!r})"


def _resolve(policy: PolicyT) -> object:
    return policies.get(policy) if isinstance(policy, str) else policy


def _controller_for(policy: object, task_name: str, cap: float | None) -> BaseRetrying:
    controller: BaseRetrying
    if isinstance(policy, BaseRetrying):
        controller = policy.copy(name=task_name)
    elif isinstance(policy, Policy):
        controller = policy.retrying(name=task_name)
    else:
        raise TypeError(
            f"retry_policy={policy!r} of task {task_name!r} is not a Policy, a policy's "
            "registered name, or a Retrying"
        )
    if cap is not None:
        controller.wait = _CappedWait(controller.wait, cap, task_name)
    return controller


class PolicyTask(Task):  # type: ignore[misc]  # Task is untyped (Any)
    """A Celery task retried by its ``retry_policy`` (a Policy, a registered policy's name, or
    a Retrying), with the waits spent in the broker.

    ``app.task(base=PolicyTask, retry_policy="api")`` puts it under a task; that replaces the
    app's own task class, which :func:`policy_task` keeps. The policy's stop replaces
    Celery's ``max_retries``.
    """

    retry_policy: "PolicyT | None" = None
    max_retries = None
    _pertinax_cache: tuple[object, BaseRetrying] | None = None
    _pertinax_lock = threading.Lock()

    def retry_controller(self) -> BaseRetrying | None:
        """The controller this task runs under: its policy, named after the task, with waits
        capped below the broker's visibility timeout. A name is looked up on every call, so
        re-registering the policy takes effect at once."""
        if self.retry_policy is None:
            return None
        policy = _resolve(self.retry_policy)
        cached = self._pertinax_cache
        if cached is not None and cached[0] is policy:
            return cached[1]
        with self._pertinax_lock:
            controller = _controller_for(policy, self.name, countdown_cap(self.app))
            self._pertinax_cache = (policy, controller)
        return controller

    def __call__(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        """Runs the body under the policy: one attempt per delivery in a worker, every attempt
        in-process for eager runs and direct calls.

        When the broker refuses the retry message, Celery's ``retry()`` rejects the task
        without requeueing it and the task is lost. Requeueing cannot save it: the message was
        acknowledged when the task started (unless ``acks_late``), a reject travels over the
        same broken connection, and a requeued message runs again at once, ignoring the
        policy's wait. So the task waits the policy's wait here, in the worker that holds it,
        and runs the next attempt itself (asking the broker again at the next retry). While
        the broker is down the slot could not receive other work anyway; the task finishes
        exactly once, unless the worker process dies meanwhile, as any running task would.
        """
        controller = self.retry_controller()
        call = super().__call__
        if controller is None or not controller.enabled:
            return call(*args, **kwargs)
        request = self.request
        in_process = bool(request.is_eager or request.called_directly)
        first_retries = int(request.retries or 0)
        headers = dict(request.headers or {})
        now = time.time()
        started = _number(headers.get(START_HEADER), now)
        state = RetryCallState(controller, self.run, args, kwargs)
        state.attempt_number = first_retries + 1
        state.start_time = time.monotonic() - max(0.0, now - started)
        state.idle_for = _number(headers.get(IDLE_HEADER), 0.0)
        try:
            while True:
                action = controller.iter(state)
                if not isinstance(action, DoAttempt):
                    return action  # a `before` hook cannot change this; kept for safety
                # The body sees `request.retries + 1 == attempt number` in every mode.
                request.retries = int(state.attempt_number) - 1
                try:
                    result = call(*args, **kwargs)
                except _CONTROL:
                    raise
                except BaseException as exc:
                    state.set_exception((type(exc), exc, exc.__traceback__))
                else:
                    state.set_result(result)
                decision = controller.iter(state)
                if not isinstance(decision, DoSleep):
                    return decision  # the result; a give-up or a non-retried error raised
                wait = float(decision)
                if not in_process:
                    headers[START_HEADER] = started
                    headers[IDLE_HEADER] = float(state.idle_for)
                    self._defer(state, wait, headers)  # raises Celery's Retry, unless refused
                if not testing.is_testing():  # the testing mode never sleeps
                    controller.sleep(wait)
                state.prepare_for_next_attempt()
        finally:
            if in_process:
                # A direct call's request is the task's default one: leave it as it was.
                request.retries = first_retries

    def _defer(self, state: RetryCallState, wait: float, headers: dict[str, t.Any]) -> None:
        # Publishes the retry (Celery's Retry propagates); returns when the broker refused it.
        # After in-worker attempts, request.retries already counts them (see __call__).
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None and outcome.failed else None
        request = self.request
        try:
            raise self.retry(exc=exc, countdown=wait, headers=headers)
        except Reject as rejected:
            logger.warning(
                "%s[%s]: the broker refused the retry message (%r); waiting %s s in the "
                "worker and retrying here instead",
                self.name,
                request.id,
                rejected.reason,
                wait,
            )


def _number(value: t.Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


_CLASSES: dict[tuple[int, type[t.Any]], type[PolicyTask]] = {}


def _check_app(where: str, app: object) -> None:
    # Anything with Celery's task factory will do (a proxy to the current app included);
    # without this, a wrong argument fails later as "'int' object has no attribute 'Task'".
    if not (callable(getattr(app, "task", None)) and isinstance(getattr(app, "Task", None), type)):
        raise TypeError(f"{where}: app must be a Celery app, got {app!r}")


def policy_task_class(app: Celery, base: type[t.Any] | None = None) -> type[PolicyTask]:
    """:class:`PolicyTask` mixed into ``base`` (the app's own task class by default, such as
    ``DjangoTask`` under Django's fixup), so that class's ``__call__`` and hooks still run."""
    _check_app("policy_task_class", app)
    base = app.Task if base is None else base
    if not (isinstance(base, type) and issubclass(base, Task)):
        raise TypeError(f"policy_task_class: base must be a Celery Task class, got {base!r}")
    if issubclass(base, PolicyTask):
        return base
    key = (id(app), base)
    cls = _CLASSES.get(key)
    if cls is None:
        cls = type("PolicyTask", (PolicyTask, base), {"__module__": __name__})
        _CLASSES[key] = cls
    return cls


def policy_task(
    app: Celery, *, policy: PolicyT, **task_options: t.Any
) -> t.Callable[[t.Callable[..., t.Any]], t.Any]:
    """``@app.task(**task_options)`` retried by ``policy``, on the app's own task class (or on
    ``base=`` when given)."""
    _check_app("policy_task", app)
    # A name is looked up when the task runs: it may be registered later.
    if not isinstance(policy, (str, Policy, BaseRetrying)):
        raise TypeError(
            f"policy_task: policy={policy!r} is not a Policy, a policy's registered name, or "
            "a Retrying"
        )
    base = policy_task_class(app, task_options.pop("base", None))
    return t.cast(
        "t.Callable[[t.Callable[..., t.Any]], t.Any]",
        app.task(base=base, retry_policy=policy, **task_options),
    )
