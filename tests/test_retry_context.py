"""``retry_context``: a block of code retried under a policy, and its logs."""

from __future__ import annotations

import asyncio
import logging

import pertinax
import pytest
from pertinax import (
    Policy,
    Retrying,
    policies,
    retry_context,
    stop_after_attempt,
    wait_none,
)

pytestmark = pytest.mark.usefixtures("fresh_policies")


def context_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "pertinax.policies"]


def test_retry_context_reraises_the_users_exception_and_logs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    error = ConnectionError("refused")
    attempts = 0
    with caplog.at_level(logging.DEBUG, logger="pertinax"):
        with pytest.raises(ConnectionError) as info:
            with retry_context(policy="api", wait=wait_none()) as retrying:
                assert type(retrying) is Retrying
                assert retrying.reraise is True
                for attempt in retrying:
                    with attempt:
                        attempts += 1
                        raise error
    assert info.value is error
    assert attempts == 3
    records = context_records(caplog)
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    assert records[0].getMessage() == "api: failed after 3 attempts: ConnectionError: refused"


def test_retry_context_success_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="pertinax"):
        with retry_context("database", sleep=lambda s: None) as retrying:
            for attempt in retrying:
                with attempt:
                    if attempt.retry_state.attempt_number < 2:
                        raise TimeoutError("slow")
    assert context_records(caplog) == []


def test_retry_context_does_not_retry_a_permanent_error(caplog: pytest.LogCaptureFixture) -> None:
    attempts = 0
    with caplog.at_level(logging.DEBUG, logger="pertinax"):
        with pytest.raises(FileNotFoundError):
            with retry_context("file_upload") as retrying:
                for attempt in retrying:
                    with attempt:
                        attempts += 1
                        raise FileNotFoundError(2, "missing")
    assert attempts == 1
    assert len(context_records(caplog)) == 1


def test_retry_context_leaves_interrupts_unlogged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="pertinax"):
        with pytest.raises(KeyboardInterrupt):
            with retry_context():
                raise KeyboardInterrupt
    assert context_records(caplog) == []


def test_retry_context_follows_the_registry_and_takes_overrides() -> None:
    policies.configure({"API_MAX_ATTEMPTS": 5})
    with retry_context(sleep=lambda s: None) as retrying:
        assert retrying.stop.max_attempt_number == 5
    with retry_context(stop=stop_after_attempt(1)) as retrying:
        assert retrying.stop.max_attempt_number == 1
    with retry_context(Policy("mine", stop=stop_after_attempt(2))) as retrying:
        assert str(retrying) == "mine"
    with pytest.raises(TypeError, match="policy must be"):
        retry_context(3)  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="nope"):
        with retry_context("nope"):
            pass


def test_async_retry_context(caplog: pytest.LogCaptureFixture) -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    error = TimeoutError("slow")

    async def main() -> int:
        attempts = 0
        with pytest.raises(TimeoutError) as info:
            async with retry_context("database", sleep=no_sleep) as retrying:
                assert type(retrying) is pertinax.AsyncRetrying
                async for attempt in retrying:
                    with attempt:
                        attempts += 1
                        raise error
        assert info.value is error
        return attempts

    with caplog.at_level(logging.DEBUG, logger="pertinax"):
        assert asyncio.run(main()) == 5
    records = context_records(caplog)
    assert [r.getMessage() for r in records] == [
        "database: failed after 5 attempts: TimeoutError: slow"
    ]
