"""pertinax's metrics and retries for OpenTelemetry, through opentelemetry-api (the
``opentelemetry`` extra).

``instrument()`` registers observable instruments that read :func:`pertinax.metrics.snapshot`
at each collection:

``pertinax.calls`` (``operation``, ``outcome``), ``pertinax.calls.started``,
``pertinax.attempts``, ``pertinax.retries``
    counters, as in :mod:`pertinax.metrics`;
``pertinax.retry.sleep`` (s)
    the waits decided between attempts, summed;
``pertinax.call.duration.sum`` (s), ``pertinax.call.duration.count``
    the duration of whole calls. The OpenTelemetry API has no asynchronous histogram, so the
    bucketed histogram is left to :func:`pertinax.metrics.snapshot` and the Prometheus
    collector.

While a span is recording, each retry adds a ``pertinax.retry`` event to it, with the
operation, the resend count (1 for the first retry), the wait and the exception.
"""

import typing as t

try:
    from opentelemetry import metrics as otel_metrics
    from opentelemetry import trace
except ImportError as e:  # pragma: no cover - exercised by a test that hides the library
    raise ImportError(
        "pertinax.integrations.opentelemetry needs opentelemetry-api: "
        "pip install 'pertinax[opentelemetry]'"
    ) from e

from .. import _pertinax, metrics
from ..metrics import _OUTCOMES

__all__ = ["instrument", "uninstrument"]


def _observations(
    key: str, *, by_outcome: bool = False, part: str | None = None
) -> t.Callable[[otel_metrics.CallbackOptions], t.Iterable[otel_metrics.Observation]]:
    def callback(_options: otel_metrics.CallbackOptions) -> t.Iterable[otel_metrics.Observation]:
        out = []
        for name, s in metrics.snapshot().items():
            if by_outcome:
                for label, k in _OUTCOMES:
                    out.append(
                        otel_metrics.Observation(s[k], {"operation": name, "outcome": label})
                    )
            else:
                value = s[key][part] if part else s[key]
                out.append(otel_metrics.Observation(value, {"operation": name}))
        return out

    return callback


def _on_retry(operation: str, attempt: t.Any, wait: t.Any, exception: BaseException | None) -> None:
    span = trace.get_current_span()
    if not span.is_recording():
        return
    attributes: dict[str, t.Any] = {
        "pertinax.operation": operation,
        "pertinax.resend_count": int(attempt),
        "pertinax.wait_seconds": float(wait),
    }
    if exception is not None:
        attributes["exception.type"] = type(exception).__qualname__
        attributes["exception.message"] = str(exception)
    span.add_event("pertinax.retry", attributes)


def instrument(
    meter_provider: otel_metrics.MeterProvider | None = None, *, trace_retries: bool = True
) -> None:
    """Registers pertinax's instruments with ``meter_provider`` (the global one by default)
    and, with ``trace_retries``, records each retry on the active span."""
    meter = otel_metrics.get_meter("pertinax", meter_provider=meter_provider)
    meter.create_observable_counter(
        "pertinax.calls",
        [_observations("", by_outcome=True)],
        unit="{call}",
        description="Retried calls that ended, by outcome.",
    )
    for name, key, unit, description, part in (
        ("pertinax.calls.started", "calls", "{call}", "Retried calls started.", None),
        ("pertinax.attempts", "attempts", "{attempt}", "Attempts made.", None),
        ("pertinax.retries", "retries", "{retry}", "Retries decided.", None),
        ("pertinax.retry.sleep", "retry_sleep_seconds", "s", "Waits decided, summed.", None),
        ("pertinax.call.duration.sum", "duration", "s", "Durations of calls, summed.", "sum"),
        ("pertinax.call.duration.count", "duration", "{call}", "Calls timed.", "count"),
    ):
        meter.create_observable_counter(
            name, [_observations(key, part=part)], unit=unit, description=description
        )
    _pertinax.set_retry_hook(_on_retry if trace_retries else None)


def uninstrument() -> None:
    """Stops recording retries on spans. (Instruments stay with their meter provider.)"""
    _pertinax.set_retry_hook(None)
