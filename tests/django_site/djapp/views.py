"""Views the middleware tests call: each fails a given number of times, counted by key."""

import asyncio
import collections
import threading

from asgiref.sync import sync_to_async
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from pertinax.integrations.django.middleware import idempotent

from . import asyncdb
from .models import Row

CALLS: collections.Counter[str] = collections.Counter()
_lock = threading.Lock()


def count(key: str) -> int:
    with _lock:
        CALLS[key] += 1
        return CALLS[key]


class Unavailable(ConnectionError):
    retry_after = 12


def flaky(request: HttpRequest, key: str, failures: int) -> JsonResponse:
    n = count(key)
    if n <= failures:
        raise ConnectionError(f"{key}: backend refused (call {n})")
    return JsonResponse({"key": key, "calls": n})


async def async_flaky(request: HttpRequest, key: str, failures: int) -> JsonResponse:
    n = count(key)
    await asyncio.sleep(0)
    if n <= failures:
        raise ConnectionError(f"{key}: backend refused (call {n})")
    return JsonResponse({"key": key, "calls": n, "async": True})


def down(request: HttpRequest, key: str) -> JsonResponse:
    count(key)
    raise Unavailable(f"{key}: backend down")


def not_found(request: HttpRequest, key: str) -> JsonResponse:
    count(key)
    raise Http404("no such thing")


def denied(request: HttpRequest, key: str) -> JsonResponse:
    count(key)
    raise PermissionDenied("not yours")


def bug(request: HttpRequest, key: str) -> JsonResponse:
    count(key)
    raise ValueError(f"{key}: a bug, not an outage")


@csrf_exempt
def post_flaky(request: HttpRequest, key: str, failures: int) -> JsonResponse:
    return flaky(request, key, failures)


@idempotent
@csrf_exempt
def put_like_post(request: HttpRequest, key: str, failures: int) -> JsonResponse:
    return flaky(request, key, failures)


def write_then_fail(request: HttpRequest, key: str, failures: int) -> JsonResponse:
    """Writes a row, then fails: with ATOMIC_REQUESTS each attempt's row is rolled back."""
    n = count(key)
    Row.objects.create(n=1000 + n)
    if n <= failures:
        raise ConnectionError(f"{key}: failed after writing")
    return JsonResponse(
        {
            "rows": sorted(Row.objects.values_list("n", flat=True)),
            "atomic": transaction.get_connection().in_atomic_block,
        }
    )


async def async_row(request: HttpRequest, using: str, n: int) -> JsonResponse:
    """Writes row ``n`` under ``database_retry`` through the ORM's async API; ``?terminate=1``
    first has another session end this request's connection, which the write then meets."""
    if request.GET.get("terminate"):
        await sync_to_async(asyncdb.terminate_own_connection)(using)
    await asyncdb.write_with_pertinax(n, using)
    return JsonResponse({"n": n, "attempts": asyncdb.STATS["attempts"]})


login = LoginView.as_view()
