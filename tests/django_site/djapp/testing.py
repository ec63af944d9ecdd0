"""pytest fixtures for the tests that run the ``djapp`` project in the test process."""

from __future__ import annotations

import os
import typing as t

import pytest

_READY: list[bool] = []


@pytest.fixture(scope="session")
def django_env(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> None:
    """Django set up with ``djapp.settings`` and test databases on both aliases, once per
    session however many modules import this fixture."""
    if _READY:
        return
    saved = {k: os.environ.get(k) for k in ("DJANGO_SETTINGS_MODULE", "PERTINAX_TEST_DIR")}
    os.environ["DJANGO_SETTINGS_MODULE"] = "djapp.settings"
    os.environ["PERTINAX_TEST_DIR"] = str(tmp_path_factory.mktemp("djapp"))
    import django
    from django.test.utils import (
        setup_databases,
        setup_test_environment,
        teardown_databases,
        teardown_test_environment,
    )

    try:
        django.setup()
        setup_test_environment()
        old = setup_databases(verbosity=0, interactive=False, aliases={"default", "secondary"})
    finally:
        # Child processes of other tests (a Celery worker...) must not inherit them.
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    _READY.append(True)

    def teardown() -> None:
        teardown_databases(old, verbosity=0)
        teardown_test_environment()

    request.addfinalizer(teardown)  # a session fixture's finalizers run at the session's end


@pytest.fixture
def clean_metrics(django_env: None) -> t.Iterator[None]:
    """Zeroed metrics, and the policies as the settings say (another module's tests may have
    reset the registry)."""
    from pertinax.integrations.django import conf, stats

    assert conf.apply()
    stats.reset()
    yield
    stats.reset()
