"""pertinax for Django: an app (``"pertinax.integrations.django"`` in ``INSTALLED_APPS``) that
configures the retry policies from settings, retries API views (:mod:`.middleware`), makes
``database_retry`` reconnect and respect transactions (:mod:`.db`), checks the settings
(``manage.py check``), adds the ``pertinax_stats`` and ``pertinax_policies`` commands, a command
base class (:mod:`.commands`) and a staff dashboard (:mod:`.urls`).

Django is imported here; ``import pertinax`` never imports this package.
"""

try:
    import django  # noqa: F401
except ImportError as e:  # pragma: no cover - exercised by a test that hides the library
    raise ImportError(
        "pertinax.integrations.django needs Django: pip install 'pertinax[django]'"
    ) from e
