"""The staff dashboard: who may see it, what the page and its JSON show, and the server-side
SVG chart."""

from __future__ import annotations

import re
import time
import typing as t
import xml.etree.ElementTree as ET

import pytest
from djapp.testing import clean_metrics, django_env  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("django_env", "clean_metrics")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def users() -> t.Iterator[dict[str, t.Any]]:
    from django.contrib.auth.models import User

    made = {
        "staff": User.objects.create_user("staff", password="pw", is_staff=True),
        "plain": User.objects.create_user("plain", password="pw"),
    }
    yield made
    User.objects.filter(pk__in=[u.pk for u in made.values()]).delete()


def client(user: t.Any = None) -> t.Any:
    from django.test import Client

    c = Client()
    if user is not None:
        c.force_login(user)
    return c


@pytest.mark.parametrize("url", ["/pertinax/", "/pertinax/data.json"])
def test_anonymous_users_are_sent_to_log_in(url: str) -> None:
    response = client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


@pytest.mark.parametrize("url", ["/pertinax/", "/pertinax/data.json"])
def test_users_who_are_not_staff_get_a_403(url: str, users: dict[str, t.Any]) -> None:
    assert client(users["plain"]).get(url).status_code == 403


def traffic(tag: str) -> None:
    """Three API calls: one first try, one recovered, one gave up (six attempts)."""
    c = client()
    assert c.get(f"/api/flaky/{tag}-ok/0/").status_code == 200
    assert c.get(f"/api/flaky/{tag}-retried/1/").status_code == 200
    assert c.get(f"/api/flaky/{tag}-out/9/").status_code == 503


def test_the_page_shows_each_operation_and_says_whose_figures(users: dict[str, t.Any]) -> None:
    traffic("page")
    response = client(users["staff"]).get("/pertinax/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "These are the figures of this server process only" in html
    row = re.search(r'<tr data-operation="api">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = dict(re.findall(r'<td class="([\w-]+)">(.*?)</td>', row.group(1), re.S))
    assert cells["calls"] == "3"
    assert cells["success-rate"] == "66.7%"
    assert cells["retry-rate"] == "66.7%"
    assert cells["gave-up"] == "1"
    assert cells["p95"].endswith(" ms")
    assert cells["alert"] == "-"
    assert "<script" not in html and "http://" not in html.replace(SVG[1:-1], "")


def test_the_json_endpoint(users: dict[str, t.Any]) -> None:
    import os

    traffic("json")
    data = client(users["staff"]).get("/pertinax/data.json").json()
    assert data["scope"] == "process" and data["pid"] == os.getpid()
    [api] = [op for op in data["operations"] if op["operation"] == "api"]
    assert (api["calls"], api["gave_up"], api["attempts"]) == (3, 1, 6)
    assert api["retry_rate"] == pytest.approx(2 / 3)


def test_the_chart_plots_rates_between_samples(users: dict[str, t.Any]) -> None:
    # PERTINAX["dashboard"]["interval"] is 0.2 s in djapp: each burst below lands in a point.
    staff = client(users["staff"])
    staff.get("/pertinax/data.json")  # the first sample: the baseline
    bursts = [("a", [0, 0, 0, 0]), ("b", [1, 1, 0, 0]), ("c", [9, 1, 1, 1])]
    for name, failures in bursts:
        time.sleep(0.25)
        for i, n in enumerate(failures):
            client().get(f"/api/flaky/chart-{name}{i}/{n}/")
    time.sleep(0.25)
    series = staff.get("/pertinax/data.json").json()["series"]
    # Points are sampled as requests pass (the first request of each burst closes the last):
    # across them every call is counted once, and the rates add up to the whole run.
    assert sum(p["calls"] for p in series) == 12
    retried = sum(p["retry_rate"] * p["calls"] for p in series if p["calls"])
    succeeded = sum(p["success_rate"] * p["calls"] for p in series if p["calls"])
    assert round(retried) == 6 and round(succeeded) == 11

    html = staff.get("/pertinax/").content.decode()
    svg = ET.fromstring(re.search(r"<svg.*?</svg>", html, re.S).group(0))  # type: ignore[union-attr]
    lines = {p.get("class"): p.get("points") for p in svg.iter(f"{SVG}polyline")}
    assert set(lines) == {"success_rate", "retry_rate"}
    assert len(lines["success_rate"].split()) == len([p for p in series if p["calls"]])


def test_the_svg_maps_rates_to_heights() -> None:
    from pertinax.integrations.django.chart import (
        BOTTOM,
        HEIGHT,
        LEFT,
        RIGHT,
        TOP,
        WIDTH,
        rates_svg,
    )

    points = [
        {"at": 100.0, "success_rate": 1.0, "retry_rate": 0.0},
        {"at": 110.0, "success_rate": 0.5, "retry_rate": 0.25},
        {"at": 120.0, "success_rate": None, "retry_rate": None},
    ]
    svg = ET.fromstring(str(rates_svg(points)))
    lines = {p.get("class"): p.get("points") for p in svg.iter(f"{SVG}polyline")}
    plot_h, right = HEIGHT - TOP - BOTTOM, WIDTH - RIGHT
    middle = LEFT + (right - LEFT) / 2
    assert lines["success_rate"] == f"{LEFT:.1f},{TOP:.1f} {middle:.1f},{TOP + plot_h / 2:.1f}"
    assert lines["retry_rate"] == (
        f"{LEFT:.1f},{TOP + plot_h:.1f} {middle:.1f},{TOP + plot_h * 0.75:.1f}"
    )
    empty = ET.fromstring(str(rates_svg([])))
    assert [t.text for t in empty.iter(f"{SVG}text")][-1] == "no data yet"


def open_a_breaker(tag: str) -> dict[str, t.Any]:
    """A breaker driven open by real failing calls, one left closed with a failure in its
    window, and a budget emptied on the way. Returns them with the time bounds of the
    opening."""
    import pertinax

    payments = pertinax.CircuitBreaker(f"{tag}.payments", window=4, minimum_calls=4, open_for=60)
    search = pertinax.CircuitBreaker(f"{tag}.search", window=10, minimum_calls=10)
    budget = pertinax.RetryBudget(f"{tag}.payments", ratio=0, capacity=1)
    calls = {"payments": 0}

    @pertinax.retry(
        stop=pertinax.stop_after_attempt(3),
        wait=pertinax.wait_fixed(0),
        breaker=payments,
        budget=budget,
    )
    def pay() -> None:
        calls["payments"] += 1
        raise ConnectionError("payments refused")

    @pertinax.retry(
        stop=pertinax.stop_after_attempt(2), wait=pertinax.wait_fixed(0), breaker=search
    )
    def find(fail: bool) -> str:
        if fail:
            raise ConnectionError("search refused")
        return "found"

    before = time.time()
    stopped = []
    for _ in range(3):
        with pytest.raises(pertinax.RetryError):
            pay()
        stopped.append(pay.statistics.get("stopped_by"))
    after = time.time()
    with pytest.raises(pertinax.CircuitOpenError):
        pay()
    # Call 1: fails, one retry (the budget's only token), fails, the budget refuses the next.
    # Call 2: fails, the budget refuses. Call 3: the 4th failure of 4 opens the breaker.
    assert stopped == ["budget", "budget", "breaker"] and calls["payments"] == 4
    assert find(False) == "found" and find(False) == "found"
    with pytest.raises(pertinax.RetryError):
        find(True)  # two failures in a window of four outcomes
    return {"keep": (payments, search, budget), "before": before, "after": after}


def test_breakers_and_budgets_on_the_page_and_in_json(users: dict[str, t.Any]) -> None:
    import datetime

    made = open_a_breaker("dash")
    staff = client(users["staff"])
    data = staff.get("/pertinax/data.json").json()
    breakers = {b["breaker"]: b for b in data["breakers"]}
    payments, search = breakers["dash.payments"], breakers["dash.search"]
    assert (payments["state"], payments["failure_rate"], payments["window_calls"]) == (
        "open",
        1.0,
        4,
    )
    assert made["before"] <= payments["changed_at"] <= made["after"]
    assert (payments["opened"], payments["rejected"]) == (1, 1)
    assert (search["state"], search["window_calls"], search["changed_at"]) == ("closed", 4, None)
    assert search["failure_rate"] == pytest.approx(0.5)
    budgets = {b["budget"]: b for b in data["budgets"]}
    assert budgets["dash.payments"] == {
        "budget": "dash.payments",
        "available": 0.0,
        "gave_up": 2,
        "retries": 1,
    }

    html = staff.get("/pertinax/").content.decode()

    def cells(kind: str, name: str) -> dict[str, str]:
        row = re.search(rf'<tr data-{kind}="{re.escape(name)}">(.*?)</tr>', html, re.S)
        assert row is not None, name
        return {
            k.split()[0]: v
            for k, v in re.findall(r'<td class="([\w -]+)">(.*?)</td>', row.group(1))
        }

    shown = cells("breaker", "dash.payments")
    assert shown["state"] == "open" and shown["failure-rate"] == "100.0% of 4"
    at = datetime.datetime.fromtimestamp(payments["changed_at"], datetime.timezone.utc)
    assert shown["changed-at"] == at.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert (shown["opened"], shown["rejected"]) == ("1", "1")
    shown = cells("breaker", "dash.search")
    assert (shown["state"], shown["failure-rate"], shown["changed-at"]) == (
        "closed",
        "50.0% of 4",
        "-",
    )
    assert cells("budget", "dash.payments") == {
        "budget": "dash.payments",
        "available": "0",
        "retries": "1",
        "gave-up": "2",
    }
    del made
