"""Where tenacity is wrong, pertinax is right: interrupts, failing callbacks, fork, sleeping,
bad input. Threads are in ``test_thread_safety.py``, garbage in ``test_reference_cycles.py``,
pickling in ``test_pickling.py``."""

from __future__ import annotations

import os
import pickle
from unittest import mock

import pertinax
import pytest
from pertinax import (
    RetryError,
    Retrying,
    retry,
    retry_always,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_fixed,
    wait_random,
)

from tests.support.scripted import no_sleep

# -- interrupts ----------------------------------------------------------------------------


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit, GeneratorExit])
@pytest.mark.parametrize(
    "predicate",
    [retry_always, retry_if_not_exception_type(), retry_if_exception_type(BaseException)],
)
def test_interrupts_are_never_retried(exc_type: type[BaseException], predicate: object) -> None:
    calls = []

    @retry(retry=predicate, stop=stop_after_attempt(5), sleep=no_sleep)  # type: ignore[call-overload]
    def f() -> None:
        calls.append(1)
        raise exc_type()

    with pytest.raises(exc_type):
        f()
    assert calls == [1]


def test_interrupts_are_never_retried_in_the_iterator_form() -> None:
    bodies = []
    with pytest.raises(KeyboardInterrupt):
        for attempt in Retrying(retry=retry_always, stop=stop_after_attempt(5), sleep=no_sleep):
            with attempt:
                bodies.append(1)
                raise KeyboardInterrupt
    assert bodies == [1]


def test_an_interrupt_during_the_sleep_ends_the_loop() -> None:
    calls = []

    def interrupted_sleep(_seconds: float) -> None:
        raise KeyboardInterrupt

    @retry(stop=stop_after_attempt(5), sleep=interrupted_sleep)
    def f() -> None:
        calls.append(1)
        raise ValueError

    with pytest.raises(KeyboardInterrupt):
        f()
    assert calls == [1]


# -- failing callbacks ---------------------------------------------------------------------


class CallbackBroke(Exception):
    pass


def _broken(_rs: object) -> None:
    raise CallbackBroke("broken")


@pytest.mark.parametrize("where", ["after", "before_sleep", "stop", "wait", "retry"])
def test_a_failing_callback_propagates_and_keeps_the_user_exception(where: str) -> None:
    user_error = ValueError("the user's own error")

    @retry(sleep=no_sleep, **{where: _broken})  # type: ignore[call-overload]
    def f() -> None:
        raise user_error

    with pytest.raises(CallbackBroke) as info:
        f()
    assert info.value.__context__ is user_error


def test_a_failing_before_hook_propagates() -> None:
    @retry(before=_broken, sleep=no_sleep)
    def f() -> None:
        raise AssertionError("never called")

    with pytest.raises(CallbackBroke):
        f()


def test_a_failing_logger_propagates_and_keeps_the_user_exception() -> None:
    class BadLogger:
        def log(self, level: int, msg: str, *args: object) -> None:
            raise CallbackBroke(msg)

    user_error = OSError("disk")

    @retry(
        before_sleep=pertinax.before_sleep_log(BadLogger(), 20),  # type: ignore[arg-type]
        sleep=no_sleep,
    )
    def f() -> None:
        raise user_error

    with pytest.raises(CallbackBroke) as info:
        f()
    assert info.value.__context__ is user_error


# -- fork ----------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_draws_different_jitter() -> None:
    def draws() -> list[float]:
        sleeps: list[float] = []

        @retry(stop=stop_after_attempt(6), wait=wait_random(0, 1), sleep=sleeps.append)
        def f() -> None:
            raise ValueError

        with pytest.raises(RetryError):
            f()
        return sleeps

    draws()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its draws and leave without running pytest's teardown
        try:
            os.write(write_end, pickle.dumps(draws()))
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        child = pickle.loads(pipe.read())
    os.waitpid(pid, 0)
    parent = draws()
    assert len(child) == len(parent) == 5
    assert child != parent


# -- sleeping ------------------------------------------------------------------------------


def test_time_sleep_is_looked_up_at_call_time() -> None:
    @retry(stop=stop_after_attempt(4), wait=wait_fixed(0.5))
    def f() -> None:
        raise ValueError

    with mock.patch("time.sleep") as fake_sleep, pytest.raises(RetryError):
        f()
    assert [c.args[0] for c in fake_sleep.call_args_list] == [0.5, 0.5, 0.5]


def test_a_custom_sleep_is_called_even_for_zero_waits() -> None:
    sleeps: list[float] = []

    @retry(stop=stop_after_attempt(3), sleep=sleeps.append)
    def f() -> None:
        raise ValueError

    with pytest.raises(RetryError):
        f()
    assert sleeps == [0.0, 0.0]
    assert all(type(s).__name__ == "DoSleep" for s in sleeps)


def test_a_patched_time_sleep_still_sees_zero_waits() -> None:
    @retry(stop=stop_after_attempt(3))
    def f() -> None:
        raise ValueError

    with mock.patch("time.sleep") as fake_sleep, pytest.raises(RetryError):
        f()
    assert fake_sleep.call_count == 2


def test_there_is_no_per_call_copy_of_the_controller() -> None:
    @retry(stop=stop_after_attempt(3), sleep=no_sleep)
    def f() -> int:
        return 7

    with mock.patch.object(Retrying, "copy", side_effect=AssertionError("copied")):
        assert f() == 7


def test_patching_the_controller_takes_effect_on_the_next_call() -> None:
    calls = []

    @retry(stop=stop_after_attempt(5), sleep=no_sleep)
    def f() -> None:
        calls.append(1)
        raise ValueError

    f.retry.stop = stop_after_attempt(2)  # type: ignore[attr-defined]
    with pytest.raises(RetryError):
        f()
    assert len(calls) == 2
    with mock.patch.object(f.retry, "stop", stop_after_attempt(1)), pytest.raises(RetryError):
        f()
    assert len(calls) == 3


# -- bad input -----------------------------------------------------------------------------


def test_a_string_strategy_is_accepted_and_fails_clearly_at_first_use() -> None:
    r = Retrying(stop="stop_after_attempt")  # type: ignore[arg-type]
    assert r(lambda: 5) == 5  # never needed: no error, as with tenacity

    def fails() -> None:
        raise ValueError

    with pytest.raises(TypeError, match=r"stop: .*'stop_after_attempt'.*str"):
        r(fails)


def test_a_non_number_argument_names_the_strategy_the_argument_and_the_value() -> None:
    stop = stop_after_attempt("three")  # type: ignore[arg-type]

    @retry(stop=stop, sleep=no_sleep)
    def f() -> None:
        raise ValueError

    with pytest.raises(
        TypeError, match=r"stop_after_attempt: argument 'max_attempt_number' .*'three'"
    ):
        f()


def test_fractional_attempts_and_timedeltas_work() -> None:
    import datetime

    calls = []

    @retry(
        stop=stop_after_attempt(2.5),  # type: ignore[arg-type]
        wait=wait_fixed(datetime.timedelta(milliseconds=1)),
        sleep=no_sleep,
    )
    def f() -> None:
        calls.append(1)
        raise ValueError

    with pytest.raises(RetryError):
        f()
    assert len(calls) == 3
