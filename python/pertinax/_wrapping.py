"""Which controller retries a function: the one choice `retry()` and policies share."""

import sys
import typing as t

from . import _utils
from ._retrying import BaseRetrying, Retrying


def controller_for(
    f: t.Callable[..., t.Any], args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
) -> BaseRetrying:
    """A new controller for ``f`` built from ``args`` and ``kwargs``: an ``AsyncRetrying``
    for a coroutine function (or an async sleep), a ``TornadoRetrying`` for a tornado
    coroutine, else a ``Retrying``."""
    sleep = kwargs.get("sleep")
    if _utils.is_coroutine_callable(f) or (
        sleep is not None and _utils.is_coroutine_callable(sleep)
    ):
        from .asyncio import AsyncRetrying

        return AsyncRetrying(*args, **kwargs)
    if _is_tornado_coroutine(f):
        from .tornadoweb import TornadoRetrying

        return TornadoRetrying(*args, **kwargs)
    return Retrying(*args, **kwargs)


def _is_tornado_coroutine(f: object) -> bool:
    # `pertinax.tornado` is read at every decoration, so tests can set it to None.
    tornado = getattr(sys.modules.get("pertinax"), "tornado", None)
    if tornado is None:
        return False
    gen = getattr(tornado, "gen", None)
    is_coroutine_function = getattr(gen, "is_coroutine_function", None)
    return bool(is_coroutine_function is not None and is_coroutine_function(f))
