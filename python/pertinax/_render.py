"""Strategies as the expressions that build them, and compared by value.

tenacity's strategy classes have no ``__repr__`` and compare by identity; pertinax keeps that
(nothing a tenacity user observes changes). A policy still needs a repr shaped like its
constructor and equality by value, so this module reads the built-in classes' attributes,
the same ones the engine compiles, and falls back to ``repr()`` and ``==`` for anything else.
"""

import importlib
import typing as t

from . import _utils
from . import stop as _stop
from . import wait as _wait

if t.TYPE_CHECKING:
    from . import retry as _retry
else:
    # The module, not `pertinax.retry` the attribute: once the package is initialised that
    # name is the decorator, exactly as in tenacity.
    _retry = importlib.import_module(".retry", __package__)

# One constructor argument: its name (None: positional), the attribute holding it, and its
# default (left out of the rendering when equal), or _VARARGS for `*args`.
_Arg = tuple[str | None, str, object]
_VARARGS = object()
_REQUIRED = object()

_MAX = _utils.MAX_WAIT


def _table() -> dict[type, tuple[str, tuple[_Arg, ...]]]:
    exponential: tuple[_Arg, ...] = (
        ("multiplier", "multiplier", 1),
        ("min", "min", 0),
        ("max", "max", _MAX),
        ("exp_base", "exp_base", 2),
    )
    return {
        _stop.stop_after_attempt: (
            "stop_after_attempt",
            ((None, "max_attempt_number", _REQUIRED),),
        ),
        _stop.stop_after_delay: ("stop_after_delay", ((None, "max_delay", _REQUIRED),)),
        _stop.stop_before_delay: ("stop_before_delay", ((None, "max_delay", _REQUIRED),)),
        _stop.stop_when_event_set: ("stop_when_event_set", ((None, "event", _REQUIRED),)),
        _stop.stop_any: ("stop_any", ((None, "stops", _VARARGS),)),
        _stop.stop_all: ("stop_all", ((None, "stops", _VARARGS),)),
        _wait.wait_none: ("wait_none", ()),
        _wait.wait_fixed: ("wait_fixed", ((None, "wait_fixed", _REQUIRED),)),
        _wait.wait_random: (
            "wait_random",
            (("min", "wait_random_min", 0), ("max", "wait_random_max", 1)),
        ),
        _wait.wait_incrementing: (
            "wait_incrementing",
            (("start", "start", 0), ("increment", "increment", 100), ("max", "max", _MAX)),
        ),
        _wait.wait_exponential: ("wait_exponential", exponential),
        _wait.wait_random_exponential: ("wait_random_exponential", exponential),
        _wait.wait_exponential_jitter: (
            "wait_exponential_jitter",
            (*exponential, ("jitter", "jitter", 1)),
        ),
        _wait.wait_combine: ("wait_combine", ((None, "wait_funcs", _VARARGS),)),
        _wait.wait_chain: ("wait_chain", ((None, "strategies", _VARARGS),)),
        _wait.wait_exception: ("wait_exception", ((None, "predicate", _REQUIRED),)),
        _retry.retry_if_exception_type: (
            "retry_if_exception_type",
            ((None, "exception_types", Exception),),
        ),
        _retry.retry_if_not_exception_type: (
            "retry_if_not_exception_type",
            ((None, "exception_types", Exception),),
        ),
        _retry.retry_unless_exception_type: (
            "retry_unless_exception_type",
            ((None, "exception_types", Exception),),
        ),
        _retry.retry_if_exception_cause_type: (
            "retry_if_exception_cause_type",
            ((None, "exception_cause_types", Exception),),
        ),
        _retry.retry_if_exception: ("retry_if_exception", ((None, "predicate", _REQUIRED),)),
        _retry.retry_if_result: ("retry_if_result", ((None, "predicate", _REQUIRED),)),
        _retry.retry_if_not_result: ("retry_if_not_result", ((None, "predicate", _REQUIRED),)),
        _retry.retry_any: ("retry_any", ((None, "retries", _VARARGS),)),
        _retry.retry_all: ("retry_all", ((None, "retries", _VARARGS),)),
    }


_TABLE: dict[type, tuple[str, tuple[_Arg, ...]]] | None = None

# Module-level singletons, rendered by their name.
_SINGLETONS: dict[int, str] = {}


def _lookup(obj: object) -> tuple[str, tuple[_Arg, ...]] | None:
    global _TABLE
    if _TABLE is None:
        _TABLE = _table()
        for name, value in (
            ("stop_never", _stop.stop_never),
            ("retry_always", _retry.retry_always),
            ("retry_never", _retry.retry_never),
        ):
            _SINGLETONS[id(value)] = name
    # Exact classes only: a subclass may compute its attributes or change their meaning.
    return _TABLE.get(type(obj))


def _message_args(obj: _retry.retry_if_exception_message) -> str:
    if obj.message is not None:
        return f"message={obj.message!r}"
    match = obj.match
    return f"match={match.pattern if match is not None else None!r}"


def render(value: object) -> str:
    """``value`` as the expression that builds it, where pertinax knows how."""
    entry = _lookup(value)
    name = _SINGLETONS.get(id(value))
    if name is not None:
        return name
    if type(value) in (
        _retry.retry_if_exception_message,
        _retry.retry_if_not_exception_message,
    ):
        message = t.cast("_retry.retry_if_exception_message", value)
        return f"{type(value).__name__}({_message_args(message)})"
    if type(value) is float:
        return _number(value)
    if entry is None:
        fallback = getattr(value, "fallback", None)
        if type(value).__name__ == "wait_retry_after" and fallback is not None:
            # The transient module's own repr renders its fallback with repr().
            cap = render(value.max)  # type: ignore[attr-defined]
            return f"wait_retry_after(fallback={render(fallback)}, max={cap})"
        if isinstance(value, tuple):
            inner = ", ".join(render(item) for item in value)
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        if isinstance(value, type):
            return value.__qualname__ if value.__module__ == "builtins" else _dotted(value)
        return repr(value)
    name, args = entry
    parts: list[str] = []
    for keyword, attr, default in args:
        current = getattr(value, attr)
        if default is _VARARGS:
            parts.extend(render(item) for item in current)
        elif keyword is None:
            if default is _REQUIRED or not same(current, default):
                parts.append(render(current))
        elif not same(current, default):
            parts.append(f"{keyword}={render(current)}")
    return f"{name}({', '.join(parts)})"


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(value: float) -> str:
    # Seconds arguments are stored as floats: 30.0 reads better as the 30 it was given as.
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _dotted(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def same(a: object, b: object) -> bool:
    """``a == b``, where built-in strategies compare by their settings, not identity."""
    if a is b:
        return True
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple):
        return len(a) == len(t.cast("tuple[object, ...]", b)) and all(
            same(x, y) for x, y in zip(a, t.cast("tuple[object, ...]", b), strict=True)
        )
    if _by_attributes(a):
        return _same_attrs(a, b)
    try:
        return bool(a == b)
    except Exception:  # an __eq__ that fails means "not the same"
        return False


def _by_attributes(a: object) -> bool:
    # Built-in strategies, and any strategy class that keeps object's identity __eq__.
    if _lookup(a) is not None:
        return True
    strategy = isinstance(a, (_stop.stop_base, _wait.wait_base, _retry.retry_base))
    return strategy and type(a).__eq__ is object.__eq__ and hasattr(a, "__dict__")


def _same_attrs(a: object, b: object) -> bool:
    da, db = vars(a), vars(b)
    return da.keys() == db.keys() and all(_same_attr(da[key], db[key]) for key in da)


def _same_attr(x: object, y: object) -> bool:
    func_x, func_y = getattr(x, "__func__", None), getattr(y, "__func__", None)
    if func_x is not None and func_x is func_y:
        return True
    return same(x, y)
