"""Type-checked, never executed: the decorator keeps the decorated function's signature.

`make test` runs `mypy --strict` over this file against the installed pertinax.

* Positive checks are `assert_type(...)` calls: they fail if a type decays to `Any` or
  to anything else than the one written.
* Negative checks are calls the type checker must reject, each silenced with a
  `# type: ignore[code]`. Under `warn_unused_ignores` (part of `--strict`) an ignore
  that silences nothing is itself an error, so each ignore proves its error still exists.

The expectations are tenacity 9.2.1's typing semantics (its `_RetryDecorated` protocol).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal

from pertinax import (
    AsyncRetrying,
    AttemptManager,
    BaseRetrying,
    CircuitBreaker,
    Future,
    Policy,
    RetryAction,
    RetryBudget,
    RetryCallState,
    Retrying,
    api_retry,
    file_retry,
    policies,
    retry,
    retry_context,
    retry_if_exception_type,
    retry_if_transient,
    stop_after_attempt,
    transient,
    wait_exponential,
    wait_fixed,
    wait_retry_after,
)
from typing_extensions import assert_type


def num_to_str(number: int) -> str:
    return str(number)


# --- @retry, bare ----------------------------------------------------------------------


@retry
def bare(number: int, *, label: str = "") -> str:
    return f"{label}{number}"


assert_type(bare(1), str)
assert_type(bare(1, label="n="), str)
assert_type(bare(number=1), str)
bare("1")  # type: ignore[arg-type]
bare()  # type: ignore[call-arg]
bare(1, lable="typo")  # type: ignore[call-arg]
_bare_wrong_result: int = bare(1)  # type: ignore[assignment]


# --- @retry(...) -----------------------------------------------------------------------


@retry(stop=stop_after_attempt(3), wait=wait_exponential(multiplier=0.01), reraise=True)
def configured(number: int, factor: float = 1.0) -> list[float]:
    return [number * factor]


assert_type(configured(1), list[float])
assert_type(configured(1, 2.0), list[float])
configured("1")  # type: ignore[arg-type]
configured(1, "2")  # type: ignore[arg-type]
_configured_wrong_result: str = configured(1)  # type: ignore[assignment]

# The wrapper stays usable wherever the undecorated function was, and only there.
_raw_signature: Callable[[int], str] = bare
_constructor_signature: Callable[[int], list[float]] = configured
_mismatch: Callable[[str], str] = bare  # type: ignore[assignment]

# Decorating a function object directly (the two spellings of the decorator).
assert_type(retry(num_to_str)(1), str)
assert_type(retry()(num_to_str)(1), str)
assert_type(retry(stop=stop_after_attempt(2))(num_to_str)(1), str)
retry(num_to_str)(b"1")  # type: ignore[arg-type]


# --- attributes of the decorated function ----------------------------------------------

assert_type(configured.retry, BaseRetrying)
assert_type(configured.statistics, dict[str, Any])
assert_type(configured.retry_with(stop=stop_after_attempt(5))(1), list[float])
configured.retry_with(stop=stop_after_attempt(5))("1")  # type: ignore[arg-type]
assert_type(configured.retry_with(stop=stop_after_attempt(5)).statistics, dict[str, Any])
assert_type(configured.__wrapped__(1), list[float])
assert_type(bare.retry, BaseRetrying)
assert_type(bare.statistics["attempt_number"], Any)
_ = configured.no_such_attribute  # type: ignore[attr-defined]


# --- methods ---------------------------------------------------------------------------


class Doubler:
    @retry(stop=stop_after_attempt(3))
    def double(self, value: int) -> int:
        return value * 2


assert_type(Doubler().double(value=21), int)
assert_type(Doubler().double(21), int)
assert_type(Doubler.double(Doubler(), 21), int)
Doubler.double(Doubler(), "21")  # type: ignore[arg-type]


# --- async functions -------------------------------------------------------------------


@retry
async def bare_async(number: int) -> str:
    return str(number)


@retry(stop=stop_after_attempt(3), wait=wait_exponential(multiplier=0.01))
async def configured_async(number: int, *, scale: float = 1.0) -> float:
    return number * scale


@retry(sleep=asyncio.sleep, stop=stop_after_attempt(3))
async def async_sleep_async(number: int) -> bytes:
    return bytes(number)


async def use_async() -> None:
    assert_type(await bare_async(1), str)
    assert_type(await configured_async(1, scale=0.5), float)
    assert_type(await async_sleep_async(1), bytes)
    assert_type(await configured_async.retry_with(stop=stop_after_attempt(5))(1), float)
    assert_type(configured_async.statistics, dict[str, Any])
    assert_type(async_sleep_async.retry, BaseRetrying)
    await bare_async("1")  # type: ignore[arg-type]
    await configured_async(1, scale="big")  # type: ignore[arg-type]
    await async_sleep_async(b"1")  # type: ignore[arg-type]
    _not_awaited: str = bare_async(1)  # type: ignore[assignment]

    async for attempt in AsyncRetrying(stop=stop_after_attempt(2)):
        assert_type(attempt, AttemptManager)
        with attempt:
            pass


# --- the controller used directly ------------------------------------------------------

assert_type(Retrying(stop=stop_after_attempt(2))(num_to_str, 1), str)
assert_type(Retrying().wraps(num_to_str)(1), str)
Retrying().wraps(num_to_str)("1")  # type: ignore[arg-type]
assert_type(Retrying().copy(stop=stop_after_attempt(4)), Retrying)

for attempt in Retrying(stop=stop_after_attempt(2)):
    assert_type(attempt, AttemptManager)
    with attempt:
        pass


# --- RetryCallState: tenacity's attribute types ---------------------------------------


def before_sleep_reads_the_state(state: RetryCallState) -> None:
    assert_type(state.attempt_number, int)
    assert_type(state.outcome, Future | None)
    assert_type(state.outcome_timestamp, float | None)
    assert_type(state.idle_for, float)
    assert_type(state.upcoming_sleep, float)
    assert_type(state.seconds_since_start, float | None)
    assert_type(state.start_time, float)
    assert_type(state.next_action, RetryAction | None)
    assert_type(state.retry_object, BaseRetrying)
    assert_type(state.fn, Callable[..., Any] | None)
    assert_type(state.get_fn_name(), str)
    # A misspelt attribute is an error (the stub has no catch-all __getattr__):
    print(state.attempt_numbr)  # type: ignore[attr-defined]
    print(state.idle_four)  # type: ignore[attr-defined]
    # So is a wrong type for attempt_number, read or written:
    _label: str = state.attempt_number  # type: ignore[assignment]
    state.attempt_number = "2"  # type: ignore[assignment]
    print(state.attempt_number + "st")  # type: ignore[operator]
    # The outcome may be missing: using it unchecked is an error.
    state.outcome.result()  # type: ignore[union-attr]


Retrying(before_sleep=before_sleep_reads_the_state)


# --- pertinax's own keyword-only options -----------------------------------------------


@retry(name="observed", metrics=False, on_recovered=lambda rs: None, log_levels="loud")
def observed(number: int) -> str:
    return str(number)


assert_type(observed(1), str)
observed("1")  # type: ignore[arg-type]
assert_type(Retrying(metrics=False, log_levels={"retrying": "WARNING"}), Retrying)
assert_type(Retrying().copy(metrics=False, on_recovered=None), Retrying)
Retrying(metrics="yes")  # type: ignore[arg-type]


# --- policies ---------------------------------------------------------------------------

policy = Policy("typed", stop=stop_after_attempt(2))


@policy
def by_policy(number: int) -> str:
    return str(number)


assert_type(by_policy(1), str)
by_policy("1")  # type: ignore[arg-type]


@policy
async def by_policy_async(number: int) -> str:
    return str(number)


assert_type(asyncio.run(by_policy_async(1)), str)


@retry(policy="api", stop=stop_after_attempt(5))
def by_name(number: int) -> str:
    return str(number)


assert_type(by_name(1), str)
by_name("1")  # type: ignore[arg-type]


@api_retry
def preset(number: int) -> str:
    return str(number)


@file_retry(stop=stop_after_attempt(1))
def preset_overridden(number: int) -> str:
    return str(number)


assert_type(preset(1), str)
assert_type(preset_overridden(1), str)
preset("1")  # type: ignore[arg-type]
assert_type(policy.retrying(), Retrying)
assert_type(policy.async_retrying(), AsyncRetrying)
assert_type(policy.replace(name="other"), Policy)
assert_type(policies.get("api"), Policy)
with retry_context(policy="api") as retrying:
    assert_type(retrying, Retrying)


# --- budgets and breakers: keyword-only options that keep the signature -------------------

shared_budget = RetryBudget("typed", ratio=0.2, capacity=10)
shared_breaker = CircuitBreaker("typed", failure_rate=0.5, window=20, open_for=5)


@retry(stop=stop_after_attempt(3), budget=shared_budget, breaker=shared_breaker)
def guarded(x: int) -> str:
    return str(x)


assert_type(guarded(1), str)
assert_type(shared_breaker.state, Literal["closed", "open", "half_open"])
Retrying(budget=shared_budget, breaker=None)
RetryBudget("typed", 0.2)  # type: ignore[call-arg]  # options are keyword-only


# pertinax.transient: the strategies fit where tenacity's do, and a rule keeps its type.
@retry(
    retry=retry_if_transient() | retry_if_exception_type(KeyError),
    wait=wait_retry_after(fallback=wait_exponential(max=30), max=60) + wait_fixed(1),
)
def classified(number: int) -> str:
    return str(number)


assert_type(classified(1), str)
assert_type(transient.is_transient(ValueError()), bool)


@transient.register
def quota_rule(exc: BaseException) -> bool | None:
    return None


assert_type(quota_rule(ValueError()), bool | None)
wait_retry_after(wait_fixed(1))  # type: ignore[call-arg]  # keyword-only
transient.is_transient("boom")  # type: ignore[arg-type]
