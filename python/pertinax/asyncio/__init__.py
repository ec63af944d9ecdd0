"""Retrying coroutines: ``AsyncRetrying`` and the async retry predicates.

The Rust engine makes every decision, exactly as for synchronous calls; ``_driver`` carries
them out on the event loop and ``_attempts`` holds the ``async for`` iterators. Each call, and
each ``async for`` loop, gets its own engine ``Call``, so one ``AsyncRetrying`` shared by any
number of concurrent coroutines keeps their states apart.
"""

import functools
import typing as t

from .. import _pertinax, _utils
from .. import _python_driving as _driving
from .._outcome import AttemptManager, DoAttempt, DoSleep, RetryError
from .._pertinax import RetryCallState
from .._retrying import _WRAPPER_ASSIGNMENTS, BaseRetrying, _retry_with
from .._utils import override
from ..after import after_nothing
from ..before import before_nothing
from ..retry import retry_if_exception_type as _retry_if_exception_type
from ..stop import stop_never as _stop_never
from ..wait import wait_none as _wait_none
from ._attempts import _Attempts, _LoopAttempts, _SingleAttempt
from ._driver import _ATTEMPT, _AWAIT, _SLEEP, _Call, _portable_async_sleep, _resume, _run
from .retry import RetryBaseT, retry_all, retry_any, retry_if_exception, retry_if_result

if t.TYPE_CHECKING:
    from .._pertinax import CircuitBreaker, RetryBudget
    from .._retrying import _RetryDecorated
    from ..logs import LevelsT as _LevelsT
    from ..retry import RetryBaseT as SyncRetryBaseT
    from ..stop import StopBaseT
    from ..wait import WaitBaseT

WrappedFnReturnT = t.TypeVar("WrappedFnReturnT")
WrappedFn = t.TypeVar("WrappedFn", bound=t.Callable[..., t.Awaitable[t.Any]])
P = t.ParamSpec("P")
R = t.TypeVar("R")


class AsyncRetrying(BaseRetrying):
    """Retries coroutine functions (and sync functions, with an async sleep).

    ``await r(fn, *args)`` retries one call, ``async for attempt in r:`` retries a block, and
    ``r.wraps(fn)`` (what ``@retry`` uses for coroutine functions) returns an ``async def``
    wrapper. Every strategy and callback may be a coroutine function; the sleep must return
    an awaitable.
    """

    def __init__(
        self,
        sleep: t.Callable[[int | float], t.Awaitable[None] | None] = _portable_async_sleep,
        stop: "StopBaseT" = _stop_never,
        wait: "WaitBaseT" = _wait_none(),
        retry: "SyncRetryBaseT | RetryBaseT" = _retry_if_exception_type(),
        before: t.Callable[["RetryCallState"], t.Awaitable[None] | None] = before_nothing,
        after: t.Callable[["RetryCallState"], t.Awaitable[None] | None] = after_nothing,
        before_sleep: t.Callable[["RetryCallState"], t.Awaitable[None] | None] | None = None,
        reraise: bool = False,
        retry_error_cls: type["RetryError"] = RetryError,
        retry_error_callback: t.Callable[["RetryCallState"], t.Any | t.Awaitable[t.Any]]
        | None = None,
        name: str | None = None,
        enabled: bool = True,
        *,
        metrics: bool = True,
        on_recovered: t.Callable[["RetryCallState"], t.Awaitable[None] | None] | None = None,
        log_levels: "_LevelsT | None" = None,
        budget: "RetryBudget | None" = None,
        breaker: "CircuitBreaker | None" = None,
    ) -> None:
        super().__init__(
            sleep=sleep,
            stop=stop,
            wait=wait,
            retry=retry,  # type: ignore[arg-type]
            before=before,
            after=after,
            before_sleep=before_sleep,
            reraise=reraise,
            retry_error_cls=retry_error_cls,
            retry_error_callback=retry_error_callback,
            name=name,
            enabled=enabled,
            metrics=metrics,
            on_recovered=on_recovered,
            log_levels=log_levels,
            budget=budget,
            breaker=breaker,
        )

    @override
    async def __call__(  # type: ignore[override]
        self, fn: WrappedFn, *args: t.Any, **kwargs: t.Any
    ) -> WrappedFnReturnT:
        fn_is_async = _utils.is_coroutine_callable(fn)
        if not self.enabled:
            if fn_is_async:
                return await fn(*args, **kwargs)  # type: ignore[no-any-return]
            return fn(*args, **kwargs)  # type: ignore[return-value]
        if type(self).iter is not AsyncRetrying.iter:
            return await self._call_with_iter(fn, args, kwargs, fn_is_async)  # type: ignore[no-any-return]
        return await _run(  # type: ignore[no-any-return]
            _Call(
                engine=self._engine_or_new(),
                controller=self,
                func=fn,
                args=args,
                kwargs=kwargs,
                statistics=self.statistics,
                is_async=True,
                observable=False,
            ),
            fn,
            args,
            kwargs,
            fn_is_async,
            False,
        )

    async def _call_with_iter(
        self,
        fn: t.Callable[..., t.Any],
        args: tuple[t.Any, ...],
        kwargs: dict[str, t.Any],
        fn_is_async: bool,
    ) -> t.Any:
        # A subclass that overrides iter() is driven through it, as tenacity drives it.
        return await _driving.call_with_iter_async(self, fn, args, kwargs, fn_is_async)

    @override
    async def iter(self, retry_state: "RetryCallState") -> DoAttempt | DoSleep | t.Any:
        """One decision for ``retry_state``: a ``DoAttempt``, a ``DoSleep``, or the final
        value (a give-up raises). Coroutine strategies and callbacks are awaited."""
        call = _pertinax.async_decision(self._engine_or_new(), self, retry_state, self.statistics)
        try:
            kind, value = call.advance()
            while kind == _AWAIT:
                kind, value = await _resume(call, value)
        finally:
            del call
        if kind == _ATTEMPT:
            return DoAttempt()
        if kind == _SLEEP:
            return DoSleep(value)
        return value

    @override
    def __iter__(self) -> t.Generator[AttemptManager, None, None]:
        raise TypeError("AsyncRetrying object is not iterable")

    def __aiter__(self) -> "_Attempts":
        """A new attempt iterator with its own state: concurrent loops never share one."""
        attempts: _Attempts = _LoopAttempts(self) if self.enabled else _SingleAttempt(self)
        # tenacity's __aiter__ returns the controller itself, and some code then calls
        # `r.__anext__()`: remember this thread's latest loop for it.
        self._local.attempts = attempts
        return attempts

    async def __anext__(self) -> AttemptManager:
        attempts = getattr(self._local, "attempts", None)
        if attempts is None:
            attempts = self.__aiter__()
        return await attempts.__anext__()

    @override
    def wraps(self, f: t.Callable[P, R]) -> "_RetryDecorated[P, R]":
        """Wraps ``f`` in an ``async def`` function that retries every call of it."""
        statistics: dict[str, t.Any] = {}
        fn_is_async = _utils.is_coroutine_callable(f)

        if self._runs_natively():
            entry = _pertinax.AsyncEntry(
                func=f, controller=self, engine=self._engine_or_new(), statistics=statistics
            )

            async def async_wrapped(*args: t.Any, **kwargs: t.Any) -> t.Any:
                call = entry.start(args, kwargs)
                if call.__class__ is float:
                    # The engine lets a first attempt that returns be the result: run it here
                    # and hand the engine only a failure.
                    started = call
                    try:
                        value = await f(*args, **kwargs) if fn_is_async else f(*args, **kwargs)  # type: ignore[misc]
                    except BaseException as exc:
                        call = entry.failed(started, exc)
                    else:
                        entry.succeeded(started)
                        return value
                elif call is None:  # disabled: one plain call
                    return await f(*args, **kwargs)  # type: ignore[misc]
                # Outside the except block: a give-up must not get the first error as context.
                return await _run(call, f, args, kwargs, fn_is_async, False)

        else:

            async def async_wrapped(*args: t.Any, **kwargs: t.Any) -> t.Any:
                return await self._call_wrapped_async(f, statistics, args, kwargs)

        functools.update_wrapper(async_wrapped, f, assigned=_WRAPPER_ASSIGNMENTS)
        wrapped: t.Any = async_wrapped
        wrapped.retry = self
        wrapped.retry_with = functools.partial(_retry_with, self, f)
        wrapped.statistics = statistics
        object.__setattr__(self, "_wrapper_call", _WrapperStatistics(statistics))
        return t.cast("_RetryDecorated[P, R]", wrapped)

    async def _call_wrapped_async(
        self,
        f: t.Callable[..., t.Any],
        statistics: dict[str, t.Any],
        args: tuple[t.Any, ...],
        kwargs: dict[str, t.Any],
    ) -> t.Any:
        # tenacity's own wrapper, for controllers whose class overrides its methods.
        if not self.enabled:
            return await f(*args, **kwargs)
        return await _driving.copy_sharing_statistics(self, statistics)(f, *args, **kwargs)


AsyncRetrying._ENGINE_DRIVEN = AsyncRetrying


class _WrapperStatistics:
    """What ``BaseRetrying.statistics`` reads about the controller's latest wrapper: once the
    wrapper has run, ``fn.retry.statistics`` is ``fn.statistics``, as with tenacity."""

    __slots__ = ("statistics",)

    def __init__(self, statistics: dict[str, t.Any]) -> None:
        self.statistics = statistics

    @property
    def ran(self) -> bool:
        # Every enabled call starts by filling the dict; a disabled one never touches it.
        return bool(self.statistics)


__all__ = [
    "AsyncRetrying",
    "WrappedFn",
    "retry_all",
    "retry_any",
    "retry_if_exception",
    "retry_if_result",
]
