"""The app's settings, read when they are used, and applied again whenever they change.

``PERTINAX`` is a dict with these optional sections::

    PERTINAX = {
        "policies": {"api": {"attempts": 3, "max": 30}, ...},   # pertinax.policies.configure data
        "log_levels": "loud",                                     # pertinax.logs.set_levels
        "metrics": {"alerts": {"database": {"retry_rate": 0.5}}},  # pertinax.metrics.set_alert
        "middleware": {"policy": "api", "paths": ["/api/"], "methods": ["GET", "HEAD", "OPTIONS"],
                       "retry_after": 5},
        "dashboard": {"interval": 10, "points": 360},
        "store": {"url": "redis://...", "prefix": "pertinax"},   # fleet-wide figures (fleet.py)
    }

The guide's flat ``RETRY_CONFIG = {"API_MAX_ATTEMPTS": 3, ...}`` is read too; ``PERTINAX
["policies"]`` wins where both say something. :func:`apply` runs when the app is ready and on
every ``setting_changed`` signal for either setting (``override_settings`` sends it), so a change
reaches functions decorated by policy name at once. Invalid settings are never applied: the
registry keeps what it had, one warning is logged, and ``manage.py check`` says what is wrong.
"""

import logging
import threading
import typing as t
from collections.abc import Mapping

from django.conf import settings

from pertinax import logs, metrics

log = logging.getLogger("pertinax.django")

SECTIONS = ("policies", "log_levels", "metrics", "middleware", "dashboard", "store")
MIDDLEWARE_DEFAULTS: Mapping[str, t.Any] = {
    "policy": "api",
    "paths": ("/api/",),
    "methods": ("GET", "HEAD", "OPTIONS"),
    "retry_after": 5,
}
DASHBOARD_DEFAULTS: Mapping[str, t.Any] = {"interval": 10.0, "points": 360}
ALERT_KEYS = ("retry_rate", "give_up_rate", "window", "min_calls")
# The guide's flat keys name their policy by prefix.
FLAT_PREFIXES = {"API_": "api", "DATABASE_": "database", "FILE_UPLOAD_": "file_upload"}


def pertinax_settings() -> Mapping[str, t.Any]:
    """``settings.PERTINAX``, or an empty mapping (also when it is not a mapping: checks say so)."""
    value = getattr(settings, "PERTINAX", None)
    return value if isinstance(value, Mapping) else {}


def section(name: str) -> Mapping[str, t.Any]:
    value = pertinax_settings().get(name)
    return value if isinstance(value, Mapping) else {}


def middleware_options() -> dict[str, t.Any]:
    """The middleware's options, defaults filled in."""
    return {**MIDDLEWARE_DEFAULTS, **section("middleware")}


def dashboard_options() -> dict[str, t.Any]:
    """The dashboard's options, defaults filled in."""
    return {**DASHBOARD_DEFAULTS, **section("dashboard")}


def retry_config() -> Mapping[str, t.Any]:
    value = getattr(settings, "RETRY_CONFIG", None)
    return value if isinstance(value, Mapping) else {}


def policy_data() -> dict[str, t.Any]:
    """Both settings' policy data in one mapping (for looking names up)."""
    return {**retry_config(), **section("policies")}


def policy_layers() -> list[Mapping[str, t.Any]]:
    """What goes to ``policies.configure``, in order: the flat ``RETRY_CONFIG`` keys, then
    ``PERTINAX["policies"]``, whose settings win where both set the same thing."""
    return [data for data in (retry_config(), section("policies")) if data]


def touched_names(data: Mapping[str, t.Any]) -> set[str]:
    """The policy names that configuration data changes."""
    names = set()
    for key in data:
        for prefix, name in FLAT_PREFIXES.items():
            if isinstance(key, str) and key.startswith(prefix) and key.isupper():
                names.add(name)
                break
        else:
            names.add(str(key))
    return names


class _State:
    """What the last :func:`apply` changed, so that the next one can undo it first."""

    __slots__ = ("alerts", "baseline", "levels_set", "lock", "touched")

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.baseline: dict[str, t.Any] | None = None
        self.touched: set[str] = set()
        self.alerts: set[str] = set()
        self.levels_set = False


_state = _State()


def apply() -> bool:
    """Configures policies, log levels and alerts from the settings; True if they were valid.

    The policies are first put back as they were before the app configured them, so removing a
    key (leaving ``override_settings``) restores the earlier value.
    """
    from pertinax import policies

    from . import db, fleet

    with _state.lock:
        if _state.baseline is None:
            _state.baseline = {name: policies.get(name) for name in policies.names()}
        layers = policy_layers()
        problems: list[object] = [p for data in layers for p in policies.validate(data)]
        levels = pertinax_settings().get("log_levels")
        alerts = section("metrics").get("alerts") or {}
        try:
            if levels is not None:
                logs._level_numbers(levels, "PERTINAX['log_levels']")
            _check_alerts(alerts)
        except (TypeError, ValueError) as e:
            problems.append(e)
        problems += fleet.store_problems(pertinax_settings().get("store"))
        if problems:
            log.warning(
                "pertinax: the PERTINAX/RETRY_CONFIG settings are invalid and were not applied "
                "(run manage.py check): %s",
                problems[0],
            )
            return False
        for name in _state.touched | {db.POLICY_NAME}:
            if name in _state.baseline:
                policies.register(_state.baseline[name])
        for data in layers:
            policies.configure(data)
        _state.touched = set().union(*(touched_names(data) for data in layers))
        db.install_database_policy()

        if levels is not None:
            logs.set_levels(levels)
            _state.levels_set = True
        elif _state.levels_set:
            logs.set_levels("quiet")
            _state.levels_set = False

        for name in _state.alerts - set(alerts):
            metrics.set_alert(name)
        for name, rule in alerts.items():
            metrics.set_alert(name, **rule)
        _state.alerts = set(alerts)
        fleet.configure(pertinax_settings().get("store"))
        return True


def _check_alerts(alerts: object) -> None:
    if not isinstance(alerts, Mapping):
        raise TypeError(f"PERTINAX['metrics']['alerts']={alerts!r} is not a dict")
    for name, rule in alerts.items():
        if not isinstance(rule, Mapping) or set(rule) - set(ALERT_KEYS):
            raise ValueError(
                f"PERTINAX['metrics']['alerts'][{name!r}]={rule!r}: expected a dict of "
                f"{', '.join(ALERT_KEYS)}"
            )
        for key in ("retry_rate", "give_up_rate"):
            value = rule.get(key)
            if value is not None and not (
                isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1
            ):
                raise ValueError(
                    f"PERTINAX['metrics']['alerts'][{name!r}][{key!r}]={value!r} is not a "
                    f"fraction between 0 and 1"
                )


def on_setting_changed(*, setting: str, **kwargs: t.Any) -> None:
    """``setting_changed`` receiver: applies ``PERTINAX``/``RETRY_CONFIG`` again."""
    if setting in ("PERTINAX", "RETRY_CONFIG"):
        apply()
