"""The `retry` decorator and the types that keep a decorated function's signature."""

import typing as t
import warnings

from . import logs as _logs
from ._outcome import RetryError
from ._pertinax import CircuitBreaker, RetryBudget, RetryCallState
from ._retrying import BaseRetrying, P, R, _RetryDecorated
from ._wrapping import controller_for
from .after import after_nothing
from .before import before_nothing
from .nap import sleep as _default_sleep
from .retry import retry_base, retry_if_exception_type
from .stop import stop_never
from .wait import wait_none

if t.TYPE_CHECKING:
    import types

    from ._policy import Policy
    from .asyncio.retry import RetryBaseT as AsyncRetryBaseT
    from .retry import RetryBaseT
    from .stop import StopBaseT
    from .wait import WaitBaseT


class _AsyncRetryDecorator(t.Protocol):
    @t.overload
    def __call__(
        self, fn: "t.Callable[P, types.CoroutineType[t.Any, t.Any, R]]"
    ) -> "_RetryDecorated[P, types.CoroutineType[t.Any, t.Any, R]]": ...
    @t.overload
    def __call__(
        self, fn: t.Callable[P, t.Coroutine[t.Any, t.Any, R]]
    ) -> _RetryDecorated[P, t.Coroutine[t.Any, t.Any, R]]: ...
    @t.overload
    def __call__(self, fn: t.Callable[P, t.Awaitable[R]]) -> _RetryDecorated[P, t.Awaitable[R]]: ...
    @t.overload
    def __call__(self, fn: t.Callable[P, R]) -> _RetryDecorated[P, t.Awaitable[R]]: ...


@t.overload
def retry(func: t.Callable[P, R]) -> _RetryDecorated[P, R]: ...


@t.overload
def retry(
    *,
    sleep: t.Callable[[int | float], t.Awaitable[None]],
    stop: "StopBaseT" = ...,
    wait: "WaitBaseT" = ...,
    retry: "RetryBaseT | AsyncRetryBaseT" = ...,
    before: t.Callable[[RetryCallState], t.Awaitable[None] | None] = ...,
    after: t.Callable[[RetryCallState], t.Awaitable[None] | None] = ...,
    before_sleep: t.Callable[[RetryCallState], t.Awaitable[None] | None] | None = ...,
    reraise: bool = ...,
    retry_error_cls: type[RetryError] = ...,
    retry_error_callback: t.Callable[[RetryCallState], t.Any | t.Awaitable[t.Any]] | None = ...,
    name: str | None = ...,
    enabled: bool = ...,
    metrics: bool = ...,
    on_recovered: t.Callable[[RetryCallState], t.Awaitable[None] | None] | None = ...,
    log_levels: _logs.LevelsT | None = ...,
    budget: RetryBudget | None = ...,
    breaker: CircuitBreaker | None = ...,
    policy: "str | Policy | None" = ...,
) -> _AsyncRetryDecorator: ...


@t.overload
def retry(
    sleep: t.Callable[[int | float], None] = _default_sleep,
    stop: "StopBaseT" = stop_never,
    wait: "WaitBaseT" = wait_none(),
    retry: "RetryBaseT | AsyncRetryBaseT" = retry_if_exception_type(),
    before: t.Callable[[RetryCallState], t.Awaitable[None] | None] = before_nothing,
    after: t.Callable[[RetryCallState], t.Awaitable[None] | None] = after_nothing,
    before_sleep: t.Callable[[RetryCallState], t.Awaitable[None] | None] | None = None,
    reraise: bool = False,
    retry_error_cls: type[RetryError] = RetryError,
    retry_error_callback: t.Callable[[RetryCallState], t.Any | t.Awaitable[t.Any]] | None = None,
    name: str | None = None,
    enabled: bool = True,
    *,
    metrics: bool = True,
    on_recovered: t.Callable[[RetryCallState], t.Awaitable[None] | None] | None = None,
    log_levels: _logs.LevelsT | None = None,
    budget: RetryBudget | None = None,
    breaker: CircuitBreaker | None = None,
    policy: "str | Policy | None" = None,
) -> t.Callable[[t.Callable[P, R]], _RetryDecorated[P, R]]: ...


def retry(*dargs: t.Any, **dkw: t.Any) -> t.Any:
    """Retry the decorated function: ``@retry`` or ``@retry(stop=..., wait=..., ...)``.

    The arguments are those of :class:`Retrying`. A coroutine function is retried by an
    :class:`AsyncRetrying`. ``policy=`` starts from a :class:`Policy`, or from the registered
    policy of that name (and follows later changes to it); explicit arguments override it.
    """
    if "policy" in dkw:
        # pertinax's own keyword: a registered policy's name (followed as it changes) or a
        # Policy, with the explicit arguments on top.
        policy = dkw.pop("policy")
        if dargs:
            raise TypeError("retry(): with policy=, give the other arguments by keyword")
        if policy is not None:
            from .policies import _decorate

            overrides = dict(dkw)
            return lambda f: _decorate(policy, overrides, f)
    if len(dargs) == 1 and callable(dargs[0]):
        # The bare form; like tenacity, keyword arguments given alongside are ignored.
        return retry()(dargs[0])

    def wrap(f: t.Callable[P, R]) -> _RetryDecorated[P, R]:
        if isinstance(f, retry_base):
            warnings.warn(
                f"Got retry_base instance ({f.__class__.__name__}) as callable argument, "
                f"this will probably hang indefinitely (did you mean "
                f"retry={f.__class__.__name__}(...)?)",
                stacklevel=2,
            )
        controller: BaseRetrying = controller_for(f, dargs, dkw)
        return controller.wraps(f)

    return wrap
