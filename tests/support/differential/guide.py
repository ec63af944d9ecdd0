"""The hand-written side of the policy cases (tests/differential/test_cases_policies.py):
what a tenacity user writes for a retry guide's presets, with its checklist done right, and
the failures the cases raise: real requests and httpx errors, with and without Retry-After.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
from typing import Any

import httpx
import requests
import tenacity

from .recording import Recorder

__all__ = [
    "FAILURES",
    "PRESETS",
    "SCRIPTS",
    "RetryAfterOr",
    "acting",
    "hand_async_retry_context",
    "hand_retry_context",
    "hand_transient",
    "hand_written",
    "hooks",
    "preset_controller",
    "preset_decorator",
]


# The guide's preset numbers: attempts, then wait_exponential's multiplier, min and max.
PRESETS = {
    "api": (3, 2, 1, 30),
    "database": (5, 1, 0.5, 10),
    "file_upload": (3, 3, 2, 60),
}
TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504}


# --- the hand-written side --------------------------------------------------------------


def hand_transient(exc: BaseException) -> bool:
    """The guide's checklist, by hand, for the errors these cases raise: network failures
    and the transient HTTP statuses; never a 4xx, a missing file or a bad value."""
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, (requests.ConnectionError, requests.Timeout, httpx.TransportError)):
        return True
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", getattr(exc, "status_code", None))
    return status in TRANSIENT_STATUSES


class RetryAfterOr:
    """A tenacity wait, by hand: the server's ``Retry-After`` (seconds or an HTTP date),
    capped, else ``fallback``."""

    def __init__(self, fallback: Any, cap: float) -> None:
        self.fallback = fallback
        self.cap = cap

    def __call__(self, rs: Any) -> float:
        exc = rs.outcome.exception() if rs.outcome.failed else None
        raw = getattr(exc, "retry_after", None)
        if raw is None and exc is not None:
            raw = getattr(getattr(exc, "response", None), "headers", {}).get("Retry-After")
        seconds = None
        if isinstance(raw, (int, float)):
            seconds = float(raw)
        elif isinstance(raw, str) and raw.strip().isdigit():
            seconds = float(int(raw))
        elif isinstance(raw, str):
            try:
                when = email.utils.parsedate_to_datetime(raw)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                now = datetime.datetime.now(datetime.timezone.utc)
                seconds = max((when - now).total_seconds(), 0.0)
        if seconds is None:
            return self.fallback(rs)  # type: ignore[no-any-return]
        return min(seconds, float(self.cap))


def hand_written(lib: Any, name: str, numbers: Any = None) -> dict[str, Any]:
    """The guide's ``RetryConfig`` preset (or ``numbers`` in its place) as tenacity
    arguments (``name=`` is tenacity's too: what ``get_fn_name()`` says in the iterator form)."""
    attempts, multiplier, low, high = numbers or PRESETS[name]
    wait = lib.wait_exponential(multiplier=multiplier, min=low, max=high)
    return {
        "name": name,
        "stop": lib.stop_after_attempt(attempts),
        "wait": RetryAfterOr(wait, high) if name == "api" else wait,
        "retry": lib.retry_if_exception(hand_transient),
        "reraise": True,
    }


def hooks(rec: Recorder) -> dict[str, Any]:
    """The recorder's sleep, before_sleep and after, as controller arguments."""
    return {"sleep": rec.sleep, "before_sleep": rec.before_sleep, "after": rec.after}


@contextlib.contextmanager
def hand_retry_context(lib: Any, rec: Recorder) -> Any:
    """The guide's context manager, done right: the "api" preset, the error re-raised."""
    yield lib.Retrying(**hand_written(lib, "api"), **hooks(rec))


@contextlib.asynccontextmanager
async def hand_async_retry_context(lib: Any, sleep: Any, rec: Recorder) -> Any:
    """The same for ``async with``, sleeping with ``sleep``."""
    yield lib.AsyncRetrying(**{**hand_written(lib, "api"), **hooks(rec), "sleep": sleep})


def preset_decorator(lib: Any, rec: Recorder, name: str, spelling: str) -> Any:
    """The preset ``name`` as a decorator: by hand under tenacity; under pertinax spelt
    ``api_retry(...)`` ("bare"), ``retry(policy="api")`` ("by name") or with the Policy."""
    if lib is tenacity:
        return lib.retry(**hand_written(lib, name), **hooks(rec))
    if spelling == "bare":
        bare = {"api": lib.api_retry, "database": lib.database_retry, "file_upload": lib.file_retry}
        return bare[name](**hooks(rec))
    if spelling == "by name":
        return lib.retry(policy=name, **hooks(rec))
    return lib.retry(policy=lib.policies.get(name), **hooks(rec))


def preset_controller(lib: Any, rec: Recorder, name: str, **overrides: Any) -> Any:
    """The preset ``name`` as a ``Retrying``: by hand under tenacity, ``policy.retrying()``
    under pertinax."""
    if lib is tenacity:
        return lib.Retrying(**{**hand_written(lib, name), **hooks(rec), **overrides})
    return lib.policies.get(name).retrying(**hooks(rec), **overrides)


# --- the failures ---------------------------------------------------------------------


def http_error(status: int, retry_after: str | None = None, client: str = "requests") -> Any:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    if client == "httpx":
        request = httpx.Request("GET", "http://127.0.0.1/orders")
        response = httpx.Response(status, headers=headers, request=request)
        return httpx.HTTPStatusError(f"HTTP {status}", request=request, response=response)
    answer = requests.Response()
    answer.status_code = status
    answer.headers.update(headers)
    return requests.HTTPError(f"HTTP {status}", response=answer)


class Throttled(Exception):
    """An SDK's own 429: the status and the wait as attributes."""

    def __init__(self, retry_after: object) -> None:
        super().__init__(f"throttled ({retry_after!r})")
        self.status_code = 429
        self.retry_after = retry_after


FAILURES: dict[str, Any] = {
    "refused": lambda: ConnectionRefusedError(111, "refused"),
    "timeout": lambda: TimeoutError("timed out"),
    "reset": lambda: requests.ConnectionError("connection reset"),
    "503": lambda: http_error(503),
    "404": lambda: http_error(404),
    "401": lambda: http_error(401),
    "429 in 2 s": lambda: http_error(429, "2"),
    "429 in 120 s": lambda: http_error(429, "120"),
    "429 at a past date": lambda: http_error(429, "Thu, 01 Jan 1970 00:00:00 GMT"),
    "429 unreadable": lambda: http_error(429, "soon"),
    "httpx 503 in 1 s": lambda: http_error(503, "1", client="httpx"),
    "throttled 3": lambda: Throttled(3),
    "throttled 0.25": lambda: Throttled(0.25),
    "missing file": lambda: FileNotFoundError(2, "No such file", "invoice.pdf"),
    "bad value": lambda: ValueError("bad value"),
}


def acting(rec: Recorder, *script: str) -> Any:
    """A function for one run that raises each named failure in turn (``"ok"`` returns),
    recording each call; its last step repeats."""
    serial = len(rec.functions)
    rec.functions.append(script)
    rec.sleeps = 0  # each run may sleep up to the recorder's bound
    calls: list[int] = []

    def fn(*args: Any) -> Any:
        calls.append(1)
        k = len(calls)
        step = script[min(k, len(script)) - 1]
        rec.events.append(("call", f"f{serial}", k, rec.value(args)))
        if step == "ok":
            return f"ok after {k}"
        exc = FAILURES[step]()
        rec.label(exc, f"f{serial}.a{k}")
        raise exc

    rec.label(fn, f"f{serial}")
    return fn


SCRIPTS = [
    ("refused", "503", "ok"),
    ("refused",),
    ("timeout", "404"),
    ("reset", "401"),
    ("missing file",),
    ("bad value",),
    ("429 in 2 s", "ok"),
    ("ok",),
]
