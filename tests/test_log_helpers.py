"""The log callbacks (before_log, after_log, before_sleep_log) and the ``_utils`` helpers
they and the controllers use, compared message by message with tenacity 9.2.1."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import re
import sys
import typing
from datetime import timedelta
from fractions import Fraction
from unittest import mock

import pertinax
import pytest
import tenacity
import tenacity._utils as t_utils
from pertinax import _utils as p_utils
from pertinax import after, before, before_sleep


class RecordingLogger:
    """The whole logger protocol: one ``log`` method. Records every call verbatim."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[typing.Any, ...], dict[str, typing.Any]]] = []

    def log(self, *args: typing.Any, **kwargs: typing.Any) -> None:
        self.calls.append((args, kwargs))


def module_function() -> None:
    pass


class Service:
    def method(self) -> None:
        pass

    @staticmethod
    def static() -> None:
        pass

    @classmethod
    def klass(cls) -> None:
        pass

    class Inner:
        def deep(self) -> None:
            pass


class CallableThing:
    def __call__(self) -> None:
        pass


class NamedOnly:
    """Has ``__name__`` but no ``__qualname__``."""

    def __init__(self) -> None:
        self.__name__ = "named_only"

    def __getattribute__(self, name: str) -> typing.Any:
        if name == "__qualname__":
            raise AttributeError(name)
        return super().__getattribute__(name)


def no_module() -> None:
    pass


# Sphinx and some wrappers leave __module__ empty; the name is then used alone.
no_module.__module__ = None  # type: ignore[assignment]


class Named:
    """A stand-in controller: a state without ``fn`` reports ``str(retry_object)``."""

    def __str__(self) -> str:
        return "nightly-job"


def _nested():
    def inner() -> None:
        pass

    return inner


CALLBACKS = [
    module_function,
    lambda: None,
    Service().method,
    Service.method,
    Service.static,
    Service.klass,
    Service.Inner.deep,
    Service,
    _nested(),
    print,
    len,
    functools.partial(module_function),
    CallableThing(),
    NamedOnly(),
    no_module,
    mock.Mock(),
    str.upper,
    "".join,
]


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


def parameters(fn) -> list[tuple[str, typing.Any, typing.Any]]:
    """Names, kinds and defaults of ``fn``'s parameters (annotations are spelled differently)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


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


# --- _utils -----------------------------------------------------------------------


def test_ordinals_match_tenacity() -> None:
    for n in range(-300, 301):
        assert p_utils.find_ordinal(n) == t_utils.find_ordinal(n), n
        assert p_utils.to_ordinal(n) == t_utils.to_ordinal(n), n
    assert [p_utils.to_ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 111, 112, 113)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "111th", "112th", "113th"
    ]  # fmt: skip


@pytest.mark.parametrize("cb", CALLBACKS, ids=lambda f: type(f).__name__)
def test_get_callback_name_matches_tenacity(cb) -> None:
    assert p_utils.get_callback_name(cb) == t_utils.get_callback_name(cb)


def test_get_callback_name_examples() -> None:
    assert p_utils.get_callback_name(module_function) == f"{__name__}.module_function"
    assert p_utils.get_callback_name(Service().method) == f"{__name__}.Service.method"
    assert p_utils.get_callback_name(no_module) == "no_module"
    partial = functools.partial(module_function)
    assert p_utils.get_callback_name(partial) == repr(partial)


def test_is_coroutine_callable_matches_tenacity() -> None:
    async def async_fn() -> None:
        pass

    def sync_fn() -> None:
        pass

    class AsyncCall:
        async def __call__(self) -> None:
            pass

    class SyncCall:
        def __call__(self) -> None:
            pass

    class AsyncMethods:
        async def run(self) -> None:
            pass

    candidates = [
        async_fn,
        sync_fn,
        AsyncCall,
        AsyncCall(),
        SyncCall,
        SyncCall(),
        lambda: None,
        functools.partial(async_fn),
        functools.partial(sync_fn),
        functools.partial(AsyncCall()),
        functools.partial(AsyncCall().__call__),
        functools.partial(SyncCall().__call__),
        functools.partial(AsyncMethods().run),
        AsyncMethods().run,
        mock.AsyncMock(),
        mock.Mock(),
        print,
        None,
        42,
    ]
    if sys.version_info >= (3, 12):
        candidates.append(inspect.markcoroutinefunction(lambda: None))
    table = [
        (p_utils.is_coroutine_callable(c), t_utils.is_coroutine_callable(c)) for c in candidates
    ]
    assert [ours for ours, _ in table] == [theirs for _, theirs in table]
    assert p_utils.is_coroutine_callable(async_fn) and not p_utils.is_coroutine_callable(AsyncCall)


def test_wrap_to_async_func() -> None:
    async def async_fn(x: int) -> int:
        return x + 1

    assert p_utils.wrap_to_async_func(async_fn) is async_fn

    async def sync_coroutine() -> str:
        return "not awaited"

    def returns_coroutine() -> typing.Any:
        return sync_coroutine()

    wrapped = p_utils.wrap_to_async_func(lambda x, y=0: x * 2 + y)
    assert inspect.iscoroutinefunction(wrapped)
    assert asyncio.run(wrapped(5, y=1)) == 11

    async def run() -> typing.Any:
        inner = await p_utils.wrap_to_async_func(returns_coroutine)()
        # A sync callable that returns a coroutine is not awaited for it.
        assert inspect.iscoroutine(inner)
        return await inner

    assert asyncio.run(run()) == "not awaited"


@pytest.mark.parametrize(
    "value", [timedelta(seconds=1.5), timedelta(days=1), 2, 2.5, True, "1.5", Fraction(1, 4)]
)
def test_to_seconds_matches_tenacity(value) -> None:
    ours, theirs = p_utils.to_seconds(value), t_utils.to_seconds(value)
    assert type(ours) is type(theirs) is float and ours == theirs


@pytest.mark.parametrize("value", ["soon", None, object(), [], 10**400])
def test_to_seconds_errors_match_tenacity(value) -> None:
    with pytest.raises(Exception) as theirs:
        t_utils.to_seconds(value)
    with pytest.raises(theirs.type):
        p_utils.to_seconds(value)


def test_constants_and_aliases_match_tenacity() -> None:
    assert p_utils.MAX_WAIT == t_utils.MAX_WAIT and type(p_utils.MAX_WAIT) is float
    assert p_utils.time_unit_type == t_utils.time_unit_type
    assert parameters(p_utils.LoggerProtocol.log) == parameters(t_utils.LoggerProtocol.log)
    assert getattr(p_utils.LoggerProtocol, "_is_protocol", False)


def test_override_marks_the_method() -> None:
    def method() -> None:
        pass

    assert p_utils.override(method) is method
    assert method.__override__ is True  # type: ignore[attr-defined]
    # Callables that refuse attributes are returned unchanged.
    assert p_utils.override(len) is len
    if sys.version_info >= (3, 12):
        assert p_utils.override is typing.override  # type: ignore[attr-defined]


def test_utils_public_names_match_tenacity() -> None:
    def public(module) -> set[str]:
        return {
            name
            for name, value in vars(module).items()
            if not name.startswith("_") and not inspect.ismodule(value)
        }

    assert public(p_utils) == public(t_utils)
