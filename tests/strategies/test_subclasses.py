"""Subclasses that customise the built-in strategies run their own code, as with tenacity."""

import importlib
import typing

from tests.support.strategies import (
    LIBS,
    OUTCOMES,
    Scenario,
    compare,
    is_none,
)


def _subclass_pair(name: str, base_path: str, body: dict) -> dict[str, typing.Any]:
    classes = {}
    for lib in LIBS:
        module, _, cls = base_path.rpartition(".")
        base = getattr(importlib.import_module(f"{lib.__name__}.{module}"), cls)
        classes[lib.__name__] = type(name, (base,), dict(body))
    return classes


def test_subclass_overriding_check_is_honoured() -> None:
    classes = _subclass_pair(
        "retry_on_message_length",
        "retry.retry_if_exception_type",
        {"_check": lambda self, e: isinstance(e, self.exception_types) and len(str(e)) > 3},
    )
    for scenario in ("value_error", "key_error", "none", "value_error_args"):
        compare({k: v(ValueError) for k, v in classes.items()}, OUTCOMES[scenario])


def test_subclass_overriding_call_can_use_super() -> None:
    def call(self, retry_state):
        return not super(type(self), self).__call__(retry_state)

    stops = _subclass_pair("inverted_stop", "stop.stop_after_attempt", {"__call__": call})
    retries = _subclass_pair("inverted_retry", "retry.retry_if_result", {"__call__": call})

    def wait_call(self, retry_state):
        return super(type(self), self).__call__(retry_state) * 10

    waits = _subclass_pair("scaled_wait", "wait.wait_exponential", {"__call__": wait_call})
    for attempt in (1, 3, 5):
        scenario = Scenario(attempt=attempt)
        compare({k: v(3) for k, v in stops.items()}, scenario)
        compare({k: v(is_none) for k, v in retries.items()}, scenario)
        compare({k: v(max=50) for k, v in waits.items()}, scenario)


def test_subclass_without_call_override_acts_like_its_base() -> None:
    classes = _subclass_pair("my_fixed", "wait.wait_fixed", {"note": "x"})
    compare({k: v(2) for k, v in classes.items()}, Scenario(attempt=2))
    classes = _subclass_pair("my_none", "wait.wait_none", {})
    compare({k: v() for k, v in classes.items()}, Scenario(attempt=2))
