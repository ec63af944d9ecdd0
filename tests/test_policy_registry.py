"""The policy registry: get/register/configure/validate/reset, and functions decorated by
name that follow their policy. The presets are in ``test_policy_presets.py``, retry_context
in ``test_retry_context.py``."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import weakref
from unittest import mock

import pertinax
import pytest
from pertinax import (
    Policy,
    RetryCallState,
    api_retry,
    database_retry,
    policies,
    retry,
    retry_context,
    stop_after_attempt,
    wait_fixed,
    wait_none,
)

from tests.support.policy_helpers import expo, flaky, waits

pytestmark = pytest.mark.usefixtures("fresh_policies")


def test_get_and_names() -> None:
    assert policies.names() == ["api", "database", "file_upload"]
    with pytest.raises(KeyError, match=r"unknown policy 'nope'; registered: api, database"):
        policies.get("nope")
    with pytest.raises(LookupError):
        retry(policy="nope")(flaky(0))
    with pytest.raises(policies.UnknownPolicyError) as info, retry_context(policy="nope"):
        pass
    assert isinstance(info.value, KeyError)  # what tenacity-era code catches
    assert type(info.value).__module__ == "pertinax.policies"


@pytest.mark.parametrize(
    ("make", "where"),
    [
        (lambda: retry_context(max_attempts=3), "retry_context()"),
        (lambda: policies.API.retrying(max_attempts=3), "Policy('api').retrying()"),
        (lambda: policies.API.async_retrying(max_attempts=3), "Policy('api').async_retrying()"),
    ],
)
def test_an_override_no_controller_takes_is_named_at_once(make, where) -> None:
    # The guide's own retry_context took max_attempts=; pertinax's takes Retrying's arguments.
    with pytest.raises(TypeError) as info:
        make()
    assert str(info.value).startswith(f"{where}: unexpected argument 'max_attempts'=3; ")
    assert "stop, wait, retry" in str(info.value)


@pytest.mark.parametrize(
    ("decorate", "shown"),
    [
        (lambda: api_retry, "retry(policy='api')"),
        (lambda: api_retry(stop=stop_after_attempt(1)), "retry(policy='api')"),
        (lambda: retry(policy="database"), "retry(policy='database')"),
        (lambda: Policy("payments"), "Policy('payments')"),
    ],
)
def test_decorating_something_that_is_not_callable_is_named_at_once(decorate, shown) -> None:
    with pytest.raises(TypeError) as info:
        decorate()(42)
    assert str(info.value) == f"{shown}: expected a function to decorate, got 42"


def test_register_adds_and_replaces() -> None:
    mine = Policy("payments", stop=stop_after_attempt(4))
    assert policies.register(mine) is mine
    assert policies.get("payments") is mine
    assert policies.names() == ["api", "database", "file_upload", "payments"]
    other = mine.replace(stop=stop_after_attempt(2))
    policies.register(other)
    assert policies.get("payments") is other
    with pytest.raises(TypeError, match="expected a Policy"):
        policies.register({"name": "x"})  # type: ignore[arg-type]


def test_an_adapter_applies_to_every_later_change_of_its_policy() -> None:
    seen: list[int] = []

    def hook(retry_state: RetryCallState) -> None:
        seen.append(retry_state.attempt_number)

    def marked(policy: Policy) -> Policy:
        # Idempotent, as adapters must be: a policy already marked is returned as it is.
        if policy.kwargs.get("before_sleep") is hook:
            return policy
        return policy.replace(before_sleep=hook)

    policies.register(Policy("payments", stop=stop_after_attempt(3), wait=wait_none()))

    @retry(policy="payments")
    def pay() -> str:
        return fn()

    fn = flaky(1)
    policies.adapt("payments", marked)  # applies at once to the registered policy...
    assert policies.get("payments").kwargs["before_sleep"] is hook
    assert pay() == "ok" and len(seen) == 1  # ...and to a function decorated before
    policies.configure({"payments": {"attempts": 5, "wait": 0}})
    assert policies.get("payments").kwargs["before_sleep"] is hook
    assert policies.get("payments").kwargs["stop"].max_attempt_number == 5
    policies.register(Policy("payments", stop=stop_after_attempt(2)))
    assert policies.get("payments").kwargs["before_sleep"] is hook
    fn = flaky(1)
    assert pay() == "ok" and len(seen) == 2

    policies.adapt("payments", None)  # removed: the plain policy again
    assert "before_sleep" not in policies.get("payments").kwargs
    policies.adapt("payments", marked)
    policies.reset()  # forgets adapters too
    policies.register(Policy("payments"))
    assert "before_sleep" not in policies.get("payments").kwargs


def test_a_bad_adapter_changes_nothing() -> None:
    with pytest.raises(TypeError, match=r"adapt\(\): adapter=3 is not callable"):
        policies.adapt("api", 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"adapt\(\): name=None"):
        policies.adapt(None, lambda p: p)  # type: ignore[arg-type]
    before = policies.get("api")
    with pytest.raises(TypeError, match="returned .* not a Policy named 'api'"):
        policies.adapt("api", lambda p: Policy("other"))
    policies.adapt("api", None)
    assert policies.get("api") is before
    with pytest.raises(TypeError, match="not a Policy named 'api'"):
        policies.adapt("api", lambda p: None)  # type: ignore[arg-type,return-value]
    policies.adapt("api", None)
    assert policies.get("api") is before


def test_reset_restores_the_presets_and_drops_the_rest() -> None:
    policies.register(Policy("payments"))
    policies.register(Policy("api", stop=stop_after_attempt(1)))
    policies.configure({"DATABASE_MAX_ATTEMPTS": 9})
    policies.reset()
    assert policies.names() == ["api", "database", "file_upload"]
    assert policies.get("api") is policies.API
    assert policies.get("database") is policies.DATABASE


def test_configure_nested_settings() -> None:
    policies.configure(
        {
            "database": {
                "attempts": 7,
                "multiplier": 0.5,
                "min": 0.25,
                "max": 4,
                "deadline": 90,
                "retry_on": ["builtins.LookupError", "pertinax.RetryError"],
                "log_level": "INFO",
            }
        }
    )
    policy = policies.get("database")
    stop = policy.kwargs["stop"]
    assert [type(s).__name__ for s in stop.stops] == ["stop_after_attempt", "stop_after_delay"]
    assert (stop.stops[0].max_attempt_number, stop.stops[1].max_delay) == (7, 90)
    assert waits(policy.kwargs["wait"], 6) == expo(0.5, 0.25, 4, 6)
    assert policy.kwargs["retry"].exception_types == (LookupError, pertinax.RetryError)
    assert policy.kwargs["log_levels"] == {"retrying": logging.INFO}
    # The rest of the preset stays.
    assert policy.kwargs["reraise"] is True


def test_configure_the_guides_flat_keys() -> None:
    policies.configure(
        {
            "API_MAX_ATTEMPTS": 4,
            "API_BACKOFF_MULTIPLIER": 1,
            "API_MIN_WAIT": 2,
            "API_MAX_WAIT": 60,
            "DATABASE_MAX_ATTEMPTS": 6,
            "FILE_UPLOAD_MAX_ATTEMPTS": 2,
            "FILE_UPLOAD_MIN_WAIT": 0.5,
        }
    )
    api = policies.get("api")
    assert api.kwargs["stop"].max_attempt_number == 4
    # Still honours Retry-After, now capped at the new max, with the new backoff behind it.
    assert type(api.kwargs["wait"]).__name__ == "wait_retry_after"
    assert api.kwargs["wait"].max == 60
    assert waits(api.kwargs["wait"], 7) == expo(1, 2, 60, 7)
    assert policies.get("database").kwargs["stop"].max_attempt_number == 6
    upload = policies.get("file_upload")
    assert upload.kwargs["stop"].max_attempt_number == 2
    assert waits(upload.kwargs["wait"], 5) == expo(3, 0.5, 60, 5)


def test_configure_a_fixed_wait_with_jitter() -> None:
    policies.configure({"file_upload": {"wait": 1.5, "jitter": 0.5}})
    wait = policies.get("file_upload").kwargs["wait"]
    with mock.patch("random.random", return_value=0.0):
        assert waits(wait, 3) == [1.5, 1.5, 1.5]
    with mock.patch("random.random", return_value=0.999):
        assert all(1.99 < w < 2.0 for w in waits(wait, 3))
    # Exponential numbers given later replace the fixed wait.
    policies.configure({"file_upload": {"multiplier": 1}})
    assert waits(policies.get("file_upload").kwargs["wait"], 3)[0] >= 2


def test_configure_adds_to_earlier_settings() -> None:
    policies.configure({"api": {"attempts": 5}})
    policies.configure({"api": {"max": 8}})
    api = policies.get("api")
    assert api.kwargs["stop"].max_attempt_number == 5
    assert waits(api.kwargs["wait"], 5) == expo(2, 1, 8, 5)


def test_configure_a_registered_policy() -> None:
    policies.register(Policy("payments", stop=stop_after_attempt(2), wait=wait_fixed(1)))
    policies.configure({"PAYMENTS_MAX_ATTEMPTS": 6, "payments": {"jitter": 0}})
    payments = policies.get("payments")
    assert payments.kwargs["stop"].max_attempt_number == 6
    assert waits(payments.kwargs["wait"], 2) == [1.0, 1.0]


BAD = [
    ({"api": {"attempts": 0}}, "api", "attempts", "0"),
    ({"api": {"attempts": "three"}}, "api", "attempts", "'three'"),
    ({"api": {"attempts": True}}, "api", "attempts", "True"),
    ({"api": {"max": -1}}, "api", "max", "-1"),
    ({"api": {"min": float("nan")}}, "api", "min", "nan"),
    ({"database": {"deadline": 0}}, "database", "deadline", "0"),
    ({"api": {"retry_on": ["no.such.module.Error"]}}, "api", "retry_on", "no.such.module.Error"),
    ({"api": {"retry_on": ["os.path"]}}, "api", "retry_on", "os.path"),
    ({"api": {"retry_on": "logging.Logger"}}, "api", "retry_on", "logging.Logger"),
    ({"api": {"log_level": "LOUD"}}, "api", "log_level", "'LOUD'"),
    ({"api": {"attemps": 3}}, "api", "attemps", "3"),
    ({"api": {"min": 5, "max": 2}}, "api", "min, max", "5"),
    ({"API_MAX_ATTEMPTS": -2}, "api", "API_MAX_ATTEMPTS", "-2"),
    ({"API_MAX_RETRIES": 2}, None, "API_MAX_RETRIES", "2"),
    ({"payments": {"attempts": 2}}, "payments", "(policy)", "'attempts'"),
    ({"API_MAX_ATTEMPTS": 2, "api": {"attempts": 3}}, "api", "attempts", "3"),
]


@pytest.mark.parametrize(("data", "policy", "key", "value"), BAD)
def test_bad_settings_name_policy_key_and_value_and_change_nothing(
    data, policy, key, value
) -> None:
    fn = retry(policy="api", sleep=lambda s: None)(flaky(100))
    before = {name: policies.get(name) for name in policies.names()}
    with pytest.raises((ValueError, TypeError)) as info:
        policies.configure({"DATABASE_MAX_ATTEMPTS": 8, **data})
    message = str(info.value)
    if policy is not None:
        assert f"policy {policy!r}" in message
    assert key in message
    assert value in message
    assert info.value.problems  # type: ignore[attr-defined]
    assert {name: policies.get(name) for name in policies.names()} == before
    # Nothing reached the bound function either (DATABASE_MAX_ATTEMPTS=8 was valid).
    with pytest.raises(ConnectionError):
        fn()
    assert len(fn.__wrapped__.calls) == 3
    assert policies.get("database").kwargs["stop"].max_attempt_number == 5
    problems = policies.validate(data)
    assert problems and any(p.key == key or key in p.key for p in problems)


def test_settings_must_be_a_mapping() -> None:
    with pytest.raises(TypeError, match="expected a mapping"):
        policies.configure([("API_MAX_ATTEMPTS", 3)])  # type: ignore[arg-type]


def test_validate_reports_without_changing_anything() -> None:
    assert policies.validate({"API_MAX_ATTEMPTS": 9, "database": {"max": 1}}) == []
    assert policies.get("api") is policies.API
    problems = policies.validate({"api": {"attempts": 0, "max": "x"}})
    assert [(p.policy, p.key, p.value) for p in problems] == [
        ("api", "attempts", 0),
        ("api", "max", "x"),
    ]
    assert "at least 1" in problems[0].message


# --- functions decorated by name follow their policy -----------------------------------------


def test_a_function_decorated_by_name_follows_configure_register_and_reset() -> None:
    fn = flaky(100)
    decorated = api_retry(sleep=lambda s: None)(fn)

    def attempts() -> int:
        fn.calls.clear()
        with pytest.raises(ConnectionError):
            decorated()
        return len(fn.calls)

    assert attempts() == 3
    policies.configure({"API_MAX_ATTEMPTS": 5})
    assert attempts() == 5
    policies.register(Policy("api", stop=stop_after_attempt(2), reraise=True))
    assert attempts() == 2
    policies.reset()
    assert attempts() == 3


def test_explicit_arguments_outlive_policy_changes() -> None:
    slept: list[float] = []
    decorated = retry(policy="api", stop=stop_after_attempt(4), sleep=slept.append)(flaky(100))
    policies.configure({"api": {"attempts": 9, "wait": 0.125}})
    with pytest.raises(ConnectionError):
        decorated()
    assert slept == [0.125] * 3


def test_a_patched_attribute_outlives_policy_changes() -> None:
    decorated = database_retry(flaky(100))
    sleep = mock.Mock()
    with mock.patch.object(decorated.retry, "sleep", sleep):
        policies.configure({"DATABASE_MAX_ATTEMPTS": 3})
        with pytest.raises(ConnectionError):
            decorated()
    assert sleep.call_count == 2


def test_an_async_function_decorated_by_name_follows() -> None:
    calls: list[int] = []

    async def sleep(seconds: float) -> None:
        return None

    @retry(policy="database", sleep=sleep)
    async def query() -> None:
        calls.append(1)
        raise ConnectionError("down")

    policies.configure({"database": {"attempts": 2}})
    with pytest.raises(ConnectionError):
        asyncio.run(query())
    assert len(calls) == 2


def test_the_registry_does_not_keep_decorated_functions_alive() -> None:
    decorated = api_retry(flaky(0))
    ref = weakref.ref(decorated)
    del decorated
    gc.collect()
    assert ref() is None
    policies.configure({"API_MAX_ATTEMPTS": 4})  # a dead binding is skipped


def test_calls_racing_a_reconfiguration_each_see_one_whole_policy() -> None:
    settings = [
        {"api": {"attempts": 2, "wait": 0.001}},
        {"api": {"attempts": 4, "wait": 0.002}},
    ]
    policies.configure(settings[0])
    local = threading.local()

    def record(seconds: float) -> None:
        local.sleeps.append(seconds)

    decorated = retry(policy="api", sleep=record)(lambda: (_ for _ in ()).throw(ConnectionError()))
    seen: list[tuple[int, frozenset[float]]] = []
    stop = threading.Event()

    def caller() -> None:
        while not stop.is_set():
            local.sleeps = []
            with pytest.raises(ConnectionError):
                decorated()
            seen.append((len(local.sleeps) + 1, frozenset(local.sleeps)))

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for thread in threads:
        thread.start()
    for i in range(200):
        policies.configure(settings[i % 2])
    stop.set()
    for thread in threads:
        thread.join()
    assert seen
    assert set(seen) <= {(2, frozenset({0.001})), (4, frozenset({0.002}))}
