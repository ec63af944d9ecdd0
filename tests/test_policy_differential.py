"""pertinax.Policy against tenacity: a policy (bound directly, or registered and used by
name) behaves exactly like ``tenacity.retry(...)`` with its arguments, sync and async."""

from __future__ import annotations

import asyncio

import pertinax
import pytest
import tenacity
from pertinax import (
    Policy,
    policies,
    retry,
)

from tests.support.policy_helpers import Fatal, Flaky, flaky

pytestmark = pytest.mark.usefixtures("fresh_policies")


def scenario(lib, **kwargs):
    """Runs a function that fails twice (Flaky), then raises Fatal, under ``lib.retry``;
    returns every observable event."""
    events: list[object] = []

    def before_sleep(state) -> None:
        events.append(("before_sleep", state.attempt_number, type(state.outcome.exception())))

    fn = flaky(2, Flaky)

    def body() -> str:
        try:
            return fn()
        finally:
            events.append(("attempt", len(fn.calls)))

    full = {
        "sleep": lambda s: events.append(("sleep", float(s))),
        "before_sleep": before_sleep,
        **kwargs,
    }
    decorated = lib(**full)(body)
    try:
        events.append(("result", decorated()))
    except BaseException as exc:
        inner = exc.last_attempt.exception() if hasattr(exc, "last_attempt") else exc
        events.append(("raised", type(exc).__name__, type(inner).__name__))
    events.append(("statistics", decorated.statistics["attempt_number"]))
    return events


DIFFERENTIAL = [
    {"stop": "stop_after_attempt(3)", "wait": "wait_exponential(multiplier=2, min=1, max=30)"},
    {"stop": "stop_after_attempt(2)", "wait": "wait_fixed(0.5)", "reraise": True},
    {"stop": "stop_after_attempt(5)", "retry": "retry_if_exception_type(Fatal)"},
    {"stop": "stop_after_attempt(4)", "wait": "wait_incrementing(start=1, increment=2)"},
]


def build(lib, spec: dict[str, object]) -> dict[str, object]:
    namespace = {
        "Fatal": Fatal,
        **{n: getattr(lib, n) for n in dir(lib) if n.startswith(("stop_", "wait_", "retry_"))},
    }
    return {k: eval(v, namespace) if isinstance(v, str) else v for k, v in spec.items()}


@pytest.mark.parametrize("spec", DIFFERENTIAL)
def test_differential_policy_against_tenacity(spec) -> None:
    expected = scenario(tenacity.retry, **build(tenacity, spec))

    def by_policy(**kwargs):
        return Policy("diff", **kwargs)

    assert scenario(by_policy, **build(pertinax, spec)) == expected

    def by_name(**kwargs):
        policies.register(Policy("diff-named", **{k: v for k, v in kwargs.items() if k != "sleep"}))
        return retry(policy="diff-named", sleep=kwargs["sleep"])

    assert scenario(by_name, **build(pertinax, spec)) == expected


@pytest.mark.parametrize("spec", DIFFERENTIAL)
def test_async_differential_policy_against_tenacity(spec) -> None:
    async def run(lib, decorate) -> list[object]:
        events: list[object] = []
        calls: list[int] = []

        async def sleep(seconds: float) -> None:
            events.append(("sleep", float(seconds)))

        async def body() -> str:
            calls.append(1)
            events.append(("attempt", len(calls)))
            if len(calls) <= 2:
                raise Flaky("x")
            return "ok"

        decorated = decorate(sleep=sleep, **build(lib, spec))(body)
        try:
            events.append(("result", await decorated()))
        except BaseException as exc:
            events.append(("raised", type(exc).__name__))
        return events

    expected = asyncio.run(run(tenacity, tenacity.retry))
    assert asyncio.run(run(pertinax, lambda **kw: Policy("adiff", **kw))) == expected
