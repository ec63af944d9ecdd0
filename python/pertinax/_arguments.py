"""A controller's arguments: the marker for "not given" in ``copy()``, what counts as no
wait, and the checks of pertinax's own options (a clear error naming the argument)."""

import typing as t

__all__ = ["check_hook", "check_instance", "first_set", "is_no_wait", "unset"]


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


unset: t.Any = _Unset()


def first_set(first: t.Any, second: t.Any) -> t.Any:
    return second if first is unset else first


def is_no_wait(wait: object) -> bool:
    # `None`, `0` and `sum([])` mean "no wait"; a falsy callable is still a strategy.
    return wait is None or wait == 0


def check_hook(argument: str, value: object) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"{argument} must be callable or None, got {value!r}")


def check_instance(argument: str, value: object, cls: type) -> None:
    if value is not None and not isinstance(value, cls):
        raise TypeError(f"{argument} must be a pertinax.{cls.__name__} or None, got {value!r}")
