"""Retry predicates: decide whether an attempt's outcome calls for another attempt.

The built-in classes only hold their parameters, under tenacity's attribute names; the
Rust engine (``_pertinax.evaluate_retry``) applies them. ``a | b`` and ``a & b`` combine
predicates, plain functions included, into one flat ``retry_any`` / ``retry_all``.
Subclass ``retry_base`` and define ``__call__`` for a custom predicate.
"""

import abc
import re
import typing

from . import _pertinax, _utils
from ._utils import override

if typing.TYPE_CHECKING:
    from ._pertinax import RetryCallState


class retry_base(abc.ABC):
    """Base class of retry predicates, combinable with ``|`` and ``&``."""

    # tenacity reads a strategy's attributes on every call: the engine is told when one that
    # a compiled plan has read changes, so the plan is built again.
    __setattr__ = _utils._setattr_and_notify
    __delattr__ = _utils._delattr_and_notify

    @abc.abstractmethod
    def __call__(self, retry_state: "RetryCallState") -> bool:
        pass

    def __and__(self, other: "RetryBaseT") -> "retry_all":
        if isinstance(other, retry_base):
            return other.__rand__(self)
        # A plain callable on the right: extend an existing retry_all instead of nesting.
        if isinstance(self, retry_all):
            return retry_all(*self.retries, other)
        return retry_all(self, other)

    def __rand__(self, other: "RetryBaseT") -> "retry_all":
        if isinstance(other, retry_all):
            return retry_all(*other.retries, self)
        return retry_all(other, self)

    def __or__(self, other: "RetryBaseT") -> "retry_any":
        if isinstance(other, retry_base):
            return other.__ror__(self)
        # A plain callable on the right: extend an existing retry_any instead of nesting.
        if isinstance(self, retry_any):
            return retry_any(*self.retries, other)
        return retry_any(self, other)

    def __ror__(self, other: "RetryBaseT") -> "retry_any":
        if isinstance(other, retry_any):
            return retry_any(*other.retries, self)
        return retry_any(other, self)


RetryBaseT = retry_base | typing.Callable[["RetryCallState"], bool]


def _singleton_reduce(
    obj: retry_base, cls: type, name: str, protocol: typing.SupportsIndex
) -> str | tuple[typing.Any, ...]:
    # Unpickle the module's singleton rather than a second instance; subclasses pickle
    # by value as usual.
    if type(obj) is cls:
        return name
    return object.__reduce_ex__(obj, protocol)


class _retry_never(retry_base):
    """Never retry; use the ``retry_never`` instance."""

    @override
    def __call__(self, retry_state: "RetryCallState") -> bool:
        return _pertinax.evaluate_retry(self, retry_state)

    def __reduce_ex__(self, protocol: typing.SupportsIndex) -> str | tuple[typing.Any, ...]:
        return _singleton_reduce(self, _retry_never, "retry_never", protocol)


retry_never = _retry_never()


class _retry_always(retry_base):
    """Always retry; use the ``retry_always`` instance."""

    @override
    def __call__(self, retry_state: "RetryCallState") -> bool:
        return _pertinax.evaluate_retry(self, retry_state)

    def __reduce_ex__(self, protocol: typing.SupportsIndex) -> str | tuple[typing.Any, ...]:
        return _singleton_reduce(self, _retry_always, "retry_always", protocol)


retry_always = _retry_always()


class retry_if_exception(retry_base):
    """Retry when the attempt raised an exception for which ``predicate(exc)`` is true."""

    def __init__(self, predicate: typing.Callable[[BaseException], bool]) -> None:
        self.predicate = predicate

    @override
    def __call__(self, retry_state: "RetryCallState") -> bool:
        return _pertinax.evaluate_retry(self, retry_state)


class retry_if_exception_type(retry_if_exception):
    """Retry when the attempt raised an instance of ``exception_types``."""

    def __init__(
        self,
        exception_types: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    ) -> None:
        self.exception_types = exception_types
        super().__init__(self._check)

    def _check(self, e: BaseException) -> bool:
        return isinstance(e, self.exception_types)


class retry_if_not_exception_type(retry_if_exception):
    """Retry when the attempt raised something that is not an instance of ``exception_types``."""

    def __init__(
        self,
        exception_types: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    ) -> None:
        self.exception_types = exception_types
        super().__init__(self._check)

    def _check(self, e: BaseException) -> bool:
        return not isinstance(e, self.exception_types)


class retry_unless_exception_type(retry_if_exception):
    """Retry every outcome until the attempt raises an instance of ``exception_types``."""

    def __init__(
        self,
        exception_types: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    ) -> None:
        self.exception_types = exception_types
        super().__init__(self._check)

    def _check(self, e: BaseException) -> bool:
        return not isinstance(e, self.exception_types)

    @override
    def __call__(self, retry_state: "RetryCallState") -> bool:
        return _pertinax.evaluate_retry(self, retry_state)


class retry_if_exception_cause_type(retry_base):
    """Retry when some exception in the raised one's ``__cause__`` chain is an ``exception_types``.

    The raised exception itself and ``__context__`` links do not count.
    """

    def __init__(
        self,
        exception_types: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    ) -> None:
        self.exception_cause_types = exception_types

    @override
    def __call__(self, retry_state: "RetryCallState") -> bool:
        return _pertinax.evaluate_retry(self, retry_state)


class retry_if_result(retry_base):
    """Retry when the attempt returned a value for which ``predicate(value)`` is true."""

    def __init__(self, predicate: typing.Callable[[typing.Any], bool]) -> None:
        self.predicate = predicate

    @override
    def __call__(self, retry_state: "RetryCallState") -> bool:
        return _pertinax.evaluate_retry(self, retry_state)


class retry_if_not_result(retry_base):
    """Retry when the attempt returned a value for which ``predicate(value)`` is false."""

    def __init__(self, predicate: typing.Callable[[typing.Any], bool]) -> None:
        self.predicate = predicate

    @override
    def __call__(self, retry_state: "RetryCallState") -> bool:
        return _pertinax.evaluate_retry(self, retry_state)


class retry_if_exception_message(retry_if_exception):
    """Retry when ``str(exc)`` equals ``message``, or when the regex ``match`` matches its start.

    Give exactly one of the two; ``match`` may be a string or a compiled pattern.
    """

    def __init__(
        self,
        message: str | None = None,
        match: str | re.Pattern[str] | None = None,
    ) -> None:
        name = type(self).__name__
        if message is not None and match is not None:
            raise TypeError(f"{name}() takes either 'message' or 'match', not both")
        if message is None and match is None:
            raise TypeError(f"{name}() missing 1 required argument 'message' or 'match'")

        self.message = message
        self.match: re.Pattern[str] | None = None if match is None else _compile(name, match)
        super().__init__(self._check)

    def _check(self, exception: BaseException) -> bool:
        if self.message is not None:
            return self.message == str(exception)
        assert self.match is not None
        return bool(self.match.match(str(exception)))


def _compile(owner: str, match: str | re.Pattern[str]) -> re.Pattern[str]:
    # re.compile's own messages do not say which argument was wrong.
    try:
        return re.compile(match)
    except re.error as exc:
        raise re.error(
            f"{owner}() argument 'match' is not a valid regular expression: {exc.msg}",
            exc.pattern,
            exc.pos,
        ) from exc
    except TypeError as exc:
        raise TypeError(
            f"{owner}() argument 'match' must be a str or a compiled re.Pattern, got {match!r}"
        ) from exc


class retry_if_not_exception_message(retry_if_exception_message):
    """Retry every outcome until the attempt raises an exception whose message matches."""

    @override
    def _check(self, exception: BaseException) -> bool:
        return not super()._check(exception)

    @override
    def __call__(self, retry_state: "RetryCallState") -> bool:
        return _pertinax.evaluate_retry(self, retry_state)


class retry_any(retry_base):
    """Retry when any of ``retries`` says so (checked in order, stopping at the first yes)."""

    def __init__(self, *retries: RetryBaseT) -> None:
        self.retries = retries

    @override
    def __call__(self, retry_state: "RetryCallState") -> bool:
        return _pertinax.evaluate_retry(self, retry_state)

    @override
    def __ror__(self, other: "RetryBaseT") -> "retry_any":
        if isinstance(other, retry_any):
            return retry_any(*other.retries, *self.retries)
        return retry_any(other, *self.retries)


class retry_all(retry_base):
    """Retry when all of ``retries`` say so (checked in order, stopping at the first no)."""

    def __init__(self, *retries: RetryBaseT) -> None:
        self.retries = retries

    @override
    def __call__(self, retry_state: "RetryCallState") -> bool:
        return _pertinax.evaluate_retry(self, retry_state)

    @override
    def __rand__(self, other: "RetryBaseT") -> "retry_all":
        if isinstance(other, retry_all):
            return retry_all(*other.retries, *self.retries)
        return retry_all(other, *self.retries)
