"""The log callbacks (before_log, after_log, before_sleep_log), compared message by message
with tenacity 9.2.1. The ``_utils`` helpers they use are in ``test_utils_helpers.py``."""

from __future__ import annotations

import logging
import re
import typing
from fractions import Fraction
from unittest import mock

import pertinax
import pytest
import tenacity
import tenacity._utils as t_utils
from pertinax import after, before, before_sleep

from tests.support.callables import CALLBACKS, Named, module_function, parameters


class RecordingLogger:
    """The whole logger protocol: one ``log`` method. Records every call verbatim."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[typing.Any, ...], dict[str, typing.Any]]] = []

    def log(self, *args: typing.Any, **kwargs: typing.Any) -> None:
        self.calls.append((args, kwargs))


def make_state(
    lib,
    *,
    fn=module_function,
    retry_object=None,
    attempt=1,
    seconds: typing.Any = 0.5,
    outcome=None,
    sleep=None,
):
    """A state of ``lib``'s own RetryCallState class, set up field by field."""
    state = lib.RetryCallState(retry_object, fn, (), {})
    state.attempt_number = attempt
    state.start_time = 100
    state.outcome_timestamp = None if seconds is None else 100 + seconds
    if outcome is not None:
        value, has_exc = outcome
        state.outcome = lib.Future.construct(attempt, value, has_exc)
    if sleep is not None:
        state.next_action = lib.RetryAction(sleep)
    return state


def messages(helper_pair, state_kwargs, **helper_kwargs):
    """Run tenacity's and pertinax's helper on equivalent states.

    Returns, for each, the logger calls, or the type and text of the error raised.
    """
    calls = []
    for lib, factory in zip((tenacity, pertinax), helper_pair, strict=True):
        logger = RecordingLogger()
        try:
            factory(logger, logging.INFO, **helper_kwargs)(make_state(lib, **state_kwargs))
        except Exception as exc:
            calls.append((type(exc), str(exc), logger.calls))
        else:
            calls.append(logger.calls)
    return calls


def raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:
        return caught


BEFORE = (tenacity.before_log, before.before_log)
AFTER = (tenacity.after_log, after.after_log)
BEFORE_SLEEP = (tenacity.before_sleep_log, before_sleep.before_sleep_log)


# --- before_log -------------------------------------------------------------------


def test_nothing_helpers_return_none() -> None:
    state = make_state(tenacity)
    assert before.before_nothing(state) is None
    assert after.after_nothing(state) is None
    assert before_sleep.before_sleep_nothing(state) is None
    assert pertinax.before_nothing is before.before_nothing
    assert pertinax.after_nothing is after.after_nothing
    assert pertinax.before_sleep_nothing is before_sleep.before_sleep_nothing


@pytest.mark.parametrize("attempt", [0, 1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112, 212])
def test_before_log_message(attempt: int) -> None:
    theirs, ours = messages(BEFORE, {"attempt": attempt})
    assert ours == theirs
    ((args, kwargs),) = ours
    assert kwargs == {} and len(args) == 2 and args[0] == logging.INFO


@pytest.mark.parametrize("fn", CALLBACKS, ids=lambda f: type(f).__name__)
def test_before_log_function_names(fn) -> None:
    theirs, ours = messages(BEFORE, {"fn": fn})
    assert ours == theirs


@pytest.mark.parametrize("retry_object", [None, Named()], ids=["none", "named"])
def test_before_log_without_function_uses_the_controller_name(retry_object) -> None:
    theirs, ours = messages(BEFORE, {"fn": None, "retry_object": retry_object})
    assert ours == theirs


def test_before_log_uses_get_fn_name() -> None:
    state = mock.Mock(attempt_number=2)
    state.get_fn_name.return_value = "svc.call"
    logger = RecordingLogger()
    before.before_log(logger, 10)(state)
    assert logger.calls == [
        ((10, "Starting call to 'svc.call', this is the 2nd time calling it."), {})
    ]


# --- after_log --------------------------------------------------------------------


@pytest.mark.parametrize(
    "seconds", [0.1, 0, 0.0, 1234.5, 5.6e-05, Fraction(1, 3), None, 10**6], ids=repr
)
@pytest.mark.parametrize("sec_format", [None, "%.1f", "%0.3f", "%d", "%s"])
def test_after_log_message(seconds, sec_format) -> None:
    kwargs = {} if sec_format is None else {"sec_format": sec_format}
    theirs, ours = messages(AFTER, {"seconds": seconds, "attempt": 7}, **kwargs)
    assert ours == theirs


def test_after_log_default_format_and_unknown_time() -> None:
    logger = RecordingLogger()
    after.after_log(logger, logging.WARNING)(make_state(tenacity, seconds=0.1234, attempt=3))
    after.after_log(logger, logging.WARNING)(make_state(tenacity, seconds=None, attempt=3))
    name = t_utils.get_callback_name(module_function)
    assert [args[1] for args, _ in logger.calls] == [
        f"Finished call to '{name}' after 0.123(s), this was the 3rd time calling it.",
        f"Finished call to '{name}' after ?(s), this was the 3rd time calling it.",
    ]


# --- before_sleep_log -------------------------------------------------------------

OUTCOMES = [
    (raised(ValueError("bad {x}")), True),
    (raised(KeyError("k")), True),
    (raised(OSError("Hi there, I'm an IOError")), True),
    (raised(RuntimeError()), True),
    (raised(RuntimeError("100% %s %(x)s")), True),
    (raised(KeyboardInterrupt()), True),
    (None, False),
    ({"a": 1}, False),
    ("text", False),
    (0, False),
]


@pytest.mark.parametrize("outcome", OUTCOMES, ids=lambda o: repr(o[0])[:30])
@pytest.mark.parametrize("exc_info", [False, True])
def test_before_sleep_log_message(outcome, exc_info: bool) -> None:
    theirs, ours = messages(
        BEFORE_SLEEP, {"outcome": outcome, "sleep": 0.01, "attempt": 2}, exc_info=exc_info
    )
    assert ours == theirs


@pytest.mark.parametrize("sleep", [0.01, 0, 1, 1234.5, 5.6e-05, 1e20, float("inf")], ids=repr)
@pytest.mark.parametrize("sec_format", [None, "%.1f", "%d", "%s"])
def test_before_sleep_log_formats_seconds(sleep, sec_format) -> None:
    kwargs = {} if sec_format is None else {"sec_format": sec_format}
    theirs, ours = messages(BEFORE_SLEEP, {"outcome": OUTCOMES[0], "sleep": sleep}, **kwargs)
    assert ours == theirs


def test_before_sleep_log_inlines_the_traceback() -> None:
    logger = RecordingLogger()
    state = make_state(tenacity, outcome=OUTCOMES[2], sleep=0.01)
    before_sleep.before_sleep_log(logger, logging.ERROR, exc_info=True)(state)
    ((args, kwargs),) = logger.calls
    assert kwargs == {}
    assert re.match(
        r"^Retrying .* in 0\.01 seconds as it raised OSError: Hi there, I'm an IOError\.\n"
        r"Traceback \(most recent call last\):\n.*OSError: Hi there, I'm an IOError$",
        args[1],
        re.DOTALL,
    )


def test_before_sleep_log_traceback_only_for_failures() -> None:
    theirs, ours = messages(BEFORE_SLEEP, {"outcome": (None, False), "sleep": 1}, exc_info=True)
    assert ours == theirs
    assert ours[0][0][1].endswith("as it returned None.")


@pytest.mark.parametrize(
    "missing, message",
    [
        ("outcome", "log_it() called before outcome was set"),
        ("next_action", "log_it() called before next_action was set"),
    ],
)
def test_before_sleep_log_requires_outcome_and_next_action(missing, message) -> None:
    errors = []
    for lib, factory in zip((tenacity, pertinax), BEFORE_SLEEP, strict=True):
        state = make_state(lib, outcome=OUTCOMES[0], sleep=1)
        setattr(state, missing, None)
        logger = RecordingLogger()
        with pytest.raises(RuntimeError) as info:
            factory(logger, logging.INFO)(state)
        assert logger.calls == []
        errors.append(str(info.value))
    assert errors == [message, message]


@pytest.mark.parametrize(
    "pair", [BEFORE, AFTER, BEFORE_SLEEP], ids=["before", "after", "before_sleep"]
)
def test_helpers_accept_the_same_arguments(pair) -> None:
    ours, theirs = (parameters(f) for f in reversed(pair))
    assert ours == theirs


# --- real loggers -----------------------------------------------------------------


def test_stdlib_logger_gets_one_preformatted_message(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("pertinax.tests.log_helpers")
    state = make_state(tenacity, outcome=OUTCOMES[4], sleep=0.5, attempt=2)
    with caplog.at_level(logging.DEBUG, logger=logger.name):
        before.before_log(logger, logging.DEBUG)(state)
        after.after_log(logger, logging.INFO)(state)
        before_sleep.before_sleep_log(logger, logging.WARNING, exc_info=True)(state)
    assert [r.levelno for r in caplog.records] == [logging.DEBUG, logging.INFO, logging.WARNING]
    assert all(r.args in ((), None) and r.exc_info is None for r in caplog.records)
    # '%' in the exception message reaches the output untouched.
    assert "100% %s %(x)s" in caplog.records[2].getMessage()


def test_log_helpers_work_with_pertinax_states() -> None:
    logger = RecordingLogger()
    state = make_state(pertinax, outcome=(raised(ValueError("v")), True), sleep=2, attempt=3)
    before.before_log(logger, 1)(state)
    after.after_log(logger, 2)(state)
    before_sleep.before_sleep_log(logger, 3)(state)
    name = t_utils.get_callback_name(module_function)
    assert [args for args, _ in logger.calls] == [
        (1, f"Starting call to '{name}', this is the 3rd time calling it."),
        (2, f"Finished call to '{name}' after 0.5(s), this was the 3rd time calling it."),
        (3, f"Retrying {name} in 2 seconds as it raised ValueError: v."),
    ]
