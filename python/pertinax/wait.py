"""Wait strategies: how long to sleep before the next attempt.

The built-in classes only hold their parameters, under tenacity's attribute names; the
Rust engine (``_pertinax.evaluate_wait``) computes the wait from them, drawing jitter from
Python's ``random`` module so ``random.seed`` and patches of ``random`` apply. Subclass
``wait_base`` and define ``__call__`` for a custom strategy.
"""

import abc
import random  # noqa: F401  (tenacity exposes it here; tests patch `wait.random.uniform`)
import typing
import warnings

from . import _pertinax, _utils
from ._utils import override

if typing.TYPE_CHECKING:
    from ._pertinax import RetryCallState


class wait_base(abc.ABC):
    """Base class of wait strategies; ``a + b`` waits for the sum, and so does ``sum()``."""

    # tenacity reads a strategy's attributes on every call: the engine is told when one that
    # a compiled plan has read changes, so the plan is built again.
    __setattr__ = _utils._setattr_and_notify
    __delattr__ = _utils._delattr_and_notify

    @abc.abstractmethod
    def __call__(self, retry_state: "RetryCallState") -> float:
        pass

    def __add__(self, other: "WaitBaseT") -> "wait_combine":
        return wait_combine(self, other)

    # `int`, not `Literal[0]`: typeshed's `sum()` needs `__radd__(int)`.
    def __radd__(self, other: "WaitBaseT | int") -> "wait_combine | wait_base":
        if isinstance(other, int):
            # sum() starts from the int 0: that is the identity. Any other number is
            # refused here, at the `+`, instead of failing later when the wait is called.
            if other == 0:
                return self
            return NotImplemented
        # `plain_callable + strategy`: a function has no `__add__` of its own.
        return wait_combine(self, other)


WaitBaseT = wait_base | typing.Callable[["RetryCallState"], float | int]


class wait_fixed(wait_base):
    """Wait the same ``wait`` seconds (or ``timedelta``) every time."""

    def __init__(self, wait: _utils.time_unit_type) -> None:
        self.wait_fixed = _utils._argument_seconds(self, "wait", wait)

    @override
    def __call__(self, retry_state: "RetryCallState") -> float:
        return _pertinax.evaluate_wait(self, retry_state)


class wait_none(wait_fixed):
    """Do not wait between attempts."""

    def __init__(self) -> None:
        super().__init__(0)


class wait_random(wait_base):
    """Wait a uniformly random time in ``[min, max)``."""

    def __init__(self, min: _utils.time_unit_type = 0, max: _utils.time_unit_type = 1) -> None:
        self.wait_random_min = _utils._argument_seconds(self, "min", min)
        self.wait_random_max = _utils._argument_seconds(self, "max", max)

    @override
    def __call__(self, retry_state: "RetryCallState") -> float:
        return _pertinax.evaluate_wait(self, retry_state)


class wait_combine(wait_base):
    """Wait the sum of what each of ``strategies`` returns."""

    def __init__(self, *strategies: WaitBaseT) -> None:
        self.wait_funcs = strategies

    @override
    def __call__(self, retry_state: "RetryCallState") -> float:
        return _pertinax.evaluate_wait(self, retry_state)


class wait_chain(wait_base):
    """Use the n-th of ``strategies`` for attempt n; the last one repeats once exhausted.

    ``wait_chain(*[wait_fixed(1)] * 3, wait_fixed(5))`` waits 1 s after each of the first
    three attempts and 5 s after every later one.
    """

    def __init__(self, *strategies: WaitBaseT) -> None:
        if not strategies:
            raise ValueError("wait_chain() requires at least one strategy")
        self.strategies = strategies

    @override
    def __call__(self, retry_state: "RetryCallState") -> float:
        return _pertinax.evaluate_wait(self, retry_state)


class wait_exception(wait_base):
    """Wait what ``predicate(exception)`` returns for the exception the attempt raised.

    The hook for server-provided delays, e.g. an HTTP 429 response's ``Retry-After``.
    """

    def __init__(self, predicate: typing.Callable[[BaseException], float]) -> None:
        self.predicate = predicate

    @override
    def __call__(self, retry_state: "RetryCallState") -> float:
        return _pertinax.evaluate_wait(self, retry_state)


class wait_incrementing(wait_base):
    """Wait ``start`` seconds, then ``increment`` more after each attempt, up to ``max``."""

    def __init__(
        self,
        start: _utils.time_unit_type = 0,
        increment: _utils.time_unit_type = 100,
        max: _utils.time_unit_type = _utils.MAX_WAIT,
    ) -> None:
        self.start = _utils._argument_seconds(self, "start", start)
        self.increment = _utils._argument_seconds(self, "increment", increment)
        self.max = _utils._argument_seconds(self, "max", max)

    @override
    def __call__(self, retry_state: "RetryCallState") -> float:
        return _pertinax.evaluate_wait(self, retry_state)


class wait_exponential(wait_base):
    """Exponential backoff: ``multiplier * exp_base ** (n - 1)``, kept within ``[min, max]``.

    Every caller waits the same times; to spread out many clients competing for one
    resource, use ``wait_random_exponential``.
    """

    def __init__(
        self,
        multiplier: float = 1,
        max: _utils.time_unit_type = _utils.MAX_WAIT,
        exp_base: float = 2,
        min: _utils.time_unit_type = 0,
    ) -> None:
        self.multiplier = multiplier
        self.min = _utils._argument_seconds(self, "min", min)
        self.max = _utils._argument_seconds(self, "max", max)
        self.exp_base = exp_base

    @override
    def __call__(self, retry_state: "RetryCallState") -> float:
        return _pertinax.evaluate_wait(self, retry_state)


class wait_random_exponential(wait_exponential):
    """Full-jitter backoff: a uniform random wait between ``min`` and ``wait_exponential``'s.

    Suited to many uncoordinated clients retrying against one shared resource.
    """

    @override
    def __call__(self, retry_state: "RetryCallState") -> float:
        return _pertinax.evaluate_wait(self, retry_state)


class wait_exponential_jitter(wait_base):
    """Exponential backoff plus ``random.uniform(0, jitter)``, kept within ``[min, max]``.

    ``initial`` is the deprecated spelling of ``multiplier``.
    """

    def __init__(
        self,
        initial: float = 1,
        max: _utils.time_unit_type = _utils.MAX_WAIT,
        exp_base: float = 2,
        jitter: _utils.time_unit_type = 1,
        min: _utils.time_unit_type = 0,
        multiplier: float = 1,
    ) -> None:
        if initial != 1 and multiplier != 1:
            raise ValueError(
                "Cannot specify both 'initial' and 'multiplier' — use 'multiplier' only"
            )
        if initial != 1:
            warnings.warn(
                "The 'initial' parameter is deprecated, use 'multiplier' instead",
                DeprecationWarning,
                stacklevel=2,
            )
            multiplier = initial

        self.multiplier = multiplier
        self.max = _utils._argument_seconds(self, "max", max)
        self.exp_base = exp_base
        self.jitter = _utils._argument_seconds(self, "jitter", jitter)
        self.min = _utils._argument_seconds(self, "min", min)

    @override
    def __call__(self, retry_state: "RetryCallState") -> float:
        return _pertinax.evaluate_wait(self, retry_state)
