"""This process's retry figures, as the stats command and the dashboard show them: one row per
operation from :func:`pertinax.metrics.snapshot`, the last alert of each operation, one row per
circuit breaker and retry budget, and a small time series of success and retry rates sampled
from successive snapshots."""

import collections
import logging
import re
import threading
import time
import typing as t

from pertinax import metrics

__all__ = [
    "History",
    "breaker_rows",
    "budget_rows",
    "fleet_breaker_rows",
    "fleet_budget_rows",
    "history",
    "last_alerts",
    "operation_rows",
    "percentile",
    "state_shown",
]

_ALERT_LINE = re.compile(r"^(?P<operation>.*): (?P<rate>retry rate|give up rate) ")


def percentile(histogram: t.Mapping[str, t.Any], q: float) -> float | None:
    """The ``q`` quantile (0..1) of a metrics duration histogram, interpolated within its
    bucket; None when it is empty. A value in the last, open bucket reads as the last bound."""
    bounds = list(histogram.get("bounds") or ())
    counts: list[int] = list(histogram.get("counts") or ())
    total = sum(counts)
    if not total or not bounds:
        return None
    target = q * total
    seen: float = 0.0
    lower: float = 0.0
    for i, count in enumerate(counts):
        if count and seen + count >= target:
            if i >= len(bounds):
                return float(bounds[-1])
            upper = float(bounds[i])
            return lower + (upper - lower) * max(0.0, target - seen) / float(count)
        seen += count
        if i < len(bounds):
            lower = float(bounds[i])
    return float(bounds[-1])


class _AlertRecorder(logging.Filter):
    """Keeps the last alert line logged under ``pertinax.alert``, by operation.

    A filter on the logger, not a handler: it lets every record through, and it does not
    count as a handler, so a project without logging configuration still sees alerts on
    stderr (logging's last resort) as before."""

    def __init__(self) -> None:
        super().__init__()
        self.last: dict[str, dict[str, t.Any]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        match = _ALERT_LINE.match(message)
        operation = match.group("operation") if match else "?"
        self.last[operation] = {"message": message, "at": record.created}
        return True


_recorder = _AlertRecorder()


def install_alert_recorder() -> None:
    """Listens to ``pertinax.alert`` (once per process)."""
    logger = logging.getLogger("pertinax.alert")
    if _recorder not in logger.filters:
        logger.addFilter(_recorder)


def last_alerts() -> dict[str, dict[str, t.Any]]:
    """The last alert of each operation: ``{"message": ..., "at": epoch seconds}``."""
    return dict(_recorder.last)


def operation_rows(
    snapshot: t.Mapping[str, t.Mapping[str, t.Any]] | None = None,
) -> list[dict[str, t.Any]]:
    """One row per operation, sorted by name: calls, rates, give-ups, p50/p95, last alert."""
    snapshot = metrics.snapshot() if snapshot is None else snapshot
    alerts = last_alerts()
    rows = []
    for name in sorted(snapshot):
        data = snapshot[name]
        histogram = data.get("duration") or {}
        alert = alerts.get(name)
        rows.append(
            {
                "operation": name,
                "calls": data.get("calls", 0),
                "attempts": data.get("attempts", 0),
                "retries": data.get("retries", 0),
                "gave_up": data.get("gave_up", 0),
                "errors": data.get("errors", 0),
                "success_rate": data.get("success_rate"),
                "retry_rate": data.get("retry_rate"),
                "give_up_rate": data.get("give_up_rate"),
                "p50_seconds": percentile(histogram, 0.5),
                "p95_seconds": percentile(histogram, 0.95),
                "last_alert": alert["message"] if alert else None,
            }
        )
    return rows


def breaker_rows() -> list[dict[str, t.Any]]:
    """One row per live circuit breaker, sorted by name: its state, the failure rate over the
    outcomes in its window, when this process last saw it change, and its counts."""
    rows = []
    for name, data in sorted(metrics.breakers().items()):
        rows.append(
            {
                "breaker": name,
                "state": data["state"],
                "failure_rate": data["failure_rate"] if data["window_calls"] else None,
                "window_calls": data["window_calls"],
                "changed_at": data.get("changed_at"),
                "opened": data["opened"],
                "rejected": data["rejected"],
            }
        )
    return rows


def budget_rows() -> list[dict[str, t.Any]]:
    """One row per live retry budget, sorted by name: retries it can pay for now, and the
    retries it refused (each one a call that gave up because the budget was empty)."""
    return [
        {
            "budget": name,
            "available": data["available"],
            "gave_up": data["exhausted"],
            "retries": data["retries"],
        }
        for name, data in sorted(metrics.budgets().items())
    ]


def fleet_breaker_rows(figures: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    """The fleet's breaker rows from :func:`fleet.figures` (empty unless its scope is the
    fleet), with ``kept_in``: ``"store"`` when the state is the store's, shared by every
    process, else ``"each process"`` (each has its own, merged here)."""
    return [
        {**row, "kept_in": "store" if row.get("shared") else "each process"}
        for row in figures.get("fleet_breakers") or ()
    ]


def fleet_budget_rows(figures: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    """The fleet's budget rows from :func:`fleet.figures`, with ``kept_in`` as for breakers:
    a shared budget's tokens are the store's, the others' the sum of each process's own."""
    return [
        {**row, "kept_in": "store" if row.get("shared") else "each process"}
        for row in figures.get("fleet_budgets") or ()
    ]


def state_shown(row: t.Mapping[str, t.Any]) -> str:
    """A breaker's state as shown: the state, or for a fleet whose processes disagree
    ``"mixed (1 closed, 2 open)"``, counting the processes in each state."""
    state = str(row["state"])
    if state != "mixed":
        return state
    states = row.get("states") or {}
    return f"mixed ({', '.join(f'{states[k]} {k}' for k in sorted(states))})"


def reset() -> None:
    """Zeroes the counts, forgets the alerts seen and the time series."""
    metrics.reset()
    _recorder.last.clear()
    history.clear()


class History:
    """Success and retry rates over time, from snapshots taken at most every ``interval``
    seconds (on requests through the middleware and the dashboard), ``points`` kept."""

    __slots__ = ("_last", "_lock", "points")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.points: collections.deque[dict[str, t.Any]] = collections.deque(maxlen=360)
        self._last: tuple[float, int, int, int] | None = None

    def clear(self) -> None:
        with self._lock:
            self.points.clear()
            self._last = None

    def sample(self, *, interval: float, points: int, now: float | None = None) -> None:
        """Adds a point if ``interval`` seconds passed since the last one."""
        now = time.time() if now is None else now
        with self._lock:
            if self.points.maxlen != points:
                self.points = collections.deque(self.points, maxlen=points)
            if self._last is not None and now - self._last[0] < interval:
                return
            ended = succeeded = retried = 0
            for data in metrics.snapshot().values():
                done = data.get("first_try", 0) + data.get("recovered", 0)
                ended += done + data.get("gave_up", 0) + data.get("errors", 0)
                succeeded += done
                retried += data.get("retried_calls", 0)
            if self._last is not None:
                _, ended0, succeeded0, retried0 = self._last
                d_ended = ended - ended0
                if d_ended >= 0:
                    self.points.append(
                        {
                            "at": now,
                            "calls": d_ended,
                            "success_rate": (succeeded - succeeded0) / d_ended if d_ended else None,
                            "retry_rate": (retried - retried0) / d_ended if d_ended else None,
                        }
                    )
            self._last = (now, ended, succeeded, retried)

    def series(self) -> list[dict[str, t.Any]]:
        with self._lock:
            return list(self.points)


history = History()
