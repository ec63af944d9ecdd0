"""The staff dashboard in a real headless Chromium (Debian's chromium and chromedriver, driven
by selenium) against a real ``runserver`` process: log in as staff, read the page, keep a
screenshot under ``test-artifacts/``."""

from __future__ import annotations

import os
import shutil
import time
import typing as t
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
)


def make_staff(directory: Path) -> None:
    from djapp.server import manage

    manage(directory, "migrate", "-v", "0")
    manage(
        directory,
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        "User.objects.create_user('ops', password='s3cret-pw', is_staff=True)",
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[str]:
    from djapp.server import runserver

    directory = tmp_path_factory.mktemp("browser")
    make_staff(directory)
    # One chart point per second at most: each burst below (a few milliseconds) lands whole
    # in one point, however slow the machine.
    with runserver(directory, PERTINAX_TEST_INTERVAL="1.0") as url:
        # Traffic in the server process, in two bursts a sampling interval apart: calls that
        # succeed at once, recover, or give up.
        for burst, plan in (("one", [0, 1, 1, 9]), ("two", [0, 0, 0, 1])):
            for n, failures in enumerate(plan):
                try:
                    urllib.request.urlopen(f"{url}/api/flaky/{burst}{n}/{failures}/").close()
                except urllib.error.HTTPError as e:
                    assert e.code == 503
            time.sleep(1.2)
        yield url


@pytest.fixture
def browser() -> t.Iterator[t.Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1100,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def log_in(browser: t.Any, site: str) -> None:
    """Signs in as the staff user through the login form and waits for the dashboard."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{site}/pertinax/")
    assert browser.current_url == f"{site}/login/?next=/pertinax/"
    browser.find_element(By.NAME, "username").send_keys("ops")
    browser.find_element(By.NAME, "password").send_keys("s3cret-pw")
    browser.find_element(By.ID, "submit").click()
    # click() may return before the form's navigation has even started: wait for the
    # dashboard's URL (the password hash alone takes a while on a busy machine).
    dashboard = f"{site}/pertinax/"
    try:
        WebDriverWait(browser, 60).until(
            lambda b: (
                b.current_url == dashboard
                and b.execute_script("return document.readyState") == "complete"
            )
        )
    except TimeoutException:
        body = browser.find_element(By.TAG_NAME, "body").text
        pytest.fail(f"still at {browser.current_url} after logging in; the page says: {body!r}")


def test_staff_see_the_dashboard_in_a_real_browser(site: str, browser: t.Any) -> None:
    from selenium.webdriver.common.by import By

    log_in(browser, site)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "django-dashboard.png"
    assert browser.save_screenshot(str(shot))
    print(f"\nscreenshot: {shot}")

    assert browser.title == "pertinax retries"
    assert "this server process only" in browser.find_element(By.ID, "scope").text
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-operation="api"]')
    cell = {
        name: row.find_element(By.CLASS_NAME, name).text
        for name in ("calls", "success-rate", "retry-rate", "gave-up", "p95")
    }
    # Eight calls: four first tries, three recovered, one gave up (after three attempts).
    assert cell["calls"] == "8"
    assert cell["success-rate"] == "87.5%"
    assert cell["retry-rate"] == "50.0%"
    assert cell["gave-up"] == "1"
    assert cell["p95"].endswith("ms")
    chart = browser.find_element(By.ID, "pertinax-rates-chart")
    assert chart.size["width"] > 600 and chart.size["height"] > 200
    lines = {
        line.get_attribute("class"): line.get_attribute("points")
        for line in chart.find_elements(By.TAG_NAME, "polyline")
    }
    assert set(lines) == {"success_rate", "retry_rate"}
    # The second burst's point: every call succeeded (100%, the top of the plot), one in four
    # retried (25%: three quarters of the way down).
    from pertinax.integrations.django.chart import BOTTOM, HEIGHT, TOP

    plot_h = HEIGHT - TOP - BOTTOM
    assert float(lines["success_rate"].split()[-1].split(",")[1]) == TOP
    assert float(lines["retry_rate"].split()[-1].split(",")[1]) == TOP + plot_h * 0.75


@pytest.fixture(scope="module")
def fleet_site(
    tmp_path_factory: pytest.TempPathFactory,
) -> t.Iterator[tuple[str, dict[str, t.Any]]]:
    """A real runserver whose settings name a real redis-server, which three worker processes
    publish their breakers and budgets to; yields its URL and what the fleet rows must say."""
    from djapp.server import runserver

    from tests.support import redis_server
    from tests.test_django_dashboard_fleet import run_fleet

    directory = tmp_path_factory.mktemp("browser-fleet")
    make_staff(directory)
    prefix = f"{redis_server.ACL_PREFIX}:browser"
    with redis_server.running() as server:
        workers, expected = run_fleet(server.url(), prefix, directory)
        try:
            env = {"PERTINAX_TEST_STORE": server.url(), "PERTINAX_TEST_STORE_PREFIX": prefix}
            with runserver(directory, **env) as url:
                yield url, expected
        finally:
            for w in workers:
                w.stop()


def test_staff_read_the_fleets_breakers_and_budgets_in_a_real_browser(
    fleet_site: tuple[str, dict[str, t.Any]], browser: t.Any
) -> None:
    from selenium.webdriver.common.by import By

    site, expected = fleet_site
    log_in(browser, site)
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "django-dashboard-fleet.png"))

    # Three workers and the server process, which published itself before reading.
    scope = browser.find_element(By.ID, "scope")
    assert (scope.get_attribute("data-scope"), scope.get_attribute("data-processes")) == (
        "fleet",
        "4",
    )
    assert "shown for the fleet and for this server process" in scope.text
    assert browser.find_element(By.ID, "operations-empty").text == (
        "No retried operation has been called in the fleet yet."
    )
    assert browser.find_element(By.ID, "breakers-scope").text.startswith("This server process")

    def cells(row: t.Any, *names: str) -> dict[str, str]:
        return {name: row.find_element(By.CLASS_NAME, name).text for name in names}

    table = browser.find_element(By.ID, "fleet-breakers")
    shown = {
        row.get_attribute("data-fleet-breaker"): cells(
            row, "state", "processes", "kept-in", "failure-rate", "opened", "rejected"
        )
        for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    }
    assert set(shown) == set(expected["breakers"])
    for name, want in expected["breakers"].items():
        assert shown[name] == {
            "state": want["shown"],
            "processes": str(want["processes"]),
            "kept-in": want["kept_in"],
            "failure-rate": want["failure"],
            "opened": str(want["opened"]),
            "rejected": str(want["rejected"]),
        }
    # An open or mixed state stands out from a closed one.
    mixed = table.find_element(By.CSS_SELECTOR, 'tr[data-state="mixed"] td.state')
    closed_colour = browser.find_element(By.CSS_SELECTOR, "td.processes").value_of_css_property(
        "color"
    )
    assert mixed.value_of_css_property("color") != closed_colour

    table = browser.find_element(By.ID, "fleet-budgets")
    budgets = {
        row.get_attribute("data-fleet-budget"): cells(
            row, "available", "retries", "gave-up", "processes", "kept-in"
        )
        for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    }
    assert budgets == {
        name: {
            "available": want["available"],
            "retries": str(want["retries"]),
            "gave-up": str(want["gave_up"]),
            "processes": str(want["processes"]),
            "kept-in": want["kept_in"],
        }
        for name, want in expected["budgets"].items()
    }
    # The server process holds none of them: its own tables say so.
    assert browser.find_element(By.ID, "breakers-empty").is_displayed()
    assert browser.find_element(By.ID, "budgets-empty").is_displayed()
