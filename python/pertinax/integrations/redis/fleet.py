"""Fleet-wide metrics: each process publishes its snapshot through a :class:`RedisStore`, and a
reader sums the snapshots of every process still alive.

A process's snapshot lives under its own key (host and pid) and expires ``expire_after``
seconds after its last publication, so a process that stops publishing (it exited, or was
killed) drops out of the sums by itself, and nothing grows without bound::

    publisher = MetricsPublisher(store, every=10)
    publisher.start()             # a daemon thread; also restarted in a forked child
    publisher.publish()           # now, on demand
    store.fleet_metrics()         # {"processes": 3, "hosts": [...], "operations": {...},
                                  #  "budgets": {...}, "breakers": {...}}

Publishing never runs inside a retried call: the thread (or the caller of :meth:`publish`)
waits at most the store's ``timeout`` for Redis, and a Redis that does not answer is logged
once by the store and skipped until it answers again.
"""

import json
import logging
import os
import socket
import threading
import typing as t
import weakref
from collections.abc import Iterable, Mapping

from ._merge import merge_breakers, merge_budgets, sum_snapshots
from ._scripts import UNIT


class _Store(t.Protocol):
    """What a publisher needs of its store (a :class:`RedisStore`)."""

    def publish_metrics(
        self, snapshot: Mapping[str, t.Any] | None = None, *, expire_after: float = ...
    ) -> bool: ...


__all__ = ["MetricsPublisher", "sum_snapshots"]

_log = logging.getLogger("pertinax.redis")


def payload(snapshot: Mapping[str, t.Any] | None) -> str:
    """What a process publishes, as JSON: its host and pid, the operations table (by default
    :func:`pertinax.metrics.snapshot`), and its budgets and breakers unless ``snapshot`` was
    given."""
    from pertinax import metrics

    published: dict[str, t.Any] = {"host": socket.gethostname(), "pid": os.getpid()}
    if snapshot is None:
        published.update(
            operations=metrics.snapshot(), budgets=metrics.budgets(), breakers=metrics.breakers()
        )
    else:
        published["operations"] = dict(snapshot)
    return json.dumps(published, separators=(",", ":"))


def read_published(client: t.Any, prefix: str) -> list[t.Any]:
    """The values under ``{prefix}:metrics:*``: the keys are listed (SCAN, every node of a
    cluster), then read in a pipeline, each from the node that holds it. No script reads a
    key it did not declare."""
    pattern = f"{_glob_escape(prefix)}:metrics:*"
    keys = list(client.scan_iter(match=pattern, count=1000))
    if not keys:
        return []
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.get(key)
    # A key of another type (an older pertinax's index) fails alone and is skipped.
    return list(pipe.execute(raise_on_error=False))


def parse_published(raw: Iterable[object]) -> list[dict[str, t.Any]]:
    """The snapshots among values read under the metrics keys (bytes of JSON objects); any
    other value, or a read that failed, is skipped: a key someone else wrote under the
    prefix, or one that expired between the listing and the read."""
    out = []
    for value in raw:
        if not isinstance(value, (bytes, str)):
            continue
        try:
            snapshot = json.loads(value)
        except ValueError:
            continue
        if isinstance(snapshot, dict):
            out.append(snapshot)
    return out


def _tables(snapshots: list[dict[str, t.Any]], kind: str) -> list[Mapping[str, t.Any]]:
    found = (s.get(kind) for s in snapshots)
    return [table for table in found if isinstance(table, Mapping)]


def names(snapshots: list[dict[str, t.Any]]) -> tuple[list[str], list[str]]:
    """The budgets and the breakers the snapshots name."""
    return (
        sorted({str(n) for table in _tables(snapshots, "budgets") for n in table}),
        sorted({str(n) for table in _tables(snapshots, "breakers") for n in table}),
    )


_Shared = tuple[dict[str, dict[str, float]], dict[str, str]]


def read_shared(
    client: t.Any, key: t.Callable[[str, str], str], budgets: list[str], breakers: list[str]
) -> _Shared:
    """The store's own state of these budgets and breakers (those whose key exists): each
    budget's totals and tokens, each breaker's state."""
    pipe = client.pipeline(transaction=False)
    for name in budgets:
        pipe.hgetall(key("budget", name))
    for name in breakers:
        pipe.hget(key("breaker", name), "state")
    replies = list(pipe.execute(raise_on_error=False))
    shared_budgets = {
        name: budget_fields(raw)
        for name, raw in zip(budgets, replies, strict=False)
        if isinstance(raw, dict) and raw
    }
    shared_breakers = {
        name: raw.decode() if isinstance(raw, bytes) else raw
        for name, raw in zip(breakers, replies[len(budgets) :], strict=False)
        if isinstance(raw, (bytes, str))
    }
    return shared_budgets, shared_breakers


def merge(snapshots: list[dict[str, t.Any]], shared: _Shared | None) -> dict[str, t.Any]:
    """The fleet's figures from the live snapshots (see ``_merge``) and the store's state."""
    shared_budgets, shared_breakers = shared or ({}, {})
    return {
        "processes": len(snapshots),
        "hosts": sorted({str(s.get("host")) for s in snapshots}),
        "operations": sum_snapshots(_tables(snapshots, "operations")),
        "budgets": merge_budgets(_tables(snapshots, "budgets"), shared_budgets),
        "breakers": merge_breakers(_tables(snapshots, "breakers"), shared_breakers),
    }


def budget_fields(raw: Mapping[t.Any, t.Any]) -> dict[str, float]:
    """A budget's hash in the store as figures: retries, exhausted, successes, available."""
    get = {(k.decode() if isinstance(k, bytes) else str(k)): float(v) for k, v in raw.items()}
    return {
        "retries": get.get("retries", 0.0),
        "exhausted": get.get("exhausted", 0.0),
        "successes": get.get("successes", 0.0),
        "available": get["tokens"] / UNIT if "tokens" in get else float("nan"),
    }


def _glob_escape(text: str) -> str:
    """``text`` matched literally in a SCAN pattern."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


class MetricsPublisher:
    """Publishes this process's metrics through ``store`` every ``every`` seconds (once
    started), each snapshot expiring after ``expire_after`` seconds (three periods unless
    given), and on demand with :meth:`publish`."""

    __slots__ = ("__weakref__", "_stop", "_thread", "every", "expire_after", "store")

    def __init__(
        self, store: _Store, *, every: float = 10.0, expire_after: float | None = None
    ) -> None:
        if not callable(getattr(store, "publish_metrics", None)):
            raise TypeError(
                f"MetricsPublisher: store must be a RedisStore (or have publish_metrics()), "
                f"got {store!r}"
            )
        for name, value in (("every", every), ("expire_after", expire_after)):
            if value is None and name == "expire_after":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(
                    f"MetricsPublisher: {name} must be a positive number of seconds, got {value!r}"
                )
        self.store = store
        self.every = float(every)
        self.expire_after = float(expire_after) if expire_after is not None else 3 * self.every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        _publishers.add(self)

    def __repr__(self) -> str:
        return (
            f"MetricsPublisher({self.store!r}, every={self.every!r}, "
            f"expire_after={self.expire_after!r})"
        )

    @property
    def running(self) -> bool:
        """True while the publishing thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def publish(self) -> bool:
        """Publishes now; False if Redis did not answer (the store logs it once)."""
        return self.store.publish_metrics(expire_after=self.expire_after)

    def start(self) -> None:
        """Starts the publishing thread (a daemon; publishes at once, then every period)."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, name="pertinax-metrics-publisher", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stops the thread; the last snapshot stays until it expires."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.every + 1.0)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                with _publishing:
                    self.publish()
            except Exception as e:  # noqa: BLE001 - the thread must outlive a bad snapshot
                _log.warning("metrics publisher: %s", type(e).__name__)
            self._stop.wait(self.every)

    def _after_fork(self) -> None:
        # A forked child has no thread: a worker of a pre-forking server publishes as itself.
        if self._thread is not None and not self._stop.is_set():
            self._thread = None
            self._stop = threading.Event()  # the parent's may have a waiter that is gone
            self.start()


_publishers: "weakref.WeakSet[MetricsPublisher]" = weakref.WeakSet()

# Held by a publishing thread while it publishes, and taken by a fork before it forks: a child
# must never inherit a publication in progress, whose thread does not exist in the child but
# whose locks do (a module being imported, a connection in use), which would hang the child's
# own publisher for good. A fork waits at most _FORK_WAIT seconds for a publication to end.
_publishing = threading.Lock()
_FORK_WAIT = 10.0
_held_for_fork = False


def _before_fork() -> None:
    global _held_for_fork
    _held_for_fork = _publishing.acquire(timeout=_FORK_WAIT)


def _after_fork_in_parent() -> None:
    global _held_for_fork
    if _held_for_fork:
        _held_for_fork = False
        _publishing.release()


def _restart_after_fork() -> None:
    # In the child the forking thread holds the lock (if it got it): release it, then start
    # each running publisher's thread again.
    _after_fork_in_parent()
    for publisher in list(_publishers):
        publisher._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_restart_after_fork,
    )
