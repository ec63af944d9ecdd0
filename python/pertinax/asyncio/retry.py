"""Retry predicates whose test is awaited (tenacity's ``tenacity.asyncio.retry``).

Use them with :class:`~pertinax.asyncio.AsyncRetrying` (or ``@retry`` on a coroutine
function). Their ``__call__`` is a coroutine function, so the engine awaits it through the
async driver. ``|`` and ``&`` on an async predicate always give an async ``retry_any`` /
``retry_all``, whatever the other operand is, so sync and async predicates mix freely.
"""

import abc
import typing

from .. import _utils
from .._utils import override
from ..retry import retry_base

if typing.TYPE_CHECKING:
    from .._pertinax import RetryCallState


class async_retry_base(retry_base):
    """Base class of async retry predicates: define ``async def __call__(retry_state)``."""

    @abc.abstractmethod
    @override
    async def __call__(self, retry_state: "RetryCallState") -> bool:  # type: ignore[override]
        pass

    @override
    def __and__(self, other: "retry_base | async_retry_base") -> "retry_all":  # type: ignore[override]
        return retry_all(self, other)

    @override
    def __rand__(self, other: "retry_base | async_retry_base") -> "retry_all":  # type: ignore[override, misc]
        return retry_all(other, self)

    @override
    def __or__(self, other: "retry_base | async_retry_base") -> "retry_any":  # type: ignore[override]
        return retry_any(self, other)

    @override
    def __ror__(self, other: "retry_base | async_retry_base") -> "retry_any":  # type: ignore[override, misc]
        return retry_any(other, self)


RetryBaseT = async_retry_base | typing.Callable[["RetryCallState"], typing.Awaitable[bool]]


async def _evaluate(member: typing.Any, retry_state: "RetryCallState") -> typing.Any:
    # A member is awaited only when it is a coroutine callable: a sync callable that happens to
    # return an awaitable is used as it is, as tenacity's wrap_to_async_func does.
    if _utils.is_coroutine_callable(member):
        return await member(retry_state)
    return member(retry_state)


def _outcome_of(retry_state: "RetryCallState") -> typing.Any:
    outcome = retry_state.outcome
    if outcome is None:
        raise RuntimeError("__call__() called before outcome was set")
    return outcome


class retry_if_exception(async_retry_base):
    """Retry when the attempt raised an exception for which ``await predicate(exc)`` is true."""

    def __init__(self, predicate: typing.Callable[[BaseException], typing.Awaitable[bool]]) -> None:
        self.predicate = predicate

    @override
    async def __call__(self, retry_state: "RetryCallState") -> bool:  # type: ignore[override]
        outcome = _outcome_of(retry_state)
        if not outcome.failed:
            return False
        exception = outcome.exception()
        if exception is None:
            raise RuntimeError("outcome failed but the exception is None")
        return await self.predicate(exception)


class retry_if_result(async_retry_base):
    """Retry when the attempt returned a value for which ``await predicate(value)`` is true."""

    def __init__(self, predicate: typing.Callable[[typing.Any], typing.Awaitable[bool]]) -> None:
        self.predicate = predicate

    @override
    async def __call__(self, retry_state: "RetryCallState") -> bool:  # type: ignore[override]
        outcome = _outcome_of(retry_state)
        if outcome.failed:
            return False
        return await self.predicate(outcome.result())


class retry_any(async_retry_base):
    """Retry when any member says so; members (sync or async) are asked in order."""

    def __init__(self, *retries: "retry_base | async_retry_base") -> None:
        self.retries = retries

    @override
    async def __call__(self, retry_state: "RetryCallState") -> bool:  # type: ignore[override]
        verdict: typing.Any = False
        for member in self.retries:
            verdict = await _evaluate(member, retry_state)
            if verdict:
                break
        return verdict  # type: ignore[no-any-return]

    @override
    def __ror__(self, other: "retry_base | async_retry_base") -> "retry_any":  # type: ignore[override, misc]
        if isinstance(other, retry_any):
            return retry_any(*other.retries, *self.retries)
        return retry_any(other, *self.retries)


class retry_all(async_retry_base):
    """Retry when every member says so; members (sync or async) are asked in order."""

    def __init__(self, *retries: "retry_base | async_retry_base") -> None:
        self.retries = retries

    @override
    async def __call__(self, retry_state: "RetryCallState") -> bool:  # type: ignore[override]
        verdict: typing.Any = True
        for member in self.retries:
            verdict = await _evaluate(member, retry_state)
            if not verdict:
                break
        return verdict  # type: ignore[no-any-return]

    @override
    def __rand__(self, other: "retry_base | async_retry_base") -> "retry_all":  # type: ignore[override, misc]
        if isinstance(other, retry_all):
            return retry_all(*other.retries, *self.retries)
        return retry_all(other, *self.retries)
