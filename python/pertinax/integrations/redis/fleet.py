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
import threading
import typing as t
import weakref
from collections.abc import Iterable, Mapping

from ._merge import sum_snapshots


class _Store(t.Protocol):
    """What a publisher needs of its store (a :class:`RedisStore`)."""

    def publish_metrics(
        self, snapshot: Mapping[str, t.Any] | None = None, *, expire_after: float = ...
    ) -> bool: ...


__all__ = ["MetricsPublisher", "parse_published", "sum_snapshots"]

_log = logging.getLogger("pertinax.redis")


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


def tables(snapshots: list[dict[str, t.Any]], kind: str) -> list[Mapping[str, t.Any]]:
    """Each snapshot's ``kind`` table (operations, budgets or breakers), when it is one."""
    found = (s.get(kind) for s in snapshots)
    return [table for table in found if isinstance(table, Mapping)]


class MetricsPublisher:
    """Publishes this process's metrics through ``store`` every ``every`` seconds (once
    started), each snapshot expiring after ``expire_after`` seconds (three periods unless
    given), and on demand with :meth:`publish`."""

    __slots__ = ("__weakref__", "_stop", "_thread", "every", "expire_after", "store")

    def __init__(
        self, store: _Store, *, every: float = 10.0, expire_after: float | None = None
    ) -> None:
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


def _restart_after_fork() -> None:
    for publisher in list(_publishers):
        publisher._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_restart_after_fork)
