"""The app's configuration: add ``"pertinax.integrations.django"`` to ``INSTALLED_APPS``."""

from django.apps import AppConfig
from django.core import checks
from django.core.signals import setting_changed


class PertinaxConfig(AppConfig):
    """Applies the settings when Django is ready and again whenever they change, registers
    the system checks, and starts listening to alerts for the stats and the dashboard."""

    name = "pertinax.integrations.django"
    label = "pertinax"
    verbose_name = "pertinax"
    default = True

    def ready(self) -> None:
        from . import conf, stats
        from .checks import check_settings

        checks.register(check_settings, "pertinax")
        setting_changed.connect(conf.on_setting_changed, dispatch_uid="pertinax-settings")
        stats.install_alert_recorder()
        conf.apply()
