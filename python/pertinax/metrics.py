"""Counts of every retried operation, kept by the Rust core, and alerts on them.

An *operation* is a policy's ``name=``, else the retried function's qualified name (for a
``for attempt in Retrying():`` loop, the function running the loop). For each one the core
counts, on atomics:

``calls``
    calls started;
``first_try``, ``recovered``, ``gave_up``, ``errors``
    how the calls that ended ended: a result on the first attempt, a result after retries,
    the stop strategy gave up, an exception that was not retried;
``attempts``, ``retries``, ``retried_calls``
    attempts made, retries decided (sleeps), calls that retried at least once;
``retry_sleep_seconds``
    the waits the engine decided, summed;
``duration``
    a histogram of whole calls' durations (``bounds`` in seconds, per-bucket ``counts`` with
    a last bucket above every bound, ``sum``, ``count``).

:func:`snapshot` adds ``success_rate``, ``retry_rate`` (calls that retried, over calls that
ended) and ``give_up_rate``, or None before any call has ended. A policy opts out with
``metrics=False``; a disabled policy (``enabled=False``) counts nothing.
"""

import dataclasses
import math
import sys
import typing as t

from . import _pertinax

__all__ = [
    "Alert",
    "breakers",
    "budgets",
    "clear_alerts",
    "operation_name",
    "reset",
    "set_alert",
    "snapshot",
]

# How an ended call ended, as the exporters label it, and the snapshot counter for it.
_OUTCOMES: t.Final = (
    ("first_try", "first_try"),
    ("recovered", "recovered"),
    ("gave_up", "gave_up"),
    ("error", "errors"),
)


def snapshot() -> dict[str, dict[str, t.Any]]:
    """Every operation that has been called, as plain data: ``{name: {counter: value}}``."""
    return _pertinax.metrics_snapshot()


def breakers() -> dict[str, dict[str, t.Any]]:
    """Every live :class:`~pertinax.CircuitBreaker` by name: its ``state``, the transitions
    this process saw (``opened``, ``half_opened``, ``closed``), calls ``rejected`` while open,
    the local window's ``failure_rate`` over ``window_calls`` outcomes, and ``changed_at``:
    when this process last saw its state change (seconds since the epoch), or None."""
    return _pertinax.resilience_snapshot()["breakers"]


def budgets() -> dict[str, dict[str, t.Any]]:
    """Every live :class:`~pertinax.RetryBudget` by name: ``retries`` it paid for, retries
    refused because it was ``exhausted``, ``successes`` credited, and retries ``available``."""
    return _pertinax.resilience_snapshot()["budgets"]


def reset() -> None:
    """Zeroes every count. Alert rules stay."""
    _pertinax.metrics_reset()


@dataclasses.dataclass(frozen=True, slots=True)
class Alert:
    """A crossed threshold, as handed to an alert callback."""

    operation: str
    rate: t.Literal["retry_rate", "give_up_rate"]
    value: float
    threshold: float
    window: float
    calls: int
    matching: int


def set_alert(
    operation: str | t.Callable[..., t.Any],
    *,
    retry_rate: float | None = None,
    give_up_rate: float | None = None,
    window: float = 60.0,
    min_calls: int = 10,
    callback: t.Callable[[Alert], t.Any] | None = None,
) -> None:
    """Watches ``operation`` (a name, or a decorated function) over a rolling window.

    When, over the last ``window`` seconds and at least ``min_calls`` ended calls, the share
    of calls that retried reaches ``retry_rate`` (or the share that gave up reaches
    ``give_up_rate``), pertinax logs at ERROR under ``pertinax.alert`` and calls
    ``callback(alert)``; at most once per window for each rate, however long the rate stays
    high. Setting neither rate removes the operation's rule.
    """
    name = operation if isinstance(operation, str) else operation_name(operation)
    for arg, rate in (("retry_rate", retry_rate), ("give_up_rate", give_up_rate)):
        if rate is not None and not (isinstance(rate, (int, float)) and 0 <= rate <= 1):
            raise ValueError(f"set_alert: {arg}={rate!r} is not a fraction between 0 and 1")
    if not (isinstance(window, (int, float)) and math.isfinite(window) and window > 0):
        raise ValueError(f"set_alert: window={window!r} is not a positive number of seconds")
    if not (isinstance(min_calls, int) and min_calls >= 1):
        raise ValueError(f"set_alert: min_calls={min_calls!r} is not a positive integer")
    if callback is not None and not callable(callback):
        raise TypeError(f"set_alert: callback={callback!r} is not callable")
    notify = None
    if callback is not None:
        user_callback = callback

        def notify(fields: dict[str, t.Any]) -> None:
            user_callback(Alert(**fields))

    _pertinax.metrics_set_alert(name, retry_rate, give_up_rate, window, min_calls, notify)


def clear_alerts() -> None:
    """Removes every alert rule."""
    _pertinax.metrics_clear_alerts()


def operation_name(fn: t.Callable[..., t.Any]) -> str:
    """The operation that a function decorated with ``@retry`` counts under."""
    controller = getattr(fn, "retry", None)
    wrapped = getattr(fn, "__wrapped__", None)
    if controller is None or wrapped is None:
        raise TypeError(f"operation_name: {fn!r} is not a function decorated with @retry")
    return _pertinax.operation_name(controller, wrapped)


def _caller_operation() -> str:
    # The operation of a `for attempt in Retrying():` loop without a name: the function
    # running the loop, skipping pertinax's own frames.
    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module != "pertinax" and not module.startswith("pertinax."):
            code = frame.f_code
            qualname = getattr(code, "co_qualname", code.co_name)
            return f"{module}.{qualname}" if module else qualname
        frame = frame.f_back  # type: ignore[assignment]
    return "<unknown>"
