"""Which failures are worth another attempt, and how long a server asked us to wait.

``is_transient(exc)`` classifies an exception: network failures, timeouts, throttling and
server faults are transient; a client error (any other 4xx), bad credentials, a missing file
or bucket, and a constraint violation are not. ``retry_if_transient()`` retries exactly
those, and ``wait_retry_after()`` honours a ``Retry-After`` the server sent.

Classification never imports a framework: it recognises the exceptions of the libraries
that are already loaded (requests, urllib3, httpx, aiohttp, botocore, Django, psycopg,
psycopg2, sqlite3, redis-py) and the standard library's own.

The exception decides first. When neither a registered rule nor a built-in one has an
opinion about it (a ``ValueError``, an application's own error class), its ``__cause__``
decides (``raise AppError(...) from exc``), or, without one, the exception it was raised
while handling (``__context__``), unless that was suppressed with ``from None``. So an
application error wrapping a timeout is transient, while an ``IntegrityError`` caused by
anything stays permanent. Nothing with an opinion anywhere in the chain means not transient.
An exception group (``asyncio.TaskGroup``) is transient when every exception in it is.
"""

import builtins
import contextlib
import datetime
import logging
import math
import threading
import typing

from . import _render, _transient_rules, _utils
from .retry import retry_if_exception
from .wait import wait_base, wait_exponential

if typing.TYPE_CHECKING:
    from ._pertinax import RetryCallState
    from .wait import WaitBaseT

__all__ = [
    "Rule",
    "is_transient",
    "parse_retry_after",
    "register",
    "registered",
    "retry_if_transient",
    "unregister",
    "wait_retry_after",
]

Rule = typing.Callable[[BaseException], typing.Optional[bool]]  # noqa: UP045

_log = logging.getLogger("pertinax.transient")

# Copy-on-write, newest first: `is_transient` reads the tuple without a lock.
_user_rules: tuple[Rule, ...] = ()
_lock = threading.Lock()

# Python 3.11's exception groups; nothing matches an empty tuple on 3.10.
_GROUP: typing.Any = getattr(builtins, "BaseExceptionGroup", ())

# Deep enough for any real wrapping; a bound so a pathological chain cannot spin.
_MAX_CHAIN = 32


def register(rule: Rule) -> Rule:
    """Add a rule: ``rule(exc)`` returns True (transient), False (never) or None (no opinion).

    Rules registered later are asked first, before the built-in ones. Returns ``rule``, so
    this works as a decorator.
    """
    global _user_rules
    if not callable(rule):
        raise TypeError(f"register() argument 'rule' must be callable, got {rule!r}")
    with _lock:
        _user_rules = (rule, *(r for r in _user_rules if r is not rule))
    return rule


def unregister(rule: Rule) -> None:
    """Remove a rule added with ``register``; a rule that is not registered is an error."""
    global _user_rules
    with _lock:
        if not any(r is rule for r in _user_rules):
            raise ValueError(f"unregister() argument 'rule' is not registered: {rule!r}")
        _user_rules = tuple(r for r in _user_rules if r is not rule)


@contextlib.contextmanager
def registered(rule: Rule) -> typing.Iterator[Rule]:
    """Register ``rule`` for the duration of a ``with`` block (tests, mostly); a rule that
    was registered before stays registered after it."""
    if not callable(rule):
        raise TypeError(f"registered() argument 'rule' must be callable, got {rule!r}")
    already = any(r is rule for r in _user_rules)
    register(rule)
    try:
        yield rule
    finally:
        if not already:
            with contextlib.suppress(ValueError):
                unregister(rule)


def _ask(rule: Rule, exc: BaseException) -> bool | None:
    try:
        verdict = rule(exc)
    except Exception:
        # A broken rule must not replace the user's exception with its own.
        _log.warning("transient rule %r failed on %r; ignoring it", rule, exc, exc_info=True)
        return None
    return None if verdict is None else bool(verdict)


def _verdict(exc: BaseException) -> bool | None:
    for rule in _user_rules:
        verdict = _ask(rule, exc)
        if verdict is not None:
            return verdict
    if isinstance(exc, _GROUP) and exc.exceptions:
        # Several concurrent failures (asyncio.TaskGroup): worth another attempt only if
        # every one of them is.
        return all(is_transient(e) for e in exc.exceptions)
    return _transient_rules._one(exc)


def _chain(exc: BaseException) -> typing.Iterator[BaseException]:
    """``exc``, then what caused it (or what it was raised while handling), and so on."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < _MAX_CHAIN:
        seen.add(id(current))
        yield current
        nxt = current.__cause__
        if nxt is None and not current.__suppress_context__:
            nxt = current.__context__
        current = nxt


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure that another attempt may not meet."""
    if not isinstance(exc, BaseException):
        raise TypeError(f"is_transient() argument 'exc' must be an exception, got {exc!r}")
    verdict = _verdict(exc)
    if verdict is not None:
        return verdict
    for link in _chain(exc):  # then what caused it, and so on
        if link is not exc:
            verdict = _verdict(link)
            if verdict is not None:
                return verdict
    return False


class retry_if_transient(retry_if_exception):
    """Retry when the attempt raised a transient error (see ``is_transient``)."""

    # The engine compiles an exact instance into its native "exception, then predicate"
    # test, so a successful attempt never reaches Python here.
    def __init__(self) -> None:
        super().__init__(is_transient)

    def __repr__(self) -> str:
        return "retry_if_transient()"

    def __reduce__(self) -> "tuple[type[retry_if_transient], tuple[()]]":
        return (type(self), ())


# --- Retry-After ----------------------------------------------------------------------------


def _header(headers: object) -> object:
    """The Retry-After value of any headers mapping, whatever its key's case."""
    if headers is None:
        return None
    getter = getattr(headers, "get", None)
    if getter is None:
        return None
    for key in ("Retry-After", "retry-after"):
        value = getter(key)
        if value is not None:
            return value
    # A plain dict keeps its own spelling.
    if isinstance(headers, dict):
        for key, value in headers.items():
            if isinstance(key, str) and key.lower() == "retry-after":
                return value
    return None


def _retry_after_of(exc: BaseException) -> object:
    """The raw Retry-After this exception carries, or None."""
    value = getattr(exc, "retry_after", None)
    if value is not None:
        return value
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        # botocore's ClientError: headers as the service sent them, keys lowercased.
        metadata = response.get("ResponseMetadata")
        if isinstance(metadata, dict):
            return _header(metadata.get("HTTPHeaders"))
        return None
    if response is not None:
        found = _header(getattr(response, "headers", None))  # requests, httpx, urllib3
        if found is not None:
            return found
    return _header(getattr(exc, "headers", None))  # aiohttp, urllib.error.HTTPError


def parse_retry_after(value: object, *, now: datetime.datetime | None = None) -> float | None:
    """Seconds to wait for a Retry-After value (delta-seconds, an HTTP date, a number, a
    ``timedelta`` or a ``datetime``); a date in the past gives 0, an unreadable value None."""
    if isinstance(value, datetime.timedelta):
        return max(value.total_seconds(), 0.0)
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    when: datetime.datetime | None
    if isinstance(value, datetime.datetime):
        when = value
    elif isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return float(int(text))
        # Imported here: only a failure carrying an HTTP date needs it, and `import
        # pertinax` stays as cheap as it was.
        import email.utils

        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    else:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)  # HTTP dates are GMT
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return max((when - now).total_seconds(), 0.0)


class wait_retry_after(wait_base):
    """Wait as long as the failed attempt's ``Retry-After`` says, at most ``max`` seconds;
    without one (or with one that cannot be read), wait as ``fallback`` says."""

    def __init__(
        self,
        *,
        fallback: "WaitBaseT" = wait_exponential(multiplier=1, min=1, max=30),
        max: _utils.time_unit_type = 30.0,
    ) -> None:
        if not callable(fallback):
            raise TypeError(
                f"wait_retry_after() argument 'fallback' must be a wait strategy, got {fallback!r}"
            )
        seconds = _utils._argument_seconds(self, "max", max)
        if not seconds >= 0:
            raise ValueError(f"wait_retry_after() argument 'max' must be >= 0, got {max!r}")
        self.fallback = fallback
        self.max = seconds

    # The engine compiles an exact instance natively (when the fallback is a built-in wait):
    # `_seconds` is then called on failed attempts only, and a first-try success never
    # builds a RetryCallState.
    def __call__(self, retry_state: "RetryCallState") -> float:
        outcome = retry_state.outcome
        if outcome is not None and outcome.failed:
            exc = outcome.exception()
            if exc is not None:
                seconds = self._seconds(exc)
                if seconds is not None:
                    return seconds
        # The fallback's own value, unchanged (an int stays an int), as the engine's native
        # wait_retry_after and tenacity's wait_chain hand it on: idle_for shows the type.
        return self.fallback(retry_state)

    def _seconds(self, exc: BaseException) -> float | None:
        """The capped Retry-After of ``exc`` (or what caused it); None to ask the fallback."""
        try:
            for link in _chain(exc):
                raw = _retry_after_of(link)
                if raw is not None:
                    seconds = parse_retry_after(raw)
                    return None if seconds is None else min(seconds, self.max)
        except Exception:
            # Odd headers objects must not replace the user's exception with ours.
            _log.warning("could not read Retry-After from %r", exc, exc_info=True)
        return None

    def __repr__(self) -> str:
        return f"wait_retry_after(fallback={_render.render(self.fallback)}, max={_render.render(self.max)})"

    def __reduce__(self) -> tuple[typing.Any, ...]:
        return (_rebuild_wait_retry_after, (self.fallback, self.max))


def _rebuild_wait_retry_after(fallback: "WaitBaseT", max: float) -> wait_retry_after:
    return wait_retry_after(fallback=fallback, max=max)
