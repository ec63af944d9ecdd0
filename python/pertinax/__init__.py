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
    wait,
)
from . import retry as _retry_module  # noqa: F401
from ._compat import install_as_tenacity as install_as_tenacity
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
from ._retrying import BaseRetrying, Retrying, WrappedFn
from .after import after_log, after_nothing
from .asyncio import AsyncRetrying
from .before import before_log, before_nothing
from .before_sleep import before_sleep_log, before_sleep_nothing
from .nap import sleep, sleep_using_event
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

# pertinax's layers beyond tenacity's API (named policies, transient errors) load on first
# use, so `import pertinax` costs no more than what tenacity's names need.
_LAZY: dict[str, tuple[str, str | None]] = {
    "Policy": ("._policy", "Policy"),
    "api_retry": (".policies", "api_retry"),
    "database_retry": (".policies", "database_retry"),
    "file_retry": (".policies", "file_retry"),
    "policies": (".policies", None),
    "retry_context": ("._context", "retry_context"),
    "retry_if_transient": (".transient", "retry_if_transient"),
    "transient": (".transient", None),
    "wait_retry_after": (".transient", "wait_retry_after"),
}

if _typing.TYPE_CHECKING:
    from . import policies as policies
    from . import transient as transient
    from ._context import retry_context as retry_context
    from ._policy import Policy as Policy
    from .policies import api_retry as api_retry
    from .policies import database_retry as database_retry
    from .policies import file_retry as file_retry
    from .tornadoweb import TornadoRetrying as TornadoRetrying
    from .transient import retry_if_transient as retry_if_transient
    from .transient import wait_retry_after as wait_retry_after
else:

    def __getattr__(name: str) -> object:
        import importlib

        if name in _LAZY:
            module_name, attribute = _LAZY[name]
            module = importlib.import_module(module_name, __name__)
            value = module if attribute is None else getattr(module, attribute)
            globals()[name] = value
            return value
        if tornado is not None and name in ("TornadoRetrying", "tornadoweb"):
            tornadoweb = importlib.import_module(f"{__name__}.tornadoweb")
            return tornadoweb if name == "tornadoweb" else tornadoweb.TornadoRetrying
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
