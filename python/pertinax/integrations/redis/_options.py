"""The store's URL and options: checked once, with errors that name the argument and the
value, and a URL shown only with its password hidden."""

from urllib.parse import urlsplit, urlunsplit

__all__ = ["check_options", "redact"]


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
