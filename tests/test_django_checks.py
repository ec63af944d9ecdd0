"""The Django app's settings: applied at once on override_settings (also to functions decorated
before), never failing at import or on a change, and reported by ``manage.py check`` with ids
and hints."""

from __future__ import annotations

import logging
import typing as t

import pytest
from djapp.testing import django_env  # noqa: F401 - a fixture

pytestmark = pytest.mark.usefixtures("django_env")

RETRY = "pertinax.integrations.django.middleware.RetryMiddleware"
CSRF = "django.middleware.csrf.CsrfViewMiddleware"


def ours(**overrides: t.Any) -> list[t.Any]:
    from django.core.checks import run_checks
    from django.test import override_settings

    with override_settings(**overrides):
        return [m for m in run_checks() if m.id and m.id.startswith("pertinax.")]


def ids(messages: list[t.Any]) -> list[str]:
    return [m.id for m in messages]


def test_the_projects_settings_pass() -> None:
    assert ours() == []


def test_every_message_has_a_hint() -> None:
    messages = ours(
        PERTINAX={"polices": {}, "policies": {"api": {"min": 5, "max": 1}}},
        MIDDLEWARE=[RETRY, CSRF],
    )
    assert messages and all(m.hint for m in messages)


def test_unknown_keys() -> None:
    messages = ours(PERTINAX={"polices": {}})
    assert ids(messages) == ["pertinax.E001"]
    assert "'polices'" in messages[0].msg and "policies" in messages[0].hint
    assert ids(ours(PERTINAX={"middleware": {"path": ["/api/"]}})) == ["pertinax.E001"]
    assert ids(ours(PERTINAX={"dashboard": {"colour": "red"}})) == ["pertinax.E001"]
    assert ids(ours(PERTINAX=["api"])) == ["pertinax.E001"]
    messages = ours(PERTINAX={"policies": {"api": {"attempt": 3}}})
    assert ids(messages) == ["pertinax.E002"]
    assert "'attempt'" in messages[0].msg and "'api'" in messages[0].msg


@pytest.mark.parametrize("value", [-1, "soon", None])
def test_a_wait_that_is_negative_or_not_a_number(value: object) -> None:
    messages = ours(PERTINAX={"policies": {"api": {"wait": value}}})
    assert ids(messages) == ["pertinax.E003"]
    assert repr(value) in messages[0].msg


def test_a_negative_flat_wait_in_retry_config() -> None:
    messages = ours(RETRY_CONFIG={"API_MIN_WAIT": -2})
    assert ids(messages) == ["pertinax.E003"]
    assert messages[0].msg.startswith("RETRY_CONFIG")
    assert ids(ours(RETRY_CONFIG="API_MAX_ATTEMPTS=3")) == ["pertinax.E012"]


def test_min_greater_than_max() -> None:
    messages = ours(PERTINAX={"policies": {"database": {"min": 10, "max": 2}}})
    assert ids(messages) == ["pertinax.E004"]
    assert "'database'" in messages[0].msg


def test_an_exception_that_cannot_be_imported() -> None:
    messages = ours(PERTINAX={"policies": {"api": {"retry_on": ["requests.NoSuchError"]}}})
    assert ids(messages) == ["pertinax.E005"]
    assert "requests.NoSuchError" in messages[0].msg


def test_log_levels_and_alerts() -> None:
    assert ids(ours(PERTINAX={"log_levels": "shouty"})) == ["pertinax.E007"]
    bad_alert = {"metrics": {"alerts": {"api": {"retry_rate": 2}}}}
    assert ids(ours(PERTINAX=bad_alert)) == ["pertinax.E007"]


def test_middleware_options() -> None:
    assert ids(ours(PERTINAX={"middleware": {"methods": ["FETCH"]}})) == ["pertinax.E008"]
    assert ids(ours(PERTINAX={"middleware": {"paths": "/api/"}})) == ["pertinax.E008"]
    assert ids(ours(PERTINAX={"middleware": {"paths": ["api/"]}})) == ["pertinax.E008"]
    messages = ours(PERTINAX={"middleware": {"policy": "nope"}})
    assert ids(messages) == ["pertinax.E008"] and "'api'" in messages[0].hint
    assert ids(ours(PERTINAX={"middleware": {"retry_after": -1}})) == ["pertinax.E008"]


def test_a_middleware_placed_where_it_cannot_work() -> None:
    messages = ours(MIDDLEWARE=[RETRY, CSRF])
    assert ids(messages) == ["pertinax.E009"]
    assert CSRF in messages[0].msg and "end of MIDDLEWARE" in messages[0].hint
    assert ids(ours(MIDDLEWARE=[CSRF, RETRY, RETRY])) == ["pertinax.E009"]
    assert ours(MIDDLEWARE=[CSRF, RETRY]) == []


def test_atomic_requests() -> None:
    from django.conf import settings

    databases = {alias: dict(options) for alias, options in settings.DATABASES.items()}
    databases["secondary"]["ATOMIC_REQUESTS"] = True
    with pytest.warns(UserWarning, match="Overriding setting DATABASES"):
        messages = ours(DATABASES=databases)
    assert ids(messages) == ["pertinax.E010"]
    assert messages[0].obj == "secondary" and "database_retry" in messages[0].msg


def test_dashboard_options() -> None:
    assert ids(ours(PERTINAX={"dashboard": {"interval": 0}})) == ["pertinax.E011"]
    assert ids(ours(PERTINAX={"dashboard": {"points": 1}})) == ["pertinax.E011"]


def test_manage_py_check_fails_with_the_ids() -> None:
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.test import override_settings

    with override_settings(PERTINAX={"policies": {"api": {"min": 3, "max": 1}}}):
        with pytest.raises(SystemCheckError) as raised:
            call_command("check")
    assert "pertinax.E004" in str(raised.value) and "HINT" in str(raised.value)


def test_bad_settings_never_raise_and_change_nothing(caplog: pytest.LogCaptureFixture) -> None:
    from django.test import override_settings
    from pertinax import policies

    before = policies.get("api")
    with caplog.at_level(logging.WARNING, logger="pertinax.django"):
        with override_settings(PERTINAX={"policies": {"api": {"attempts": "x", "wait": -1}}}):
            assert policies.get("api") == before
    assert "not applied" in caplog.text
    assert policies.get("api") == before


def test_log_levels_and_alerts_follow_the_settings() -> None:
    from django.test import override_settings
    from pertinax import logs, metrics

    assert logs.get_levels() == dict(logs.QUIET)
    alerts = {"api": {"retry_rate": 0.5, "min_calls": 1}}
    with override_settings(PERTINAX={"log_levels": "loud", "metrics": {"alerts": alerts}}):
        assert logs.get_levels() == dict(logs.LOUD)
        rows = _alert_operations()
        assert "api" in rows
    assert logs.get_levels() == dict(logs.QUIET)
    assert "api" not in _alert_operations()
    metrics.reset()


def _alert_operations() -> set[str]:
    """Operations whose alert rule fires: each gets one retried call."""
    import pertinax
    from pertinax import metrics
    from pertinax.integrations.django import stats

    stats.reset()

    @pertinax.retry(name="api", stop=pertinax.stop_after_attempt(2), wait=pertinax.wait_fixed(0))
    def once(state: list[int] = []) -> None:  # noqa: B006 - a counter across attempts
        state.append(1)
        if len(state) == 1:
            raise ConnectionError("once")

    once()
    assert metrics.snapshot()["api"]["retried_calls"] == 1
    return set(stats.last_alerts())
