"""Retry budgets and circuit breakers shared by every process of a fleet, through Redis.

Pass a :class:`RedisStore` as ``store=`` to :class:`~pertinax.RetryBudget` or
:class:`~pertinax.CircuitBreaker`; every process that names the same budget or breaker (same
name, same store prefix) then shares one state::

    store = RedisStore("rediss://app:secret@redis.internal:6380/0")
    payments = CircuitBreaker("payments", store=store)

Each change is one Lua script, so it is atomic: two processes never both see "closed" after
the limit was reached, and a budget never pays more than its allowance. In half-open state a
lease (kept in the breaker's own key) decides which single process sends the trial calls; the
rest keep failing fast.

An operator's switches act on the fleet: ``breaker.trip()`` opens the breaker for every
process, ``breaker.reset()`` closes it for every process with an empty window, and
``budget.reset()`` refills the shared budget and zeroes its shared totals. Each also changes
this process's local state, which decides whenever Redis does not answer; if Redis does not
answer (such a switch tries Redis even while the store is leaving it alone), the switch
reaches this process only, and the store logs a warning saying so.

A call never waits on Redis longer than ``timeout`` seconds, and redis-py's own retries are
off. When Redis cannot answer, the store logs once (``pertinax.redis``), leaves Redis alone
for ``reconnect_after`` seconds and then tries again. Meanwhile, with ``fail_open=True`` (the
default) each process's local state decides, as if it had no store; with ``fail_open=False``
the budget refuses every retry and the breaker refuses every call (an operator's reset
included: failing closed wins until Redis answers).

Keys are ``{prefix}:budget:{name}`` and ``{prefix}:breaker:{name}``, one hash each, the same
names as before the lease moved into the breaker's hash (an older process's ``:lease`` key is
no longer read and expires by itself). Every script declares the one key it touches, so the
store works on Redis Cluster too: pass ``cluster=True`` and the URL of any node (the slot map
is read on first use, so an unreachable cluster falls back like an unreachable server). Each
key expires ``ttl`` seconds after its last change (and never before an open breaker's wait
ends).

The metrics registry publishes through the store too: :class:`MetricsPublisher` writes this
process's :func:`pertinax.metrics.snapshot` (with its budgets and breakers) under
``{prefix}:metrics:{host}:{pid}``, expiring unless published again, and
:meth:`RedisStore.fleet_metrics` finds every live one (``SCAN`` on every node, then a
pipeline of reads: no script reads a key it was not given) and merges them (``_merge``).
"""

# socket.getaddrinfo imports this codec the first time it resolves a host name; a process
# that forks while another thread is in that import (a publisher's first connection) leaves
# the child unable to resolve any name ("unknown encoding: idna"). Imported here, it never is.
import encodings.idna  # noqa: F401
import logging
import os
import socket
import threading
import time
import typing as t
import uuid

try:
    import redis as _redis
    from redis.exceptions import RedisClusterException
except ImportError as e:  # pragma: no cover - exercised by a test that hides the library
    raise ImportError(
        "pertinax.integrations.redis needs redis-py: pip install 'pertinax[redis]'"
    ) from e

from . import _scripts, fleet
from ._merge import merge_breakers, merge_budgets, sum_snapshots
from ._options import check_options, client_options, connect, redact
from .fleet import MetricsPublisher

if t.TYPE_CHECKING:
    from pertinax import CircuitBreaker, RetryBudget

__all__ = ["MetricsPublisher", "RedisStore", "merge_breakers", "merge_budgets", "sum_snapshots"]

_log = logging.getLogger("pertinax.redis")
_UNIT = _scripts.UNIT
_Change = tuple[str, str] | None


class RedisStore:
    """Budget and breaker state in Redis, shared across processes (see the module docs)."""

    __slots__ = (
        "_client",
        "_down_until",
        "_lock",
        "_options",
        "_owner",
        "_scripts",
        "cluster",
        "fail_open",
        "lease",
        "prefix",
        "reconnect_after",
        "timeout",
        "ttl",
        "url",
    )

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "pertinax",
        timeout: float = 0.05,
        ttl: float = 86400.0,
        fail_open: bool = True,
        reconnect_after: float = 5.0,
        lease: float = 10.0,
        ssl_ca_certs: str | None = None,
        cluster: bool = False,
    ) -> None:
        check_options(url, prefix, timeout, ttl, reconnect_after, lease)
        self.url = url
        self.prefix = prefix
        self.timeout = float(timeout)
        self.ttl = float(ttl)
        self.fail_open = bool(fail_open)
        self.reconnect_after = float(reconnect_after)
        self.lease = float(lease)
        self.cluster = bool(cluster)
        self._options = client_options(self.timeout, ssl_ca_certs)
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._owner = ""
        self._scripts: dict[str, t.Any] = {}
        # A cluster client asks a node for the slot map as it is made: made on first use,
        # so that an unreachable cluster falls back like an unreachable server.
        self._client: t.Any = None
        if not self.cluster:
            self._connect()

    def _connect(self) -> t.Any:
        self._client, self._scripts = connect(self.url, self.cluster, self._options)
        return self._client

    def __repr__(self) -> str:
        cluster = ", cluster=True" if self.cluster else ""
        return f"RedisStore({redact(self.url)!r}, prefix={self.prefix!r}{cluster})"

    @property
    def client(self) -> t.Any:
        """The redis-py client, a ``RedisCluster`` with ``cluster=True`` (fail-fast settings;
        do not log its connection kwargs)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._connect()
        return self._client

    def key(self, kind: str, name: str) -> str:
        """The Redis key of a budget's or breaker's state."""
        return f"{self.prefix}:{kind}:{name}"

    # --- the store protocol the native budget and breaker call ------------------------------

    def budget_withdraw(self, budget: "RetryBudget") -> bool | None:
        cap = round(budget.capacity * _UNIT)
        interval = burst = 0
        if budget.min_per_second > 0:
            interval = max(1, round(1000 / budget.min_per_second))
            burst = interval * max(1, int(-(-budget.min_per_second // 1)))
        paid = self._run(
            "BUDGET_WITHDRAW",
            [self.key("budget", budget.name)],
            [cap, _UNIT, interval, burst, self._ttl_ms()],
        )
        if paid is None:
            return None if self.fail_open else False
        return int(paid) > 0

    def budget_deposit(self, budget: "RetryBudget", successes: int) -> None:
        self._run(
            "BUDGET_DEPOSIT",
            [self.key("budget", budget.name)],
            [
                successes,
                round(budget.ratio * _UNIT),
                round(budget.capacity * _UNIT),
                self._ttl_ms(),
            ],
        )

    def breaker_acquire(
        self, breaker: "CircuitBreaker"
    ) -> tuple[bool, bool, float, _Change] | None:
        reply = self._run(
            "BREAKER_ACQUIRE",
            [self.key("breaker", breaker.name)],
            [
                self._owner_id(),
                round(self.lease * 1000),
                breaker.half_open_calls,
                self._ttl_ms(breaker),
            ],
        )
        if reply is None:
            if self.fail_open:
                return None
            return (False, False, max(0.0, self._down_until - time.monotonic()), None)
        allowed, trial, remaining, before, after = reply
        return (bool(allowed), bool(trial), int(remaining) / 1000, _change(before, after))

    def breaker_record(self, breaker: "CircuitBreaker", trial: bool, outcome: str) -> _Change:
        reply = self._run(
            "BREAKER_RECORD",
            [self.key("breaker", breaker.name)],
            [
                int(trial),
                outcome,
                breaker.window,
                breaker.minimum_calls,
                repr(breaker.failure_rate),
                round(breaker.open_for * 1000),
                breaker.half_open_calls,
                self._ttl_ms(breaker),
            ],
        )
        return None if reply is None else _change(*reply)

    # --- an operator's switches: forced through to Redis, reaching the fleet -------------------

    def budget_reset(self, budget: "RetryBudget") -> bool | None:
        """Refills the shared budget and zeroes its shared totals; None if Redis did not
        answer."""
        reply = self._run("BUDGET_RESET", [self.key("budget", budget.name)], [], force=True)
        if reply is None:
            self._local_only("retry budget", budget.name, "reset")
            return None
        return True

    def breaker_trip(self, breaker: "CircuitBreaker") -> tuple[str, str] | None:
        """Opens the breaker for the fleet: ``(state before, "open")``, or None if Redis did
        not answer."""
        reply = self._run(
            "BREAKER_TRIP",
            [self.key("breaker", breaker.name)],
            [round(breaker.open_for * 1000), self._ttl_ms(breaker)],
            force=True,
        )
        if reply is None:
            self._local_only("circuit breaker", breaker.name, "tripped")
            return None
        return (_text(reply[0]), _text(reply[1]))

    def breaker_reset(self, breaker: "CircuitBreaker") -> tuple[str, str] | None:
        """Closes the breaker for the fleet, with an empty window: ``(state before,
        "closed")``, or None if Redis did not answer."""
        reply = self._run(
            "BREAKER_RESET", [self.key("breaker", breaker.name)], [self._ttl_ms()], force=True
        )
        if reply is None:
            self._local_only("circuit breaker", breaker.name, "reset")
            return None
        return (_text(reply[0]), _text(reply[1]))

    # --- reading the shared state ------------------------------------------------------------

    def budget_stats(self, name: str) -> dict[str, float]:
        """The fleet's totals for a budget: retries, exhausted, successes, available."""
        return fleet.budget_fields(self.client.hgetall(self.key("budget", name)))

    def breaker_stats(self, name: str) -> dict[str, t.Any]:
        """The fleet's view of a breaker: state and transition counts."""
        raw = {
            _text(k): _text(v) for k, v in self.client.hgetall(self.key("breaker", name)).items()
        }
        out: dict[str, t.Any] = {"state": raw.get("state", "closed")}
        for field in ("opened", "half_opened", "closed"):
            out[field] = int(raw.get(field, 0))
        return out

    # --- fleet-wide metrics -------------------------------------------------------------------

    def metrics_key(self) -> str:
        """The key this process's metrics snapshot is published under (host and pid)."""
        return f"{self.prefix}:metrics:{socket.gethostname()}:{os.getpid()}"

    def publish_metrics(
        self, snapshot: t.Mapping[str, t.Any] | None = None, *, expire_after: float = 30.0
    ) -> bool:
        """Writes this process's snapshot (by default :func:`pertinax.metrics.snapshot`, with
        :func:`~pertinax.metrics.budgets` and :func:`~pertinax.metrics.breakers`), to expire
        after ``expire_after`` seconds unless published again. False if Redis did not answer
        within the timeout."""
        payload = fleet.payload(snapshot)
        ttl_ms = max(1, round(expire_after * 1000))
        key = self.metrics_key()
        return self._call(lambda: self.client.set(key, payload, px=ttl_ms)) is not None

    def fleet_metrics(self) -> dict[str, t.Any] | None:
        """Every live process's published snapshot, merged: ``{"processes": n, "hosts":
        [...], "operations": {name: counters}, "budgets": {...}, "breakers": {...}}`` (see
        :mod:`pertinax.integrations.redis._merge` for what is summed and how); None if Redis
        did not answer."""
        raw = self._call(lambda: fleet.read_published(self.client, self.prefix))
        if raw is None:
            return None
        snapshots = fleet.parse_published(raw)
        budgets, breakers = fleet.names(snapshots)
        shared = None
        if budgets or breakers:
            shared = self._call(lambda: fleet.read_shared(self.client, self.key, budgets, breakers))
        return fleet.merge(snapshots, shared)

    # --- plumbing ----------------------------------------------------------------------------

    def _ttl_ms(self, breaker: "CircuitBreaker | None" = None) -> int:
        ttl = self.ttl
        if breaker is not None:
            # An open breaker's key must outlive its wait, or it would close by expiring.
            ttl = max(ttl, breaker.open_for + self.lease + 1.0)
        return max(1, round(ttl * 1000))

    def _owner_id(self) -> str:
        # A forked worker is another owner of the lease, not a copy of its parent.
        pid = os.getpid()
        if not self._owner.startswith(f"{pid}-"):
            self._owner = f"{pid}-{uuid.uuid4().hex}"
        return self._owner

    def _run(
        self, script: str, keys: list[str], args: list[t.Any], *, force: bool = False
    ) -> t.Any:
        def command() -> t.Any:
            self.client  # noqa: B018 - connects a cluster client on first use
            return self._scripts[script](keys=keys, args=args)

        return self._call(command, force=force)

    def _call(self, command: t.Callable[[], t.Any], *, force: bool = False) -> t.Any:
        """``command()``'s reply, or None when Redis does not answer (or is being left
        alone, unless ``force``)."""
        now = time.monotonic()
        if now < self._down_until and not force:
            return None
        try:
            reply = command()
        except (_redis.RedisError, RedisClusterException) as e:
            self._went_down(now, e)
            return None
        if self._down_until:
            with self._lock:
                was_down, self._down_until = self._down_until, 0.0
            if was_down:
                _log.info("redis store %s reachable again", redact(self.url))
        return reply

    def _went_down(self, now: float, error: Exception) -> None:
        with self._lock:
            first = self._down_until == 0.0
            self._down_until = now + self.reconnect_after
        if first:
            # The error's type only: its text may quote the server's reply.
            _log.warning(
                "redis store %s unreachable (%s): %s for %.3g seconds, then trying again",
                redact(self.url),
                type(error).__name__,
                "local state decides" if self.fail_open else "failing closed",
                self.reconnect_after,
            )

    def _local_only(self, what: str, name: str, done: str) -> None:
        _log.warning(
            "%s %s %s in this process only: redis store %s did not answer",
            what,
            name,
            done,
            redact(self.url),
        )


def _change(before: t.Any, after: t.Any) -> _Change:
    if not before:
        return None
    return (_text(before), _text(after))


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
