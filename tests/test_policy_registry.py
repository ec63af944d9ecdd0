"""The policy registry: presets, get/register/configure/validate/reset, functions that follow
their policy by name, and retry_context."""

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
    Retrying,
    api_retry,
    database_retry,
    file_retry,
    policies,
    retry,
    retry_context,
    stop_after_attempt,
    wait_fixed,
    wait_none,
)


class Flaky(Exception):
    pass


@pytest.fixture(autouse=True)
def _clean_registry():
    policies.reset()
    yield
    policies.reset()


def flaky(times: int, exc: BaseException | type[BaseException] = ConnectionError):
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise exc if isinstance(exc, BaseException) else exc(f"failure {len(calls)}")
        return "ok"

    fn.calls = calls  # type: ignore[attr-defined]
    return fn


def waits(wait, attempts: int, exc: BaseException | None = None) -> list[float]:
    """The wait strategy's answers after attempts 1..attempts."""
    out = []
    for n in range(1, attempts + 1):
        state = RetryCallState(Retrying(), None, (), {})
        state.attempt_number = n
        error = exc or ConnectionError("x")
        state.set_exception((type(error), error, None))
        out.append(float(wait(state)))
    return out


def expo(multiplier: float, low: float, high: float, attempts: int) -> list[float]:
    return [max(low, min(high, multiplier * 2 ** (n - 1))) for n in range(1, attempts + 1)]


# --- presets ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "attempts", "numbers", "level"),
    [
        (policies.API, 3, (2, 1, 30), logging.WARNING),
        (policies.DATABASE, 5, (1, 0.5, 10), logging.ERROR),
        (policies.FILE_UPLOAD, 3, (3, 2, 60), logging.WARNING),
    ],
)
def test_presets_carry_the_guides_numbers(policy, attempts, numbers, level) -> None:
    assert policies.get(policy.name) is policy
    assert policy.kwargs["stop"].max_attempt_number == attempts
    assert waits(policy.kwargs["wait"], 8) == expo(*numbers, 8)
    assert policy.kwargs["reraise"] is True
    assert policy.kwargs["log_levels"] == {"retrying": level}


def test_api_preset_honours_retry_after_capped_at_its_max() -> None:
    wait = policies.API.kwargs["wait"]

    class Throttled(Exception):
        def __init__(self, seconds: float) -> None:
            super().__init__("429")
            self.retry_after = seconds

    assert waits(wait, 1, Throttled(7)) == [7.0]
    assert waits(wait, 1, Throttled(120)) == [30.0]


@pytest.mark.parametrize(
    ("decorator", "attempts"), [(api_retry, 3), (database_retry, 5), (file_retry, 3)]
)
def test_bare_decorators_retry_transient_errors_and_reraise(decorator, attempts) -> None:
    slept: list[float] = []
    fn = flaky(100)
    decorated = decorator(sleep=slept.append)(fn)
    with pytest.raises(ConnectionError, match=f"failure {attempts}"):
        decorated()
    assert len(fn.calls) == attempts
    assert len(slept) == attempts - 1
    assert repr(decorator).startswith("retry(policy=")


@pytest.mark.parametrize("decorator", [api_retry, database_retry, file_retry])
@pytest.mark.parametrize(
    "error", [ValueError("bad"), FileNotFoundError(2, "gone"), PermissionError(13, "no")]
)
def test_presets_never_retry_permanent_errors(decorator, error) -> None:
    fn = flaky(100, error)
    decorated = decorator(fn)
    with pytest.raises(type(error)):
        decorated()
    assert len(fn.calls) == 1


def test_bare_decorator_on_async_functions() -> None:
    calls: list[int] = []
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    @api_retry(sleep=sleep)
    async def fetch() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TimeoutError("slow")
        return "ok"

    assert asyncio.run(fetch()) == "ok"
    assert slept == [2.0, 4.0]


def test_presets_log_before_sleeping_at_their_level(caplog: pytest.LogCaptureFixture) -> None:
    fn = flaky(1)
    with caplog.at_level(logging.DEBUG, logger="pertinax"):
        assert database_retry(sleep=lambda s: None)(fn)() == "ok"
    records = [r for r in caplog.records if r.name == "pertinax.retrying"]
    assert [r.levelno for r in records] == [logging.ERROR]
    assert records[0].getMessage().startswith("database: retrying in 1 seconds")


def test_bare_decorator_refuses_a_function_with_overrides() -> None:
    with pytest.raises(TypeError, match="overrides"):
        api_retry(flaky(0), stop=stop_after_attempt(1))  # type: ignore[call-overload]


# --- the registry -----------------------------------------------------------------------------


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


# --- retry_context -----------------------------------------------------------------------------


def context_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "pertinax.policies"]


def test_retry_context_reraises_the_users_exception_and_logs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    error = ConnectionError("refused")
    attempts = 0
    with caplog.at_level(logging.DEBUG, logger="pertinax"):
        with pytest.raises(ConnectionError) as info:
            with retry_context(policy="api", wait=wait_none()) as retrying:
                assert type(retrying) is Retrying
                assert retrying.reraise is True
                for attempt in retrying:
                    with attempt:
                        attempts += 1
                        raise error
    assert info.value is error
    assert attempts == 3
    records = context_records(caplog)
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    assert records[0].getMessage() == "api: failed after 3 attempts: ConnectionError: refused"


def test_retry_context_success_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="pertinax"):
        with retry_context("database", sleep=lambda s: None) as retrying:
            for attempt in retrying:
                with attempt:
                    if attempt.retry_state.attempt_number < 2:
                        raise TimeoutError("slow")
    assert context_records(caplog) == []


def test_retry_context_does_not_retry_a_permanent_error(caplog: pytest.LogCaptureFixture) -> None:
    attempts = 0
    with caplog.at_level(logging.DEBUG, logger="pertinax"):
        with pytest.raises(FileNotFoundError):
            with retry_context("file_upload") as retrying:
                for attempt in retrying:
                    with attempt:
                        attempts += 1
                        raise FileNotFoundError(2, "missing")
    assert attempts == 1
    assert len(context_records(caplog)) == 1


def test_retry_context_leaves_interrupts_unlogged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="pertinax"):
        with pytest.raises(KeyboardInterrupt):
            with retry_context():
                raise KeyboardInterrupt
    assert context_records(caplog) == []


def test_retry_context_follows_the_registry_and_takes_overrides() -> None:
    policies.configure({"API_MAX_ATTEMPTS": 5})
    with retry_context(sleep=lambda s: None) as retrying:
        assert retrying.stop.max_attempt_number == 5
    with retry_context(stop=stop_after_attempt(1)) as retrying:
        assert retrying.stop.max_attempt_number == 1
    with retry_context(Policy("mine", stop=stop_after_attempt(2))) as retrying:
        assert str(retrying) == "mine"
    with pytest.raises(TypeError, match="policy must be"):
        retry_context(3)  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="nope"):
        with retry_context("nope"):
            pass


def test_async_retry_context(caplog: pytest.LogCaptureFixture) -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    error = TimeoutError("slow")

    async def main() -> int:
        attempts = 0
        with pytest.raises(TimeoutError) as info:
            async with retry_context("database", sleep=no_sleep) as retrying:
                assert type(retrying) is pertinax.AsyncRetrying
                async for attempt in retrying:
                    with attempt:
                        attempts += 1
                        raise error
        assert info.value is error
        return attempts

    with caplog.at_level(logging.DEBUG, logger="pertinax"):
        assert asyncio.run(main()) == 5
    records = context_records(caplog)
    assert [r.getMessage() for r in records] == [
        "database: failed after 5 attempts: TimeoutError: slow"
    ]


# --- differential: each preset behaves like the equivalent tenacity.retry(...) --------------


def preset_scenario(decorate, *errors: BaseException) -> list[object]:
    """Raises ``errors`` in turn, then returns; records every attempt, sleep and the end."""
    import tenacity

    events: list[object] = []
    pending = list(errors)

    def body() -> str:
        events.append("attempt")
        if pending:
            raise pending.pop(0)
        return "ok"

    decorated = decorate(lambda seconds: events.append(("sleep", float(seconds))))(body)
    try:
        events.append(("result", decorated()))
    except (Exception, tenacity.RetryError) as exc:
        events.append(("raised", type(exc).__name__, str(exc)))
    return events


PRESET_EQUIVALENTS = {
    "api": (api_retry, 3, (2, 1, 30)),
    "database": (database_retry, 5, (1, 0.5, 10)),
    "file_upload": (file_retry, 3, (3, 2, 60)),
}
SCENARIOS = [
    (ConnectionError("a"), TimeoutError("b")),
    (ConnectionError("a"),) * 6,
    (ConnectionError("a"), ValueError("not transient")),
    (FileNotFoundError(2, "gone"),),
    (),
]


@pytest.mark.parametrize("name", sorted(PRESET_EQUIVALENTS))
@pytest.mark.parametrize("errors", SCENARIOS)
def test_differential_preset_against_tenacity(name, errors) -> None:
    import tenacity

    decorator, attempts, (multiplier, low, high) = PRESET_EQUIVALENTS[name]

    def by_tenacity(sleep):
        return tenacity.retry(
            sleep=sleep,
            stop=tenacity.stop_after_attempt(attempts),
            wait=tenacity.wait_exponential(multiplier=multiplier, min=low, max=high),
            retry=tenacity.retry_if_exception(pertinax.transient.is_transient),
            reraise=True,
        )

    expected = preset_scenario(by_tenacity, *errors)
    assert preset_scenario(lambda sleep: decorator(sleep=sleep), *errors) == expected
    assert preset_scenario(lambda sleep: retry(policy=name, sleep=sleep), *errors) == expected
