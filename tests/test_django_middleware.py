"""RetryMiddleware through Django's test clients (WSGI and ASGI handlers) and through a real
``manage.py runserver`` process, its headers read by a real HTTP client."""

from __future__ import annotations

import sys
import typing as t
import urllib.error
import urllib.request

import pytest
from djapp.testing import clean_metrics, django_env  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("django_env", "clean_metrics")
FAST_API = {"api": {"attempts": 3, "wait": 0, "max": 0, "retry_on": ["builtins.ConnectionError"]}}


def calls(key: str) -> int:
    from djapp.views import CALLS

    return CALLS[key]


def client(**kwargs: t.Any) -> t.Any:
    from django.test import Client

    return Client(**kwargs)


def test_a_get_is_retried_until_it_succeeds() -> None:
    response = client().get("/api/flaky/get/2/")
    assert response.status_code == 200
    assert response.json() == {"key": "get", "calls": 3}
    assert calls("get") == 3


@pytest.mark.parametrize("method", ["head", "options"])
def test_other_safe_methods_are_retried(method: str) -> None:
    response = getattr(client(), method)(f"/api/flaky/{method}/1/")
    assert response.status_code == 200
    assert calls(method) == 2


def test_after_the_last_attempt_a_json_503_with_retry_after() -> None:
    response = client().get("/api/flaky/out/5/")
    assert calls("out") == 3
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "7"  # PERTINAX["middleware"]["retry_after"]
    assert response.json() == {
        "error": "service unavailable",
        "detail": "gave up after 3 attempts",
        "exception": "ConnectionError",
        "retry_after": 7,
    }


def test_retry_after_comes_from_the_error_when_it_has_one() -> None:
    response = client().get("/api/down/down/")
    assert response.status_code == 503
    assert response["Retry-After"] == "12"
    assert response.json()["exception"] == "Unavailable"


def test_a_post_is_never_retried_and_its_error_is_not_swallowed() -> None:
    with pytest.raises(ConnectionError, match="post: backend refused"):
        client().post("/api/post/post/1/")
    assert calls("post") == 1
    response = client(raise_request_exception=False).post("/api/post/post/5/")
    assert response.status_code == 500
    assert calls("post") == 2


def test_an_idempotent_view_is_retried_for_any_method() -> None:
    response = client().post("/api/idempotent/idem/2/")
    assert response.status_code == 200 and calls("idem") == 3


def test_idempotent_names_what_is_not_a_view() -> None:
    from pertinax.integrations.django.middleware import idempotent

    with pytest.raises(TypeError, match="idempotent: view must be a view function or class, got 3"):
        idempotent(3)  # type: ignore[type-var]


def test_paths_outside_the_prefixes_are_left_alone() -> None:
    with pytest.raises(ConnectionError):
        client().get("/pages/flaky/page/1/")
    assert calls("page") == 1


def test_errors_that_are_not_transient_go_through_djangos_handling() -> None:
    from django.core.signals import got_request_exception

    seen: list[BaseException] = []

    def record(sender: object, request: object, **kwargs: t.Any) -> None:
        seen.append(sys.exc_info()[1])  # type: ignore[arg-type]

    got_request_exception.connect(record)
    try:
        with pytest.raises(ValueError, match="bug: a bug, not an outage"):
            client().get("/api/bug/bug/")
        plain = client(raise_request_exception=False)
        assert plain.get("/api/bug/bug2/").status_code == 500
        assert plain.get("/api/not-found/nf/").status_code == 404
        assert plain.get("/api/denied/dn/").status_code == 403
    finally:
        got_request_exception.disconnect(record)
    assert [calls(k) for k in ("bug", "bug2", "nf", "dn")] == [1, 1, 1, 1]
    assert [type(e).__name__ for e in seen] == ["ValueError", "ValueError"]


def test_async_views_under_the_wsgi_handler() -> None:
    response = client().get("/api/async-flaky/async-wsgi/2/")
    assert response.status_code == 200
    assert response.json() == {"key": "async-wsgi", "calls": 3, "async": True}


@pytest.mark.parametrize("view", ["async-flaky", "flaky"])
def test_views_under_the_asgi_handler(view: str) -> None:
    import asyncio

    from django.test import AsyncClient

    async def run() -> t.Any:
        ok = await AsyncClient().get(f"/api/{view}/asgi-{view}/2/")
        out = await AsyncClient().get(f"/api/{view}/asgi-out-{view}/9/")
        return ok, out

    ok, out = asyncio.run(run())
    assert ok.status_code == 200 and calls(f"asgi-{view}") == 3
    assert out.status_code == 503 and out["Retry-After"] == "7"
    assert calls(f"asgi-out-{view}") == 3


def test_each_attempt_is_its_own_transaction_under_atomic_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import connections
    from djapp.models import Row

    Row.objects.all().delete()
    monkeypatch.setitem(connections.settings["default"], "ATOMIC_REQUESTS", True)
    response = client().get("/api/write/atomic/2/")
    assert response.status_code == 200
    # The first two attempts wrote 1001 and 1002, then failed: both rolled back.
    assert response.json() == {"rows": [1003], "atomic": True}
    assert list(Row.objects.values_list("n", flat=True)) == [1003]
    Row.objects.all().delete()


def test_settings_changes_apply_at_once() -> None:
    from django.test import override_settings

    more = {"api": {**FAST_API["api"], "attempts": 5}}
    with override_settings(PERTINAX={"policies": more}):
        assert client().get("/api/flaky/five/4/").status_code == 200
        assert calls("five") == 5
    with override_settings(
        PERTINAX={"policies": FAST_API, "middleware": {"paths": ["/pages/"], "retry_after": 1}}
    ):
        assert client().get("/pages/flaky/pages/1/").status_code == 200
        assert calls("pages") == 2
        with pytest.raises(ConnectionError):
            client().get("/api/flaky/not-api/1/")


def test_the_operation_counts_in_metrics() -> None:
    from pertinax import metrics

    client().get("/api/flaky/metrics/1/")
    client().get("/api/flaky/metrics-out/5/")
    api = metrics.snapshot()["api"]
    assert (api["calls"], api["recovered"], api["gave_up"], api["attempts"]) == (2, 1, 1, 5)


# --- a real server process ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[str]:
    from djapp.server import runserver

    with runserver(tmp_path_factory.mktemp("runserver")) as url:
        yield url


def fetch(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_a_real_server_retries_and_answers_503_with_retry_after(server: str) -> None:
    import json

    status, _, body = fetch(f"{server}/api/flaky/real/2/")
    assert status == 200 and json.loads(body) == {"key": "real", "calls": 3}

    status, headers, body = fetch(f"{server}/api/flaky/real-out/3/")
    assert status == 503
    assert headers["Retry-After"] == "7"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["detail"] == "gave up after 3 attempts"
    # The server's own count: three attempts were made, the fourth call succeeds.
    status, _, body = fetch(f"{server}/api/flaky/real-out/3/")
    assert status == 200 and json.loads(body)["calls"] == 4

    status, headers, _ = fetch(f"{server}/api/down/real-down/", method="HEAD")
    assert status == 503 and headers["Retry-After"] == "12"


def test_a_real_server_does_not_retry_posts_or_swallow_bugs(server: str) -> None:
    import json

    status, headers, body = fetch(f"{server}/api/post/real-post/1/", method="POST")
    assert status == 500 and "Retry-After" not in headers
    assert b"Server Error (500)" in body  # Django's own 500 page, not the middleware's JSON
    status, _, body = fetch(f"{server}/api/post/real-post/1/", method="POST")
    assert status == 200 and json.loads(body)["calls"] == 2  # one call per request
    status, _, body = fetch(f"{server}/api/bug/real-bug/")
    assert status == 500 and b"Server Error (500)" in body
    status, _, _ = fetch(f"{server}/api/not-found/real-nf/")
    assert status == 404
