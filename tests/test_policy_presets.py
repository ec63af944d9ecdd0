"""The presets (api_retry, database_retry, file_retry...): their settings, and each one
against the equivalent ``tenacity.retry(...)``, event for event."""

from __future__ import annotations

import asyncio
import logging

import pertinax
import pytest
from pertinax import (
    api_retry,
    database_retry,
    file_retry,
    policies,
    retry,
    stop_after_attempt,
)

from tests.support.policy_helpers import expo, flaky, waits

pytestmark = pytest.mark.usefixtures("fresh_policies")


@pytest.mark.parametrize(
    ("policy", "attempts", "numbers", "level"),
    [
        (policies.API, 3, (2, 1, 30), logging.WARNING),
        (policies.DATABASE, 5, (1, 0.5, 10), logging.ERROR),
        (policies.FILE_UPLOAD, 3, (3, 2, 60), logging.WARNING),
    ],
)
def test_presets_carry_the_guides_numbers(policy, attempts, numbers, level) -> None:
    assert policies.get(policy.name) is policy
    assert policy.kwargs["stop"].max_attempt_number == attempts
    assert waits(policy.kwargs["wait"], 8) == expo(*numbers, 8)
    assert policy.kwargs["reraise"] is True
    assert policy.kwargs["log_levels"] == {"retrying": level}


def test_api_preset_honours_retry_after_capped_at_its_max() -> None:
    wait = policies.API.kwargs["wait"]

    class Throttled(Exception):
        def __init__(self, seconds: float) -> None:
            super().__init__("429")
            self.retry_after = seconds

    assert waits(wait, 1, Throttled(7)) == [7.0]
    assert waits(wait, 1, Throttled(120)) == [30.0]


@pytest.mark.parametrize(
    ("decorator", "attempts"), [(api_retry, 3), (database_retry, 5), (file_retry, 3)]
)
def test_bare_decorators_retry_transient_errors_and_reraise(decorator, attempts) -> None:
    slept: list[float] = []
    fn = flaky(100)
    decorated = decorator(sleep=slept.append)(fn)
    with pytest.raises(ConnectionError, match=f"failure {attempts}"):
        decorated()
    assert len(fn.calls) == attempts
    assert len(slept) == attempts - 1
    assert repr(decorator).startswith("retry(policy=")


@pytest.mark.parametrize("decorator", [api_retry, database_retry, file_retry])
@pytest.mark.parametrize(
    "error", [ValueError("bad"), FileNotFoundError(2, "gone"), PermissionError(13, "no")]
)
def test_presets_never_retry_permanent_errors(decorator, error) -> None:
    fn = flaky(100, error)
    decorated = decorator(fn)
    with pytest.raises(type(error)):
        decorated()
    assert len(fn.calls) == 1


def test_bare_decorator_on_async_functions() -> None:
    calls: list[int] = []
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    @api_retry(sleep=sleep)
    async def fetch() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TimeoutError("slow")
        return "ok"

    assert asyncio.run(fetch()) == "ok"
    assert slept == [2.0, 4.0]


def test_presets_log_before_sleeping_at_their_level(caplog: pytest.LogCaptureFixture) -> None:
    fn = flaky(1)
    with caplog.at_level(logging.DEBUG, logger="pertinax"):
        assert database_retry(sleep=lambda s: None)(fn)() == "ok"
    records = [r for r in caplog.records if r.name == "pertinax.retrying"]
    assert [r.levelno for r in records] == [logging.ERROR]
    assert records[0].getMessage().startswith("database: retrying in 1 seconds")


def test_bare_decorator_refuses_a_function_with_overrides() -> None:
    with pytest.raises(TypeError, match="overrides"):
        api_retry(flaky(0), stop=stop_after_attempt(1))  # type: ignore[call-overload]


# --- differential: each preset behaves like the equivalent tenacity.retry(...) --------------


def preset_scenario(decorate, *errors: BaseException) -> list[object]:
    """Raises ``errors`` in turn, then returns; records every attempt, sleep and the end."""
    import tenacity

    events: list[object] = []
    pending = list(errors)

    def body() -> str:
        events.append("attempt")
        if pending:
            raise pending.pop(0)
        return "ok"

    decorated = decorate(lambda seconds: events.append(("sleep", float(seconds))))(body)
    try:
        events.append(("result", decorated()))
    except (Exception, tenacity.RetryError) as exc:
        events.append(("raised", type(exc).__name__, str(exc)))
    return events


PRESET_EQUIVALENTS = {
    "api": (api_retry, 3, (2, 1, 30)),
    "database": (database_retry, 5, (1, 0.5, 10)),
    "file_upload": (file_retry, 3, (3, 2, 60)),
}
SCENARIOS = [
    (ConnectionError("a"), TimeoutError("b")),
    (ConnectionError("a"),) * 6,
    (ConnectionError("a"), ValueError("not transient")),
    (FileNotFoundError(2, "gone"),),
    (),
]


@pytest.mark.parametrize("name", sorted(PRESET_EQUIVALENTS))
@pytest.mark.parametrize("errors", SCENARIOS)
def test_differential_preset_against_tenacity(name, errors) -> None:
    import tenacity

    decorator, attempts, (multiplier, low, high) = PRESET_EQUIVALENTS[name]

    def by_tenacity(sleep):
        return tenacity.retry(
            sleep=sleep,
            stop=tenacity.stop_after_attempt(attempts),
            wait=tenacity.wait_exponential(multiplier=multiplier, min=low, max=high),
            retry=tenacity.retry_if_exception(pertinax.transient.is_transient),
            reraise=True,
        )

    expected = preset_scenario(by_tenacity, *errors)
    assert preset_scenario(lambda sleep: decorator(sleep=sleep), *errors) == expected
    assert preset_scenario(lambda sleep: retry(policy=name, sleep=sleep), *errors) == expected
