"""The Rust contract: a built-in strategy's ``__call__`` only delegates to the engine."""

import typing

import pertinax
import pertinax.nap
import pertinax.stop
import pertinax.wait
import pytest

from tests.support.strategies import (
    CASES,
    P_RETRY,
    build,
)


class RecordingNative:
    def __init__(self) -> None:
        self.calls: list[tuple[str, typing.Any, typing.Any]] = []

    def __getattr__(self, name: str):
        if name == "strategy_changed":
            # attribute writes notify the engine; not an evaluation
            return lambda strategy: None

        def evaluate(strategy, retry_state):
            self.calls.append((name, strategy, retry_state))
            return "from-native"

        return evaluate


@pytest.mark.parametrize("case", sorted(CASES))
def test_builtin_call_delegates_to_the_native_evaluator(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    native = RecordingNative()
    for module in (pertinax.stop, pertinax.wait, P_RETRY):
        monkeypatch.setattr(module, "_pertinax", native)
    strategy = build(CASES[case], pertinax)
    state = object()
    assert strategy(state) == "from-native"
    kind = {"stop": "evaluate_stop", "wait": "evaluate_wait", "retr": "evaluate_retry"}[case[:4]]
    assert native.calls == [(kind, strategy, state)]
