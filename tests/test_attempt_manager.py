"""AttemptManager: the context manager of one attempt, side by side with tenacity 9.2.1."""

from __future__ import annotations

import asyncio

import pertinax
import pytest
import tenacity

from tests.support.outcomes import BOTH


class RecordingState:
    """Stands in for RetryCallState: AttemptManager only calls these two methods."""

    def __init__(self) -> None:
        self.calls: list = []

    def set_result(self, value) -> None:
        self.calls.append(("result", value))

    def set_exception(self, exc_info) -> None:
        self.calls.append(("exception", exc_info))


@BOTH
def test_attempt_manager_records_success_as_none(lib) -> None:
    state = RecordingState()
    manager = lib.AttemptManager(state)
    assert manager.retry_state is state
    with manager as entered:
        pass
    assert entered is None
    assert state.calls == [("result", None)]


@pytest.mark.parametrize("exc_type", [ValueError, KeyboardInterrupt, SystemExit, GeneratorExit])
def test_attempt_manager_swallows_everything(exc_type) -> None:
    outcomes = []
    for lib in (tenacity, pertinax):
        state = RecordingState()
        with lib.AttemptManager(state):
            raise exc_type("x")
        ((kind, (typ, value, tb)),) = state.calls
        assert kind == "exception" and typ is exc_type and type(value) is exc_type
        assert tb is value.__traceback__
        outcomes.append((kind, typ))
    assert outcomes[0] == outcomes[1]


def test_attempt_manager_exit_return_values_match_tenacity() -> None:
    err = ValueError()
    for args in ((None, None, None), (ValueError, err, None)):
        ours = pertinax.AttemptManager(RecordingState()).__exit__(*args)
        theirs = tenacity.AttemptManager(RecordingState()).__exit__(*args)
        assert ours == theirs


def test_attempt_manager_async() -> None:
    async def body() -> RecordingState:
        state = RecordingState()
        async with pertinax.AttemptManager(state) as entered:
            assert entered is None
            raise KeyError("k")
        return state

    state = asyncio.run(body())
    assert [c[0] for c in state.calls] == ["exception"]
    assert type(state.calls[0][1][1]) is KeyError


def test_attempt_manager_async_success() -> None:
    async def body() -> RecordingState:
        state = RecordingState()
        async with pertinax.AttemptManager(state):
            pass
        return state

    assert asyncio.run(body()).calls == [("result", None)]


@pytest.mark.parametrize("how", ["next", "send", "send_value"])
def test_attempt_manager_awaitables_finish_at_once_like_tenacitys(how) -> None:
    # tenacity's __aenter__/__aexit__ are coroutines that never suspend; pertinax's return
    # awaitables that finish on the first step, with the same value, however they are driven.
    results = []
    for lib in (tenacity, pertinax):
        manager = lib.AttemptManager(RecordingState())
        got = []
        for awaitable in (
            manager.__aenter__(),
            manager.__aexit__(None, None, None),
            manager.__aexit__(ValueError, ValueError("x"), None),
        ):
            step = awaitable.__await__()
            if how == "send_value":
                with pytest.raises(TypeError, match="just-started coroutine"):
                    step.send(1)
                step.close()
                continue
            with pytest.raises(StopIteration) as stop:
                next(step) if how == "next" else step.send(None)
            got.append(stop.value.value)
        results.append(got)
    assert results[0] == results[1] == ([] if how == "send_value" else [None, None, True])


def test_attempt_manager_awaitable_throw_raises_the_exception() -> None:
    step = pertinax.AttemptManager(RecordingState()).__aenter__().__await__()
    with pytest.raises(KeyError):
        step.throw(KeyError("k"))


def test_attempt_manager_with_a_real_state() -> None:
    state = pertinax.RetryCallState(None, None, (), {})
    with pertinax.AttemptManager(state):
        raise KeyError("k")
    assert isinstance(state.outcome, pertinax.Future)
    assert state.outcome.failed and state.outcome.attempt_number == 1
    with pertinax.AttemptManager(state):
        pass
    assert not state.outcome.failed and state.outcome.result() is None
