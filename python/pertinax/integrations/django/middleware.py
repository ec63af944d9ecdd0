"""``RetryMiddleware``: retries API views on transient errors, safely.

How it hooks in, and why. Django wraps every middleware's ``get_response`` in
``convert_exception_to_response``: a view's exception becomes a 500 (or 404, 403...) response
before the middleware around it sees anything, so a middleware that only wraps
``get_response`` in a retry loop never sees the exception to retry. ``process_exception`` does
see it, but only after Django ran the first attempt outside any policy (untimed, uncounted),
and it is always called synchronously. So the middleware uses ``process_view``: for a request
it applies to, it calls the view itself, under the policy, and returns the view's response;
Django then skips its own call of the view.

What that implies, and how it is handled:

* Django applies ``ATOMIC_REQUESTS`` when it calls the view itself, so the middleware does
  the same around *each attempt*: every attempt is its own transaction, and a retry re-runs
  the whole transaction from outside it (never from inside a broken one).
* Returning a response from ``process_view`` skips the ``process_view`` of the middleware
  listed after this one, so it must come after them (``CsrfViewMiddleware`` above all); the
  system check ``pertinax.E009`` says so.
* An error the policy does not retry propagates from ``process_view`` and goes through
  Django's normal handling (``Http404`` -> 404, ``PermissionDenied`` -> 403, anything else
  logged by ``django.request``, ``got_request_exception`` sent, the debug page or a 500), as
  it would without the middleware. The other middleware's ``process_exception`` hooks are not
  called for it, since Django calls them only for exceptions of the view call it made itself.
* When the policy gives up, the answer is a JSON 503 with a ``Retry-After`` header.

Only paths under ``PERTINAX["middleware"]["paths"]`` (default ``/api/``) and methods in
``["methods"]`` (default GET, HEAD, OPTIONS) are retried; a view marked with :func:`idempotent`
is retried for any method. Sync and async views, under WSGI and ASGI.
"""

import math
import typing as t

from asgiref.sync import async_to_sync, iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.db import connections, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from pertinax import RetryError

from . import conf, db, stats

__all__ = ["RetryMiddleware", "idempotent"]

ViewT = t.TypeVar("ViewT", bound=t.Callable[..., t.Any])


def idempotent(view: ViewT) -> ViewT:
    """Marks a view as safe to run again, so :class:`RetryMiddleware` retries it for any
    method (POST included)."""
    if not callable(view):
        raise TypeError(f"idempotent: view must be a view function or class, got {view!r}")
    view._pertinax_idempotent = True  # type: ignore[attr-defined]
    return view


class _GaveUp(RetryError):
    """The policy gave up (kept apart from a RetryError the view itself raises)."""


class RetryMiddleware:
    """Retries views on transient errors under a policy (``"api"`` by default)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: t.Callable[[HttpRequest], t.Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
            # Django adapts each hook by whether it is a coroutine function.
            self.process_view = self._process_view_async  # type: ignore[method-assign]

    def __call__(self, request: HttpRequest) -> t.Any:
        return self.get_response(request)

    def applies(self, request: HttpRequest, view: t.Callable[..., t.Any]) -> bool:
        """Whether this request's view is retried."""
        options = conf.middleware_options()
        if not any(request.path_info.startswith(p) for p in options["paths"]):
            return False
        if _unwrapped_flag(view, "_pertinax_idempotent"):
            return True
        return (request.method or "").upper() in {m.upper() for m in options["methods"]}

    def process_view(
        self,
        request: HttpRequest,
        view: t.Callable[..., t.Any],
        args: tuple[t.Any, ...],
        kwargs: dict[str, t.Any],
    ) -> HttpResponse | None:
        if not self.applies(request, view):
            return None
        _sample()
        retrying = self._retrying(request, view, asynchronous=iscoroutinefunction(view))
        call = _atomic_view(view)
        try:
            if iscoroutinefunction(view):

                async def run() -> t.Any:
                    return await retrying(call, request, *args, **kwargs)

                return t.cast(HttpResponse, async_to_sync(run)())
            return t.cast(HttpResponse, retrying(call, request, *args, **kwargs))
        except _GaveUp as e:
            return self.gave_up_response(request, e)

    async def _process_view_async(
        self,
        request: HttpRequest,
        view: t.Callable[..., t.Any],
        args: tuple[t.Any, ...],
        kwargs: dict[str, t.Any],
    ) -> HttpResponse | None:
        if not self.applies(request, view):
            return None
        _sample()
        retrying = self._retrying(request, view, asynchronous=True)
        call = _atomic_view(view)
        if not iscoroutinefunction(call):
            call = sync_to_async(call, thread_sensitive=True)
        try:
            return t.cast(HttpResponse, await retrying(call, request, *args, **kwargs))
        except _GaveUp as e:
            return self.gave_up_response(request, e)

    def _retrying(self, request: HttpRequest, view: t.Any, *, asynchronous: bool) -> t.Any:
        from pertinax import policies

        policy = policies.get(conf.middleware_options()["policy"])
        overrides = {
            **db.django_overrides(policy, db_errors=False),
            "reraise": False,
            "retry_error_cls": _GaveUp,
            "retry_error_callback": None,
        }
        if asynchronous:
            return policy.async_retrying(**overrides)
        return policy.retrying(**overrides)

    def gave_up_response(self, request: HttpRequest, error: RetryError) -> HttpResponse:
        """The JSON 503 answered when the policy gives up."""
        last = error.last_attempt
        exc = last.exception() if last.failed else None
        retry_after = getattr(exc, "retry_after", None)
        if not isinstance(retry_after, (int, float)) or isinstance(retry_after, bool):
            retry_after = conf.middleware_options()["retry_after"]
        seconds = max(0, math.ceil(float(retry_after)))
        response = JsonResponse(
            {
                "error": "service unavailable",
                "detail": f"gave up after {last.attempt_number} attempts",
                "exception": type(exc).__name__ if exc is not None else None,
                "retry_after": seconds,
            },
            status=503,
        )
        response["Retry-After"] = str(seconds)
        return response


def _sample() -> None:
    # The dashboard's time series gets a point (at most one per interval) as API requests
    # pass, so it has a history before anyone opens the page.
    options = conf.dashboard_options()
    stats.history.sample(interval=float(options["interval"]), points=int(options["points"]))


def _unwrapped_flag(view: t.Any, name: str) -> bool:
    # Class-based views and decorators keep the view's attributes on the outer function only
    # when they copy its __dict__: look through __wrapped__ and view_class too.
    seen = 0
    while view is not None and seen < 10:
        if getattr(view, name, False):
            return True
        view_class = getattr(view, "view_class", None)
        if view_class is not None and getattr(view_class, name, False):
            return True
        view = getattr(view, "__wrapped__", None)
        seen += 1
    return False


def _atomic_view(view: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    # What Django's handler does when it calls the view itself (make_view_atomic), applied to
    # each attempt: the transaction starts and ends inside the attempt.
    non_atomic: set[str] = getattr(view, "_non_atomic_requests", set())
    for alias, settings_dict in connections.settings.items():
        if settings_dict.get("ATOMIC_REQUESTS") and alias not in non_atomic:
            if iscoroutinefunction(view):
                raise RuntimeError("You cannot use ATOMIC_REQUESTS with async views.")
            view = transaction.atomic(using=alias)(view)
    return view
