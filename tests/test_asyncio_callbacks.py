"""Coroutine functions in every slot of ``AsyncRetrying`` (strategies and callbacks, in
tenacity's order), and the async predicates of ``pertinax.asyncio.retry``."""

from __future__ import annotations

import asyncio
from typing import Any

import pertinax
import pertinax.asyncio as pasyncio
import pertinax.asyncio.retry as pretry
import pytest
import tenacity
import tenacity.asyncio
from pertinax import (
    AsyncRetrying,
)

from tests.support.async_calls import Flaky, Sleeps, run

# --- every slot may be a coroutine function -------------------------------------------------


def test_coroutine_callbacks_run_in_tenacitys_order() -> None:
    events: list[Any] = []

    def recorder(name: str, value: Any = None) -> Any:
        async def cb(rs: Any) -> Any:
            await asyncio.sleep(0)
            events.append((name, rs.attempt_number))
            return value

        return cb

    async def sleep(seconds: Any) -> None:
        events.append(("sleep", seconds))

    async def attempt() -> None:
        events.append(("attempt",))
        raise ValueError

    r = AsyncRetrying(
        sleep=sleep,
        before=recorder("before"),
        after=recorder("after"),
        before_sleep=recorder("before_sleep"),
        retry=recorder("retry", True),
        wait=recorder("wait", 1.5),
        stop=pertinax.stop_after_attempt(2),
        retry_error_callback=recorder("callback", "fallback"),
    )
    assert run(r(attempt)) == "fallback"
    assert events == [
        ("before", 1),
        ("attempt",),
        ("retry", 1),
        ("after", 1),
        ("wait", 1),
        ("before_sleep", 1),
        ("sleep", 1.5),
        ("before", 2),
        ("attempt",),
        ("retry", 2),
        ("after", 2),
        ("wait", 2),
        ("callback", 2),
    ]
    assert r.statistics["idle_for"] == 1.5


def test_an_error_in_a_coroutine_callback_propagates_with_the_attempts_error_as_context() -> None:
    class CallbackFailed(Exception):
        pass

    async def before_sleep(rs: Any) -> None:
        raise CallbackFailed

    with pytest.raises(CallbackFailed) as info:
        run(AsyncRetrying(before_sleep=before_sleep, sleep=Sleeps())(Flaky(3)))
    assert isinstance(info.value.__context__, ValueError)


# --- async predicates -----------------------------------------------------------------------


def _shape(strategy: Any) -> Any:
    members = getattr(strategy, "retries", None)
    if members is None:
        return type(strategy).__module__.split(".", 1)[-1] + "." + type(strategy).__qualname__
    return (
        type(strategy).__module__.split(".", 1)[-1] + "." + type(strategy).__qualname__,
        [_shape(m) for m in members],
    )


async def _true(x: Any) -> bool:
    return True


def _combinations(lib: Any) -> dict[str, Any]:
    a = lib.asyncio.retry_if_result(_true)
    b = lib.asyncio.retry_if_exception(_true)
    s = lib.retry_if_result(bool)
    any_ab = lib.asyncio.retry_any(a, b)
    all_ab = lib.asyncio.retry_all(a, b)
    return {
        "a|b": a | b,
        "a&b": a & b,
        "s|a": s | a,
        "a|s": a | s,
        "s&a": s & a,
        "a&s": a & s,
        "any|a": any_ab | a,
        "a|any": a | any_ab,
        "any|any": any_ab | lib.asyncio.retry_any(b),
        "all&all": all_ab & lib.asyncio.retry_all(b),
        "a&all": a & all_ab,
        "sync_any|a": lib.retry_any(s) | a,
        "fn|a": bool | a,
        "a&fn": a & bool,
    }


def test_async_predicate_operators_build_what_tenacity_builds() -> None:
    ours = {k: _shape(v) for k, v in _combinations(pertinax).items()}
    theirs = {k: _shape(v) for k, v in _combinations(tenacity).items()}
    assert ours == theirs


@pytest.mark.parametrize("cls", ["retry_if_result", "retry_if_exception"])
def test_async_predicates_need_an_outcome(cls: str) -> None:
    state = pertinax.RetryCallState(None, None, (), {})
    with pytest.raises(RuntimeError, match="before outcome was set"):
        run(getattr(pasyncio, cls)(_true)(state))


def test_async_retry_base_is_abstract() -> None:
    with pytest.raises(TypeError):
        pretry.async_retry_base()  # type: ignore[abstract]


def test_async_combinators_return_the_deciding_members_value() -> None:
    state = pertinax.RetryCallState(None, None, (), {})
    state.set_result(5)

    async def say(value: Any) -> Any:
        return value

    def async_member(value: Any) -> Any:
        async def member(rs: Any) -> Any:
            return await say(value)

        return member

    assert (
        run(pasyncio.retry_any(async_member(0), lambda rs: "", async_member("yes"))(state)) == "yes"
    )
    assert run(pasyncio.retry_all(async_member(1), lambda rs: [], async_member(2))(state)) == []
    assert run(pasyncio.retry_any()(state)) is False
    assert run(pasyncio.retry_all()(state)) is True
