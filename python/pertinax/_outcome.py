"""The values one attempt produces and the controller passes around.

``Future`` holds an attempt's result or exception, ``RetryError`` reports giving up, the
action classes are what the decision step returns, and ``AttemptManager`` is the context
manager that iterator mode (``for attempt in Retrying(...)``) yields.

Unlike tenacity, ``Future`` and ``RetryError`` pickle, so a ``RetryError`` can cross a
process boundary (Celery, multiprocessing, joblib).
"""

import dataclasses
import typing
from concurrent import futures

from . import _pertinax
from ._utils import override

if typing.TYPE_CHECKING:
    from ._pertinax import RetryCallState

NO_RESULT = object()


class TryAgain(Exception):
    """Raise inside an attempt to retry it, whatever the retry predicate says."""


class DoAttempt:
    """Decision: run the next attempt."""


class DoSleep(float):
    """Decision: sleep this many seconds, then attempt again."""


class BaseAction:
    """A decision with a constructor-shaped repr built from ``REPR_FIELDS``.

    Subclasses set ``REPR_FIELDS`` (the attribute names shown by ``repr``) and ``NAME``.
    """

    REPR_FIELDS: typing.ClassVar[typing.Sequence[str]] = ()
    NAME: typing.ClassVar[str | None] = None

    @override
    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.REPR_FIELDS)
        return f"{type(self).__name__}({fields})"

    @override
    def __str__(self) -> str:
        return repr(self)


class RetryAction(BaseAction):
    """Decision recorded on the state before sleeping: retry after ``sleep`` seconds."""

    REPR_FIELDS: typing.ClassVar[typing.Sequence[str]] = ("sleep",)
    NAME: typing.ClassVar[str | None] = "retry"

    def __init__(self, sleep: typing.SupportsFloat) -> None:
        self.sleep = float(sleep)


# The attributes concurrent.futures.Future.__init__ creates; everything else in a
# Future's __dict__ (attempt_number, a subclass's own fields) is carried through pickle.
_STDLIB_FUTURE_FIELDS = frozenset(vars(futures.Future()))


def _rebuild_future(
    cls: "type[Future]", attempt_number: int, value: typing.Any, has_exception: bool
) -> "Future":
    # Bypass the subclass __init__ like pickle does for any object; only the stdlib
    # part must run, because it creates the condition variable that cannot be pickled.
    fut = cls.__new__(cls)
    futures.Future.__init__(fut)
    fut.attempt_number = attempt_number
    if has_exception:
        fut.set_exception(value)
    else:
        fut.set_result(value)
    return fut


class Future(futures.Future[typing.Any]):
    """The outcome of one attempt: a finished future tagged with its attempt number."""

    def __init__(self, attempt_number: int) -> None:
        super().__init__()
        self.attempt_number = attempt_number

    @property
    def failed(self) -> bool:
        """Whether the attempt raised."""
        return self.exception() is not None

    @classmethod
    def construct(cls, attempt_number: int, value: typing.Any, has_exception: bool) -> "Future":
        """A finished future holding ``value`` as its exception or as its result."""
        fut = cls(attempt_number)
        if has_exception:
            fut.set_exception(value)
        else:
            fut.set_result(value)
        return fut

    @override
    def __reduce__(self) -> tuple[typing.Any, ...]:
        # The stdlib future holds a lock; rebuild from the outcome instead.
        if not self.done() or self.cancelled():
            raise TypeError(
                f"cannot pickle {type(self).__name__} for attempt {self.attempt_number!r}: "
                "only a finished future (one holding a result or an exception) can be pickled"
            )
        exception = self.exception()
        has_exception = exception is not None
        value = exception if has_exception else self.result()
        extra = {k: v for k, v in vars(self).items() if k not in _STDLIB_FUTURE_FIELDS}
        extra.pop("attempt_number", None)
        args = (type(self), self.attempt_number, value, has_exception)
        return (_rebuild_future, args, extra or None)


def _rebuild_exception(cls: type[BaseException], args: tuple[typing.Any, ...]) -> BaseException:
    # BaseException.__new__ stores args without running __init__, so a subclass whose
    # __init__ takes different parameters still unpickles; its attributes come back
    # through BaseException.__setstate__.
    return cls.__new__(cls, *args)


class RetryError(Exception):
    """Raised when the controller gives up; ``last_attempt`` is the final ``Future``."""

    def __init__(self, last_attempt: Future) -> None:
        self.last_attempt = last_attempt
        super().__init__(last_attempt)

    def reraise(self) -> typing.NoReturn:
        """Raise what the last attempt raised, or this error if the attempt returned."""
        fut = self.last_attempt
        try:
            if fut.failed:
                exc = fut.exception()
                # A TryAgain raised while handling an error stands for that error: surface it.
                if isinstance(exc, TryAgain):
                    cause = exc.__cause__ or exc.__context__
                    if cause is not None:
                        raise cause.with_traceback(cause.__traceback__) from None
                raise fut.result()
            raise self
        finally:
            # The raised exception's traceback holds this frame: drop the frame's references
            # (to this error, its future, the exception) so that no reference cycle is left.
            self = fut = exc = cause = None  # type: ignore[assignment]

    @override
    def __str__(self) -> str:
        return f"{type(self).__name__}[{self.last_attempt}]"

    @override
    def __reduce__(self) -> tuple[typing.Any, ...]:
        state = dict(vars(self))
        # Keep the "direct cause" link the controller sets (raise ... from last_exc).
        if self.__cause__ is not None:
            state["__cause__"] = self.__cause__
        if self.__suppress_context__:
            state["__suppress_context__"] = True
        return (_rebuild_exception, (type(self), self.args), state)


# The context manager of iterator mode. Native, so that a loop whose callbacks need no
# `RetryCallState` makes one only if the body asks for `attempt.retry_state`.
AttemptManager = _pertinax.AttemptManager


@dataclasses.dataclass(slots=True)
class IterState:
    """Per-thread scratch state of one decision step."""

    actions: list[typing.Callable[["RetryCallState"], typing.Any]] = dataclasses.field(
        default_factory=list
    )
    retry_run_result: bool = False
    stop_run_result: bool = False
    is_explicit_retry: bool = False

    def reset(self) -> None:
        """Restore every field to its default."""
        self.actions = []
        self.retry_run_result = False
        self.stop_run_result = False
        self.is_explicit_retry = False
