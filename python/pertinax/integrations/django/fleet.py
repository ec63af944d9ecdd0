"""Fleet-wide figures for the dashboard and ``pertinax_stats``, through the Redis store named
in the settings::

    PERTINAX = {
        "store": {
            "url": "rediss://app:secret@redis.internal:6380/0",
            "prefix": "shop",        # RedisStore options: prefix, timeout, ssl_ca_certs
            "publish_every": 10,     # seconds; 0: publish only when the dashboard is shown
            "expire_after": 30,      # a process silent this long drops out (3 periods)
        },
    }

With a store, each process publishes its metrics snapshot in a background thread, the
dashboard publishes its own process's snapshot before reading, and both the dashboard and the
command show the sum over every live process. If the store does not answer (within its short
timeout), they show this process's figures and say why.
"""

import logging
import threading
import typing as t
from collections.abc import Mapping

if t.TYPE_CHECKING:
    from pertinax.integrations.redis import MetricsPublisher, RedisStore

__all__ = ["STORE_KEYS", "configure", "figures", "store_problems"]

log = logging.getLogger("pertinax.django")
STORE_KEYS = ("url", "prefix", "timeout", "ssl_ca_certs", "publish_every", "expire_after")
_lock = threading.Lock()
# The settings the current store was made from, the store and its publisher.
_current: dict[str, t.Any] = {"options": None, "store": None, "publisher": None}


def _seconds(value: object, *, zero: bool) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (value >= 0 if zero else value > 0)
    )


def store_problems(section: object) -> list[str]:
    """What is wrong with ``PERTINAX["store"]``, one sentence each (empty when valid)."""
    if section is None:
        return []
    if not isinstance(section, Mapping):
        return [f"PERTINAX['store']={section!r} is not a dict"]
    problems = [
        f"PERTINAX['store'] has an unknown key {k!r}" for k in section if k not in STORE_KEYS
    ]
    url = section.get("url")
    if not isinstance(url, str) or url.partition("://")[0] not in ("redis", "rediss", "unix"):
        problems.append("PERTINAX['store']['url'] must be a redis://, rediss:// or unix:// URL")
    for key, zero in (("timeout", False), ("publish_every", True), ("expire_after", False)):
        if key in section and not _seconds(section[key], zero=zero):
            problems.append(
                f"PERTINAX['store'][{key!r}]={section[key]!r} is not a "
                f"{'number of seconds >= 0' if zero else 'positive number of seconds'}"
            )
    for key in ("prefix", "ssl_ca_certs"):
        if key in section and not (isinstance(section[key], str) and section[key]):
            problems.append(f"PERTINAX['store'][{key!r}]={section[key]!r} is not a string")
    return problems


def configure(section: object) -> None:
    """Makes the store and its publisher from ``PERTINAX["store"]`` (again only when it
    changed), starting the publishing thread when ``publish_every`` is above 0."""
    options = (
        dict(section) if isinstance(section, Mapping) and not store_problems(section) else None
    )
    with _lock:
        if options == _current["options"]:
            return
        if _current["publisher"] is not None:
            _current["publisher"].stop()
        _current.update(options=options, store=None, publisher=None)
        if options is None:
            return
        try:
            from pertinax.integrations.redis import MetricsPublisher, RedisStore
        except ImportError as e:
            log.warning("pertinax: PERTINAX['store'] is set but unusable: %s", e)
            return
        every = float(options.get("publish_every", 10.0))
        try:
            store = RedisStore(
                options["url"],
                **{k: options[k] for k in ("prefix", "timeout", "ssl_ca_certs") if k in options},
            )
        except (TypeError, ValueError) as e:  # a URL redis-py cannot parse
            log.warning("pertinax: PERTINAX['store'] is unusable: %s", type(e).__name__)
            return
        publisher = MetricsPublisher(
            store,
            every=every or 10.0,
            expire_after=float(options.get("expire_after", 3 * (every or 10.0))),
        )
        if every > 0:
            publisher.start()
        _current.update(store=store, publisher=publisher)


def current() -> tuple["RedisStore", "MetricsPublisher"] | None:
    """The store and publisher the settings name, or None."""
    with _lock:
        store, publisher = _current["store"], _current["publisher"]
    return None if store is None else (store, publisher)


def figures(*, publish: bool) -> dict[str, t.Any]:
    """What to show: ``{"scope": "fleet", "processes": n, "hosts": [...], "prefix": ...,
    "snapshot": {...}, "fleet_breakers": [...], "fleet_budgets": [...]}`` from the store, or
    ``{"scope": "process", "store": why not}``. ``publish`` first publishes this process's own
    snapshot (a server process showing the dashboard is one of the fleet; a management
    command is not).

    ``snapshot`` is the operations table summed over the fleet (durations bucket by bucket, so
    percentiles computed from it are the fleet's). The breaker and budget rows merge what every
    process reported, shaped as ``stats.breaker_rows()`` and ``stats.budget_rows()`` with
    ``processes`` and ``shared`` added: a breaker's ``state`` is the store's when it is shared
    through it, else the state all processes agree on, else ``"mixed"`` (``states`` counts the
    processes in each); a budget's ``available`` is the store's when shared, else the sum of
    each process's own."""
    found = current()
    if found is None:
        return {"scope": "process", "store": None}
    store, publisher = found
    if publish:
        publisher.publish()
    fleet = store.fleet_metrics()
    if fleet is None:
        return {"scope": "process", "store": "the metrics store did not answer"}
    return {
        "scope": "fleet",
        "processes": fleet["processes"],
        "hosts": fleet["hosts"],
        "prefix": store.prefix,
        "snapshot": fleet["operations"],
        "fleet_breakers": [
            {"breaker": name, **_breaker_row(data)}
            for name, data in sorted(fleet["breakers"].items())
        ],
        "fleet_budgets": [
            {
                "budget": name,
                "available": data["available"],
                "gave_up": data["exhausted"],
                "retries": data["retries"],
                "processes": data["processes"],
                "shared": data["shared"],
            }
            for name, data in sorted(fleet["budgets"].items())
        ],
    }


def _breaker_row(data: Mapping[str, t.Any]) -> dict[str, t.Any]:
    keys = ("state", "states", "failure_rate", "window_calls", "changed_at", "opened")
    return {
        **{k: data[k] for k in keys},
        "rejected": data["rejected"],
        "processes": data["processes"],
        "shared": data["shared"],
    }
