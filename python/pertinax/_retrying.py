"""Controllers: `BaseRetrying` and `Retrying`.

A controller is a plain Python object holding tenacity's public attributes. The Rust engine
compiles them into a plan the first time the controller runs and again after any attribute
changes, so patching ``fn.retry.stop`` works as it does with tenacity. Calls run in Rust;
nothing is copied per call.
"""

import functools
import threading
import typing as t
from abc import ABC, abstractmethod

from . import _pertinax
from . import _python_driving as _driving
from . import logs as _logs
from ._arguments import check_hook, check_instance, first_set, is_no_wait, unset
from ._outcome import AttemptManager, DoAttempt, DoSleep, IterState, RetryError
from ._pertinax import CircuitBreaker, RetryBudget, RetryCallState
from .after import after_nothing
from .before import before_nothing
from .nap import sleep as _default_sleep
from .retry import retry_if_exception_type
from .stop import stop_never
from .wait import wait_none

if t.TYPE_CHECKING:
    from typing_extensions import Self

    from .retry import RetryBaseT
    from .stop import StopBaseT
    from .wait import WaitBaseT

WrappedFn = t.TypeVar("WrappedFn", bound=t.Callable[..., t.Any])
WrappedFnReturnT = t.TypeVar("WrappedFnReturnT")
P = t.ParamSpec("P")
R = t.TypeVar("R")


class _RetryDecorated(t.Protocol[P, R]):
    """A function decorated with ``@retry`` (or ``wraps()``): the original signature, plus the retry
    controls."""

    retry: "BaseRetrying"
    statistics: dict[str, t.Any]
    __wrapped__: "_RetryDecorated[P, R]"

    def retry_with(self, *args: t.Any, **kwargs: t.Any) -> "_RetryDecorated[P, R]": ...

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...

    @t.overload
    def __get__(self, instance: None, owner: type | None = None) -> "_RetryDecorated[P, R]": ...
    @t.overload
    def __get__(self, instance: object, owner: type | None = None) -> "_RetryDecorated[..., R]": ...


_WRAPPER_ASSIGNMENTS = functools.WRAPPER_ASSIGNMENTS + ("__defaults__", "__kwdefaults__")


class _LazyThreadLocal:
    """A `threading.local()` made the first time an instance reads `_local`, then kept in
    the instance dict (this is a non-data descriptor, so the instance dict wins)."""

    def __get__(self, obj: object, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        # setdefault: two threads racing here end up with the same object.
        return obj.__dict__.setdefault("_local", threading.local())


# Attributes the engine never reads: setting them does not invalidate the compiled plan.
_PLAN_NEUTRAL = frozenset({"_local", "_engine", "_wrapper_call", "_name"})


class BaseRetrying(ABC):
    """What to retry and how: the settings shared by every driver."""

    # Instance attributes, written by __init__ (straight into the instance dict).
    sleep: t.Callable[[int | float], t.Any]
    stop: "StopBaseT"
    wait: "WaitBaseT"
    retry: "RetryBaseT"
    before: t.Callable[[RetryCallState], t.Any] | None
    after: t.Callable[[RetryCallState], t.Any] | None
    before_sleep: t.Callable[[RetryCallState], t.Any] | None
    reraise: bool
    retry_error_cls: type[RetryError]
    retry_error_callback: t.Callable[[RetryCallState], t.Any] | None
    enabled: bool
    metrics: bool
    on_recovered: t.Callable[[RetryCallState], t.Any] | None
    log_levels: _logs.LevelsT | None
    budget: RetryBudget | None
    breaker: CircuitBreaker | None
    _name: str | None

    def __init__(
        self,
        sleep: t.Callable[[int | float], t.Any] = _default_sleep,
        stop: "StopBaseT" = stop_never,
        wait: "WaitBaseT" = wait_none(),
        retry: "RetryBaseT" = retry_if_exception_type(),
        before: t.Callable[[RetryCallState], t.Any] = before_nothing,
        after: t.Callable[[RetryCallState], t.Any] = after_nothing,
        before_sleep: t.Callable[[RetryCallState], t.Any] | None = None,
        reraise: bool = False,
        retry_error_cls: type[RetryError] = RetryError,
        retry_error_callback: t.Callable[[RetryCallState], t.Any] | None = None,
        name: str | None = None,
        enabled: bool = True,
        *,
        metrics: bool = True,
        on_recovered: t.Callable[[RetryCallState], t.Any] | None = None,
        log_levels: _logs.LevelsT | None = None,
        budget: RetryBudget | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        if log_levels is not None:
            _logs._level_numbers(log_levels)
        if on_recovered is not None:  # no call on the common path
            check_hook("on_recovered", on_recovered)
        if budget is not None or breaker is not None:  # one test on the common path
            check_instance("budget", budget, _pertinax.RetryBudget)
            check_instance("breaker", breaker, _pertinax.CircuitBreaker)
        # Written straight into the instance dict: a new engine has no plan to invalidate,
        # and skipping our __setattr__ makes building a controller cheap.
        self.__dict__.update(
            _engine=_pertinax.Engine(),
            sleep=sleep,
            stop=stop,
            wait=wait_none() if is_no_wait(wait) else wait,
            retry=retry,
            before=before,
            after=after,
            before_sleep=before_sleep,
            reraise=reraise,
            retry_error_cls=retry_error_cls,
            retry_error_callback=retry_error_callback,
            _name=name,
            enabled=enabled,
            # pertinax's own options (keyword-only; see pertinax.metrics and pertinax.logs).
            metrics=metrics,
            on_recovered=on_recovered,
            log_levels=log_levels,
            budget=budget,
            breaker=breaker,
        )

    # tenacity keeps per-thread state in `self._local`; it is made on first use.
    _local = _LazyThreadLocal()

    # Any change to what the engine reads recompiles the plan on the next call.
    def __setattr__(self, name: str, value: t.Any) -> None:
        object.__setattr__(self, name, value)
        if name not in _PLAN_NEUTRAL:
            self._engine_or_new().invalidate()

    def __delattr__(self, name: str) -> None:
        object.__delattr__(self, name)
        if name not in _PLAN_NEUTRAL:
            self._engine_or_new().invalidate()

    def _engine_or_new(self) -> _pertinax.Engine:
        # A subclass whose __init__ sets attributes before calling ours still gets an engine.
        try:
            return self.__dict__["_engine"]  # type: ignore[no-any-return]
        except KeyError:
            engine = _pertinax.Engine()
            object.__setattr__(self, "_engine", engine)
            return engine

    def copy(
        self,
        sleep: t.Any = unset,
        stop: t.Any = unset,
        wait: t.Any = unset,
        retry: t.Any = unset,
        before: t.Any = unset,
        after: t.Any = unset,
        before_sleep: t.Any = unset,
        reraise: t.Any = unset,
        retry_error_cls: t.Any = unset,
        retry_error_callback: t.Any = unset,
        name: t.Any = unset,
        enabled: t.Any = unset,
        *,
        metrics: t.Any = unset,
        on_recovered: t.Any = unset,
        log_levels: t.Any = unset,
        budget: t.Any = unset,
        breaker: t.Any = unset,
    ) -> "Self":
        """A new controller of the same class, with the given settings changed."""
        copy = self.__class__(
            sleep=first_set(sleep, self.sleep),
            stop=first_set(stop, self.stop),
            wait=first_set(wait, self.wait),
            retry=first_set(retry, self.retry),
            before=first_set(before, self.before),
            after=first_set(after, self.after),
            before_sleep=first_set(before_sleep, self.before_sleep),
            reraise=first_set(reraise, self.reraise),
            retry_error_cls=first_set(retry_error_cls, self.retry_error_cls),
            retry_error_callback=first_set(retry_error_callback, self.retry_error_callback),
            name=first_set(name, self._name),
            enabled=first_set(enabled, self.enabled),
        )
        # Set after construction, so a subclass whose __init__ lacks them still copies.
        copy.metrics = first_set(metrics, getattr(self, "metrics", True))
        copy.on_recovered = first_set(on_recovered, getattr(self, "on_recovered", None))
        check_hook("on_recovered", copy.on_recovered)
        copy.log_levels = first_set(log_levels, getattr(self, "log_levels", None))
        budget = first_set(budget, getattr(self, "budget", None))
        breaker = first_set(breaker, getattr(self, "breaker", None))
        check_instance("budget", budget, _pertinax.RetryBudget)
        check_instance("breaker", breaker, _pertinax.CircuitBreaker)
        copy.budget = budget
        copy.breaker = breaker
        return copy

    def __getstate__(self) -> dict[str, t.Any]:
        return {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("_local", "_engine", "_wrapper_call")
        }

    def __setstate__(self, state: dict[str, t.Any]) -> None:
        object.__setattr__(self, "_engine", _pertinax.Engine())
        self.__dict__.update(state)
        self._local = threading.local()

    def __str__(self) -> str:
        return self._name if self._name is not None else "<unknown>"

    def __repr__(self) -> str:
        return (
            f"<{self.__class__.__name__} object at 0x{id(self):x} ("
            f"stop={self.stop}, "
            f"wait={self.wait}, "
            f"sleep={self.sleep}, "
            f"retry={self.retry}, "
            f"before={self.before}, "
            f"after={self.after}, "
            f"name={self._name!r})>"
        )

    @property
    def statistics(self) -> dict[str, t.Any]:
        """Figures of the latest call in this thread: attempt_number, idle_for, start_time and
        delay_since_first_attempt. For a decorated function this is ``fn.statistics``."""
        local = self._local
        statistics = getattr(local, "statistics", unset)
        if statistics is not unset:
            return statistics  # type: ignore[no-any-return]
        call = self.__dict__.get("_wrapper_call")
        if call is not None and call.ran:
            # The decorated function has run: its statistics are this controller's.
            return call.statistics  # type: ignore[no-any-return]
        local.statistics = {}
        return local.statistics  # type: ignore[no-any-return]

    @property
    def iter_state(self) -> IterState:
        local = self._local
        if not hasattr(local, "iter_state"):
            local.iter_state = IterState()
        return local.iter_state  # type: ignore[no-any-return]

    def begin(self) -> None:
        """Resets the statistics for a new call, as tenacity's ``begin()`` does."""
        _pertinax.begin_statistics(self.statistics)

    def wraps(self, f: t.Callable[P, R]) -> _RetryDecorated[P, R]:
        """Wraps ``f`` so that every call of it is retried under this controller."""
        statistics: dict[str, t.Any] = {}
        call = _pertinax.RetryingCall(
            func=f,
            controller=self,
            engine=self._engine_or_new(),
            statistics=statistics,
            native=self._runs_natively(),
        )
        wrapped_f = _sync_wrapper(call)
        functools.update_wrapper(wrapped_f, f, assigned=_WRAPPER_ASSIGNMENTS)
        wrapped_f.retry = self  # type: ignore[attr-defined]
        wrapped_f.retry_with = functools.partial(_retry_with, self, f)  # type: ignore[attr-defined]
        wrapped_f.statistics = statistics  # type: ignore[attr-defined]
        object.__setattr__(self, "_wrapper_call", call)
        return t.cast("_RetryDecorated[P, R]", wrapped_f)

    # The pertinax class whose `__call__` and `iter` the engine's drivers stand in for.
    _ENGINE_DRIVEN: "t.ClassVar[type[BaseRetrying] | None]" = None

    def _runs_natively(self) -> bool:
        # The engine stands in for tenacity's methods only when the class keeps them.
        native = self._ENGINE_DRIVEN
        cls = type(self)
        return (
            native is not None
            and cls.__call__ is native.__call__
            and cls.iter is native.iter
            and cls.copy is BaseRetrying.copy
            and cls.begin is BaseRetrying.begin
        )

    def _call_wrapped(
        self,
        f: t.Callable[..., t.Any],
        statistics: dict[str, t.Any],
        args: tuple[t.Any, ...],
        kwargs: dict[str, t.Any] | None,
    ) -> t.Any:
        # tenacity's own wrapper, for controllers whose class overrides its methods.
        return _driving.call_wrapped(self, f, statistics, args, kwargs)

    def iter(self, retry_state: RetryCallState) -> DoAttempt | DoSleep | t.Any:
        """One decision for ``retry_state``: a ``DoAttempt``, a ``DoSleep``, or the final
        value (a give-up raises)."""
        kind, value = _pertinax.step(self._engine_or_new(), self, retry_state, self.statistics)
        if kind == _pertinax.ATTEMPT:
            return DoAttempt()
        if kind == _pertinax.SLEEP:
            return DoSleep(value)
        return value

    def __iter__(self) -> t.Generator[AttemptManager, None, None]:
        # The engine's own loop: each `next()` decides, sleeps when it must, and hands out
        # the next attempt. A disabled controller, or a class that overrides `iter` or
        # `begin`, gets one of the generators below.
        return _pertinax.iterate(self)

    # The generators `iterate` falls back to (named by the engine).
    def _iterate_disabled(self) -> t.Generator[AttemptManager, None, None]:
        return _driving.iterate_disabled(self)

    def _iterate_with_iter(self) -> t.Generator[AttemptManager, None, None]:
        return _driving.iterate_with_iter(self)

    @abstractmethod
    def __call__(
        self, fn: t.Callable[..., WrappedFnReturnT], *args: t.Any, **kwargs: t.Any
    ) -> WrappedFnReturnT:
        pass


class Retrying(BaseRetrying):
    """Retries a synchronous callable."""

    def __call__(
        self, fn: t.Callable[..., WrappedFnReturnT], *args: t.Any, **kwargs: t.Any
    ) -> WrappedFnReturnT:
        # Disabled, driven through a subclass's iter()/begin(), or run by the engine.
        return _pertinax.call(self, fn, args, kwargs)  # type: ignore[no-any-return]

    def _call_with_iter(
        self, fn: t.Callable[..., t.Any], args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> t.Any:
        # A subclass that overrides iter() is driven through it, as tenacity drives it.
        return _driving.call_with_iter(self, fn, args, kwargs)


Retrying._ENGINE_DRIVEN = Retrying


def _sync_wrapper(call: _pertinax.RetryingCall) -> t.Callable[..., t.Any]:
    # A real function (not the native callable itself): whatever inspects a decorated
    # function (inspect.isfunction, Celery's task signatures, mock's autospec) sees what it
    # sees with tenacity. Its body only hands the arguments to the Rust loop.
    run = call.run

    def wrapped_f(*args: t.Any, **kw: t.Any) -> t.Any:
        return run(args, kw)

    return wrapped_f


def _retry_with(
    controller: BaseRetrying, f: t.Callable[P, R], *args: t.Any, **kwargs: t.Any
) -> _RetryDecorated[P, R]:
    return controller.copy(*args, **kwargs).wraps(f)
