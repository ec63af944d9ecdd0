"""`Policy`: a named, immutable bundle of `Retrying` arguments."""

import copy
import types
import typing as t

from . import _render
from . import logs as _logs
from .retry import retry_base
from .stop import stop_base
from .wait import wait_base

if t.TYPE_CHECKING:
    from ._retrying import Retrying, _RetryDecorated
    from .asyncio import AsyncRetrying

P = t.ParamSpec("P")
R = t.TypeVar("R")

# Retrying's arguments, in its order; `name` is the policy's own name.
ARGUMENTS = (
    "sleep",
    "stop",
    "wait",
    "retry",
    "before",
    "after",
    "before_sleep",
    "reraise",
    "retry_error_cls",
    "retry_error_callback",
    "enabled",
    "metrics",
    "on_recovered",
    "log_levels",
    "budget",
    "breaker",
)
_CALLABLE = ("sleep", "stop", "retry", "retry_error_cls")
_CALLABLE_OR_NONE = ("before", "after", "before_sleep", "retry_error_callback", "on_recovered")


def _check(policy: str, key: str, value: object) -> None:
    """Raises when ``value`` can never work as ``Retrying``'s ``key``."""

    def fail(expected: str, error: type[Exception] = TypeError) -> t.NoReturn:
        raise error(f"Policy({policy!r}): argument {key!r} must be {expected}, got {value!r}")

    if key not in ARGUMENTS:
        raise TypeError(
            f"Policy({policy!r}): unexpected argument {key!r}={value!r}; "
            f"Retrying takes {', '.join(ARGUMENTS)}"
        )
    if key in _CALLABLE and not callable(value):
        fail("callable")
    if key in _CALLABLE_OR_NONE and value is not None and not callable(value):
        fail("callable or None")
    if key == "wait" and not callable(value) and value is not None:
        # Retrying reads None and 0 as "no wait"; any other number would fail at the sleep.
        if not (isinstance(value, (int, float)) and value == 0):
            fail("a wait strategy, None or 0")
    if key in ("budget", "breaker") and value is not None:
        from ._pertinax import CircuitBreaker, RetryBudget

        if not isinstance(value, RetryBudget if key == "budget" else CircuitBreaker):
            fail(f"a pertinax.{'RetryBudget' if key == 'budget' else 'CircuitBreaker'} or None")
    if key == "log_levels" and value is not None:
        try:
            _logs._level_numbers(value)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"Policy({policy!r}): argument 'log_levels': {exc}") from None


def check_override_names(where: str, overrides: t.Mapping[str, object]) -> None:
    """Raises, naming ``where``, for an override that no controller takes (a typo, or a
    hand-written helper's own option such as ``max_attempts``)."""
    for key, value in overrides.items():
        if key not in ARGUMENTS and key != "name":
            raise TypeError(
                f"{where}: unexpected argument {key!r}={value!r}; "
                f"the overrides are Retrying's arguments: {', '.join(ARGUMENTS)}, name"
            )


def _own(value: t.Any) -> t.Any:
    """A copy of a strategy (and of the strategies inside it) for one controller.

    Every function decorated with a policy would otherwise share its strategy objects, and
    tenacity's idiom ``fn.retry.wait.multiplier = 0`` would change the policy itself, and
    every other function under it."""
    if isinstance(value, tuple):
        return tuple(_own(item) for item in value)
    if not isinstance(value, (stop_base, wait_base, retry_base)):
        return value
    state = getattr(value, "__dict__", None)
    if not state:
        return value  # nothing to change: stop_never, retry_always, ...
    try:
        mine = copy.copy(value)
    except Exception:  # a strategy that cannot be copied stays shared
        return value
    for key, item in list(vars(mine).items()):
        if isinstance(item, types.MethodType) and item.__self__ is value:
            # A predicate bound to the original (retry_if_exception_message's) follows the copy.
            mine.__dict__[key] = types.MethodType(item.__func__, mine)
        else:
            mine.__dict__[key] = _own(item)
    return mine


def own_arguments(kwargs: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """``kwargs`` with each strategy copied, for a new controller."""
    return {key: _own(value) for key, value in kwargs.items()}


class Policy:
    """A named, immutable set of ``Retrying`` arguments: ``@policy`` decorates a function,
    ``policy.retrying()`` gives a controller, and the operation is named after the policy."""

    __slots__ = ("_kwargs", "_name", "__weakref__")

    _name: str
    _kwargs: types.MappingProxyType[str, t.Any]

    def __init__(self, name: str, **retrying_kwargs: t.Any) -> None:
        if not isinstance(name, str):
            raise TypeError(f"Policy(): name must be a str, got {name!r}")
        if not name.strip():
            raise ValueError(f"Policy(): name must not be empty, got {name!r}")
        for key, value in retrying_kwargs.items():
            _check(name, key, value)
        ordered = {key: retrying_kwargs[key] for key in ARGUMENTS if key in retrying_kwargs}
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_kwargs", types.MappingProxyType(ordered))

    @property
    def name(self) -> str:
        """The policy's name: the operation's name in logs and metrics."""
        return self._name

    @property
    def kwargs(self) -> t.Mapping[str, t.Any]:
        """The ``Retrying`` arguments the policy carries (read-only)."""
        return self._kwargs

    def _arguments(self, overrides: dict[str, t.Any]) -> dict[str, t.Any]:
        # The controller gets its own copies of the strategies: changing them through
        # `fn.retry` changes that function only, never the policy.
        return {**own_arguments(self._kwargs), "name": self._name, **overrides}

    def __call__(self, fn: t.Callable[P, R]) -> "_RetryDecorated[P, R]":
        """Decorates ``fn`` (sync or async) as ``@retry(**policy.kwargs)`` would."""
        from ._wrapping import controller_for

        if not callable(fn):
            raise TypeError(f"Policy({self._name!r}): expected a function to decorate, got {fn!r}")
        return controller_for(fn, (), self._arguments({})).wraps(fn)

    def retrying(self, **overrides: t.Any) -> "Retrying":
        """A ``Retrying`` with the policy's arguments, and ``overrides`` on top."""
        from ._retrying import Retrying

        check_override_names(f"Policy({self._name!r}).retrying()", overrides)
        return Retrying(**self._arguments(overrides))

    def async_retrying(self, **overrides: t.Any) -> "AsyncRetrying":
        """An ``AsyncRetrying`` with the policy's arguments, and ``overrides`` on top."""
        from .asyncio import AsyncRetrying

        check_override_names(f"Policy({self._name!r}).async_retrying()", overrides)
        return AsyncRetrying(**self._arguments(overrides))

    def replace(self, **overrides: t.Any) -> "Policy":
        """A new policy: this one's arguments with ``overrides`` (``name=`` too) on top."""
        name = overrides.pop("name", self._name)
        return Policy(name, **{**self._kwargs, **overrides})

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Policy is immutable: use replace({name}=...) for a new one")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Policy is immutable")

    def __repr__(self) -> str:
        parts = [repr(self._name)]
        parts.extend(f"{key}={_render.render(value)}" for key, value in self._kwargs.items())
        return f"Policy({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Policy):
            return NotImplemented
        return (
            self._name == other._name
            and self._kwargs.keys() == other._kwargs.keys()
            and all(_render.same(v, other._kwargs[k]) for k, v in self._kwargs.items())
        )

    def __hash__(self) -> int:
        return hash((self._name, frozenset(self._kwargs)))

    def __reduce__(self) -> tuple[t.Any, ...]:
        return (_restore, (self._name, dict(self._kwargs)))

    def __copy__(self) -> "Policy":
        return self


def _restore(name: str, kwargs: dict[str, t.Any]) -> Policy:
    return Policy(name, **kwargs)
