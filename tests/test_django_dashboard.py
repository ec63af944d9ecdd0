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
