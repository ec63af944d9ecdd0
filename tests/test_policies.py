"""pertinax.Policy: a named, immutable bundle of Retrying arguments.

Each behaviour is checked in sync and async forms, and the decorated forms against tenacity's
own ``retry(...)`` with the same arguments (in ``test_policy_differential.py``).
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import logging
import pickle
import threading

import pertinax
import pytest
import tenacity
from pertinax import (
    AsyncRetrying,
    Policy,
    RetryError,
    Retrying,
    policies,
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_fixed,
)

from tests.support.policy_helpers import Fatal, Flaky, flaky

pytestmark = pytest.mark.usefixtures("fresh_policies")


def every_argument() -> dict[str, object]:
    def hook(state: object) -> None:
        return None

    return {
        "sleep": lambda s: None,
        "stop": stop_after_attempt(4),
        "wait": wait_fixed(0.5),
        "retry": retry_if_exception_type(Flaky),
        "before": hook,
        "after": hook,
        "before_sleep": hook,
        "reraise": True,
        "retry_error_cls": RetryError,
        "retry_error_callback": None,
        "enabled": True,
        "metrics": False,
        "on_recovered": hook,
        "log_levels": "loud",
    }


# --- construction and validation --------------------------------------------------------------


def test_accepts_every_argument_retrying_accepts() -> None:
    kwargs = every_argument()
    policy = Policy("payments", **kwargs)
    assert policy.name == "payments"
    assert dict(policy.kwargs) == kwargs
    controller = policy.retrying()
    for key, value in kwargs.items():
        if key in ("stop", "wait", "retry"):
            # The controller's own copy, equal by value.
            assert getattr(controller, key) is not value, key
            assert Policy("x", **{key: getattr(controller, key)}) == Policy("x", **{key: value})
        else:
            assert getattr(controller, key) is value, key
    assert str(controller) == "payments"


def test_changing_a_functions_strategies_never_changes_the_policy() -> None:
    """tenacity's idiom ``fn.retry.stop.max_attempt_number = n`` changes that function only."""
    policy = Policy(
        "shared",
        stop=stop_after_attempt(3),
        wait=wait_exponential(multiplier=2, max=10) + wait_fixed(1),
        retry=retry_if_exception_type(Flaky),
        sleep=lambda s: None,
    )
    first, second = policy(flaky(10, Flaky)), policy(flaky(10, Flaky))
    first.retry.stop.max_attempt_number = 1
    first.retry.wait.wait_funcs[0].multiplier = 0
    first.retry.retry.exception_types = Fatal
    assert policy.kwargs["stop"].max_attempt_number == 3
    assert policy.kwargs["wait"].wait_funcs[0].multiplier == 2
    assert policy.kwargs["retry"].exception_types is Flaky
    with pytest.raises(Flaky):
        first()
    assert len(first.__wrapped__.calls) == 1  # Flaky is no longer retried by `first`
    with pytest.raises(RetryError):
        second()
    assert len(second.__wrapped__.calls) == 3
    # The copied predicate checks its own exception types, not the original's.
    assert first.retry.retry.predicate(Fatal()) and not first.retry.retry.predicate(Flaky())
    controller = policy.retrying()
    controller.stop.max_attempt_number = 7
    assert policy.kwargs["stop"].max_attempt_number == 3
    named = retry(policy="api")(flaky(0, Flaky))
    named.retry.stop.max_attempt_number = 9
    assert policies.API.kwargs["stop"].max_attempt_number == 3
    assert policies.API.kwargs["wait"].fallback.multiplier == 2


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        ("stopp", stop_after_attempt(3), TypeError),
        ("stop", 3, TypeError),
        ("retry", "transient", TypeError),
        ("sleep", None, TypeError),
        ("before_sleep", 1.5, TypeError),
        ("wait", 2, TypeError),
        ("wait", "1s", TypeError),
        ("log_levels", "noisy", ValueError),
        ("log_levels", {"retrying": "LOUDLY"}, ValueError),
    ],
)
def test_bad_argument_names_policy_argument_and_value(key, value, error) -> None:
    with pytest.raises(error) as info:
        Policy("payments", **{key: value})
    message = str(info.value)
    assert "'payments'" in message
    assert repr(key) in message or key in message
    shown = next(iter(value.values())) if isinstance(value, dict) else value
    assert repr(shown) in message


@pytest.mark.parametrize("wait", [None, 0, 0.0])
def test_no_wait_spellings_are_accepted_as_retrying_accepts_them(wait) -> None:
    policy = Policy("p", wait=wait, stop=stop_after_attempt(2), sleep=lambda s: None)
    fn = policy(flaky(1, Flaky))
    assert fn() == "ok"


@pytest.mark.parametrize("name", ["", "   ", 3, None])
def test_bad_names(name) -> None:
    with pytest.raises((TypeError, ValueError), match="name"):
        Policy(name)  # type: ignore[arg-type]


def test_name_by_keyword_and_only_once() -> None:
    assert Policy(name="p", stop=stop_after_attempt(2)) == Policy("p", stop=stop_after_attempt(2))
    with pytest.raises(TypeError, match="name"):
        Policy("p", name="q")  # type: ignore[misc]


def test_immutable() -> None:
    policy = Policy("p", stop=stop_after_attempt(2))
    with pytest.raises(AttributeError, match="immutable"):
        policy.name = "q"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        policy.extra = 1  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        policy.kwargs["stop"] = stop_after_attempt(5)  # type: ignore[index]
    with pytest.raises(AttributeError):
        del policy.name  # type: ignore[misc]
    assert policy.kwargs["stop"].max_attempt_number == 2
    assert copy.copy(policy) is policy


# --- repr, pickling, equality -----------------------------------------------------------------


def test_repr_is_shaped_like_the_constructor_and_evaluates_back() -> None:
    policy = Policy(
        "payments",
        stop=stop_after_attempt(4) | stop_after_delay(60),
        wait=wait_exponential(multiplier=2, max=10),
        retry=retry_if_exception_type((ConnectionError, TimeoutError)),
        reraise=True,
    )
    text = repr(policy)
    assert text == (
        "Policy('payments', stop=stop_any(stop_after_attempt(4), stop_after_delay(60)), "
        "wait=wait_exponential(multiplier=2, max=10), "
        "retry=retry_if_exception_type((ConnectionError, TimeoutError)), reraise=True)"
    )
    namespace = {name: getattr(pertinax, name) for name in pertinax.__all__}
    assert eval(text, namespace) == policy


def test_repr_of_the_presets() -> None:
    assert repr(policies.DATABASE) == (
        "Policy('database', stop=stop_after_attempt(5), wait=wait_exponential(min=0.5, max=10), "
        "retry=retry_if_transient(), reraise=True, log_levels={'retrying': 40})"
    )
    assert repr(policies.API).startswith(
        "Policy('api', stop=stop_after_attempt(3), wait=wait_retry_after("
        "fallback=wait_exponential(multiplier=2, min=1, max=30), max=30)"
    )


@pytest.mark.parametrize("policy", [policies.API, policies.DATABASE, policies.FILE_UPLOAD])
def test_presets_pickle(policy: Policy) -> None:
    again = pickle.loads(pickle.dumps(policy))
    assert again == policy
    assert again is not policy
    assert repr(again) == repr(policy)


def test_pickled_policy_still_retries() -> None:
    policy = Policy("p", stop=stop_after_attempt(3), retry=retry_if_exception_type(Flaky))
    again = pickle.loads(pickle.dumps(policy))
    fn = again(flaky(2, Flaky))
    assert fn() == "ok"
    assert len(fn.__wrapped__.calls) == 3


def test_equality_is_by_value() -> None:
    def make(attempts: int = 3, name: str = "p") -> Policy:
        return Policy(name, stop=stop_after_attempt(attempts), wait=wait_exponential(max=5))

    assert make() == make()
    assert hash(make()) == hash(make())
    assert make() != make(4)
    assert make() != make(name="q")
    assert make() != Policy("p", stop=stop_after_attempt(3))
    assert make() != "p"
    assert len({make(), make(), make(4)}) == 2


# --- decorating -------------------------------------------------------------------------------


def test_decorates_a_sync_function_and_names_the_operation() -> None:
    pertinax.metrics.reset()
    policy = Policy("policy-sync-op", stop=stop_after_attempt(3), sleep=lambda s: None)
    fn = policy(flaky(1, Flaky))
    assert fn() == "ok"
    assert fn.retry.stop.max_attempt_number == 3
    stats = pertinax.metrics.snapshot()["policy-sync-op"]
    assert (stats["calls"], stats["attempts"], stats["recovered"]) == (1, 2, 1)


def test_decorates_an_async_function_and_names_the_operation() -> None:
    pertinax.metrics.reset()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    policy = Policy(
        "policy-async-op", stop=stop_after_attempt(3), wait=wait_fixed(0.25), sleep=sleep
    )
    calls: list[int] = []

    @policy
    async def fetch() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise Flaky("x")
        return "ok"

    assert inspect.iscoroutinefunction(fetch)
    assert asyncio.run(fetch()) == "ok"
    assert slept == [0.25, 0.25]
    stats = pertinax.metrics.snapshot()["policy-async-op"]
    assert (stats["calls"], stats["attempts"], stats["retries"]) == (1, 3, 2)


def test_logs_name_the_policy(caplog: pytest.LogCaptureFixture) -> None:
    policy = Policy(
        "policy-logged",
        stop=stop_after_attempt(2),
        sleep=lambda s: None,
        log_levels={"retrying": "WARNING"},
    )
    fn = policy(flaky(1, Flaky))
    with caplog.at_level(logging.WARNING, logger="pertinax"):
        fn()
    records = [r for r in caplog.records if r.name == "pertinax.retrying"]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    assert records[0].getMessage().startswith("policy-logged: retrying in 0")


def test_retrying_is_the_iterator_form_with_overrides() -> None:
    policy = Policy("p", stop=stop_after_attempt(5), sleep=lambda s: None, reraise=False)
    controller = policy.retrying(stop=stop_after_attempt(2), reraise=True)
    assert type(controller) is Retrying
    attempts = 0
    with pytest.raises(Flaky):
        for attempt in controller:
            with attempt:
                attempts += 1
                raise Flaky("x")
    assert attempts == 2
    assert policy.kwargs["stop"].max_attempt_number == 5


def test_async_retrying_is_the_async_iterator_form() -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    policy = Policy("p", stop=stop_after_attempt(3), sleep=no_sleep)
    controller = policy.async_retrying(reraise=True)
    assert type(controller) is AsyncRetrying
    attempts = 0

    async def main() -> None:
        nonlocal attempts
        async for attempt in controller:
            with attempt:
                attempts += 1
                if attempts < 3:
                    raise Flaky("x")

    asyncio.run(main())
    assert attempts == 3


def test_replace_makes_a_new_policy() -> None:
    policy = Policy("p", stop=stop_after_attempt(3), reraise=True)
    other = policy.replace(stop=stop_after_attempt(5), name="q")
    assert other.name == "q"
    assert other.kwargs["stop"].max_attempt_number == 5
    assert other.kwargs["reraise"] is True
    assert policy.kwargs["stop"].max_attempt_number == 3
    assert policy.replace() == policy
    with pytest.raises(TypeError, match="'q'.*'stopp'"):
        policy.replace(name="q", stopp=1)


def test_retry_with_a_policy_object_binds_its_settings_and_explicit_arguments_win() -> None:
    policy = Policy("bound", stop=stop_after_attempt(3), sleep=lambda s: None, reraise=True)
    fn = retry(policy=policy, stop=stop_after_attempt(5))(flaky(10, Flaky))
    with pytest.raises(Flaky):
        fn()
    assert len(fn.__wrapped__.calls) == 5
    # A Policy object is not the registry: registering another under its name changes nothing.
    policies.register(policy.replace(stop=stop_after_attempt(1)))
    fn.__wrapped__.calls.clear()
    with pytest.raises(Flaky):
        fn()
    assert len(fn.__wrapped__.calls) == 5


def test_retry_keeps_tenacitys_signature() -> None:
    assert str(inspect.signature(retry)) == str(inspect.signature(tenacity.retry))
    fn = retry(policy=None, stop=stop_after_attempt(2), reraise=True)(flaky(5, Flaky))
    with pytest.raises(Flaky):
        fn()
    assert len(fn.__wrapped__.calls) == 2
    with pytest.raises(TypeError, match="keyword"):
        retry(lambda s: None, policy="api")
    with pytest.raises(TypeError, match="policy must be"):
        retry(policy=3)(flaky(0, Flaky))


def test_policy_is_shared_safely_between_threads() -> None:
    policy = Policy("threads", stop=stop_after_attempt(3), sleep=lambda s: None, metrics=False)
    results: list[str] = []

    def worker() -> None:
        fn = policy(flaky(2, Flaky))
        results.append(fn())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["ok"] * 8
