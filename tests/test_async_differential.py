"""Differential tests for the async forms: every scenario runs under tenacity 9.2.1's
``AsyncRetrying`` and under the candidate's, and every observable event must match.

The scenarios, the recorder and the comparison are those of ``tests/support/differential/``;
this file (with ``running_async.py`` there) adds the async ways to run a scenario:

* forms: ``@retry`` on an ``async def`` (decorator), ``await AsyncRetrying(...)(fn)`` (call)
  and ``async for attempt in AsyncRetrying(...)`` (iterator);
* flavours: the recorder's callbacks and strategies as they are (sync), or each one behind a
  coroutine function (async), so that every slot the engine can hand back to be awaited is
  exercised: retry, stop, wait, before, after, before_sleep and retry_error_callback. The
  sleep is always a coroutine function.

One deliberate difference is normalised away: when a callback or strategy raises after a
failed attempt, pertinax sets the attempt's exception as the error's ``__context__`` (tenacity
leaves it ``None``); see ``without_callback_context`` in
``tests/support/differential/running_async.py``.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any
from unittest import mock

import pytest
import tenacity
import tenacity.asyncio
from hypothesis import HealthCheck, assume, given, settings

from tests.support.differential import (
    ErrA,
    ErrC,
    Recorder,
    Scenario,
    compare,
    load_candidate,
    scenarios,
)
from tests.support.differential.running_async import (
    as_coroutine_function,
    async_kwargs,
    run_async_form,
)

REFERENCE = tenacity
CANDIDATE, CANDIDATE_ERROR = load_candidate()
needs_candidate = pytest.mark.skipif(CANDIDATE is None, reason=str(CANDIDATE_ERROR))

FORMS = ("decorator", "call", "iterator")
FLAVOURS = ("sync", "async")


def _settings(n: int) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=False,
    )


def check_async(sc: Scenario, flavour: str, policy: bool = False) -> None:
    for form in FORMS:
        a = run_async_form(REFERENCE, sc, form, flavour, policy)
        b = run_async_form(CANDIDATE, sc, form, flavour, policy)
        compare(a, b, f"async form={form} flavour={flavour} policy={policy}: {sc.source()}")


# --------------------------------------------------------------------------------------------
# 1. Generated scenarios
# --------------------------------------------------------------------------------------------


# 150 scenarios under both libraries and an event loop: over 20 s for one flavour on a loaded
# two-core machine, too close to the default limit.
@pytest.mark.timeout(600)
@needs_candidate
@pytest.mark.parametrize("flavour", FLAVOURS)
@_settings(150)
@given(sc=scenarios())
def test_generated_async_scenarios(sc: Scenario, flavour: str) -> None:
    check_async(sc, flavour)


def _policy_accepts(sc: Scenario, flavour: str) -> bool:
    # Policy refuses at once what can never work (stop=3); tenacity fails only when called.
    try:
        kw = async_kwargs(CANDIDATE, sc, Recorder(CANDIDATE, sc), flavour)
        CANDIDATE.Policy("scenario", **kw)
    except (TypeError, ValueError):
        return False
    return True


# The same scenarios through a Policy of the same arguments: as a decorator on an async def,
# and its async_retrying() as a call and in `async for`.
@pytest.mark.timeout(600)
@needs_candidate
@pytest.mark.parametrize("flavour", FLAVOURS)
@_settings(60)
@given(sc=scenarios())
def test_generated_async_scenarios_through_a_policy(sc: Scenario, flavour: str) -> None:
    assume(_policy_accepts(sc, flavour))
    check_async(sc, flavour, policy=True)


# --------------------------------------------------------------------------------------------
# 2. Hand-written cases
# --------------------------------------------------------------------------------------------


def _observe(case: Any) -> tuple[Any, Any]:
    """Run ``case(lib, aio, rec)`` (a coroutine function) under both libraries."""
    out = []
    for lib in (REFERENCE, CANDIDATE):
        rec = Recorder(lib)
        loop = asyncio.new_event_loop()
        try:
            result: Any = ("returned", loop.run_until_complete(case(lib, lib.asyncio, rec)))
        except Exception as e:  # noqa: BLE001
            result = ("raised", rec.exc(e))
        finally:
            loop.close()
        out.append((result, rec.events))
    return out[0], out[1]


def _same(case: Any) -> None:
    ref, cand = _observe(case)
    compare([ref], [cand], case.__name__)


CASES = []


def case(fn: Any) -> Any:
    CASES.append(fn)
    return fn


def _scripted(rec: Recorder, *outcomes: Any) -> Any:
    async def fn(*args: Any, **kwargs: Any) -> Any:
        rec.calls += 1
        step = outcomes[min(rec.calls, len(outcomes)) - 1]
        rec.events.append(("call", rec.calls))
        await asyncio.sleep(0)
        if isinstance(step, BaseException):
            raise step
        return step

    return fn


async def _outcome(rec: Recorder, awaitable: Any) -> Any:
    try:
        return ("returned", rec.value(await awaitable))
    except Exception as e:  # noqa: BLE001
        return ("raised", rec.exc(e))


async def _fewer_than_two_attempts(rs: Any) -> bool:
    return rs.attempt_number < 2


@case
async def async_predicate_classes_and_operators(lib: Any, aio: Any, rec: Recorder) -> Any:
    async def lt_3(x: Any) -> bool:
        return x < 3

    async def is_err_c(e: BaseException) -> bool:
        return isinstance(e, ErrC)

    def sync_is_err_a(e: BaseException) -> bool:
        return isinstance(e, ErrA)

    strategies = {
        "result": aio.retry_if_result(lt_3),
        "exc": aio.retry_if_exception(is_err_c),
        "async|sync": aio.retry_if_result(lt_3) | lib.retry_if_exception(sync_is_err_a),
        "sync|async": lib.retry_if_exception(sync_is_err_a) | aio.retry_if_result(lt_3),
        "async&sync": aio.retry_if_result(lt_3) & lib.retry_if_result(lambda x: x > 0),
        "sync&async": lib.retry_if_result(lambda x: x > 0) & aio.retry_if_result(lt_3),
        "any(any)": aio.retry_any(aio.retry_if_result(lt_3))
        | aio.retry_any(aio.retry_if_exception(is_err_c)),
        "all(all)": aio.retry_all(lib.retry_always) & aio.retry_all(aio.retry_if_result(lt_3)),
        "plain async fn": _fewer_than_two_attempts,
    }
    out = []
    for label, strategy in strategies.items():
        shape = (type(strategy).__name__, len(getattr(strategy, "retries", ())))
        for script in (
            (0, 1, 2, 3, 4),
            (ErrC("c"), ErrA("a"), 5),
            (ErrA("a"), ErrC("c"), 1, 7),
        ):
            rec.calls = 0
            r = lib.AsyncRetrying(
                retry=strategy,
                stop=lib.stop_after_attempt(6),
                sleep=as_coroutine_function(rec.sleep),
            )
            res = await _outcome(rec, r(_scripted(rec, *script)))
            out.append((label, shape, res, rec.calls, r.statistics["attempt_number"]))
    return out


@case
async def every_slot_as_a_coroutine(lib: Any, aio: Any, rec: Recorder) -> Any:
    async def before(rs: Any) -> None:
        rec.note("before", rs)

    async def after(rs: Any) -> None:
        rec.note("after", rs)

    async def before_sleep(rs: Any) -> None:
        rec.note("before_sleep", rs)

    async def stop(rs: Any) -> bool:
        rec.note("stop", rs)
        return rs.attempt_number >= 3

    async def wait(rs: Any) -> float:
        rec.note("wait", rs)
        return rs.attempt_number * 0.5

    async def retry(rs: Any) -> bool:
        rec.note("retry", rs)
        return rs.outcome.failed

    async def callback(rs: Any) -> Any:
        rec.note("callback", rs)
        return ("gave up", rs.attempt_number)

    out = []
    for with_callback in (False, True):
        rec.calls = 0
        r = lib.AsyncRetrying(
            before=before,
            after=after,
            before_sleep=before_sleep,
            stop=stop,
            wait=wait,
            retry=retry,
            retry_error_callback=callback if with_callback else None,
            sleep=as_coroutine_function(rec.sleep),
        )
        out.append(await _outcome(rec, r(_scripted(rec, ErrA("x")))))
        out.append(rec.stats(r.statistics))
    return out


@case
async def sync_callables_returning_coroutines_are_not_awaited(
    lib: Any, aio: Any, rec: Recorder
) -> Any:
    async def never(rs: Any) -> bool:
        return False

    def sync_returning_coroutine(rs: Any) -> Any:
        coro = never(rs)
        coro.close()  # truthy and never awaited: both libraries must retry on it
        return coro

    r = lib.AsyncRetrying(
        retry=sync_returning_coroutine,
        stop=lib.stop_after_attempt(3),
        sleep=as_coroutine_function(rec.sleep),
    )
    return [await _outcome(rec, r(_scripted(rec, 1))), rec.calls]


@case
async def sync_function_with_an_async_sleep(lib: Any, aio: Any, rec: Recorder) -> Any:
    sleep = mock.AsyncMock()
    calls = []

    @lib.retry(sleep=sleep, wait=lib.wait_fixed(1), retry=lib.retry_if_result(lambda v: v is None))
    def sync_function() -> Any:
        calls.append(1)
        return None if len(calls) < 3 else "done"

    awaitable = sync_function()
    return [
        inspect.iscoroutinefunction(sync_function),
        inspect.isawaitable(awaitable),
        await awaitable,
        sleep.await_count,
        [c.args for c in sleep.await_args_list],
        [type(c.args[0]).__name__ for c in sleep.await_args_list],
    ]


@case
async def reraise_and_try_again(lib: Any, aio: Any, rec: Recorder) -> Any:
    out = []
    sleep = as_coroutine_function(rec.sleep)
    for reraise in (False, True):
        for how in ("bare", "cause", "context"):

            async def attempt(how: str = how) -> None:
                if how == "bare":
                    raise lib.TryAgain("again")
                try:
                    raise ErrC("under")
                except ErrC as u:
                    if how == "cause":
                        raise lib.TryAgain("again") from u
                    raise lib.TryAgain("again")  # noqa: B904

            r = lib.AsyncRetrying(
                stop=lib.stop_after_attempt(2),
                retry=lib.retry_never,
                reraise=reraise,
                sleep=sleep,
            )
            out.append(await _outcome(rec, r(attempt)))
            out.append(r.statistics["attempt_number"])
    return out


@case
async def disabled_forms(lib: Any, aio: Any, rec: Recorder) -> Any:
    out = []
    for script in ((ErrA("x"),), ("ok",)):
        rec.calls = 0
        r = lib.AsyncRetrying(enabled=False, stop=lib.stop_after_attempt(5))
        out.append(await _outcome(rec, r(_scripted(rec, *script))))
        wrapped = lib.retry(enabled=False, stop=lib.stop_after_attempt(5))(_scripted(rec, *script))
        out.append(await _outcome(rec, wrapped()))
        out.append((wrapped.statistics, r.statistics))

        async def loop(script: Any = script) -> Any:
            bodies = 0
            async for attempt in lib.AsyncRetrying(enabled=False):
                with attempt:
                    bodies += 1
                    step = script[0]
                    if isinstance(step, BaseException):
                        raise step
            return bodies

        out.append(await _outcome(rec, loop()))
        out.append(rec.calls)
    return out


@case
async def gather_keeps_attempt_numbers_apart(lib: Any, aio: Any, rec: Recorder) -> Any:
    seen: list[Any] = []

    def after(rs: Any) -> None:
        seen.append((rs.args[0], rs.attempt_number))

    counts = {"a": 0, "b": 0}

    @lib.retry(stop=lib.stop_after_attempt(5))
    async def work(name: str) -> str:
        counts[name] += 1
        await asyncio.sleep(0)
        if counts[name] < 3:
            raise ErrA(name)
        return name

    results = await asyncio.gather(
        work.retry_with(after=after)("a"), work.retry_with(after=after)("b")
    )
    return [results, sorted(seen), counts]


@case
async def iterator_result_predicates(lib: Any, aio: Any, rec: Recorder) -> Any:
    async def lt_3(x: Any) -> bool:
        return x < 3

    out = []
    for strategy in (lib.retry_if_result(lambda x: x < 3), aio.retry_if_result(lt_3)):
        attempts = 0
        async for attempt in lib.AsyncRetrying(
            retry=strategy, sleep=as_coroutine_function(rec.sleep)
        ):
            with attempt:
                attempts += 1
            attempt.retry_state.set_result(attempts)
        out.append(attempts)
    return out


@case
async def direct_aiter_anext_like_stamina(lib: Any, aio: Any, rec: Recorder) -> Any:
    r = lib.AsyncRetrying(
        reraise=True, stop=lib.stop_after_attempt(3), sleep=as_coroutine_function(rec.sleep)
    )
    it = r.__aiter__()
    numbers = []
    try:
        while True:
            attempt = await it.__anext__()
            numbers.append(attempt.retry_state.attempt_number)
            attempt.__enter__()
            attempt.__exit__(ErrA, ErrA("x"), None)
    except ErrA as e:
        return [numbers, str(e)]
    except StopAsyncIteration:
        return [numbers, "stopped"]


@needs_candidate
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_hand_written_async_case(case: Any) -> None:
    _same(case)


@needs_candidate
def test_the_harness_notices_a_difference() -> None:
    # A scenario run under two different scripts must not compare equal.
    sc1 = Scenario(
        script=(("raise", "ErrA", "x", None), ("return", "ok")), stop="stop_after_attempt(3)"
    )
    sc2 = Scenario(script=(("return", "ok"),), stop="stop_after_attempt(3)")
    with pytest.raises(AssertionError):
        compare(
            run_async_form(REFERENCE, sc1, "call", "async"),
            run_async_form(CANDIDATE, sc2, "call", "async"),
            "x",
        )
