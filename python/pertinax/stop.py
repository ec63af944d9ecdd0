"""Stop strategies: decide, after a retryable attempt, whether to give up.

The built-in classes only hold their parameters, under tenacity's attribute names; the
decision itself is made by the Rust engine (``_pertinax.evaluate_stop``), which reads
those attributes. Subclass ``stop_base`` and define ``__call__`` for a custom strategy.
"""

import abc
import typing

from . import _pertinax, _utils
from ._utils import override

if typing.TYPE_CHECKING:
    import threading

    from ._pertinax import RetryCallState


class stop_base(abc.ABC):
    """Base class of stop strategies; ``a | b`` stops if either does, ``a & b`` if both do."""

    # tenacity reads a strategy's attributes on every call: the engine is told when one that
    # a compiled plan has read changes, so the plan is built again.
    __setattr__ = _utils._setattr_and_notify
    __delattr__ = _utils._delattr_and_notify

    @abc.abstractmethod
    def __call__(self, retry_state: "RetryCallState") -> bool:
        pass

    def __and__(self, other: "stop_base") -> "stop_all":
        return stop_all(self, other)

    def __or__(self, other: "stop_base") -> "stop_any":
        return stop_any(self, other)


StopBaseT = stop_base | typing.Callable[["RetryCallState"], bool]


class stop_any(stop_base):
    """Stop as soon as one of ``stops`` says so (checked in order)."""

    def __init__(self, *stops: StopBaseT) -> None:
        self.stops = stops

    @override
    def __call__(self, retry_state: "RetryCallState") -> bool:
        return _pertinax.evaluate_stop(self, retry_state)


class stop_all(stop_base):
    """Stop only when every one of ``stops`` says so (checked in order)."""

    def __init__(self, *stops: StopBaseT) -> None:
        self.stops = stops

    @override
    def __call__(self, retry_state: "RetryCallState") -> bool:
        return _pertinax.evaluate_stop(self, retry_state)


class _stop_never(stop_base):
    """Never stop; use the ``stop_never`` instance."""

    @override
    def __call__(self, retry_state: "RetryCallState") -> bool:
        return _pertinax.evaluate_stop(self, retry_state)

    def __reduce_ex__(self, protocol: typing.SupportsIndex) -> str | tuple[typing.Any, ...]:
        # Unpickle to the module's singleton rather than a second instance.
        if type(self) is _stop_never:
            return "stop_never"
        return super().__reduce_ex__(protocol)


stop_never = _stop_never()


class stop_when_event_set(stop_base):
    """Stop once ``event`` (a ``threading.Event``) is set."""

    def __init__(self, event: "threading.Event") -> None:
        self.event = event

    @override
    def __call__(self, retry_state: "RetryCallState") -> bool:
        return _pertinax.evaluate_stop(self, retry_state)


class stop_after_attempt(stop_base):
    """Stop once ``max_attempt_number`` attempts have been made."""

    def __init__(self, max_attempt_number: int) -> None:
        self.max_attempt_number = max_attempt_number

    @override
    def __call__(self, retry_state: "RetryCallState") -> bool:
        return _pertinax.evaluate_stop(self, retry_state)


class stop_after_delay(stop_base):
    """Stop once ``max_delay`` seconds (or a ``timedelta``) have passed since the first attempt.

    The check happens after each attempt, so the whole run can overshoot ``max_delay``
    by one attempt and one sleep; ``stop_before_delay`` does not overshoot.
    """

    def __init__(self, max_delay: _utils.time_unit_type) -> None:
        self.max_delay = _utils._argument_seconds(self, "max_delay", max_delay)

    @override
    def __call__(self, retry_state: "RetryCallState") -> bool:
        return _pertinax.evaluate_stop(self, retry_state)


class stop_before_delay(stop_base):
    """Stop when the upcoming sleep would end past ``max_delay`` since the first attempt."""

    def __init__(self, max_delay: _utils.time_unit_type) -> None:
        self.max_delay = _utils._argument_seconds(self, "max_delay", max_delay)

    @override
    def __call__(self, retry_state: "RetryCallState") -> bool:
        return _pertinax.evaluate_stop(self, retry_state)
