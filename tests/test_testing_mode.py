"""pertinax.testing: every retry in the process stops after N attempts and never sleeps, while
logs and metrics still record; and the pytest plugin (a fixture and a command-line flag)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from unittest import mock

import pertinax
import pytest
from pertinax import (
    AsyncRetrying,
    RetryError,
    Retrying,
    api_retry,
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    stop_never,
    wait_fixed,
)
from pertinax.testing import is_testing, set_testing, testing

pytest_plugins = ["pytester"]


class Flaky(Exception):
    pass


@pytest.fixture(autouse=True)
def _mode_off():
    set_testing(False)
    yield
    set_testing(False)


def failing(calls: list[int], times: int = 1000, exc: type[Exception] = Flaky):
    def fn() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise exc("x")
        return "ok"

    return fn


def test_a_decorated_function_gives_up_after_the_attempts_without_sleeping() -> None:
    sleep = mock.Mock()
    calls: list[int] = []
    decorated = retry(stop=stop_never, wait=wait_fixed(3600), sleep=sleep)(failing(calls))
    set_testing(True, attempts=3)
    with pytest.raises(RetryError):
        decorated()
    assert len(calls) == 3
    sleep.assert_not_called()
    assert decorated.statistics["attempt_number"] == 3
    assert decorated.statistics["idle_for"] == 0


def test_default_sleep_is_not_called_either() -> None:
    calls: list[int] = []
    decorated = api_retry(failing(calls, exc=ConnectionError))
    with testing(attempts=2), mock.patch("time.sleep") as sleep:
        with pytest.raises(ConnectionError):
            decorated()
    assert len(calls) == 2
    sleep.assert_not_called()


def test_controllers_built_before_and_after_the_switch() -> None:
    sleep = mock.Mock()
    before = Retrying(stop=stop_after_attempt(10), wait=wait_fixed(60), sleep=sleep)
    calls: list[int] = []
    with pytest.raises(RetryError):
        Retrying(stop=stop_after_attempt(2), sleep=lambda s: None)(failing(calls))
    with testing(attempts=1):
        after = Retrying(stop=stop_after_attempt(10), wait=wait_fixed(60), sleep=sleep)
        for controller in (before, after):
            calls.clear()
            with pytest.raises(RetryError):
                controller(failing(calls))
            assert len(calls) == 1
    sleep.assert_not_called()


def test_the_iterator_form() -> None:
    sleep = mock.Mock()
    attempts = 0
    with testing(attempts=4), pytest.raises(RetryError):
        for attempt in Retrying(stop=stop_never, wait=wait_fixed(60), sleep=sleep):
            with attempt:
                attempts += 1
                raise Flaky
    assert attempts == 4
    sleep.assert_not_called()


def test_async_forms() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    calls: list[int] = []

    @retry(stop=stop_never, wait=wait_fixed(60), sleep=sleep)
    async def decorated() -> None:
        calls.append(1)
        raise Flaky

    async def main() -> int:
        with pytest.raises(RetryError):
            await decorated()
        attempts = 0
        with pytest.raises(RetryError):
            async for attempt in AsyncRetrying(stop=stop_never, wait=wait_fixed(60), sleep=sleep):
                with attempt:
                    attempts += 1
                    raise Flaky
        return attempts

    with testing(attempts=2):
        assert asyncio.run(main()) == 2
    assert len(calls) == 2
    assert slept == []


def test_async_default_sleep_is_not_called() -> None:
    calls: list[int] = []

    @retry(stop=stop_after_attempt(5), wait=wait_fixed(60))
    async def decorated() -> None:
        calls.append(1)
        raise Flaky

    with testing(attempts=3), mock.patch("asyncio.sleep") as sleep:
        with pytest.raises(RetryError):
            asyncio.run(decorated())
    assert len(calls) == 3
    sleep.assert_not_called()


def test_tornado_coroutines() -> None:
    from tornado import gen, ioloop

    slept: list[float] = []

    def sleep(seconds: float):  # type: ignore[no-untyped-def]
        slept.append(seconds)
        return gen.sleep(0)

    calls: list[int] = []

    @retry(stop=stop_never, wait=wait_fixed(60), sleep=sleep)
    @gen.coroutine
    def decorated():  # type: ignore[no-untyped-def]
        calls.append(1)
        raise Flaky

    assert type(decorated.retry).__name__ == "TornadoRetrying"
    with testing(attempts=3), pytest.raises(RetryError):
        ioloop.IOLoop.current().run_sync(decorated)
    assert (len(calls), slept) == (3, [])


@pytest.mark.parametrize(("cap", "expected"), [(False, 5), (True, 2)])
def test_cap_keeps_a_stop_that_fires_earlier(cap: bool, expected: int) -> None:
    calls: list[int] = []
    decorated = retry(stop=stop_after_attempt(2), sleep=lambda s: None)(failing(calls))
    with testing(attempts=5, cap=cap), pytest.raises(RetryError):
        decorated()
    assert len(calls) == expected


def test_what_is_retried_does_not_change() -> None:
    calls: list[int] = []
    decorated = retry(retry=retry_if_exception_type(Flaky), stop=stop_never)(
        failing(calls, exc=ValueError)
    )
    with testing(attempts=3), pytest.raises(ValueError):
        decorated()
    assert len(calls) == 1
    calls.clear()
    ok = retry(stop=stop_never)(failing(calls, times=1))
    with testing(attempts=3):
        assert ok() == "ok"
    assert len(calls) == 2


def test_logs_and_metrics_still_record(caplog: pytest.LogCaptureFixture) -> None:
    pertinax.metrics.reset()
    calls: list[int] = []
    decorated = retry(
        stop=stop_never,
        wait=wait_fixed(60),
        name="testing-mode-op",
        log_levels="loud",
    )(failing(calls))
    with caplog.at_level(logging.DEBUG, logger="pertinax"), testing(attempts=3):
        with pytest.raises(RetryError):
            decorated()
    stats = pertinax.metrics.snapshot()["testing-mode-op"]
    assert (stats["calls"], stats["attempts"], stats["retries"], stats["gave_up"]) == (1, 3, 2, 1)
    assert stats["retry_sleep_seconds"] == 0
    retrying = [r.getMessage() for r in caplog.records if r.name == "pertinax.retrying"]
    assert retrying == [
        "testing-mode-op: retrying in 0 seconds: attempt 1 raised Flaky: x",
        "testing-mode-op: retrying in 0 seconds: attempt 2 raised Flaky: x",
    ]
    assert len([r for r in caplog.records if r.name == "pertinax.gave_up"]) == 1


def test_turning_it_off_restores_every_function() -> None:
    slept: list[float] = []
    calls: list[int] = []
    decorated = retry(stop=stop_after_attempt(3), wait=wait_fixed(0.5), sleep=slept.append)(
        failing(calls)
    )
    with testing(attempts=1), pytest.raises(RetryError):
        decorated()
    calls.clear()
    with pytest.raises(RetryError):
        decorated()
    assert (len(calls), slept) == (3, [0.5, 0.5])


def test_the_context_manager_nests_and_restores() -> None:
    assert not is_testing()
    with testing(attempts=2):
        assert is_testing()
        with testing(False):
            assert not is_testing()
        with testing(attempts=5):
            assert pertinax._pertinax.testing_mode() == (5, False)
        assert pertinax._pertinax.testing_mode() == (2, False)
    assert not is_testing()
    set_testing(True, attempts=1)
    with testing(attempts=3, cap=True):
        assert pertinax._pertinax.testing_mode() == (3, True)
    assert pertinax._pertinax.testing_mode() == (1, False)
    assert repr(testing(attempts=2)) == "testing(True, attempts=2, cap=False)"


@pytest.mark.parametrize(
    ("attempts", "error"), [(0, ValueError), (-1, ValueError), ("2", TypeError), (1.5, TypeError)]
)
def test_bad_attempts_name_the_argument_and_the_value(attempts, error) -> None:
    for where, call in (
        ("set_testing", lambda: set_testing(True, attempts=attempts)),
        ("testing", lambda: testing(attempts=attempts)),
    ):
        with pytest.raises(error, match=rf"^{where}\(\) argument 'attempts' .*{attempts!r}"):
            call()
    assert not is_testing()


def test_a_call_does_not_wait_for_the_slow_policy() -> None:
    calls: list[int] = []
    decorated = retry(stop=stop_after_attempt(3), wait=wait_fixed(5))(failing(calls))
    started = time.monotonic()
    with testing(attempts=3), pytest.raises(RetryError):
        decorated()
    # Not a timing assertion on pertinax's speed: without the mode this call takes 10 s.
    assert time.monotonic() - started < 5


# --- the pytest plugin ------------------------------------------------------------------------

SUITE = """
import pytest
from pertinax import retry, stop_after_attempt, wait_fixed, RetryError

calls = []

@retry(stop=stop_after_attempt(5), wait=wait_fixed(30))
def flaky():
    calls.append(1)
    raise ConnectionError("down")

def test_attempts():
    calls.clear()
    with pytest.raises(RetryError):
        flaky()
    print("ATTEMPTS", len(calls))
"""


def attempts_seen(result: pytest.RunResult) -> list[int]:
    return [int(n) for n in re.findall(r"ATTEMPTS (\d+)", "\n".join(result.outlines))]


def test_plugin_flag_turns_the_mode_on_for_the_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess("--pertinax-testing", "-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert attempts_seen(result) == [1]


def test_plugin_flag_with_attempts(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess(
        "--pertinax-testing", "--pertinax-testing-attempts=3", "-s"
    )
    result.assert_outcomes(passed=1)
    assert attempts_seen(result) == [3]


def test_plugin_bad_attempts_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess("--pertinax-testing", "--pertinax-testing-attempts=0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--pertinax-testing-attempts=0*at least 1*"])


def test_plugin_is_listed_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*--pertinax-testing *", "*--pertinax-testing-attempts=N*"])


def test_plugin_fixture_for_one_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fixture="""
        import pytest
        from pertinax import retry, stop_after_attempt, wait_fixed, RetryError
        from pertinax.testing import is_testing

        calls = []

        @retry(stop=stop_after_attempt(5), wait=wait_fixed(0.01))
        def flaky():
            calls.append(1)
            raise ConnectionError("down")

        def test_with_fixture(pertinax_testing):
            assert is_testing()
            calls.clear()
            with pytest.raises(RetryError):
                flaky()
            assert len(calls) == 1
            pertinax_testing.set_testing(True, attempts=2)
            calls.clear()
            with pytest.raises(RetryError):
                flaky()
            assert len(calls) == 2

        def test_without_fixture_afterwards():
            assert not is_testing()
            calls.clear()
            with pytest.raises(RetryError):
                flaky()
            assert len(calls) == 5
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_without_the_flag_nothing_changes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_off="""
        from pertinax.testing import is_testing

        def test_off():
            assert not is_testing()
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
