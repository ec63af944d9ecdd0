"""The iterators of ``async for attempt in AsyncRetrying(...)`` loops: one per loop, so
concurrent loops over one controller never share a state."""

import typing as t

from .. import _pertinax
from .._outcome import AttemptManager
from .._pertinax import RetryCallState
from .._utils import override
from ._driver import _AT_ATTEMPT, _run

if t.TYPE_CHECKING:
    from .._retrying import BaseRetrying

_Call = _pertinax.Call


class _Attempts:
    """The iterator of one ``async for attempt in AsyncRetrying(...)`` loop."""

    __slots__ = ()

    def __aiter__(self) -> "_Attempts":
        return self

    async def __anext__(self) -> AttemptManager:
        raise NotImplementedError


class _LoopAttempts(_Attempts):
    __slots__ = ("_call", "_retry_state")

    def __init__(self, controller: "BaseRetrying") -> None:
        call = _Call(
            engine=controller._engine_or_new(),
            controller=controller,
            func=None,
            args=(),
            kwargs={},
            statistics=controller.statistics,
            is_async=True,
            observable=True,
        )
        self._call: t.Any = call
        self._retry_state: t.Any = call.retry_state

    @override
    async def __anext__(self) -> AttemptManager:
        if self._call is None:
            raise StopAsyncIteration
        try:
            step = await _run(self._call, None, None, None, False, True)
        except BaseException:
            self._finish()
            raise
        if step is _AT_ATTEMPT:
            return AttemptManager(retry_state=self._retry_state)
        # The loop is over; like tenacity's, it drops the final value.
        self._finish()
        raise StopAsyncIteration

    def _finish(self) -> None:
        # The controller remembers its latest loop (for `r.__anext__()`) and the state points
        # back at the controller: let go of the state so that no cycle outlives the loop.
        self._call = None
        self._retry_state = None


class _SingleAttempt(_Attempts):
    """A disabled controller's loop: one attempt, then its exception, if any, as itself."""

    __slots__ = ("_retry_state", "_done")

    def __init__(self, controller: "BaseRetrying") -> None:
        self._retry_state: RetryCallState | None = RetryCallState(controller, None, (), {})
        self._done = False

    @override
    async def __anext__(self) -> AttemptManager:
        if not self._done and self._retry_state is not None:
            self._done = True
            return AttemptManager(retry_state=self._retry_state)
        retry_state, self._retry_state = self._retry_state, None
        outcome = None if retry_state is None else retry_state.outcome
        failure = outcome.exception() if outcome is not None and outcome.failed else None
        del retry_state, outcome
        if failure is None:
            raise StopAsyncIteration
        try:
            raise failure
        finally:
            # The traceback keeps this frame: it must not keep the exception too.
            del failure
