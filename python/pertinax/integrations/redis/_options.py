"""The store's URL and options, checked once with errors that name the argument and the
value; a URL shown only with its password hidden; and the redis-py client made from them,
with its fail-fast settings and the store's scripts registered."""

import typing as t
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from . import _scripts

__all__ = ["check_options", "client_options", "connect", "redact"]

SCRIPTS = (
    "BUDGET_WITHDRAW",
    "BUDGET_DEPOSIT",
    "BUDGET_RESET",
    "BREAKER_ACQUIRE",
    "BREAKER_RECORD",
    "BREAKER_TRIP",
    "BREAKER_RESET",
)


def redact(url: str) -> str:
    """The URL with its password (and any query string, which may carry secrets) hidden."""
    parts = urlsplit(url)
    if parts.password is None and not parts.query:
        return url
    # The host and port as written: reading parts.port would raise on a bad port.
    netloc = parts.netloc.rpartition("@")[2]
    if parts.username or parts.password is not None:
        netloc = f"{parts.username or ''}:***@{netloc}"
    return urlunsplit(
        (parts.scheme, netloc, parts.path, "...", "")
        if parts.query
        else (parts.scheme, netloc, parts.path, "", "")
    )


def check_options(
    url: object,
    prefix: object,
    timeout: object,
    ttl: object,
    reconnect_after: object,
    lease: object,
) -> None:
    """Raises TypeError or ValueError, naming the argument, for a bad ``RedisStore`` option."""
    if not isinstance(url, str):
        raise TypeError(f"RedisStore: url must be a string, got {url!r}")
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ValueError(
            f"RedisStore: url must be a redis://, rediss:// or unix:// URL, got {redact(url)}"
        )
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError as e:
        raise ValueError(f"RedisStore: url has a bad port ({e}), got {redact(url)}") from None
    if not isinstance(prefix, str):
        raise TypeError(f"RedisStore: prefix must be a non-empty string, got {prefix!r}")
    if not prefix:
        raise ValueError(f"RedisStore: prefix must be a non-empty string, got {prefix!r}")
    for name, value in (
        ("timeout", timeout),
        ("ttl", ttl),
        ("reconnect_after", reconnect_after),
        ("lease", lease),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(
                f"RedisStore: {name} must be a positive number of seconds, got {value!r}"
            )
        if not value > 0:
            raise ValueError(
                f"RedisStore: {name} must be a positive number of seconds, got {value!r}"
            )


def client_options(timeout: float, ssl_ca_certs: str | None) -> dict[str, t.Any]:
    """redis-py's connection settings for a store that answers within ``timeout``."""
    options: dict[str, t.Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        # redis-py retries failed commands by default; a store that must answer within
        # `timeout` tries once and falls back instead.
        "retry": Retry(NoBackoff(), 0),
        "retry_on_timeout": False,
        "health_check_interval": 0,
    }
    if ssl_ca_certs is not None:
        options["ssl_ca_certs"] = ssl_ca_certs
    return options


def connect(url: str, cluster: bool, options: dict[str, t.Any]) -> tuple[t.Any, dict[str, t.Any]]:
    """A client (a ``RedisCluster`` with ``cluster``) and the store's scripts registered on it."""
    client: t.Any
    if cluster:
        from redis.cluster import RedisCluster

        client = RedisCluster.from_url(url, **options)
    else:
        client = redis.Redis.from_url(url, **options)
    return client, {name: client.register_script(getattr(_scripts, name)) for name in SCRIPTS}
