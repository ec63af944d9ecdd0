"""The Prometheus collector and the OpenTelemetry instruments, read back through each
library's own parser or reader."""

import asyncio
import importlib
import sys

import pytest
from pertinax import AsyncRetrying, RetryError, metrics, retry, stop_after_attempt, wait_fixed

from tests.support.scripted import no_sleep, script

prometheus_client = pytest.importorskip("prometheus_client")
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402


@pytest.fixture(autouse=True)
def clean():
    metrics.reset()
    yield
    metrics.reset()


def run_scripted() -> None:
    """checkout: 3 first tries, 1 recovery after 2 retries (0.25 s each), 1 give-up after 3
    attempts (two more waits), 1 error not retried."""
    for _ in range(3):
        retry(name="checkout")(script(1))()
    policy = dict(
        name="checkout", sleep=no_sleep, wait=wait_fixed(0.25), stop=stop_after_attempt(3)
    )
    retry(**policy)(script(OSError(), OSError(), 2))()
    with pytest.raises(RetryError):
        retry(**policy)(script(OSError()))()
    with pytest.raises(KeyboardInterrupt):
        retry(**policy)(script(KeyboardInterrupt()))()


# --- Prometheus -------------------------------------------------------------------------


def samples(registry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = prometheus_client.generate_latest(registry).decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_prometheus_exposition_parses_with_prometheus_clients_own_parser() -> None:
    from pertinax.integrations import prometheus

    registry = prometheus_client.CollectorRegistry()
    collector = prometheus.register(registry)
    run_scripted()
    got = samples(registry)
    op = (("operation", "checkout"),)

    def outcome(name: str) -> tuple[tuple[str, str], ...]:
        return (("operation", "checkout"), ("outcome", name))

    assert got[("pertinax_calls_total", outcome("first_try"))] == 3
    assert got[("pertinax_calls_total", outcome("recovered"))] == 1
    assert got[("pertinax_calls_total", outcome("gave_up"))] == 1
    assert got[("pertinax_calls_total", outcome("error"))] == 1
    assert got[("pertinax_calls_started_total", op)] == 6
    assert got[("pertinax_attempts_total", op)] == 3 + 3 + 3 + 1
    assert got[("pertinax_retries_total", op)] == 4
    assert got[("pertinax_retry_sleep_seconds_total", op)] == 1.0
    assert got[("pertinax_call_duration_seconds_count", op)] == 6
    assert got[("pertinax_call_duration_seconds_bucket", (("le", "+Inf"), *op))] == 6
    buckets = sorted(
        (float(dict(labels)["le"]), value)
        for (name, labels), value in got.items()
        if name == "pertinax_call_duration_seconds_bucket"
    )
    assert len(buckets) == 21
    values = [v for _, v in buckets]
    assert values == sorted(values), "buckets are cumulative"
    assert got[("pertinax_call_duration_seconds_sum", op)] > 0
    # TYPE lines: counters and a histogram.
    types = {
        f.name: f.type
        for f in text_string_to_metric_families(
            prometheus_client.generate_latest(registry).decode()
        )
    }
    assert types == {
        "pertinax_calls": "counter",
        "pertinax_calls_started": "counter",
        "pertinax_attempts": "counter",
        "pertinax_retries": "counter",
        "pertinax_retry_sleep_seconds": "counter",
        "pertinax_call_duration_seconds": "histogram",
    }
    registry.unregister(collector)
    assert samples(registry) == {}


def test_prometheus_collector_with_a_prefix_and_the_default_registry() -> None:
    from pertinax.integrations import prometheus

    collector = prometheus.register(prefix="shop_retries")
    try:
        retry(name="p")(script(1))()
        got = samples(prometheus_client.REGISTRY)
        assert (
            got[("shop_retries_calls_total", (("operation", "p"), ("outcome", "first_try")))] == 1
        )
        assert repr(collector) == "PertinaxCollector(prefix='shop_retries')"
    finally:
        prometheus_client.REGISTRY.unregister(collector)


@pytest.mark.parametrize(
    ("module", "library", "extra"),
    [
        ("pertinax.integrations.prometheus", "prometheus_client", "pertinax[prometheus]"),
        ("pertinax.integrations.opentelemetry", "opentelemetry", "pertinax[opentelemetry]"),
    ],
)
def test_a_missing_library_is_a_clear_import_error(
    module: str, library: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in sys.modules if n == library or n.startswith(library + ".")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, library, None)
    monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.raises(ImportError, match=extra.replace("[", r"\[").replace("]", r"\]")):
        importlib.import_module(module)


# --- OpenTelemetry ----------------------------------------------------------------------

otel_sdk = pytest.importorskip("opentelemetry.sdk")


def test_opentelemetry_metrics_through_the_sdk_reader() -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from pertinax.integrations import opentelemetry as otel

    reader = InMemoryMetricReader()
    otel.instrument(MeterProvider(metric_readers=[reader]), trace_retries=False)
    run_scripted()
    points: dict[tuple[str, tuple[tuple[str, object], ...]], object] = {}
    for rm in reader.get_metrics_data().resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                for p in m.data.data_points:
                    points[(m.name, tuple(sorted(p.attributes.items())))] = p.value
    op = (("operation", "checkout"),)
    assert points[("pertinax.calls", (*op, ("outcome", "first_try")))] == 3
    assert points[("pertinax.calls", (*op, ("outcome", "recovered")))] == 1
    assert points[("pertinax.calls", (*op, ("outcome", "gave_up")))] == 1
    assert points[("pertinax.calls", (*op, ("outcome", "error")))] == 1
    assert points[("pertinax.calls.started", op)] == 6
    assert points[("pertinax.attempts", op)] == 10
    assert points[("pertinax.retries", op)] == 4
    assert points[("pertinax.retry.sleep", op)] == 1.0
    assert points[("pertinax.call.duration.count", op)] == 6
    assert points[("pertinax.call.duration.sum", op)] > 0


def test_each_retry_is_an_event_on_the_active_span() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from pertinax.integrations import opentelemetry as otel

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    otel.instrument(trace_retries=True)
    try:
        with tracer.start_as_current_span("checkout"):
            retry(name="pay", sleep=no_sleep, wait=wait_fixed(0.5))(
                script(OSError("declined"), TimeoutError("slow"), "paid")
            )()

        async def no_async_sleep(seconds: float) -> None:
            pass

        async def main() -> None:
            with tracer.start_as_current_span("async"):
                await AsyncRetrying(name="pay-async", sleep=no_async_sleep)(script(OSError(), 1))

        asyncio.run(main())
        # No active span: nothing to record on, and nothing fails.
        retry(name="pay", sleep=no_sleep)(script(OSError(), 1))()
    finally:
        otel.uninstrument()
    spans = {s.name: s for s in exporter.get_finished_spans()}
    events = [(e.name, dict(e.attributes)) for e in spans["checkout"].events]
    assert events == [
        (
            "pertinax.retry",
            {
                "pertinax.operation": "pay",
                "pertinax.resend_count": 1,
                "pertinax.wait_seconds": 0.5,
                "exception.type": "OSError",
                "exception.message": "declined",
            },
        ),
        (
            "pertinax.retry",
            {
                "pertinax.operation": "pay",
                "pertinax.resend_count": 2,
                "pertinax.wait_seconds": 0.5,
                "exception.type": "TimeoutError",
                "exception.message": "slow",
            },
        ),
    ]
    assert [e.attributes["pertinax.operation"] for e in spans["async"].events] == ["pay-async"]
