"""The ``_utils`` helpers (ordinals, callback names, coroutine detection, ``to_seconds``...)
against tenacity 9.2.1's."""

from __future__ import annotations

import asyncio
import functools
import inspect
import sys
import typing
from datetime import timedelta
from fractions import Fraction
from unittest import mock

import pytest
import tenacity._utils as t_utils
from pertinax import _utils as p_utils

from tests.support import callables
from tests.support.callables import CALLBACKS, Service, module_function, no_module, parameters


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
    assert p_utils.get_callback_name(module_function) == f"{callables.__name__}.module_function"
    assert p_utils.get_callback_name(Service().method) == f"{callables.__name__}.Service.method"
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
