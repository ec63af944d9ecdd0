"""Placeholder until the async driver lands."""


class AsyncRetrying:  # pragma: no cover - replaced by the async driver
    pass
