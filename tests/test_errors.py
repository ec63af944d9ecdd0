"""Errors for values that can never work, compared with tenacity.

tenacity accepts these values and fails only when it uses them, often with a ``TypeError``
from deep inside (``'>=' not supported between instances of 'int' and 'str'``). pertinax
raises the same type at the same moment (so code that catches it, and calls that never need
the value, behave the same) with a message that names the strategy, the argument and the
value. Also: every built-in strategy class compiles to a native variant, never to the Python
fallback (whose ``__call__`` would call back into the engine).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from typing import Any

import pertinax
import pytest
import tenacity
from pertinax import _pertinax

LIBS = (tenacity, pertinax)


class Boom(Exception):
    pass


# (case, controller keyword arguments as source, what pertinax's message must say)
BAD_VALUES = [
    ("stop_after_attempt('3')", {"stop": "stop_after_attempt('3')"}, [
        "stop_after_attempt", "'max_attempt_number'", "'3'"]),
    ("stop_after_attempt(None)", {"stop": "stop_after_attempt(None)"}, [
        "stop_after_attempt", "'max_attempt_number'", "None"]),
    ("retry_if_exception_type('ValueError')", {
        "retry": "retry_if_exception_type('ValueError')", "stop": "stop_after_attempt(2)"}, [
        "retry_if_exception_type", "'exception_types'", "'ValueError'"]),
    ("retry_if_not_exception_type(ValueError())", {
        "retry": "retry_if_not_exception_type(ValueError())", "stop": "stop_after_attempt(2)"}, [
        "retry_if_not_exception_type", "'exception_types'", "ValueError()"]),
    ("retry=object()", {"retry": "object()"}, ["retry", "<object object at", "not callable"]),
    ("stop=3", {"stop": "3"}, ["stop", "3", "'int' object is not callable"]),
    ("wait='x'", {"wait": "'x'", "stop": "stop_after_attempt(2)"}, [
        "wait", "'x'", "'str' object is not callable"]),
    ("stop_any(3)", {"stop": "stop_any(3)"}, ["stop_any", "'stops'", "3"]),
    ("retry_any(3)", {"retry": "retry_any(3)", "stop": "stop_after_attempt(2)"}, [
        "retry_any", "'retries'", "3"]),
    ("wait_chain(3)", {"wait": "wait_chain(3)", "stop": "stop_after_attempt(2)"}, [
        "wait_chain", "'strategies'", "3"]),
    ("wait_exponential(multiplier='2')", {
        "wait": "wait_exponential(multiplier='2')", "stop": "stop_after_attempt(2)"}, [
        "wait_exponential", "'multiplier'", "'2'"]),
    ("before='log'", {"before": "'log'"}, ["before", "'log'", "'str' object is not callable"]),
    ("after='log'", {"after": "'log'", "stop": "stop_after_attempt(2)"}, [
        "after", "'log'", "'str' object is not callable"]),
    ("before_sleep='log'", {"before_sleep": "'log'", "stop": "stop_after_attempt(2)"}, [
        "before_sleep", "'log'", "'str' object is not callable"]),
    ("retry_error_callback='x'", {
        "retry_error_callback": "'x'", "stop": "stop_after_attempt(2)"}, [
        "retry_error_callback", "'x'", "'str' object is not callable"]),
    ("sleep='x'", {"sleep": "'x'", "stop": "stop_after_attempt(2)"}, [
        "sleep", "'x'", "'str' object is not callable"]),
]  # fmt: skip


def _namespace(lib: Any) -> dict[str, Any]:
    return {name: getattr(lib, name) for name in dir(lib) if not name.startswith("__")}


def _attempt() -> None:
    raise Boom("always")


def _sync(lib: Any, kwargs: dict[str, str], form: str) -> tuple[str, type | None, str]:
    """Runs a failing function under a controller built from ``kwargs``; says at which moment
    (building the strategies, the controller, or calling) what was raised."""
    stage = "strategies"
    try:
        built = {k: eval(v, _namespace(lib)) for k, v in kwargs.items()}  # noqa: S307
        stage = "controller"
        if form == "decorator":
            target = lib.retry(**built)(_attempt)
            stage = "call"
            target()
        elif form == "call":
            controller = lib.Retrying(**built)
            stage = "call"
            controller(_attempt)
        else:
            controller = lib.Retrying(**built)
            stage = "call"
            for attempt in controller:
                with attempt:
                    _attempt()
    except (Boom, lib.RetryError):
        return ("gave up", None, "")
    except Exception as e:  # noqa: BLE001 - compared
        return (stage, type(e), str(e))
    return ("returned", None, "")


def _async(lib: Any, kwargs: dict[str, str]) -> tuple[str, type | None, str]:
    async def attempt() -> None:
        raise Boom("always")

    async def nap(seconds: float) -> None:
        pass

    async def run() -> tuple[str, type | None, str]:
        stage = "strategies"
        try:
            built = {k: eval(v, _namespace(lib)) for k, v in kwargs.items()}  # noqa: S307
            built.setdefault("sleep", nap)
            stage = "controller"
            controller = lib.AsyncRetrying(**built)
            stage = "call"
            await controller(attempt)
        except (Boom, lib.RetryError):
            return ("gave up", None, "")
        except Exception as e:  # noqa: BLE001 - compared
            return (stage, type(e), str(e))
        return ("returned", None, "")

    return asyncio.run(run())


@pytest.mark.parametrize("form", ["decorator", "call", "iterator"])
@pytest.mark.parametrize(("case", "kwargs", "said"), BAD_VALUES, ids=[c[0] for c in BAD_VALUES])
def test_the_same_type_at_the_same_moment_with_a_clear_message(
    case: str, kwargs: dict[str, str], said: list[str], form: str
) -> None:
    ref_stage, ref_type, _ = _sync(tenacity, kwargs, form)
    stage, exc_type, message = _sync(pertinax, kwargs, form)
    assert ref_type is not None, f"tenacity accepted {case}: nothing to compare"
    assert (stage, exc_type) == (ref_stage, ref_type)
    for part in said:
        assert part in message, f"{part!r} is not in {message!r}"
    # The strategy or argument comes first, then what is wrong with the value.
    assert message.startswith(said[0]), message


@pytest.mark.parametrize(("case", "kwargs", "said"), BAD_VALUES, ids=[c[0] for c in BAD_VALUES])
def test_the_async_driver_fails_alike(case: str, kwargs: dict[str, str], said: list[str]) -> None:
    ref_stage, ref_type, _ = _async(tenacity, kwargs)
    stage, exc_type, message = _async(pertinax, kwargs)
    assert (stage, exc_type) == (ref_stage, ref_type)
    assert said[0] in message


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_a_bad_value_a_call_never_needs_is_never_raised(lib: Any) -> None:
    """tenacity only fails where it uses a value: a first-try success never sleeps, so a
    broken ``before_sleep`` or wait is never reached."""
    calls = []
    controller = lib.Retrying(
        stop=lib.stop_after_attempt("3"), before_sleep="log", wait=lib.wait_chain(3)
    )
    assert controller(lambda: calls.append(1) or "ok") == "ok"
    assert calls == [1]


def _instances(family: str) -> dict[str, Any]:
    """One instance of every built-in class of a family, by class name."""
    stop, wait, retry = (
        importlib.import_module(f"pertinax.{m}") for m in ("stop", "wait", "retry")
    )
    made = {
        "stop": [
            pertinax.stop_never,
            stop.stop_after_attempt(3),
            stop.stop_after_delay(1),
            stop.stop_before_delay(1),
            stop.stop_when_event_set(__import__("threading").Event()),
            stop.stop_any(stop.stop_after_attempt(3)),
            stop.stop_all(stop.stop_after_attempt(3)),
        ],
        "wait": [
            wait.wait_none(),
            wait.wait_fixed(1),
            wait.wait_random(0, 1),
            wait.wait_incrementing(),
            wait.wait_exponential(),
            wait.wait_random_exponential(),
            wait.wait_exponential_jitter(),
            wait.wait_combine(wait.wait_fixed(1)),
            wait.wait_chain(wait.wait_fixed(1)),
            wait.wait_exception(lambda e: 1),
        ],
        "retry": [
            pertinax.retry_never,
            pertinax.retry_always,
            retry.retry_if_exception_type(),
            retry.retry_if_not_exception_type(),
            retry.retry_unless_exception_type(),
            retry.retry_if_exception_cause_type(),
            retry.retry_if_not_exception_message(message="x"),
            retry.retry_if_exception_message(message="x"),
            retry.retry_if_exception(lambda e: True),
            retry.retry_if_result(lambda v: False),
            retry.retry_if_not_result(lambda v: True),
            retry.retry_any(retry.retry_if_exception_type()),
            retry.retry_all(retry.retry_if_exception_type()),
        ],
    }[family]
    return {type(obj).__name__: obj for obj in made}


@pytest.mark.parametrize("family", ["stop", "wait", "retry"])
def test_every_built_in_strategy_class_compiles_natively(family: str) -> None:
    module = importlib.import_module(f"pertinax.{family}")
    base = getattr(module, f"{family}_base")
    classes = {
        name
        for name, cls in vars(module).items()
        if inspect.isclass(cls)
        and issubclass(cls, base)
        and cls is not base
        and cls.__module__ == module.__name__
    }
    native = set(_pertinax.native_strategies(family))
    # No built-in class is left to the Python fallback, and no native name has drifted.
    assert classes == native
    instances = _instances(family)
    assert set(instances) == native
    for name, obj in instances.items():
        variant = _pertinax.compiled_variant(family, obj)
        assert variant not in ("Python", "Invalid"), f"{name} compiled to {variant}"


def test_a_subclass_and_a_plain_callable_take_the_python_variant() -> None:
    class mine(pertinax.stop_after_attempt):  # noqa: N801 - named like the class it extends
        pass

    assert _pertinax.compiled_variant("stop", mine(3)) == "Python"
    assert _pertinax.compiled_variant("stop", lambda rs: True) == "Python"
    assert _pertinax.compiled_variant("stop", 3) == "Invalid"
    with pytest.raises(ValueError, match="family must be"):
        _pertinax.compiled_variant("sleep", pertinax.stop_never)
