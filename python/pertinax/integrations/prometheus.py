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
    a histogram of whole calls' durations;
``pertinax_circuit_breaker_state{breaker,state}``
    a gauge per circuit breaker and state (``closed``, ``open``, ``half_open``): 1 for the
    state it is in, 0 for the others;
``pertinax_circuit_breaker_transitions_total{breaker,to}``,
``pertinax_circuit_breaker_rejected_total{breaker}``
    state changes this process saw, and calls refused while open;
``pertinax_retry_budget_available{budget}``, ``pertinax_retry_budget_retries_total{budget}``,
``pertinax_retry_budget_exhausted_total{budget}``
    retries a budget can pay for now, retries it paid for, and retries refused when empty.
"""

import typing as t

try:
    from prometheus_client.core import (
        CounterMetricFamily,
        GaugeMetricFamily,
        HistogramMetricFamily,
        Metric,
    )
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

# Breaker states, as the gauge's label values.
_STATES = ("closed", "open", "half_open")


class PertinaxCollector(Collector):
    """Collects every operation's counts from the pertinax core at scrape time."""

    __slots__ = ("_prefix",)

    def __init__(self, prefix: str = "pertinax") -> None:
        self._prefix = prefix

    def __repr__(self) -> str:
        return f"PertinaxCollector(prefix={self._prefix!r})"

    def describe(self) -> t.Iterable[Metric]:
        return [*self._families(), *self._resilience_families()]

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
        return [*families, *self._resilience()]

    def _resilience(self) -> list[t.Any]:
        families = self._resilience_families()
        state, transitions, rejected, available, paid, exhausted = families
        for name, b in metrics.breakers().items():
            for s in _STATES:
                state.add_metric([name, s], 1.0 if b["state"] == s else 0.0)
            for to, key in (("open", "opened"), ("half_open", "half_opened"), ("closed", "closed")):
                transitions.add_metric([name, to], b[key])
            rejected.add_metric([name], b["rejected"])
        for name, b in metrics.budgets().items():
            available.add_metric([name], b["available"])
            paid.add_metric([name], b["retries"])
            exhausted.add_metric([name], b["exhausted"])
        # A program without breakers or budgets exports none of their families.
        return [f for f in families if f.samples]

    def _resilience_families(self) -> list[t.Any]:
        p = self._prefix
        return [
            GaugeMetricFamily(
                f"{p}_circuit_breaker_state",
                "1 for the state each circuit breaker is in, 0 for the others.",
                labels=["breaker", "state"],
            ),
            CounterMetricFamily(
                f"{p}_circuit_breaker_transitions",
                "Circuit breaker state changes, by the state entered.",
                labels=["breaker", "to"],
            ),
            CounterMetricFamily(
                f"{p}_circuit_breaker_rejected",
                "Calls refused while the circuit breaker was open.",
                labels=["breaker"],
            ),
            GaugeMetricFamily(
                f"{p}_retry_budget_available",
                "Retries the budget can pay for now.",
                labels=["budget"],
            ),
            CounterMetricFamily(
                f"{p}_retry_budget_retries", "Retries the budget paid for.", labels=["budget"]
            ),
            CounterMetricFamily(
                f"{p}_retry_budget_exhausted",
                "Retries refused because the budget was empty.",
                labels=["budget"],
            ),
        ]

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
