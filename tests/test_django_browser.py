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


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[str]:
    from djapp.server import manage, runserver

    directory = tmp_path_factory.mktemp("browser")
    manage(directory, "migrate", "-v", "0")
    manage(
        directory,
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        "User.objects.create_user('ops', password='s3cret-pw', is_staff=True)",
    )
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


def test_staff_see_the_dashboard_in_a_real_browser(site: str, browser: t.Any) -> None:
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
