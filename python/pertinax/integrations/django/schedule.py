"""A policy described for people: its stop, wait and retry strategies, and the waits its wait
strategy gives between attempts (a range where the wait is random)."""

import typing as t

from pertinax import RetryCallState, Retrying
from pertinax._render import render

__all__ = ["describe_policy", "max_attempts"]

SHOWN_WAITS = 10
SAMPLES = 25


def max_attempts(stop: object) -> int | None:
    """The attempt count after which ``stop`` gives up, looking inside combined stops."""
    found = getattr(stop, "max_attempt_number", None)
    if isinstance(found, int):
        return found
    counts = [max_attempts(s) for s in getattr(stop, "stops", ())]
    known = [c for c in counts if c is not None]
    return min(known) if known else None


def describe_policy(policy: t.Any) -> dict[str, t.Any]:
    """Name, attempts, the strategies' reprs and the wait before each retry (lo, hi)."""
    kwargs = dict(policy.kwargs)
    stop = kwargs.get("stop")
    wait = kwargs.get("wait")
    attempts = max_attempts(stop)
    schedule: list[tuple[float, float]] = []
    if wait is not None:
        retrying = Retrying(**{k: v for k, v in kwargs.items() if k in ("stop", "wait")})
        for number in range(1, min((attempts or SHOWN_WAITS + 1) - 1, SHOWN_WAITS) + 1):
            state = RetryCallState(retrying, None, (), {})
            state.attempt_number = number
            values = [float(wait(state)) for _ in range(SAMPLES)]
            schedule.append((min(values), max(values)))
    return {
        "name": policy.name,
        "attempts": attempts,
        "stop": render(stop),
        "wait": render(wait),
        "retry": render(kwargs.get("retry")),
        "schedule": schedule,
    }
