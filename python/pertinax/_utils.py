"""Small helpers shared by the strategy and callback modules (tenacity's ``_utils``)."""

import contextlib
import functools
import inspect
import sys
import typing
from datetime import timedelta

from . import _pertinax

if typing.TYPE_CHECKING:
    # Type checkers know `override` by name; taking it from typing_extensions lets them
    # enforce it on every Python version. It is never imported at run time.
    from typing_extensions import override as override
elif sys.version_info >= (3, 12):
    from typing import override
else:
    _F = typing.TypeVar("_F", bound=typing.Callable[..., typing.Any])

    def override(method: _F) -> _F:
        """Mark ``method`` as overriding a base method (PEP 698 run-time marker only)."""
        # Builtins and some C callables refuse new attributes; the marker is optional.
        with contextlib.suppress(AttributeError, TypeError):
            method.__override__ = True  # type: ignore[attr-defined]
        return method


# Half of the largest Py_ssize_t: tenacity's "no upper bound" for waits, kept as a float.
MAX_WAIT = sys.maxsize / 2

time_unit_type = int | float | timedelta


class LoggerProtocol(typing.Protocol):
    """What the log helpers need from a logger: ``logging``, structlog and loguru all fit."""

    def log(self, level: int, msg: str, *args: typing.Any) -> typing.Any: ...


def find_ordinal(pos_num: int) -> str:
    """English ordinal suffix of ``pos_num``: ``"st"``, ``"nd"``, ``"rd"`` or ``"th"``."""
    # 11, 12 and 13 (and 111, 212, ...) are "th" whatever their last digit says.
    if 11 <= pos_num % 100 <= 13:
        return "th"
    if 0 <= pos_num <= 20:
        return {1: "st", 2: "nd", 3: "rd"}.get(pos_num, "th")
    return find_ordinal(pos_num % 10)


def to_ordinal(pos_num: int) -> str:
    """``pos_num`` followed by its ordinal suffix, e.g. ``"22nd"``."""
    return f"{pos_num}{find_ordinal(pos_num)}"


def get_callback_name(cb: typing.Callable[..., typing.Any]) -> str:
    """Dotted ``module.qualname`` of ``cb``, or ``repr(cb)`` when it has no name."""
    name = getattr(cb, "__qualname__", None)
    if name is None:
        name = getattr(cb, "__name__", None)
    if name is None:
        return repr(cb)
    # Some objects (and Sphinx autodoc stubs) carry an empty or missing __module__.
    module = getattr(cb, "__module__", None)
    return f"{module}.{name}" if module else str(name)


def to_seconds(time_unit: time_unit_type) -> float:
    """A duration as float seconds; a ``timedelta`` goes through ``total_seconds()``."""
    if isinstance(time_unit, timedelta):
        return float(time_unit.total_seconds())
    return float(time_unit)


def _argument_seconds(owner: object, argument: str, value: typing.Any) -> float:
    """`to_seconds` for a strategy's constructor argument, with an error that names it.

    The exception type stays what ``float()`` raised, so code catching tenacity's
    ``TypeError``/``ValueError``/``OverflowError`` keeps working.
    """
    try:
        return to_seconds(value)
    except (TypeError, ValueError, OverflowError) as exc:
        message = (
            f"{type(owner).__name__}() argument {argument!r} must be a number of seconds "
            f"or a datetime.timedelta, got {value!r} ({exc})"
        )
        raise type(exc)(message) from exc


def is_coroutine_callable(call: typing.Callable[..., typing.Any]) -> bool:
    """Whether calling ``call`` returns a coroutine (async functions, partials, async ``__call__``)."""
    if inspect.isclass(call):
        return False
    if inspect.iscoroutinefunction(call):
        return True
    # A partial is judged by the function it wraps (a falsy one falls through, as in tenacity).
    if isinstance(call, functools.partial) and bool(call.func):
        return inspect.iscoroutinefunction(call.func)
    return inspect.iscoroutinefunction(getattr(call, "__call__", None))  # noqa: B004


def wrap_to_async_func(
    call: typing.Callable[..., typing.Any],
) -> typing.Callable[..., typing.Awaitable[typing.Any]]:
    """``call`` itself if it is async, else an async function that calls it synchronously."""
    if is_coroutine_callable(call):
        return call

    async def call_sync(*args: typing.Any, **kwargs: typing.Any) -> typing.Any:
        return call(*args, **kwargs)

    return call_sync


def _setattr_and_notify(self: object, name: str, value: typing.Any) -> None:
    """`__setattr__` of the strategy base classes: set, then tell the engine (which acts
    only if some plan read this object)."""
    object.__setattr__(self, name, value)
    _pertinax.strategy_changed(self)


def _delattr_and_notify(self: object, name: str) -> None:
    """`__delattr__` of the strategy base classes: delete, then tell the engine."""
    object.__delattr__(self, name)
    _pertinax.strategy_changed(self)
