"""Merging the metrics snapshots that the processes of a fleet published.

What adds up is added: counters, the duration histograms bucket by bucket, the counts of
breaker transitions and refusals, budget totals, and each process's local tokens. What does
not add up is computed again from what does: the success, retry and give-up rates from the
summed counters, a breaker's failure rate from its summed window (failures are rate times
calls, an integer per process). Percentiles are not in a snapshot, and could not be summed:
compute them from the merged histogram (``pertinax.integrations.django.stats.percentile``
does, within a bucket's resolution). A breaker's or budget's shared state is read from the
store itself, which every process shares, rather than summed.
"""

import typing as t
from collections.abc import Iterable, Mapping

__all__ = ["merge_breakers", "merge_budgets", "sum_snapshots"]

# Derived from the counters; summed snapshots compute them again.
_RATES = {"success_rate", "retry_rate", "give_up_rate"}
_BREAKER_COUNTS = ("opened", "half_opened", "closed", "rejected")
_BUDGET_COUNTS = ("retries", "exhausted", "successes")


def sum_snapshots(
    snapshots: Iterable[Mapping[str, Mapping[str, t.Any]]],
) -> dict[str, dict[str, t.Any]]:
    """Adds up metrics snapshots (``{operation: {counter: value}}``) operation by operation:
    counters are summed, duration histograms bucket by bucket, and the rates are computed
    again from the sums, as :func:`pertinax.metrics.snapshot` computes them."""
    out: dict[str, dict[str, t.Any]] = {}
    for snapshot in snapshots:
        for name, data in snapshot.items():
            total = out.setdefault(name, {})
            for key, value in data.items():
                if key in _RATES:
                    continue
                if key == "duration":
                    _add_histogram(total, value)
                elif _is_number(value):
                    total[key] = total.get(key, 0) + value
    for total in out.values():
        ended = sum(total.get(k, 0) for k in ("first_try", "recovered", "gave_up", "errors"))
        succeeded = total.get("first_try", 0) + total.get("recovered", 0)
        total["success_rate"] = _rate(succeeded, ended)
        total["retry_rate"] = _rate(total.get("retried_calls", 0), ended)
        total["give_up_rate"] = _rate(total.get("gave_up", 0), ended)
    return out


def merge_budgets(
    tables: Iterable[Mapping[str, Mapping[str, t.Any]]],
    shared: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, dict[str, t.Any]]:
    """Merges :func:`pertinax.metrics.budgets` tables by name: ``processes`` holding the
    budget, its ``retries``, ``exhausted`` and ``successes`` summed, and ``available``: the
    store's tokens when ``shared`` has the budget (its state in the store), else the sum of
    each process's own tokens (each can pay its own). ``shared`` tells which it is."""
    shared = shared or {}
    out: dict[str, dict[str, t.Any]] = {}
    for table in tables:
        for name, data in table.items():
            total = out.setdefault(
                name, {"processes": 0, **dict.fromkeys(_BUDGET_COUNTS, 0), "available": 0.0}
            )
            total["processes"] += 1
            for key in (*_BUDGET_COUNTS, "available"):
                value = data.get(key, 0)
                if _is_number(value):
                    total[key] += value
    for name, total in out.items():
        store = shared.get(name)
        total["shared"] = store is not None
        if store is not None:
            total["available"] = store["available"]
    return out


def merge_breakers(
    tables: Iterable[Mapping[str, Mapping[str, t.Any]]],
    shared: Mapping[str, str] | None = None,
) -> dict[str, dict[str, t.Any]]:
    """Merges :func:`pertinax.metrics.breakers` tables by name: ``processes`` holding the
    breaker, ``states`` (how many processes saw each state), the transitions and refusals
    summed, the local windows merged (``window_calls`` summed, ``failure_rate`` over them),
    the latest ``changed_at``, and ``state``: the store's when ``shared`` has the breaker,
    else the one state every process agrees on, else ``"mixed"``."""
    shared = shared or {}
    out: dict[str, dict[str, t.Any]] = {}
    failures: dict[str, float] = {}
    for table in tables:
        for name, data in table.items():
            total = out.setdefault(
                name,
                {
                    "processes": 0,
                    "states": {},
                    **dict.fromkeys(_BREAKER_COUNTS, 0),
                    "window_calls": 0,
                    "changed_at": None,
                },
            )
            total["processes"] += 1
            state = str(data.get("state", "closed"))
            total["states"][state] = total["states"].get(state, 0) + 1
            for key in _BREAKER_COUNTS:
                value = data.get(key, 0)
                if _is_number(value):
                    total[key] += value
            calls, rate = data.get("window_calls", 0), data.get("failure_rate", 0.0)
            if _is_number(calls) and _is_number(rate):
                total["window_calls"] += calls
                # Each process's rate is its failures over its calls: round back to a count.
                failures[name] = failures.get(name, 0) + round(rate * calls)
            at = data.get("changed_at")
            if _is_number(at) and (total["changed_at"] is None or at > total["changed_at"]):
                total["changed_at"] = at
    for name, total in out.items():
        total["failure_rate"] = _rate(failures.get(name, 0), total["window_calls"])
        states = total["states"]
        total["shared"] = name in shared
        if name in shared:
            total["state"] = shared[name]
        else:
            total["state"] = next(iter(states)) if len(states) == 1 else "mixed"
    return out


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _rate(part: float, ended: float) -> float | None:
    return part / ended if ended else None


def _add_histogram(total: dict[str, t.Any], histogram: t.Any) -> None:
    if not isinstance(histogram, Mapping):
        return
    bounds = list(histogram.get("bounds") or ())
    counts = [int(c) for c in histogram.get("counts") or ()]
    mine = total.get("duration")
    if mine is None:
        total["duration"] = {
            "bounds": bounds,
            "counts": counts,
            "sum": float(histogram.get("sum", 0.0)),
            "count": int(histogram.get("count", 0)),
        }
    elif mine["bounds"] == bounds and len(mine["counts"]) == len(counts):
        mine["counts"] = [a + b for a, b in zip(mine["counts"], counts, strict=True)]
        mine["sum"] += float(histogram.get("sum", 0.0))
        mine["count"] += int(histogram.get("count", 0))
    # Other bounds come from another pertinax version: its buckets cannot be added up.
