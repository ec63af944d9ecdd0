"""pertinax: retry anything. A drop-in successor to tenacity with a Rust strategy engine."""

# Submodules are imported before the names that shadow them: after this block
# ``pertinax.retry`` is the decorator, while ``sys.modules["pertinax.retry"]`` stays the
# module, exactly as in tenacity.
from . import (  # noqa: F401
    _utils,
    after,
    before,
    before_sleep,
    logs,
    metrics,
    nap,
    stop,
    transient,
    wait,
)
from . import policies as policies
from . import retry as _retry_module  # noqa: F401
from ._compat import install_as_tenacity as install_as_tenacity
from ._context import retry_context
from ._decorator import retry
from ._outcome import (
    NO_RESULT,
    AttemptManager,
    BaseAction,
    DoAttempt,
    DoSleep,
    Future,
    RetryAction,
    RetryError,
    TryAgain,
)
from ._outcome import (
    IterState as IterState,
)
from ._pertinax import CircuitBreaker, CircuitOpenError, RetryBudget, RetryCallState
from ._policy import Policy
from ._retrying import BaseRetrying, Retrying, WrappedFn
from .after import after_log, after_nothing
from .asyncio import AsyncRetrying
from .before import before_log, before_nothing
from .before_sleep import before_sleep_log, before_sleep_nothing
from .nap import sleep, sleep_using_event
from .policies import api_retry, database_retry, file_retry
from .retry import (
    retry_all,
    retry_always,
    retry_any,
    retry_base,
    retry_if_exception,
    retry_if_exception_cause_type,
    retry_if_exception_message,
    retry_if_exception_type,
    retry_if_not_exception_message,
    retry_if_not_exception_type,
    retry_if_not_result,
    retry_if_result,
    retry_never,
    retry_unless_exception_type,
)
from .stop import (
    stop_after_attempt,
    stop_after_delay,
    stop_all,
    stop_any,
    stop_before_delay,
    stop_never,
    stop_when_event_set,
)
from .transient import retry_if_transient, wait_retry_after
from .wait import (
    wait_chain,
    wait_combine,
    wait_exception,
    wait_exponential,
    wait_exponential_jitter,
    wait_fixed,
    wait_incrementing,
    wait_none,
    wait_random,
    wait_random_exponential,
)
from .wait import wait_random_exponential as wait_full_jitter

__all__ = [
    "NO_RESULT",
    "AsyncRetrying",
    "AttemptManager",
    "BaseAction",
    "BaseRetrying",
    "CircuitBreaker",
    "CircuitOpenError",
    "DoAttempt",
    "DoSleep",
    "Future",
    "Policy",
    "RetryAction",
    "RetryBudget",
    "RetryCallState",
    "RetryError",
    "Retrying",
    "TryAgain",
    "WrappedFn",
    "after_log",
    "after_nothing",
    "api_retry",
    "before_log",
    "before_nothing",
    "before_sleep_log",
    "before_sleep_nothing",
    "database_retry",
    "file_retry",
    "policies",
    "retry",
    "retry_all",
    "retry_always",
    "retry_any",
    "retry_base",
    "retry_context",
    "retry_if_exception",
    "retry_if_exception_cause_type",
    "retry_if_exception_message",
    "retry_if_exception_type",
    "retry_if_not_exception_message",
    "retry_if_not_exception_type",
    "retry_if_not_result",
    "retry_if_result",
    "retry_if_transient",
    "retry_never",
    "retry_unless_exception_type",
    "sleep",
    "sleep_using_event",
    "stop_after_attempt",
    "stop_after_delay",
    "stop_all",
    "stop_any",
    "stop_before_delay",
    "stop_never",
    "stop_when_event_set",
    "wait_chain",
    "wait_combine",
    "wait_exception",
    "wait_exponential",
    "wait_exponential_jitter",
    "wait_fixed",
    "wait_full_jitter",
    "wait_incrementing",
    "wait_none",
    "wait_random",
    "wait_random_exponential",
    "wait_retry_after",
]

# `tornado` is a module global, as in tenacity: `@retry` reads it at every decoration, so
# tests can set it to None. The tornadoweb module (and TornadoRetrying) is imported on first
# use, because tornado.gen pulls in asyncio, which costs more than all of pertinax.
import typing as _typing

try:
    import tornado
except ImportError:
    tornado = None  # type: ignore[assignment]  # a module global that may be None, as in tenacity

if _typing.TYPE_CHECKING:
    from .tornadoweb import TornadoRetrying as TornadoRetrying
elif tornado is not None:

    def __getattr__(name: str) -> object:
        if name in ("TornadoRetrying", "tornadoweb"):
            import importlib

            tornadoweb = importlib.import_module(f"{__name__}.tornadoweb")
            return tornadoweb if name == "tornadoweb" else tornadoweb.TornadoRetrying
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
