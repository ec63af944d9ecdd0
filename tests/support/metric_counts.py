"""Helpers for the metrics tests: an operation's plain counters, and what they should be."""

from pertinax import metrics

ZERO = {
    "calls": 0,
    "first_try": 0,
    "recovered": 0,
    "gave_up": 0,
    "errors": 0,
    "attempts": 0,
    "retries": 0,
    "retried_calls": 0,
    "retry_sleep_seconds": 0.0,
}


def counts(name: str) -> dict[str, object]:
    """The plain counters of one operation (rates and histogram left out)."""
    snap = metrics.snapshot()[name]
    return {k: snap[k] for k in ZERO}


def expect(**changes: object) -> dict[str, object]:
    return {**ZERO, **changes}
