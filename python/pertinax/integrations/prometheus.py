"""pertinax's metrics for Prometheus, through prometheus_client (the ``prometheus`` extra).

``register()`` adds a collector that reads :func:`pertinax.metrics.snapshot` at each scrape:

``pertinax_calls_total{operation,outcome}``
    calls that ended, by outcome: ``first_try``, ``recovered``, ``gave_up``, ``error``;
``pertinax_calls_started_total{operation}``, ``pertinax_attempts_total{operation}``,
``pertinax_retries_total{operation}``
    calls started, attempts made, retries decided;
``pertinax_retry_sleep_seconds_total{operation}``
    the waits decided between attempts, summed;
``pertinax_call_duration_seconds{operation}``
    a histogram of whole calls' durations.
"""

import typing as t

try:
    from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
    from prometheus_client.registry import REGISTRY, Collector, CollectorRegistry
    from prometheus_client.utils import floatToGoString
except ImportError as e:  # pragma: no cover - exercised by a test that hides the library
    raise ImportError(
        "pertinax.integrations.prometheus needs prometheus_client: "
        "pip install 'pertinax[prometheus]'"
    ) from e

from .. import metrics
from ..metrics import _OUTCOMES

__all__ = ["PertinaxCollector", "register"]


class PertinaxCollector(Collector):
    """Collects every operation's counts from the pertinax core at scrape time."""

    __slots__ = ("_prefix",)

    def __init__(self, prefix: str = "pertinax") -> None:
        self._prefix = prefix

    def __repr__(self) -> str:
        return f"PertinaxCollector(prefix={self._prefix!r})"

    def describe(self) -> t.Iterable[Metric]:
        return self._families()

    def collect(self) -> t.Iterable[Metric]:
        families = self._families()
        calls, started, attempts, retries, slept, duration = families
        for name, s in metrics.snapshot().items():
            for label, key in _OUTCOMES:
                calls.add_metric([name, label], s[key])
            started.add_metric([name], s["calls"])
            attempts.add_metric([name], s["attempts"])
            retries.add_metric([name], s["retries"])
            slept.add_metric([name], s["retry_sleep_seconds"])
            h = s["duration"]
            buckets, cumulative = [], 0
            for bound, count in zip(h["bounds"], h["counts"], strict=False):
                cumulative += count
                buckets.append((floatToGoString(bound), cumulative))  # type: ignore[no-untyped-call]
            buckets.append(("+Inf", h["count"]))
            duration.add_metric([name], buckets, sum_value=h["sum"])
        return families

    def _families(self) -> list[t.Any]:
        p = self._prefix
        return [
            CounterMetricFamily(
                f"{p}_calls",
                "Retried calls that ended, by outcome.",
                labels=["operation", "outcome"],
            ),
            CounterMetricFamily(
                f"{p}_calls_started", "Retried calls started.", labels=["operation"]
            ),
            CounterMetricFamily(f"{p}_attempts", "Attempts made.", labels=["operation"]),
            CounterMetricFamily(
                f"{p}_retries", "Retries decided (one per wait).", labels=["operation"]
            ),
            CounterMetricFamily(
                f"{p}_retry_sleep_seconds",
                "Seconds of waits decided between attempts.",
                labels=["operation"],
            ),
            HistogramMetricFamily(
                f"{p}_call_duration_seconds",
                "Duration of whole retried calls, retries and waits included.",
                labels=["operation"],
            ),
        ]


def register(
    registry: CollectorRegistry | None = None, *, prefix: str = "pertinax"
) -> PertinaxCollector:
    """Registers a :class:`PertinaxCollector` (with prometheus_client's default registry
    unless one is given) and returns it, for ``registry.unregister``."""
    collector = PertinaxCollector(prefix)
    (REGISTRY if registry is None else registry).register(collector)
    return collector
