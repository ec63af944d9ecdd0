"""``database_retry`` under Django: reconnect between attempts, never retry inside a transaction
the call does not own, on every database alias.

When the app is ready, every policy that becomes ``"database"`` in :mod:`pertinax.policies`
(from the settings, or from a direct ``register``, ``configure`` or ``reset`` at run time)
passes through :func:`django_policy` (:func:`pertinax.policies.adapt`), so
``pertinax.database_retry``, ``retry(policy="database")`` and ``retry_context(policy=
"database")`` all get this behaviour, also in functions decorated before.

* **Which errors.** Django's database errors are decided here: ``OperationalError`` and
  ``InterfaceError`` (a dropped or closed connection, a deadlock, a lock timeout) are retried;
  on SQLite only "database is locked" and "database table is locked" are, since its other
  operational errors (a missing table) never go away by waiting; ``IntegrityError`` and the
  like never are. Any other exception is decided by the configured policy.
* **Reconnecting.** Before each retry, every open connection that Django marked as having
  failed and that no longer answers is closed (``close_if_unusable_or_obsolete``), on every
  alias; the next attempt opens a new one. Without this, the next attempt reuses the dead
  connection and fails with a different error.
* **Async code.** Django's connections belong to a thread, and the ORM's async API
  (``aget()``, ``acreate()``, ``sync_to_async(fn)()``) runs its queries in asgiref's
  thread-sensitive thread: one per request under ASGI, the thread waiting in
  ``async_to_sync`` when there is one, else a single shared thread. Under an async driver
  the policy's ``before_sleep`` and ``retry`` are awaited, and do their Django work there
  too (``sync_to_async(thread_sensitive=True)``), so the dead connection is closed and the
  atomic blocks are seen where the queries ran. Connections of
  ``sync_to_async(thread_sensitive=False)`` threads are out of reach.
* **Transactions.** The decision to retry is taken after the exception has left every
  ``atomic`` block opened inside the call, so any connection still in an atomic block is in a
  transaction opened *outside* the call (for a coroutine, by the sync code that called it
  through ``async_to_sync``). Retrying there would run the next attempt inside a
  broken transaction, so the error propagates at once, and a warning under
  ``pertinax.django`` says why. Decorate outside the ``atomic`` block to retry the whole
  transaction.
"""

import asyncio
import inspect
import logging
import typing as t

from asgiref.sync import sync_to_async
from django.db import connections
from django.db.utils import DatabaseError, InterfaceError, OperationalError

from pertinax import RetryCallState
from pertinax._utils import is_coroutine_callable
from pertinax.asyncio import AsyncRetrying
from pertinax.retry import retry_base, retry_if_exception_type

if t.TYPE_CHECKING:
    from pertinax.policies import Policy

__all__ = [
    "aclose_failed_connections",
    "close_failed_connections",
    "django_policy",
    "foreign_atomic_aliases",
    "is_db_transient",
]

T = t.TypeVar("T")
POLICY_NAME = "database"
log = logging.getLogger("pertinax.django")

_SQLITE_TRANSIENT = ("database is locked", "database table is locked")


def is_db_transient(exc: BaseException) -> bool:
    """True for Django database errors that another attempt, on a new connection, may cure."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__ or exc
    if type(cause).__module__.startswith("sqlite3"):
        return any(text in str(exc) for text in _SQLITE_TRANSIENT)
    return True


def foreign_atomic_aliases() -> list[str]:
    """Aliases whose connection (in this thread) is inside an ``atomic`` block."""
    return [conn.alias for conn in _initialized() if conn.in_atomic_block]


def close_failed_connections(retry_state: RetryCallState | None = None) -> None:
    """Closes this thread's connections that failed and no longer answer (a ``before_sleep``)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        _close_failed_here()
    # else: Django refuses database work on an event loop's thread, and a sync call made there
    # cannot have used a connection; async drivers use aclose_failed_connections instead.


async def aclose_failed_connections() -> None:
    """Closes the failed connections of the thread where the ORM's async API runs its queries.

    ``Model.objects.aget()`` and ``sync_to_async(fn)()`` run in asgiref's thread-sensitive
    thread (per request under ASGI, or the thread waiting in ``async_to_sync``), and Django's
    connections are per thread: the dead connection lives there, so it is closed there."""
    await _in_orm_thread(_close_failed_here)


async def _in_orm_thread(fn: t.Callable[[], T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        # Another async library (trio): no asgiref threads, and Django, seeing no asyncio
        # loop, lets this thread do database work itself.
        return fn()
    return await sync_to_async(fn, thread_sensitive=True)()


def _close_failed_here() -> None:
    for conn in _initialized():
        if conn.in_atomic_block or conn.connection is None:
            continue
        conn.close_if_unusable_or_obsolete()
        if conn.connection is None:
            log.debug(
                "closed the database connection %r (failed, or past CONN_MAX_AGE) before the "
                "next attempt",
                conn.alias,
            )


def _initialized() -> list[t.Any]:
    try:
        return list(connections.all(initialized_only=True))
    except TypeError:  # Django < 4.1 has no initialized_only
        return list(connections.all())


def _in_async_driver(retry_state: RetryCallState) -> bool:
    return isinstance(retry_state.retry_object, AsyncRetrying)


def _awaited_by_async_drivers(hook: t.Any, async_form: t.Callable[..., t.Any]) -> None:
    # An async driver (like tenacity's) awaits what a hook returns when the hook's `__call__`
    # attribute is a coroutine function, and calls the hook the ordinary way, through its
    # type's `__call__`. The instance's `__call__` is the async form, so async drivers await
    # the hook; the type's `__call__` does the work at once under a sync driver and returns
    # the async form's coroutine under an async one (Django's dual sync/async middleware, and
    # inspect.markcoroutinefunction on Python 3.12+, follow the same idea).
    hook.__dict__["__call__"] = async_form


class retry_outside_atomic(retry_base):  # noqa: N801 - named like tenacity's strategies
    """Retries what ``inner`` retries, unless a connection is in an atomic block (checked in
    the thread that ran the queries: the caller's, or the ORM's async API's)."""

    def __init__(self, inner: t.Any) -> None:
        self.inner = inner
        _awaited_by_async_drivers(self, self._async_call)

    def __call__(self, retry_state: RetryCallState) -> t.Any:
        if _in_async_driver(retry_state):
            return self._async_call(retry_state)
        if not self.inner(retry_state):
            return False
        return self._allowed(retry_state, foreign_atomic_aliases())

    async def _async_call(self, retry_state: RetryCallState) -> bool:
        decision = self.inner(retry_state)
        if inspect.isawaitable(decision):
            decision = await decision
        if not decision:
            return False
        aliases = await _in_orm_thread(foreign_atomic_aliases)
        return self._allowed(retry_state, aliases)

    def _allowed(self, retry_state: RetryCallState, aliases: list[str]) -> bool:
        if aliases:
            outcome = retry_state.outcome
            error = outcome.exception() if outcome is not None and outcome.failed else None
            log.warning(
                "%s: not retrying %s: the database connection %s is inside an atomic block "
                "opened outside the retried call, and a broken transaction cannot be retried "
                "from inside; decorate outside transaction.atomic() to retry the whole "
                "transaction",
                _operation(retry_state),
                f"{type(error).__name__}: {error}" if error is not None else "the result",
                ", ".join(repr(a) for a in aliases),
            )
            return False
        return True

    def __repr__(self) -> str:
        return f"retry_outside_atomic({self.inner!r})"


def _operation(retry_state: RetryCallState) -> str:
    name = getattr(retry_state.retry_object, "_name", None)
    if name:
        return str(name)
    fn = retry_state.fn
    return getattr(fn, "__qualname__", repr(fn)) if fn is not None else "<loop>"


class _chain:  # noqa: N801 - a callback, named like one
    """Calls each hook in turn (a ``before_sleep`` made of several). Under an async driver
    it is awaited: the connections are closed in the ORM's thread, and coroutine hooks are
    awaited."""

    def __init__(self, *hooks: t.Any) -> None:
        self.hooks = tuple(h for h in hooks if h is not None)
        _awaited_by_async_drivers(self, self._async_call)

    def __call__(self, retry_state: RetryCallState) -> t.Any:
        if _in_async_driver(retry_state):
            return self._async_call(retry_state)
        for hook in self.hooks:
            hook(retry_state)
        return None

    async def _async_call(self, retry_state: RetryCallState) -> None:
        for hook in self.hooks:
            if hook is close_failed_connections:
                await aclose_failed_connections()
            elif is_coroutine_callable(hook):
                await hook(retry_state)
            else:
                hook(retry_state)

    def __repr__(self) -> str:
        return f"_chain{self.hooks!r}"


class retry_django_errors(retry_base):  # noqa: N801 - named like tenacity's strategies
    """Decides Django's database errors with :func:`is_db_transient`; anything else as
    ``inner`` does (awaitable when ``inner`` is an async predicate)."""

    def __init__(self, inner: t.Any) -> None:
        self.inner = inner

    def __call__(self, retry_state: RetryCallState) -> t.Any:
        outcome = retry_state.outcome
        if outcome is not None and outcome.failed:
            error = outcome.exception()
            if isinstance(error, DatabaseError):
                return is_db_transient(error)
        if _in_async_driver(retry_state) and is_coroutine_callable(self.inner):
            return self.inner(retry_state)
        return bool(self.inner(retry_state))

    def __repr__(self) -> str:
        return f"retry_django_errors({self.inner!r})"


def django_overrides(policy: "Policy", *, db_errors: bool = True) -> dict[str, t.Any]:
    """The ``retry`` and ``before_sleep`` that give ``policy`` Django's connection and
    transaction handling; with ``db_errors``, Django's database errors are decided by
    :func:`is_db_transient`."""
    kwargs = policy.kwargs
    inner = kwargs.get("retry")
    if isinstance(inner, retry_outside_atomic):
        inner = inner.inner
    if inner is None:
        inner = retry_if_exception_type()
    if db_errors and not isinstance(inner, retry_django_errors):
        inner = retry_django_errors(inner)
    before_sleep = kwargs.get("before_sleep")
    if isinstance(before_sleep, _chain):
        before_sleep = _chain(*(h for h in before_sleep.hooks if h is not close_failed_connections))
    return {
        "retry": retry_outside_atomic(inner),
        "before_sleep": _chain(close_failed_connections, before_sleep),
    }


def django_policy(policy: "Policy") -> "Policy":
    """``policy`` with Django's connection and transaction handling (see the module)."""
    if getattr(policy.kwargs.get("retry"), "__class__", None) is retry_outside_atomic:
        return policy
    return policy.replace(**django_overrides(policy))


def install_database_policy() -> None:
    """Makes the ``"database"`` policy Django-aware, whatever sets it later: settings, or a
    direct :func:`pertinax.policies.register`, ``configure`` or ``reset``."""
    from pertinax import policies

    policies.adapt(POLICY_NAME, django_policy)
