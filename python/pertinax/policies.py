"""Named retry policies: the built-in presets, and the registry that settings configure.

``API``, ``DATABASE`` and ``FILE_UPLOAD`` carry the numbers teams use for external APIs,
databases and file uploads, and retry only transient errors (:mod:`pertinax.transient`).
Each logs its retries through pertinax's own ``pertinax.retrying`` logger, at WARNING (ERROR
for the database), and re-raises the last error when it gives up.

A function decorated by name (``@retry(policy="api")``, ``@api_retry``) follows later
:func:`register` and :func:`configure` calls for that name: the registry keeps a weak reference
to each controller bound to a name and rewrites its attributes when the policy changes, so a
call pays nothing for this.
"""

import logging
import threading
import typing as t
import weakref

from . import _pertinax, _settings
from ._policy import ARGUMENTS, Policy, own_arguments
from ._settings import Problem, SettingsError
from ._wrapping import controller_for
from .stop import stop_after_attempt
from .transient import retry_if_transient, wait_retry_after
from .wait import wait_exponential

if t.TYPE_CHECKING:
    from ._retrying import BaseRetrying, _RetryDecorated

    P = t.ParamSpec("P")
    R = t.TypeVar("R")

__all__ = [
    "API",
    "DATABASE",
    "FILE_UPLOAD",
    "Policy",
    "Problem",
    "SettingsError",
    "UnknownPolicyError",
    "adapt",
    "configure",
    "get",
    "names",
    "register",
    "reset",
    "validate",
]

API = Policy(
    "api",
    stop=stop_after_attempt(3),
    wait=wait_retry_after(fallback=wait_exponential(multiplier=2, min=1, max=30), max=30),
    retry=retry_if_transient(),
    reraise=True,
    log_levels={"retrying": logging.WARNING},
)
"""External HTTP APIs: 3 attempts, exponential waits of 1 to 30 s (``Retry-After`` honoured)."""

DATABASE = Policy(
    "database",
    stop=stop_after_attempt(5),
    wait=wait_exponential(multiplier=1, min=0.5, max=10),
    retry=retry_if_transient(),
    reraise=True,
    log_levels={"retrying": logging.ERROR},
)
"""Databases: 5 attempts, exponential waits of 0.5 to 10 s, retries logged at ERROR."""

FILE_UPLOAD = Policy(
    "file_upload",
    stop=stop_after_attempt(3),
    wait=wait_exponential(multiplier=3, min=2, max=60),
    retry=retry_if_transient(),
    reraise=True,
    log_levels={"retrying": logging.WARNING},
)
"""Uploads: 3 attempts, exponential waits of 2 to 60 s; a missing file is never retried."""

_BUILT_IN = {policy.name: policy for policy in (API, DATABASE, FILE_UPLOAD)}

# Every change happens under this lock; reads of the dicts are single operations.
_lock = threading.RLock()
_registered: dict[str, Policy] = dict(_BUILT_IN)  # by register(), and the presets
_configured: dict[str, dict[str, object]] = {}  # configure()'s settings, by policy
_effective: dict[str, Policy] = dict(_BUILT_IN)  # what get() returns
_plain: dict[str, Policy] = dict(_BUILT_IN)  # the same, before any adapter
_adapters: dict[str, t.Callable[[Policy], Policy]] = {}  # by adapt()
_bound: "dict[str, weakref.WeakKeyDictionary[BaseRetrying, _Binding]]" = {}


class _Binding:
    """A controller decorated by policy name: its explicit arguments, and the values the
    registry last wrote into it (a value someone patched since is left alone)."""

    __slots__ = ("applied", "overrides")

    def __init__(self, overrides: dict[str, t.Any], applied: dict[str, t.Any]) -> None:
        self.overrides = overrides
        self.applied = applied


class UnknownPolicyError(KeyError):
    """No policy is registered under the name asked for (a ``KeyError``)."""

    def __str__(self) -> str:
        return str(self.args[0])


def get(name: str) -> Policy:
    """The policy registered under ``name``, as configured."""
    try:
        return _effective[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(_effective))
        raise UnknownPolicyError(f"unknown policy {name!r}; registered: {known}") from None


def names() -> list[str]:
    """The registered policies' names, sorted."""
    return sorted(_effective)


def register(policy: Policy) -> Policy:
    """Adds ``policy``, or replaces the one of the same name (and its configured settings).
    Functions decorated with that name follow it. Returns ``policy``."""
    if not isinstance(policy, Policy):
        raise TypeError(f"register(): expected a Policy, got {policy!r}")
    with _lock:
        _publish({policy.name: policy})
        _registered[policy.name] = policy
        _configured.pop(policy.name, None)
    return policy


def adapt(name: str, adapter: t.Callable[[Policy], Policy] | None) -> None:
    """Passes every policy that becomes ``name`` (by :func:`register`, :func:`configure` or
    :func:`reset`) through ``adapter`` first, now and from now on; None removes it. For
    integrations that add to a policy (Django's ``"database"``: connections and transactions).
    The adapter must return a Policy of the same name, and be idempotent."""
    if not isinstance(name, str):
        raise TypeError(f"adapt(): name={name!r} is not a policy name")
    if adapter is not None and not callable(adapter):
        raise TypeError(f"adapt(): adapter={adapter!r} is not callable")
    with _lock:
        if adapter is None:
            _adapters.pop(name, None)
        else:
            _adapters[name] = adapter
        if name in _plain:
            _publish({name: _plain[name]})


def _adapted(name: str, policy: Policy) -> Policy:
    adapter = _adapters.get(name)
    if adapter is None:
        return policy
    result = adapter(policy)
    if not isinstance(result, Policy) or result.name != name:
        raise TypeError(
            f"adapt(): the adapter of {name!r} returned {result!r}, not a Policy named {name!r}"
        )
    return result


def _plan(data: object) -> tuple[list[Problem], dict[str, dict[str, object]], dict[str, Policy]]:
    problems, found = _settings.read(data, _registered.keys())
    settings: dict[str, dict[str, object]] = {}
    built: dict[str, Policy] = {}
    for name, new in found.items():
        merged = _settings.merge(_configured.get(name, {}), new)
        try:
            built[name] = _settings.build(_registered[name], merged)
        except (_settings._Bad, TypeError, ValueError) as exc:
            key = ", ".join(new)
            problems.append(Problem(name, key, new, str(exc)))
        settings[name] = merged
    return problems, settings, built


def validate(data: object) -> list[Problem]:
    """The problems :func:`configure` would report for ``data``; changes nothing."""
    with _lock:
        return _plan(data)[0]


def configure(data: t.Mapping[str, t.Any]) -> None:
    """Applies plain settings data to the registered policies, all or nothing.

    Per policy: ``{"api": {"attempts": 3, "multiplier": 2, "min": 1, "max": 30, "jitter": 0.5,
    "deadline": 60, "retry_on": ["requests.ConnectionError"], "log_level": "WARNING"}}``, or
    the flat keys ``API_MAX_ATTEMPTS``, ``API_BACKOFF_MULTIPLIER``, ``API_MIN_WAIT`` and
    ``API_MAX_WAIT`` (any policy's name in capitals). Settings add to those of earlier calls;
    :func:`reset` drops them. Bad data raises :class:`SettingsError` (a ``ValueError`` and a
    ``TypeError``) naming the policy, the key and the value, and nothing changes.
    """
    with _lock:
        problems, settings, built = _plan(data)
        if problems:
            raise SettingsError(problems)
        _publish(built)
        _configured.update(settings)


def reset() -> None:
    """Restores the built-in presets and forgets every registered policy, setting and
    adapter (:func:`adapt`).

    Functions decorated with a name that is dropped keep their last settings, and follow it
    again if it is registered anew."""
    with _lock:
        for name in list(_effective):
            if name not in _BUILT_IN:
                del _effective[name]
                _plain.pop(name, None)
        _adapters.clear()
        _registered.clear()
        _registered.update(_BUILT_IN)
        _configured.clear()
        _publish(dict(_BUILT_IN))


def _publish(policies: dict[str, Policy]) -> None:
    # Caller holds the lock.
    rebound = False
    # Adapt them all first: an adapter that fails changes nothing.
    adapted = {name: _adapted(name, policy) for name, policy in policies.items()}
    _plain.update(policies)
    for name, policy in adapted.items():
        old = _effective.get(name)
        _effective[name] = policy
        if old is not None and old == policy:
            continue
        for controller, binding in list(_bound.get(name, {}).items()):
            rebound |= _rebind(controller, binding, policy)
    if rebound:
        # The controllers' dicts were written directly (one update each, so a call never sees
        # half a policy); moving the generation makes every cached plan stale, including one
        # being compiled from the old attributes right now.
        _pertinax.invalidate_all_plans()


def _rebind(controller: "BaseRetrying", binding: _Binding, policy: Policy) -> bool:
    try:
        fresh = type(controller)(**{**own_arguments(policy.kwargs), **binding.overrides})
    except Exception:  # a controller class that cannot be rebuilt keeps what it has
        return False
    current, new = controller.__dict__, fresh.__dict__
    updates = {
        attr: new[attr]
        for attr, applied in binding.applied.items()
        if attr in new and current.get(attr) is applied
    }
    current.update(updates)
    binding.applied.update(updates)
    return bool(updates)


def _decorate(
    policy: object, overrides: dict[str, t.Any], fn: "t.Callable[P, R]"
) -> "_RetryDecorated[P, R]":
    """``@retry(policy=..., **overrides)``: a Policy binds its settings, a name follows the
    registry."""
    if not callable(fn):
        # Without this, the controller would wrap it and fail only when called.
        raise TypeError(f"retry(policy={policy!r}): expected a function to decorate, got {fn!r}")
    if isinstance(policy, Policy):
        kwargs = {**own_arguments(policy.kwargs), "name": policy.name, **overrides}
        return controller_for(fn, (), kwargs).wraps(fn)
    if not isinstance(policy, str):
        raise TypeError(f"retry(): policy must be a policy name or a Policy, got {policy!r}")
    with _lock:
        current = get(policy)
        arguments = own_arguments(current.kwargs)
        kwargs = {**arguments, "name": current.name, **overrides}
        decorated: _RetryDecorated[P, R] = controller_for(fn, (), kwargs).wraps(fn)
        controller = decorated.retry
        applied = {
            attr: controller.__dict__.get(attr) for attr in ARGUMENTS if attr not in overrides
        }
        _bound.setdefault(policy, weakref.WeakKeyDictionary())[controller] = _Binding(
            dict(overrides), applied
        )
    return decorated


class _NamedDecorator:
    """``@api_retry`` (or ``@api_retry(stop=...)``): ``@retry(policy=name)``."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    @t.overload
    def __call__(self, fn: "t.Callable[P, R]", /) -> "_RetryDecorated[P, R]": ...
    @t.overload
    def __call__(
        self, /, **overrides: t.Any
    ) -> "t.Callable[[t.Callable[P, R]], _RetryDecorated[P, R]]": ...

    def __call__(self, fn: t.Any = None, /, **overrides: t.Any) -> t.Any:
        if fn is None:
            return lambda f: _decorate(self._name, overrides, f)
        if overrides:
            raise TypeError(f"{self!r}: give overrides as {self!r}(...), then decorate")
        return _decorate(self._name, {}, fn)

    def __repr__(self) -> str:
        return f"retry(policy={self._name!r})"


api_retry = _NamedDecorator("api")
database_retry = _NamedDecorator("database")
file_retry = _NamedDecorator("file_upload")
