"""Callables of every shape (functions, methods, classes, partials, builtins, mocks...), to
check the names the log helpers and ``get_callback_name`` give them; and ``parameters``, a
signature compared across the two libraries."""

from __future__ import annotations

import functools
import inspect
import typing
from unittest import mock


def module_function() -> None:
    pass


class Service:
    def method(self) -> None:
        pass

    @staticmethod
    def static() -> None:
        pass

    @classmethod
    def klass(cls) -> None:
        pass

    class Inner:
        def deep(self) -> None:
            pass


class CallableThing:
    def __call__(self) -> None:
        pass


class NamedOnly:
    """Has ``__name__`` but no ``__qualname__``."""

    def __init__(self) -> None:
        self.__name__ = "named_only"

    def __getattribute__(self, name: str) -> typing.Any:
        if name == "__qualname__":
            raise AttributeError(name)
        return super().__getattribute__(name)


def no_module() -> None:
    pass


# Sphinx and some wrappers leave __module__ empty; the name is then used alone.
no_module.__module__ = None  # type: ignore[assignment]


class Named:
    """A stand-in controller: a state without ``fn`` reports ``str(retry_object)``."""

    def __str__(self) -> str:
        return "nightly-job"


def _nested() -> typing.Any:
    def inner() -> None:
        pass

    return inner


CALLBACKS = [
    module_function,
    lambda: None,
    Service().method,
    Service.method,
    Service.static,
    Service.klass,
    Service.Inner.deep,
    Service,
    _nested(),
    print,
    len,
    functools.partial(module_function),
    CallableThing(),
    NamedOnly(),
    no_module,
    mock.Mock(),
    str.upper,
    "".join,
]


def parameters(fn: typing.Any) -> list[tuple[str, typing.Any, typing.Any]]:
    """Names, kinds and defaults of ``fn``'s parameters (annotations are spelled differently)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]
